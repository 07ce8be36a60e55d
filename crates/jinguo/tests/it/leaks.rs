//! A restricted victim's story and person reach no one who must not see them: every route
//! of the router (pages found in the source, API routes from the OpenAPI document) called
//! as a sibling village, a sibling township, the leader and non-handlers of her unit, with
//! every seeded id; and one regression test per leak found by probing the demo.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::on_both;
use crate::support::*;

const NAME: &str = "蓝秀凤";
const ID: &str = "430523198703150020";
const PHONE: &str = "13907391234";
const ADDRESS: &str = "石桥村七组十八号";
/// In the call's summary: where she is hiding.
const MARKER: &str = "MARK7F3A现住塘渡口镇石桥村娘家";
const VILLAGE_B: &str = "430523100002";

/// What was seeded: the ids that routes take.
struct Seeded {
    ids: Vec<String>,
    case: i64,
    call: i64,
    person: i64,
}

async fn ok(r: Resp, what: &str) -> Value {
    assert!(r.status.is_success(), "{what}: {} {}", r.status, r.body);
    r.json()
}

/// The victim in VILLAGE_A (restricted, with ID, phone and address, a household, a
/// pairing and a group); a 12338 call about her made a case by the county's hotline and
/// transferred to her village, with an attachment; a second case naming her by ID.
async fn seed(app: &TestApp) -> Seeded {
    let admin = app.as_user("seedadmin", "0", "sys_admin").await;
    let hotline = app.as_user("hotline", COUNTY, "rights_officer").await;
    let p = ok(
        app.api(
            &admin,
            Method::POST,
            "/api/v1/persons",
            Some(json!({
            "name": NAME, "id_number": ID, "phone": PHONE, "address": ADDRESS,
            "unit_code": VILLAGE_A, "restricted": true})),
        )
        .await,
        "person",
    )
    .await;
    let person = p["id"].as_i64().unwrap();
    let m = ok(
        app.api(
            &admin,
            Method::POST,
            &format!("/api/v1/persons/{person}/categories"),
            Some(json!({"category": "dibao", "attrs": {"dibao_kind": "农村低保"}})),
        )
        .await,
        "membership",
    )
    .await;
    let h = ok(
        app.api(
            &admin,
            Method::POST,
            "/api/v1/households",
            Some(json!({"head": person})),
        )
        .await,
        "household",
    )
    .await;
    let g = ok(
        app.api(&admin, Method::POST, "/api/v1/pairings", Some(json!({
            "person": person, "helper_kind": "family", "helper": "爱心家庭", "help_direction": "就业"})))
            .await,
        "pairing",
    )
    .await;
    let logged = ok(
        app.api(
            &hotline,
            Method::POST,
            "/api/v1/calls",
            Some(json!({
            "caller_name": NAME, "phone": PHONE, "type": "domestic_violence",
            "summary": format!("丈夫殴打，{MARKER}，担心丈夫找上门"), "open_case": true})),
        )
        .await,
        "call",
    )
    .await;
    let call = logged["call"].as_i64().unwrap();
    let case = logged["case"].as_i64().unwrap();
    ok(
        app.api(
            &hotline,
            Method::POST,
            &format!("/api/v1/cases/{case}/moves"),
            Some(json!({"action": "transfer", "unit_code": VILLAGE_A, "reason": "转属地"})),
        )
        .await,
        "transfer",
    )
    .await;
    let a = ok(
        app.post_multipart(
            &hotline,
            &format!("/api/v1/cases/{case}/attachments"),
            &[],
            &format!("{NAME}{MARKER}.pdf"),
            b"%PDF-1.4\n%%EOF\n",
        )
        .await,
        "attachment",
    )
    .await;
    let second = ok(
        app.api(
            &admin,
            Method::POST,
            "/api/v1/cases",
            Some(json!({
            "channel": "visit", "type": "domestic_violence", "unit_code": VILLAGE_A,
            "summary": format!("再次求助，{MARKER}"),
            "parties": [{"role": "complainant", "name": NAME, "id_number": ID}]})),
        )
        .await,
        "second case",
    )
    .await;
    let mut ids: Vec<String> = [
        person,
        m["id"].as_i64().unwrap(),
        h["id"].as_i64().unwrap(),
        g["pairing"]["id"].as_i64().unwrap(),
        call,
        case,
        a["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    ]
    .iter()
    .map(i64::to_string)
    .collect();
    ids.sort();
    ids.dedup();
    Seeded {
        ids,
        case,
        call,
        person,
    }
}

/// A person's name as stored, whatever any route shows.
async fn stored_name(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT name FROM persons WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Every route mounted in the source and every API operation of the OpenAPI document, with
/// its methods: a new route is probed without a change here.
async fn routes(app: &TestApp) -> Vec<(String, Vec<Method>)> {
    let mut out: Vec<(String, Vec<Method>)> = Vec::new();
    let doc = app.get(None, "/api/v1/openapi.json").await.json();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let methods = ops
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).ok())
            .collect();
        out.push((path.clone(), methods));
    }
    for r in crate::scope::source_routes() {
        out.push((r, vec![Method::GET, Method::POST]));
    }
    // The audit log keeps what a prober searched for (her own typing, not a find): read it
    // before she searches.
    out.sort_by_key(|(r, _)| !r.contains("/audit"));
    out
}

