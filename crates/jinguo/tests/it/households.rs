//! Households: members with relations, one head, a person in one household at a time,
//! moves that carry the members' residence and keep their history.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

const VILLAGE_A2: &str = "430523100002";

on_both!(household_members_and_move, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let mut ids = Vec::new();
    for (name, id) in [
        ("王秀英", "11010519491231002X"),
        ("李建国", ""),
        ("李小雨", ""),
    ] {
        let mut body =
            json!({"name": name, "unit_code": VILLAGE_A, "sex": "F", "birth_date": "2012-05-01"});
        if !id.is_empty() {
            body = json!({"name": name, "unit_code": VILLAGE_A, "id_number": id});
        }
        let r = app
            .api(&s, Method::POST, "/api/v1/persons", Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    // The person page offers to create a household; she becomes its head.
    let page = app
        .get(Some(&s), &format!("/registry/persons/{}", ids[0]))
        .await;
    assert!(page.body.contains("create-household"));
    let r = app
        .post(&s, "/registry/households", &[("head", &ids[0].to_string())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let hid = r.location_id();
    // Members by registry number; a second head is refused, as is a stranger.
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members"),
            &[("person", &ids[1].to_string()), ("relation", "spouse")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members"),
            &[("person", &ids[2].to_string()), ("relation", "head")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains(kernel::i18n::Tr::default().s("household.one_head")));
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/households/{hid}/members"),
            Some(json!({"person": "999999", "relation": "child"})),
        )
        .await;
    assert_eq!(r.json()["error"]["fields"][0]["code"], "pick.person_none");
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/households/{hid}/members"),
            Some(json!({"person": ids[2].to_string(), "relation": "child"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["members"].as_array().unwrap().len(), 3);
    // One household at a time.
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/households",
            Some(json!({"head": ids[2]})),
        )
        .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "household.already_member"
    );
    // The person page shows her household.
    let page = app
        .get(Some(&s), &format!("/registry/persons/{}", ids[2]))
        .await;
    assert!(page.body.contains(&format!("/registry/households/{hid}")));
    // Moving carries everybody's residence and keeps the history.
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/households/{hid}/move"),
            Some(json!({"unit_code": TOWN_A})),
        )
        .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "person.unit_not_village"
    );
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/households/{hid}/move"),
            Some(json!({"unit_code": VILLAGE_A2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["moves"][0]["from_unit"], VILLAGE_A);
    for id in &ids {
        let p = app
            .api(&s, Method::GET, &format!("/api/v1/persons/{id}"), None)
            .await;
        assert_eq!(p.json()["unit_code"], VILLAGE_A2);
    }
    // A village chair of the old village no longer sees them; one of the new does.
    let old = app.as_user("old", VILLAGE_A, "village_chair").await;
    assert_eq!(
        app.get(Some(&old), &format!("/registry/households/{hid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let new = app.as_user("new", VILLAGE_A2, "village_chair").await;
    let page = app
        .get(Some(&new), &format!("/registry/households/{hid}"))
        .await;
    assert!(page.body.contains(VILLAGE_A) && page.body.contains("李小雨"));
    // Leaving keeps the record.
    let r = app
        .post(
            &s,
            &format!("/registry/households/{hid}/members/{}/leave", ids[2]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM household_members WHERE household_id = $1")
            .bind(hid)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(kept, 3);
    for a in [
        "household.create",
        "household.join",
        "household.move",
        "household.leave",
    ] {
        assert!(app.audit_count(a).await >= 1, "{a}");
    }
});
