//! Categories as data: builtin ones, a new one defined without code, memberships with
//! attributes, end and history, lists per category with filters.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

async fn person(app: &TestApp, s: &Session, name: &str, village: &str) -> i64 {
    let r = app
        .api(
            s,
            Method::POST,
            "/api/v1/persons",
            Some(json!({
                "name": name, "sex": "F", "birth_date": "2014-06-01", "unit_code": village,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

on_both!(builtin_categories_with_their_fields, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app.api(&s, Method::GET, "/api/v1/categories", None).await;
    let cats = r.json();
    let codes: Vec<&str> = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for c in [
        "left_behind_women",
        "left_behind_children",
        "migrant_children",
        "two_cancers",
        "spring_bud_girls",
        "talent_pool",
        "dibao",
        "registered_poor",
    ] {
        assert!(codes.contains(&c), "{c}");
    }
    let page = app.get(Some(&s), "/registry/categories").await;
    assert!(page.body.contains("留守儿童") && page.body.contains("两癌患者"));
});

on_both!(membership_with_attributes_end_and_history, |app| {
    let s = app.as_user("village", VILLAGE_A, "village_chair").await;
    let id = person(&app, &s, "刘小雨", VILLAGE_A).await;
    // Required fields and choices are checked field by field.
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/persons/{id}/categories"),
            Some(json!({
                "category": "left_behind_children", "attrs": {"parents_away": "都不在"}
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, vec!["attr.guardian", "attr.parents_away"]);
    // The page form does the same, keeping what was typed.
    let r = app
        .post(
            &s,
            &format!("/registry/persons/{id}/categories"),
            &[
                ("category", "left_behind_children"),
                ("attr.school", "大岭小学"),
                ("start_date", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"大岭小学\""));
    let r = app
        .post(
            &s,
            &format!("/registry/persons/{id}/categories"),
            &[
                ("category", "left_behind_children"),
                ("attr.school", "大岭小学"),
                ("attr.guardian", "祖母"),
                ("attr.parents_away", "父母均外出"),
                ("start_date", "2025-09-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Twice is refused.
    let r = app
        .api(&s, Method::POST, &format!("/api/v1/persons/{id}/categories"), Some(json!({
            "category": "left_behind_children", "attrs": {"guardian": "祖母", "parents_away": "父母均外出"}
        })))
        .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "category.already_member"
    );
    let page = app.get(Some(&s), &format!("/registry/persons/{id}")).await;
    assert!(page.body.contains("大岭小学") && page.body.contains("父母均外出"));
    // The person search filters by group too.
    let other = person(&app, &s, "刘小云", VILLAGE_A).await;
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/persons?category=left_behind_children",
            None,
        )
        .await;
    let ids: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![id]);
    assert_ne!(other, id);
    // The list of the category, with filters.
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/categories/left_behind_children/members",
            None,
        )
        .await;
    let rows = r.json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let mid = rows[0]["id"].as_i64().unwrap();
    assert_eq!(rows[0]["attrs"]["guardian"], "祖母");
    // End it: the list of current members is empty, the history has two entries.
    let r = app
        .api(
            &s,
            Method::PATCH,
            &format!("/api/v1/memberships/{mid}"),
            Some(json!({"action": "end", "end_date": "2025-01-01"})),
        )
        .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "category.end_before_start"
    );
    let r = app
        .api(
            &s,
            Method::PATCH,
            &format!("/api/v1/memberships/{mid}"),
            Some(json!({"action": "end", "note": "父母返乡"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "ended");
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/categories/left_behind_children/members",
            None,
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/categories/left_behind_children/members?status=ended",
            None,
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let page = app.get(Some(&s), &format!("/registry/persons/{id}")).await;
    assert!(page.body.contains("父母返乡"));
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM person_category_events WHERE person_category_id = $1",
    )
    .bind(mid)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(events, 2);
    assert_eq!(app.audit_count("category.assign").await, 1);
    assert_eq!(app.audit_count("category.end").await, 1);
    // Reopen works once; a stale version is a conflict.
    let r = app
        .api(
            &s,
            Method::PATCH,
            &format!("/api/v1/memberships/{mid}"),
            Some(json!({"action": "reopen", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .api(
            &s,
            Method::PATCH,
            &format!("/api/v1/memberships/{mid}"),
            Some(json!({"action": "reopen"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
});

on_both!(administrators_define_categories_without_code, |app| {
    let admin = app.as_user("admin", "0", "sys_admin").await;
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let def = [
        ("code", "widowed_women"), ("name_zh", "丧偶妇女"), ("name_en", "Widowed women"),
        ("fields", "since|丧偶时间|Widowed since|date||\nincome|年收入(元)|Income|number||是\nneed|主要需求|Main need|choice|就业;医疗;住房|"),
    ];
    // Only administrators.
    assert_eq!(
        app.post(&county, "/registry/categories/new", &def)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(
            &admin,
            "/registry/categories/new",
            &[
                ("code", "Bad"),
                ("name_zh", ""),
                ("name_en", "x"),
                ("fields", "oops"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains(kernel::i18n::Tr::default().s("category.field_invalid")));
    let r = app.post(&admin, "/registry/categories/new", &def).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // It works like a builtin one.
    let v = app.as_user("village", VILLAGE_A, "village_chair").await;
    let id = person(&app, &v, "周桂兰", VILLAGE_A).await;
    let r = app
        .api(&v, Method::POST, &format!("/api/v1/persons/{id}/categories"), Some(json!({
            "category": "widowed_women", "attrs": {"since": "2019年", "income": "八千", "need": "医疗"}
        })))
        .await;
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, vec!["field.date_invalid", "category.attr_number"]);
    let r = app
        .api(&v, Method::POST, &format!("/api/v1/persons/{id}/categories"), Some(json!({
            "category": "widowed_women", "attrs": {"since": "2019.3.1", "income": "8000", "need": "医疗"}
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let page = app
        .get(Some(&county), "/registry/categories/widowed_women")
        .await;
    assert!(
        page.body.contains("周桂兰")
            && page.body.contains("2019-03-01")
            && page.body.contains("8000")
    );
    assert_eq!(app.audit_count("category.create").await, 1);
});
