//! Duplicates: found by their reasons, dismissed, merged with both histories kept, undone.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

const VILLAGE_A2: &str = "430523100002";

async fn person(app: &TestApp, s: &Session, body: serde_json::Value) -> i64 {
    let r = app
        .api(s, Method::POST, "/api/v1/persons", Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

on_both!(find_merge_and_undo, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let p = |name: &str, birth: &str, village: &str, phone: &str| json!({"name": name, "sex": "F", "birth_date": birth, "unit_code": village, "phone": phone});
    let a = person(&app, &s, p("王秀英", "1980-01-01", VILLAGE_A, "")).await;
    let b = person(&app, &s, p("王秀英", "1980-01-01", VILLAGE_A2, "")).await;
    let c = person(&app, &s, p("李梅", "1990-02-02", VILLAGE_A, "13900000001")).await;
    let d = person(&app, &s, p("张兰", "1991-03-03", VILLAGE_A2, "13900000001")).await;
    let e = person(&app, &s, p("赵红霞", "1985-05-05", VILLAGE_A, "")).await;
    let f = person(&app, &s, p("赵红侠", "1985-05-05", VILLAGE_A, "")).await;
    let _other = person(&app, &s, p("钱多多", "1970-07-07", VILLAGE_A, "")).await;
    let r = app.api(&s, Method::GET, "/api/v1/duplicates", None).await;
    let pairs: Vec<(i64, i64, String)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["a"]["id"].as_i64().unwrap(),
                d["b"]["id"].as_i64().unwrap(),
                d["reasons"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (a, b, "same_name_birth".to_string()),
            (c, d, "same_phone".to_string()),
            (e, f, "similar_name_village".to_string()),
        ]
    );
    // Not the same person: the pair is not shown again.
    let r = app
        .post(
            &s,
            "/registry/duplicates/dismiss",
            &[("a", &d.to_string()), ("b", &c.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(Some(&s), "/registry/duplicates").await;
    assert!(page.body.contains("赵红侠") && !page.body.contains("李梅"));
    // b has a group membership and a pairing; merging b into a moves them to a.
    let m = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/persons/{b}/categories"),
            Some(json!({"category": "dibao", "attrs": {"dibao_kind": "农村低保"}})),
        )
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
    let g = app.api(&s, Method::POST, "/api/v1/pairings",
        Some(json!({"person": b, "helper_kind": "family", "helper": "王家", "help_direction": "助医"}))).await;
    assert_eq!(g.status, StatusCode::CREATED);
    let r = app
        .post(
            &s,
            "/registry/duplicates/merge",
            &[("survivor", &a.to_string()), ("merged", &b.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.api(&s, Method::GET, &format!("/api/v1/persons/{b}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let page = app.get(Some(&s), &format!("/registry/persons/{a}")).await;
    assert!(page.body.contains("低保"));
    let owner: i64 = sqlx::query_scalar("SELECT person_id FROM pairings")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(owner, a);
    // The merged record stays, marked.
    let status: String = sqlx::query_scalar("SELECT status FROM persons WHERE id = $1")
        .bind(b)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "merged");
    // Undo: everything goes back.
    let merges = app.api(&s, Method::GET, "/api/v1/merges", None).await;
    let mid = merges.json()[0]["id"].as_i64().unwrap();
    let r = app
        .post(&s, &format!("/registry/merges/{mid}/undo"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.api(&s, Method::GET, &format!("/api/v1/persons/{b}"), None)
            .await
            .status,
        StatusCode::OK
    );
    let owner: i64 = sqlx::query_scalar("SELECT person_id FROM pairings")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(owner, b);
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/merges/{mid}/undo"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(app.audit_count("person.merge").await, 1);
    assert_eq!(app.audit_count("person.unmerge").await, 1);
    // A village chair of another village cannot merge across.
    let v2 = app.as_user("v2", VILLAGE_A2, "village_chair").await;
    let r = app
        .api(
            &v2,
            Method::POST,
            "/api/v1/merges",
            Some(json!({"survivor": b, "merged": a})),
        )
        .await;
    // A person outside her village is, to her, a person that is not there.
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["code"], "err.ref_not_found");
    assert_eq!(
        app.api(&v2, Method::GET, "/api/v1/merges", None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
});
