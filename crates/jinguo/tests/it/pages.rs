//! The patterns every page shares: error pages inside the frame, every method of every
//! page route answered with a Chinese page or a redirect.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use crate::on_both;
use crate::support::*;

/// Every page route of every crate, each placeholder filled with a value that exists (a
/// unit code, the id 1) so that the route's own handler answers.
fn page_paths() -> Vec<String> {
    crate::scope::source_routes()
        .into_iter()
        // Files and probes for machines, served outside the session layer.
        .filter(|r| {
            !["/api/", "/static/", "/healthz", "/metrics", "/favicon"]
                .iter()
                .any(|p| r.starts_with(p))
        })
        .map(|r| {
            let mut p = String::new();
            let mut rest = r.as_str();
            while let Some(start) = rest.find('{') {
                let end = start + rest[start..].find('}').unwrap();
                p.push_str(&rest[..start]);
                p.push_str(match &rest[start + 1..end] {
                    "code" => VILLAGE_A,
                    "section" => "aid",
                    _ => "1",
                });
                rest = &rest[end + 1..];
            }
            p.push_str(rest);
            p
        })
        .collect()
}

on_both!(every_page_route_answers_every_method_in_chinese, |app| {
    let id = app.user("王红梅", COUNTY, "county_admin").await;
    let s = app.session_for(id).await;
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ];
    let mut checked = 0;
    for path in page_paths() {
        if ["/logout", "/lang"].contains(&path.as_str()) {
            continue;
        }
        for m in &methods {
            let req = Request::builder()
                .method(m.clone())
                .uri(&path)
                .header(header::COOKIE, &s.cookie)
                .header("x-csrf-token", &s.csrf)
                .body(Body::empty())
                .unwrap();
            let r = app.send(req).await;
            checked += 1;
            let what = format!("{m} {path}: {}", r.status);
            assert!(!r.status.is_server_error(), "{what} {}", r.body);
            if r.status.is_redirection() {
                assert!(r.location().starts_with('/'), "{what}");
                continue;
            }
            let kind = r
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if r.status.is_success() && !kind.starts_with("text/html") {
                // A download (a workbook, an attachment) answers with its file.
                assert!(!r.raw.is_empty(), "{what}: empty {kind}");
                continue;
            }
            assert!(kind.starts_with("text/html"), "{what}: {kind}");
            assert!(r.body.contains("<html lang=\"zh-CN\">"), "{what}");
            if !r.status.is_success() {
                // An error keeps the frame: the navigation, who is signed in, a way back.
                assert!(r.body.contains("<nav class=\"main\">"), "{what} {}", r.body);
                assert!(r.body.contains("王红梅"), "{what}");
                assert!(r.body.contains("返回首页"), "{what}");
            }
        }
    }
    assert!(checked > 300, "{checked}");
});

on_both!(error_pages_keep_the_frame, |app| {
    let id = app.user("李秀英", VILLAGE_A, "village_chair").await;
    let s = app.session_for(id).await;
    // A path that does not exist, a record outside her area, a method the route refuses.
    for (path, status) in [
        ("/no/such/page", StatusCode::NOT_FOUND),
        (&format!("/org/{COUNTY}") as &str, StatusCode::NOT_FOUND),
    ] {
        let r = app.get(Some(&s), path).await;
        assert_eq!(r.status, status, "{path}");
        assert!(r.body.contains("李秀英") && r.body.contains("<nav class=\"main\">"));
        assert!(r.body.contains("页面或记录不存在"), "{}", r.body);
    }
    let r = app
        .send(
            Request::builder()
                .method(Method::DELETE)
                .uri("/registry/persons")
                .header(header::COOKIE, &s.cookie)
                .header("x-csrf-token", &s.csrf)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("此页面不接受这种操作"), "{}", r.body);
    assert!(r.headers.contains_key(header::ALLOW));
    // Not signed in: the same page in the plain frame, never an empty body.
    let r = app.get(None, "/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("页面或记录不存在") && !r.body.contains("<nav class=\"main\">"));
    // The API answers the same statuses in its one error body.
    let r = app.api(&s, Method::DELETE, "/api/v1/persons", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json()["error"]["code"], "err.method_not_allowed");
});