/// The paths a route stands for, its placeholders filled with every seeded value.
fn expand(route: &str, ids: &[String]) -> Vec<String> {
    let Some(start) = route.find('{') else {
        return vec![route.to_string()];
    };
    let end = start + route[start..].find('}').unwrap();
    let values: Vec<String> = match &route[start + 1..end] {
        "code" => [VILLAGE_A, TOWN_A, COUNTY, "dibao"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "section" => vec!["aid".into()],
        _ => ids.to_vec(),
    };
    values
        .iter()
        .flat_map(|v| expand(&format!("{}{v}{}", &route[..start], &route[end + 1..]), ids))
        .collect()
}

/// Routes that would end the probing session or change its own account.
const SKIPPED_POSTS: &[&str] = &["/logout", "/lang", "/account/password", "/login"];

/// Probes every route as `s`; returns how many responses showed her masked (`蓝**`).
async fn probe(app: &TestApp, s: &Session, who: &str, needles: &[&str], seeded: &Seeded) -> usize {
    let mut calls = 0;
    let mut masked = 0;
    for (route, methods) in routes(app).await {
        for path in expand(&route, &seeded.ids) {
            for m in &methods {
                // Each response with what the prober typed (a page may show it back).
                let mut responses = Vec::new();
                if *m == Method::GET {
                    responses.push((app.get(Some(s), &path).await, ""));
                    if !route.contains('{') {
                        for q in [ID, NAME, PHONE] {
                            let url = format!("{path}?{}", form_encode(&[("q", q)]));
                            responses.push((app.get(Some(s), &url).await, q));
                        }
                    }
                } else if !SKIPPED_POSTS.contains(&route.as_str()) {
                    // Keys that find a person, as a form and as JSON: her ID number.
                    let fields = [
                        ("person", ID),
                        ("id_number", ID),
                        ("q", ID),
                        ("head", ID),
                        ("name", "随便"),
                        ("unit_code", VILLAGE_A),
                    ];
                    if path.starts_with("/api/") {
                        let body = json!({"person": ID, "id_number": ID, "head": ID, "name": "随便",
                            "unit_code": VILLAGE_A, "channel": "visit", "type": "domestic_violence",
                            "summary": "探查", "parties": [{"role": "complainant", "name": "随便", "id_number": ID}]});
                        responses.push((app.api(s, m.clone(), &path, Some(body)).await, ID));
                    } else {
                        responses.push((app.post(s, &path, &fields).await, ID));
                    }
                }
                for (r, typed) in responses {
                    calls += 1;
                    masked += usize::from(r.body.contains("蓝**"));
                    assert!(
                        !r.status.is_server_error(),
                        "{who} {m} {path}: {} {}",
                        r.status,
                        r.body
                    );
                    let text = if r
                        .headers
                        .get(header::CONTENT_TYPE)
                        .is_some_and(|t| t.to_str().unwrap_or("").contains("spreadsheet"))
                    {
                        sheet(&r.raw).concat().join("|")
                    } else {
                        r.body.clone()
                    };
                    for n in needles {
                        if *n == typed {
                            continue;
                        }
                        assert!(
                            !text.contains(n),
                            "{who} {m} {path} shows {n:?}: {}",
                            &text[text.find(n).unwrap().saturating_sub(200)..]
                                .chars()
                                .take(400)
                                .collect::<String>()
                        );
                    }
                }
            }
        }
    }
    assert!(calls > 300, "{who}: only {calls} requests");
    // Still signed in: a probe that ended its own session would see nothing.
    let me = app.get(Some(s), "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{who} was signed out");
    masked
}

on_both!(a_restricted_story_reaches_no_one_else, |app| {
    let seeded = seed(&app).await;
    let all = [NAME, ID, PHONE, ADDRESS, MARKER, "娘家"];
    // The leader, who reads the audit log, before the others type their searches into it.
    let leader = app.as_user("leader", COUNTY, "leader").await;
    probe(&app, &leader, "leader", &all, &seeded).await;
    let sibling_village = app.as_user("sibvillage", VILLAGE_B, "village_chair").await;
    probe(&app, &sibling_village, "sibling village", &all, &seeded).await;
    let sibling_town = app.as_user("sibtown", TOWN_B, "township_chair").await;
    probe(&app, &sibling_town, "sibling township", &all, &seeded).await;
    let same_village = app.as_user("samevillage", VILLAGE_A, "village_chair").await;
    let masked = probe(&app, &same_village, "her village's chair", &all, &seeded).await;
    // She sees that her village has the person (masked), in the lists, household, pairings.
    assert!(masked >= 5, "the masked name showed {masked} times");
    // A second rights officer of the county handles restricted persons (she sees the
    // registry as her role allows) but not this case: its story stays with its handlers.
    let officer = app.as_user("hotline2", COUNTY, "rights_officer").await;
    probe(
        &app,
        &officer,
        "second rights officer",
        &[MARKER, "娘家"],
        &seeded,
    )
    .await;
    // The one who took the call still reads it, and the read is audited.
    let hotline = app.login("hotline", PASSWORD).await.expect("login");
    let before = app.audit_count("call.view").await;
    let r = app.api(&hotline, Method::GET, "/api/v1/calls", None).await;
    assert!(r.body.contains(MARKER), "{}", r.body);
    assert_eq!(app.audit_count("call.view").await, before + 1);
    let _ = (seeded.case, seeded.call, seeded.person);
});

on_both!(
    the_call_log_hides_a_restricted_call_from_other_officers,
    |app| {
        let seeded = seed(&app).await;
        let officer = app.as_user("hotline2", COUNTY, "rights_officer").await;
        let calls = app
            .api(&officer, Method::GET, "/api/v1/calls", None)
            .await
            .json();
        let call = calls
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_i64() == Some(seeded.call))
            .expect("the call is listed: it exists");
        assert_eq!(call["restricted"], json!(true));
        assert_eq!(call["readable"], json!(false));
        assert_eq!(call["caller_name"], json!(""));
        assert_eq!(call["summary"], json!(""));
        assert_eq!(call["type_code"], json!("domestic_violence"));
        // Nor may she make it a case of her own, which would hand her the story.
        let r = app
            .api(
                &officer,
                Method::POST,
                &format!("/api/v1/calls/{}/case", seeded.call),
                None,
            )
            .await;
        assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::CONFLICT);
        // A call about domestic violence is restricted before it becomes a case.
        let hotline = app.login("hotline", PASSWORD).await.expect("login");
        let r = app
            .api(
                &hotline,
                Method::POST,
                "/api/v1/calls",
                Some(json!({"caller_name": "韦春兰",
            "type": "domestic_violence", "summary": "独自在家MARK9B1", "needs_follow_up": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = app.get(Some(&officer), "/cases/calls").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("MARK9B1") && !r.body.contains("韦春兰"));
    }
);

on_both!(an_id_number_reveals_nothing_to_another_township, |app| {
    let seeded = seed(&app).await;
    let town_b = app.as_user("sibtown", TOWN_B, "township_chair").await;
    let r = app
        .api(
            &town_b,
            Method::POST,
            "/api/v1/cases",
            Some(json!({"channel": "visit",
            "type": "domestic_violence", "unit_code": TOWN_B, "summary": "探查",
            "parties": [{"role": "complainant", "name": "随便", "id_number": ID}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let v = app
        .api(&town_b, Method::GET, &format!("/api/v1/cases/{id}"), None)
        .await;
    assert!(!v.body.contains(NAME), "{}", v.body);
    let v = v.json();
    assert_eq!(v["parties"][0]["name"], json!("随便"));
    assert_eq!(v["parties"][0]["person_id"], Value::Null);
    assert_eq!(v["case"]["repeat_of"], Value::Null);
    // Her record is untouched and still hers alone.
    assert_eq!(stored_name(&app, seeded.person).await, NAME);
});

on_both!(an_import_cannot_overwrite_a_restricted_person, |app| {
    let seeded = seed(&app).await;
    let chair = app.as_user("samevillage", VILLAGE_A, "village_chair").await;
    let csv = format!("姓名,身份证号,手机号,居住地代码\n改名者,{ID},13800000000,{VILLAGE_A}\n");
    let r = app
        .post_multipart(
            &chair,
            "/api/v1/imports",
            &[("mode", "valid_rows")],
            "a.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let job = r.json()["id"].as_i64().unwrap();
    let done = crate::import::wait(&app, &chair, job).await;
    assert_eq!(done["updated"], json!(0), "{done}");
    assert_eq!(done["failed"], json!(1), "{done}");
    assert_eq!(done["errors"][0]["key"], json!("import.id_elsewhere"));
    assert_eq!(
        done["errors"][0]["name"],
        json!("改名者"),
        "the row's own name"
    );
    assert_eq!(stored_name(&app, seeded.person).await, NAME);
    // All or nothing: nothing written, and the summary counts the row the list names.
    let r = app
        .post_multipart(
            &chair,
            "/api/v1/imports",
            &[("mode", "all_or_nothing")],
            "a.csv",
            csv.as_bytes(),
        )
        .await;
    let done = crate::import::wait(&app, &chair, r.json()["id"].as_i64().unwrap()).await;
    assert_eq!(done["message"], json!("import.nothing_written"), "{done}");
    assert_eq!(done["failed"], json!(1), "{done}");
    assert_eq!(stored_name(&app, seeded.person).await, NAME);
    let zh = kernel::i18n::Tr::new(kernel::i18n::Lang::Zh).s("import.id_elsewhere");
    assert!(!zh.contains("以外") && zh.contains("联系"), "{zh}");
});

on_both!(
    households_and_pairings_mask_her_and_refuse_new_pairings,
    |app| {
        let seeded = seed(&app).await;
        let chair = app.as_user("samevillage", VILLAGE_A, "village_chair").await;
        for path in ["/api/v1/pairings?status=all", "/registry/pairings"] {
            let r = app.get(Some(&chair), path).await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(
                !r.body.contains(NAME) && r.body.contains("蓝**"),
                "{path}: {}",
                r.body
            );
        }
        let r = app
            .api(
                &chair,
                Method::POST,
                "/api/v1/pairings",
                Some(json!({"person": seeded.person,
            "helper_kind": "family", "helper": "某家庭", "help_direction": "就业"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
);

/// A request with only an API token.
async fn bearer(app: &TestApp, token: &str, method: Method, path: &str, form: &str) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap();
    app.send(req).await
}

on_both!(a_token_mints_no_token, |app| {
    let id = app.user("tokenuser", COUNTY, "county_admin").await;
    let mut tx = app.db.begin_write().await.unwrap();
    let (_, secret) = kernel::auth::tokens::create(&mut tx, id, "t", 30)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = bearer(&app, &secret, Method::GET, "/api/v1/me", "").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = bearer(
        &app,
        &secret,
        Method::POST,
        "/account/tokens",
        "name=child&days=30",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = bearer(
        &app,
        &secret,
        Method::POST,
        "/account/password",
        "current=Test2026pass&new=Other2026pass&confirm=Other2026pass",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
});

on_both!(login_redirects_stay_on_the_site, |app| {
    app.user("redir", COUNTY, "leader").await;
    let s = app.login("redir", PASSWORD).await.expect("login");
    for next in [
        "/%09/example.org/x",
        "/%0a/x",
        "/%7f",
        "/%5cexample.org",
        "//example.org",
    ] {
        let r = app.get(Some(&s), &format!("/login?next={next}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.body);
        assert_eq!(r.location(), "/", "{next}");
    }
    let r = app.get(Some(&s), "/login?next=/cases").await;
    assert_eq!(r.location(), "/cases");
});

on_both!(a_case_names_at_most_fifty_parties, |app| {
    let admin = app.as_user("partyadmin", COUNTY, "county_admin").await;
    let mut parties = vec![json!({"role": "complainant", "name": "王秀英"})];
    parties.extend((0..60).map(|_| json!({"role": "respondent", "name": "张三"})));
    let r = app
        .api(
            &admin,
            Method::POST,
            "/api/v1/cases",
            Some(json!({"channel": "visit",
            "type": "marriage", "summary": "多人", "parties": parties})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("parties"), "{}", r.body);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
});

on_both!(an_upload_is_named_by_what_it_is, |app| {
    let admin = app.as_user("fileadmin", COUNTY, "county_admin").await;
    let r = app
        .api(&admin, Method::POST, "/api/v1/cases", Some(json!({"channel": "visit",
            "type": "marriage", "summary": "附件", "parties": [{"role": "complainant", "name": "王秀英"}]})))
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;<script>alert(1)</script>";
    let r = app
        .post_multipart(
            &admin,
            &format!("/api/v1/cases/{id}/attachments"),
            &[],
            "poly.html",
            gif,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let aid = r.json()["id"].as_i64().unwrap();
    let r = app
        .get(
            Some(&admin),
            &format!("/api/v1/cases/{id}/attachments/{aid}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("poly.gif"),
        "{disposition}"
    );
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/gif");
});
