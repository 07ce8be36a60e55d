//! Pairing help: the help card, visits and checks, year-end acceptance, and the warning
//! when a cadre carries more pairs than the rule allows.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

async fn person(app: &TestApp, s: &Session, name: &str) -> i64 {
    let r = app
        .api(
            s,
            Method::POST,
            "/api/v1/persons",
            Some(json!({
                "name": name, "sex": "F", "birth_date": "1975-02-01", "unit_code": VILLAGE_A,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

on_both!(help_card_visits_and_acceptance, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let id = person(&app, &s, "陈桂英").await;
    // Unknown cadre, missing direction: refused at their fields.
    let r = app
        .post(
            &s,
            "/registry/pairings/new",
            &[
                ("person", &id.to_string()),
                ("helper_kind", "account"),
                ("helper", "nobody"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let tr = kernel::i18n::Tr::default();
    assert!(r.body.contains(tr.s("pick.account_none")) && r.body.contains(tr.s("field.required")));
    let r = app
        .post(
            &s,
            "/registry/pairings/new",
            &[
                ("person", &id.to_string()),
                ("helper_kind", "account"),
                ("helper", "town"),
                ("family_situation", "丈夫外出务工，两个孩子上学"),
                ("poverty_cause", "缺劳力"),
                ("help_direction", "技能培训，推荐就业"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gid: i64 = r
        .location()
        .trim_start_matches("/registry/pairings/")
        .parse()
        .unwrap();
    // Visits: a future date is refused; then two are recorded.
    let r = app
        .post(
            &s,
            &format!("/registry/pairings/{gid}/visits"),
            &[
                ("kind", "visit"),
                ("date", "2099-01-01"),
                ("found", "x"),
                ("done", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (kind, found) in [("visit", "家中缺少劳动力"), ("check", "已参加培训")] {
        let r = app
            .post(
                &s,
                &format!("/registry/pairings/{gid}/visits"),
                &[("kind", kind), ("found", found), ("done", "联系就业岗位")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = app
        .api(&s, Method::GET, &format!("/api/v1/pairings/{gid}"), None)
        .await;
    assert_eq!(r.json()["visits"].as_array().unwrap().len(), 2);
    assert_eq!(r.json()["pairing"]["helped_name"], "陈桂英");
    // Year-end acceptance, then the end.
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/pairings/{gid}"),
            Some(json!({"action": "accept", "result": "maybe"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/pairings/{gid}"),
            Some(json!({"action": "accept", "result": "passed", "note": "已稳定就业"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["acceptance"], "passed");
    let page = app
        .get(Some(&s), &format!("/registry/pairings/{gid}"))
        .await;
    assert!(page.body.contains("已稳定就业") && page.body.contains("技能培训"));
    let r = app
        .post(
            &s,
            &format!("/registry/pairings/{gid}"),
            &[("action", "end")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for a in [
        "pairing.create",
        "pairing.visit",
        "pairing.accept",
        "pairing.end",
    ] {
        assert!(app.audit_count(a).await >= 1, "{a}");
    }
});

on_both!(cadre_over_the_pair_limit_is_flagged, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let mut over = Vec::new();
    for name in ["甲秀", "乙秀", "丙秀"] {
        let id = person(&app, &s, name).await;
        let r = app
            .api(&s, Method::POST, "/api/v1/pairings", Some(json!({
                "person": id, "helper_kind": "account", "helper": "town", "help_direction": "产业帮扶"})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        over.push(r.json()["over_limit"].as_bool().unwrap());
    }
    assert_eq!(over, vec![false, false, true]);
    let page = app.get(Some(&s), "/registry/pairings").await;
    assert!(page.body.contains("id=\"over-limit\""));
    // A household can be helped too, by a family.
    let id = person(&app, &s, "丁秀").await;
    let h = app
        .api(
            &s,
            Method::POST,
            "/api/v1/households",
            Some(json!({"head": id})),
        )
        .await;
    let hid = h.json()["id"].as_i64().unwrap();
    let r = app
        .api(&s, Method::POST, "/api/v1/pairings", Some(json!({
            "household": hid, "helper_kind": "family", "helper": "王家", "help_direction": "助学"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["pairing"]["helped_name"], "丁秀");
    // The rule is a setting: an administrator raises it and the flag goes.
    let admin = app.as_user("admin", "0", "sys_admin").await;
    assert_eq!(
        app.post(&s, "/registry/pairings/limit", &[("limit", "3")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&admin, "/registry/pairings/limit", &[("limit", "0")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post(&admin, "/registry/pairings/limit", &[("limit", "3")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = app.get(Some(&s), "/registry/pairings").await;
    assert!(!page.body.contains("id=\"over-limit\""));
});

// A pairing's helper is a colleague picked by her name, shown with her unit, never by her
// login name; two of the same name are told apart by their units.
on_both!(a_helper_is_picked_by_name, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let id = person(&app, &s, "陈桂英").await;
    for (login, unit) in [("wanghm1", TOWN_A), ("wanghm2", VILLAGE_A)] {
        let uid = app.user(login, unit, "village_chair").await;
        sqlx::query("UPDATE users SET display_name = '王红梅' WHERE id = $1")
            .bind(uid)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    // The form starts with the cadre herself, by name and unit.
    let page = app
        .get(Some(&s), &format!("/registry/pairings/new?person={id}"))
        .await;
    let town: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let village: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = $1")
        .bind(VILLAGE_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        page.body.contains(&format!("value=\"town（{town}） #")),
        "{}",
        page.body
    );
    // Suggestions name colleagues by name and unit, not by login.
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/accounts/pick?q=%E7%BA%A2%E6%A2%85",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let labels: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        labels,
        vec![format!("王红梅（{town}）"), format!("王红梅（{village}）")]
    );
    assert!(!r.body.contains("wanghm"));
    let fields = |helper: &str| {
        vec![
            ("person".to_string(), id.to_string()),
            ("helper_kind".to_string(), "account".to_string()),
            ("helper".to_string(), helper.to_string()),
            ("help_direction".to_string(), "技能培训".to_string()),
        ]
    };
    let post = |f: Vec<(String, String)>| {
        let app = &app;
        let s = &s;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            app.post(s, "/registry/pairings/new", &f).await
        }
    };
    // Her name alone is two people: both are offered, by unit.
    let r = post(fields("王红梅")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let tr = kernel::i18n::Tr::default();
    assert!(r.body.contains(tr.s("pick.account_many")));
    assert!(r.body.contains(&format!(
        "data-fill=\"helper\" value=\"王红梅（{village}） #"
    )));
    // With her unit, she is one.
    let r = post(fields(&format!("王红梅（{village}）"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gid = r.location_id();
    let r = app
        .api(&s, Method::GET, &format!("/api/v1/pairings/{gid}"), None)
        .await;
    assert_eq!(r.json()["pairing"]["helper_name"], "王红梅", "{}", r.body);
    // A colleague outside the township is not found.
    let other: String = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE level = 4 AND code <> $1 ORDER BY code LIMIT 1",
    )
    .bind(TOWN_A)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    app.user("outsider", &other, "village_chair").await;
    let r = post(fields("outsider")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
});