/// A woman's person form with the residence typed as `unit`.
async fn register(app: &TestApp, s: &Session, name: &str, unit: &str) -> Resp {
    app.post(
        s,
        "/registry/persons/new",
        &[
            ("name", name),
            ("sex", "F"),
            ("birth_date", "1980-05-01"),
            ("unit_code", unit),
        ],
    )
    .await
}

on_both!(a_village_director_registers_without_a_code, |app| {
    let s = app.as_user("village", VILLAGE_A, "village_chair").await;
    // Her only unit is filled in; she types nothing.
    let form = app.get(Some(&s), "/registry/persons/new").await;
    assert!(
        form.body.contains("value=\"大岭社区（塘渡口镇）\""),
        "{}",
        form.body
    );
    let r = register(&app, &s, "陈淑珍", "大岭社区（塘渡口镇）").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("?saved=new"));
    let page = app.get(Some(&s), r.location()).await;
    assert!(
        page.body.contains("已登记：陈淑珍（大岭社区）"),
        "{}",
        page.body
    );
    let unit: String = sqlx::query_scalar("SELECT unit_code FROM persons WHERE name = '陈淑珍'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(unit, VILLAGE_A);
});

on_both!(units_are_read_by_name_and_ambiguity_is_shown, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    // A county account has no single unit: nothing is filled in.
    let form = app.get(Some(&s), "/registry/persons/new").await;
    assert!(form
        .body
        .contains("name=\"unit_code\" id=\"unit_code\" value=\"\""));
    // The name alone, the town before it, a group after it, the code: all one village.
    for (i, typed) in [
        "大岭社区",
        "塘渡口镇大岭社区",
        "大岭社区3组",
        " 430523100001 ",
    ]
    .iter()
    .enumerate()
    {
        let r = register(
            &app,
            &s,
            &format!("王桂{}", ["兰", "英", "芳", "香"][i]),
            typed,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{typed}: {}", r.body);
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE unit_code = $1")
        .bind(VILLAGE_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 4);
    // 合兴村 is four villages of the county: the form stays, with its text, and offers them.
    let r = register(&app, &s, "李秀兰", "合兴村").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("有多个单位与此名称相符"), "{}", r.body);
    assert!(r.body.contains("value=\"李秀兰\"") && r.body.contains("value=\"合兴村\""));
    for town in ["白仓镇", "下花桥镇", "谷洲镇", "五峰铺镇"] {
        assert!(r.body.contains(&format!("合兴村（{town}）")), "{town}");
    }
    // The township named in brackets settles it.
    let r = register(&app, &s, "李秀兰", "合兴村（谷洲镇）").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A name that is no unit of her area: the message at the field, nothing saved.
    let r = register(&app, &s, "赵美玲", "不存在村").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("找不到这个单位"));
    let r = register(&app, &s, "赵美玲", "东城区").await;
    assert!(r.body.contains("找不到这个单位"), "outside the scope");
    // The suggestions a phone's field shows, from two characters.
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/org/pick?q=%E5%90%88%E5%85%B4",
            None,
        )
        .await; // 合兴
    let values: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap().to_string())
        .collect();
    assert!(
        values.contains(&"合兴村（谷洲镇）".to_string()),
        "{values:?}"
    );
    let v = app.as_user("village", VILLAGE_A, "village_chair").await;
    let r = app
        .api(
            &v,
            Method::GET,
            "/api/v1/org/pick?q=%E5%90%88%E5%85%B4",
            None,
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 0, "only her own area");
});

on_both!(a_neighbour_is_added_to_a_household_by_name, |app| {
    let s = app.as_user("village", VILLAGE_A, "village_chair").await;
    for (name, birth) in [
        ("陈淑珍", "1980-05-01"),
        ("刘建国", "1978-02-03"),
        ("张桂兰", "1950-01-01"),
    ] {
        let r = app
            .post(
                &s,
                "/registry/persons/new",
                &[
                    ("name", name),
                    ("sex", "F"),
                    ("birth_date", birth),
                    ("unit_code", VILLAGE_A),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    // A second 张桂兰 in the same village: the picker tells them apart by birth year.
    let r = app
        .post(
            &s,
            "/registry/persons/new",
            &[
                ("name", "张桂兰"),
                ("sex", "F"),
                ("birth_date", "1962-07-07"),
                ("unit_code", VILLAGE_A),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = |name: &'static str| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT MIN(id) FROM persons WHERE name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let head = id("陈淑珍").await;
    let r = app
        .post(&s, "/registry/households", &[("head", &head.to_string())])
        .await;
    let hid = r.location_id();
    assert!(r.location().ends_with("?saved=create"));
    let page = app
        .get(Some(&s), &format!("/registry/households/{hid}"))
        .await;
    // A head exists: the relation proposed for a new member is not 户主.
    assert!(
        page.body.contains("<option value=\"spouse\" selected>"),
        "{}",
        page.body
    );
    // Her neighbour by name alone.
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members"),
            &[("person", "刘建国"), ("relation", "spouse")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(Some(&s), r.location()).await;
    assert!(page.body.contains("已添加成员") && page.body.contains("刘建国"));
    // Two of one name: the form stays and offers both, with village and birth year.
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members"),
            &[("person", "张桂兰"), ("relation", "parent")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("有多位同名人员"), "{}", r.body);
    assert!(
        r.body.contains("张桂兰 · 大岭社区 · 1950年生")
            && r.body.contains("张桂兰 · 大岭社区 · 1962年生")
    );
    // The suggestions the field shows; choosing one sends her number back.
    let sug = app
        .api(
            &s,
            Method::GET,
            "/api/v1/persons/pick?q=%E5%BC%A0%E6%A1%82",
            None,
        )
        .await
        .json(); // 张桂
    let older = sug
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"].as_str().unwrap().contains("1950"))
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members"),
            &[("person", &older), ("relation", "parent")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let joined: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM household_members WHERE person_id = $1")
            .bind(id("张桂兰").await)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(joined, 1, "the 1950 张桂兰, the first registered");
    // Removing says what it does and asks first.
    let page = app
        .get(Some(&s), &format!("/registry/households/{hid}"))
        .await;
    assert!(page.body.contains("data-confirm=\"将 刘建国 移出本户？"));
    // Someone nobody registered: the message says what to do.
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members"),
            &[("person", "无此人"), ("relation", "child")],
        )
        .await;
    assert!(r.body.contains("找不到此人"));
});

on_both!(each_home_starts_with_its_work, |app| {
    let hotline = app.as_user("hotline", COUNTY, "rights_officer").await;
    // A case received 20 days ago and never decided is 5 days past its 15-day limit.
    let received = kernel::time::iso_date(kernel::time::today() - chrono::Days::new(20));
    let r = app
        .api(
            &hotline,
            Method::POST,
            "/api/v1/cases",
            Some(serde_json::json!({"channel": "visit", "type": "marriage", "received_date": received,
                "unit_code": COUNTY, "summary": "反映婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let home = app.get(Some(&hotline), "/").await;
    assert!(home.body.contains("id=\"tasks\""), "{}", home.body);
    assert!(
        home.body.contains("<b>1</b> 件案件超期，最长超期 5 天"),
        "{}",
        home.body
    );
    assert!(home.body.contains("href=\"/cases/calls\"") && home.body.contains("登记来电"));
    assert!(home.body.contains("<b>1</b> 件待受理"));
    // Only administrators see API tokens; the language switch is on the account page.
    assert!(!home.body.contains("/account/tokens"));
    assert!(home.body.contains("退出登录"));
    let account = app.get(Some(&hotline), "/account/password").await;
    assert!(account.body.contains("id=\"lang-switch\""));
    let village = app.as_user("village", VILLAGE_A, "village_chair").await;
    register(&app, &village, "陈淑珍", VILLAGE_A).await;
    let home = app.get(Some(&village), "/").await;
    assert!(home.body.contains("href=\"/registry/persons/new\""));
    assert!(home.body.contains("<b>1</b> 人本月新登记"), "{}", home.body);
    assert!(home.body.contains("id=\"home-search\""));
    let county = app.as_user("county", COUNTY, "county_admin").await;
    assert!(app
        .get(Some(&county), "/")
        .await
        .body
        .contains("/account/tokens"));
    // 统计报表 opens the figures that exist.
    let r = app.get(Some(&county), "/").await;
    assert!(r.body.contains("href=\"/cases/figures\""));
});

on_both!(supervisors_see_the_work_below_them, |app| {
    let village = app.as_user("李村长", VILLAGE_A, "village_chair").await;
    for name in ["陈淑珍", "刘桂芳"] {
        let r = register(&app, &village, name, VILLAGE_A).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM persons")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let r = app
        .post(
            &village,
            &format!("/registry/persons/{id}/categories"),
            &[
                ("category", "left_behind_women"),
                ("start_date", "2026-01-01"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let town = app.as_user("塘镇长", TOWN_A, "township_chair").await;
    let r = app.get(Some(&town), "/registry/overview").await;
    assert_eq!(r.status, StatusCode::OK);
    // Her village's row: 2 registered, both this month, 1 留守妇女; each a link.
    let row = r
        .body
        .split("<tr>")
        .find(|row| row.contains("大岭社区"))
        .unwrap_or_else(|| panic!("{}", r.body))
        .to_string();
    assert!(row.contains(&format!("unit={VILLAGE_A}\">2</a>")), "{row}");
    assert!(row.contains("sort=newest\">2</a>"), "{row}");
    assert!(row.contains("category=left_behind_women\">1</a>"), "{row}");
    // The list says how many, when and by whom each was registered.
    let list = app
        .get(Some(&town), &format!("/registry/persons?unit={VILLAGE_A}"))
        .await;
    assert!(list.body.contains("共 2 人"), "{}", list.body);
    assert!(list.body.contains("<td>李村长</td>"));
    // The village's households.
    let r = app
        .post(
            &village,
            "/registry/households",
            &[("head", &id.to_string())],
        )
        .await;
    assert!(r.status.is_redirection());
    let r = app.get(Some(&village), "/registry/households").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("共 1 户") && r.body.contains("陈淑珍"),
        "{}",
        r.body
    );
    // Masking says why, to those it hides from.
    assert!(app
        .get(Some(&village), "/registry/persons")
        .await
        .body
        .contains("id=\"masking-why\""));
    // She cannot register cases, but can pass on what a woman told her: it reaches
    // the township's call log.
    assert_eq!(
        app.get(Some(&village), "/cases/calls").await.status,
        StatusCode::FORBIDDEN
    );
    let form = app.get(Some(&village), "/cases/notes").await;
    assert!(form.body.contains("塘渡口镇"), "{}", form.body);
    let r = app
        .post(
            &village,
            "/cases/notes",
            &[
                ("type", "domestic_violence"),
                ("summary", "邻居反映她常被丈夫打"),
                ("caller_name", "刘桂芳"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app
        .get(Some(&village), r.location())
        .await
        .body
        .contains("已转报塘渡口镇"));
    let calls = app.get(Some(&town), "/api/v1/calls").await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.body);
    let list = calls.json();
    let call = &list.as_array().unwrap()[0];
    assert_eq!(call["unit_code"], TOWN_A);
    assert!(call["needs_follow_up"].as_bool().unwrap());
    assert_eq!(
        call["summary"], "邻居反映她常被丈夫打",
        "her chair reads the restricted note"
    );
});

on_both!(people_are_named_by_display_name_not_login, |app| {
    let s = app.as_user("wanghm", COUNTY, "rights_officer").await;
    sqlx::query("UPDATE users SET display_name = '王红梅' WHERE username = 'wanghm'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/cases",
            Some(
                serde_json::json!({"channel": "visit", "type": "marriage", "unit_code": COUNTY,
                "summary": "反映婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]}),
            ),
        )
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    let page = app.get(Some(&s), &format!("/cases/{id}")).await;
    let timeline = page.body.split("id=\"timeline\"").nth(1).unwrap();
    assert!(timeline.contains("王红梅"), "{timeline}");
    assert!(!timeline.contains("wanghm"));
    // The header names her too.
    assert!(page.body.contains(">王红梅</a>"));
});

on_both!(lists_count_every_page, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    for i in 0..52 {
        let r = app
            .api(
                &s,
                Method::POST,
                "/api/v1/cases",
                Some(serde_json::json!({"channel": "visit", "type": "marriage", "unit_code": TOWN_A,
                    "summary": format!("第{i}件"), "parties": [{"role": "complainant", "name": "王秀英"}]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = app
            .api(
                &s,
                Method::POST,
                "/api/v1/persons",
                Some(
                    serde_json::json!({"name": "李秀兰", "sex": "F", "birth_date": "1970-01-01",
                    "unit_code": VILLAGE_A}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let r = app
            .post(
                &s,
                &format!("/registry/persons/{id}/categories"),
                &[
                    ("category", "left_behind_women"),
                    ("start_date", "2026-01-01"),
                ],
            )
            .await;
        assert!(r.status.is_redirection());
    }
    for i in 0..52 {
        app.user(&format!("v{i:02}"), VILLAGE_A, "village_chair")
            .await;
    }
    for page in [1, 2] {
        let r = app.get(Some(&s), &format!("/accounts?page={page}")).await;
        assert!(r.body.contains("共 53 个账号"), "page {page}");
        let r = app.get(Some(&s), &format!("/cases?page={page}")).await;
        assert!(r.body.contains("共 52 件"), "page {page}");
        let r = app
            .get(
                Some(&s),
                &format!("/registry/categories/left_behind_women?page={page}"),
            )
            .await;
        assert!(r.body.contains("共 52 人"), "page {page}: {}", r.body);
        let r = app
            .get(
                Some(&s),
                &format!("/registry/persons?unit={VILLAGE_A}&page={page}"),
            )
            .await;
        assert!(r.body.contains("共 52 人"), "page {page}");
    }
});

// A case party is picked from the registry by name: the chosen suggestion links the case
// to her record; a name typed by hand stays a name.
on_both!(a_case_party_is_picked_from_the_registry, |app| {
    let s = app.as_user("hotline", COUNTY, "rights_officer").await;
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/persons",
            Some(serde_json::json!({
                "name": "陈淑珍", "sex": "F", "birth_date": "1980-05-01", "unit_code": VILLAGE_A,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pid = r.json()["id"].as_i64().unwrap();
    let page = app.get(Some(&s), "/cases/new").await;
    assert!(page.body.contains(
        "id=\"victim_name\" list=\"victim_name-list\" data-pick=\"/api/v1/persons/pick\""
    ));
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/persons/pick?q=%E6%B7%91%E7%8F%8D",
            None,
        )
        .await;
    let chosen = r.json()[0]["value"].as_str().unwrap().to_string();
    assert!(chosen.ends_with(&format!("#{pid}")), "{chosen}");
    let r = app
        .post(
            &s,
            "/cases/new",
            &[
                ("channel", "visit"),
                ("type", "marriage"),
                ("unit_code", VILLAGE_A),
                ("summary", "反映丈夫长期不给生活费"),
                ("complainant_name", "李大姐"),
                ("victim_name", &chosen),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case = app
        .api(
            &s,
            Method::GET,
            &format!("/api/v1/cases/{}", r.location_id()),
            None,
        )
        .await
        .json();
    let parties = case["parties"].as_array().unwrap();
    let victim = parties.iter().find(|p| p["role"] == "victim").unwrap();
    assert_eq!(victim["person_id"].as_i64(), Some(pid), "{case}");
    assert_eq!(victim["name"], "陈淑珍");
    let complainant = parties.iter().find(|p| p["role"] == "complainant").unwrap();
    assert_eq!(complainant["name"], "李大姐");
    assert!(complainant["person_id"].is_null());
});

// The home page's "registered this month" counts the scope's persons registered since the
// first of the month, found by registry number, and says "N+" past its cap.
on_both!(registered_this_month_counts_by_number, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let other: String = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE parent_code = $1 AND code <> $2 ORDER BY code LIMIT 1",
    )
    .bind(TOWN_A)
    .bind(VILLAGE_A)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (i, unit) in [
        VILLAGE_A, VILLAGE_A, VILLAGE_A, VILLAGE_A, &other, VILLAGE_A,
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .api(
                &s,
                Method::POST,
                "/api/v1/persons",
                Some(serde_json::json!({
                    "name": format!("测试{}", ["甲", "乙", "丙", "丁", "戊", "己"][i]),
                    "sex": "F", "birth_date": "1980-05-01", "unit_code": unit,
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    // The first two were registered last month (their numbers come first).
    let today = kernel::time::today();
    let month = kernel::time::day_start_ms(chrono::Datelike::with_day(&today, 1).unwrap());
    sqlx::query("UPDATE persons SET created_at = $1 WHERE id IN ($2, $3)")
        .bind(month - 86_400_000)
        .bind(ids[0])
        .bind(ids[1])
        .execute(app.db.pool())
        .await
        .unwrap();
    let village = kernel::scope::Scope::of_unit(VILLAGE_A);
    let town = kernel::scope::Scope::of_unit(TOWN_A);
    let count = |scope, cap| registry::tasks::registered_since(&app.db, scope, month, cap);
    assert_eq!(count(&village, 100).await.unwrap(), (3, false));
    assert_eq!(count(&town, 100).await.unwrap(), (4, false));
    assert_eq!(count(&town, 2).await.unwrap(), (2, true));
    assert_eq!(
        registry::tasks::registered_since(&app.db, &town, kernel::db::now_ms() + 1, 100)
            .await
            .unwrap(),
        (0, false)
    );
    let home = app.get(Some(&s), "/").await;
    assert!(home.body.contains("<b>4</b> 人本月新登记"), "{}", home.body);
    // The county's overview: each township a link into its own overview, which counts the
    // same way; a township typed by name is found, a name that is no unit says so.
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let r = app.get(Some(&county), "/registry/overview").await;
    assert!(
        r.body
            .contains(&format!("href=\"/registry/overview?unit={TOWN_A}\"")),
        "{}",
        r.body
    );
    let town_name: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let by_name = app
        .get(
            Some(&county),
            &format!("/registry/overview?unit={town_name}"),
        )
        .await;
    assert_eq!(by_name.status, StatusCode::OK);
    assert!(
        by_name.body.contains(&format!("unit={VILLAGE_A}\">5</a>")),
        "{}",
        by_name.body
    );
    assert!(
        !by_name
            .body
            .contains(&format!("href=\"/registry/overview?unit={VILLAGE_A}\"")),
        "villages have no overview of their own"
    );
    let none = app
        .get(Some(&county), "/registry/overview?unit=不存在镇")
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.body.contains("id=\"unit-unmatched\""));
    // The township's overview counts the same way: 5 persons in 大岭, 3 of them new.
    let r = app.get(Some(&s), "/registry/overview").await;
    let row = r
        .body
        .split("<tr>")
        .find(|row| row.contains(&format!("unit={VILLAGE_A}\"")))
        .unwrap_or_else(|| panic!("{}", r.body))
        .to_string();
    assert!(row.contains(&format!("unit={VILLAGE_A}\">5</a>")), "{row}");
    assert!(row.contains("sort=newest\">3</a>"), "{row}");
});
