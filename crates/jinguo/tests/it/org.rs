//! The org tree pages: browse, find, a unit's page, its federation body, new units.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

on_both!(browse_and_find_by_two_characters, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app.get(Some(&s), "/org").await;
    assert_eq!(r.location(), format!("/org/{COUNTY}"));
    let r = app.get(Some(&s), &format!("/org/{COUNTY}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("塘渡口镇"));
    assert!(
        r.body.contains("<b>23</b>") && r.body.contains("<b>436</b>"),
        "counts by level"
    );
    // Two characters of a township's name find it; so does a code prefix.
    let r = app.get(Some(&s), "/org/search?q=%E5%A1%98%E6%B8%A1").await; // 塘渡
    assert!(r.body.contains(TOWN_A), "{}", r.body);
    let r = app
        .get(Some(&s), &format!("/org/search?q={VILLAGE_A}"))
        .await;
    assert!(r.body.contains("大岭社区"));
    // Full-width digits and spaces are fine.
    let r = app.get(Some(&s), "/org/search?q=%EF%BC%94%EF%BC%93%EF%BC%90%EF%BC%95%EF%BC%92%EF%BC%93%EF%BC%91%EF%BC%90%EF%BC%90").await;
    assert!(r.body.contains("塘渡口镇"));
    // A unit outside the scope, or that does not exist: the Chinese 404 page.
    for path in ["/org/110101", "/org/430523999", "/org/%27%3B--"] {
        let r = app.get(Some(&s), path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r
            .body
            .contains(kernel::i18n::Tr::default().s("err.not_found")));
    }
    // Breadcrumbs lead back up to the account's own unit.
    let r = app.get(Some(&s), &format!("/org/{VILLAGE_A}")).await;
    assert!(r.body.contains(&format!("href=\"/org/{COUNTY}\"")));
    assert!(r.body.contains(&format!("href=\"/org/{TOWN_A}\"")));
});

on_both!(federation_body_is_validated_field_by_field, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app
        .post(
            &s,
            &format!("/org/{TOWN_A}/edit"),
            &[
                ("chair", "王秀英"),
                ("phone", "12345"),
                ("term_start", "2026-13-40"),
                ("term_end", "2021-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let tr = kernel::i18n::Tr::default();
    assert!(r.body.contains(tr.s("field.phone_invalid")));
    assert!(r.body.contains(tr.s("field.date_invalid")));
    // What was typed stays in the form.
    assert!(r.body.contains("value=\"王秀英\""));
    let chair: String = sqlx::query_scalar("SELECT chair FROM org_units WHERE code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(chair, "", "nothing saved");
    let r = app
        .post(
            &s,
            &format!("/org/{TOWN_A}/edit"),
            &[
                ("chair", "王秀英"),
                ("phone", "０７３９－１２３４５６７"),
                ("term_start", "2021.6.1"),
                ("term_end", "2026-06-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(Some(&s), &format!("/org/{TOWN_A}")).await;
    assert!(
        page.body.contains("王秀英")
            && page.body.contains("0739-1234567")
            && page.body.contains("2021-06-01")
    );
    // Territorial names come from the statistics and cannot be renamed.
    app.post(&s, &format!("/org/{TOWN_A}/edit"), &[("name", "改名镇")])
        .await;
    let name: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(name, "塘渡口镇");
});

on_both!(non_territorial_units_hang_under_a_parent, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app
        .post(
            &s,
            &format!("/org/{COUNTY}/new"),
            &[("kind", "agency"), ("name", "县教育局机关妇委会")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/org/{COUNTY}N001"));
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/org/units",
            Some(json!({"parent": TOWN_A, "kind": "two_new", "name": "塘渡口镇两新组织妇联"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["code"], format!("{TOWN_A}N001"));
    // Bad kind and empty name are refused at their fields.
    let r = app
        .post(
            &s,
            &format!("/org/{COUNTY}/new"),
            &[("kind", "territorial"), ("name", " ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Only territorial units take them.
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/org/units",
            Some(json!({"parent": format!("{COUNTY}N001"), "kind": "agency", "name": "下挂"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "parent");
    // They are counted below the county and found by name.
    let r = app
        .api(
            &s,
            Method::GET,
            &format!("/api/v1/org/units/{COUNTY}"),
            None,
        )
        .await;
    let below = r.json()["below"].clone();
    assert!(
        below
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "agency" && c["count"] == 1),
        "{below}"
    );
    let r = app.get(Some(&s), "/org/search?q=%E5%A6%87%E5%A7%94").await; // 妇委
    assert!(r.body.contains(&format!("{COUNTY}N001")));
    // A township chair sees hers but not the county's agency unit.
    let t = app.as_user("town", TOWN_A, "township_chair").await;
    assert_eq!(
        app.get(Some(&t), &format!("/org/{TOWN_A}N001"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(Some(&t), &format!("/org/{COUNTY}N001"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit_count("org.create").await, 2);
});

on_both!(home_shows_unit_and_subtree_counts, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let r = app.get(Some(&s), "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("塘渡口镇"));
    let villages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_units WHERE parent_code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(r.body.contains(&format!("<b>{villages}</b>")), "{}", r.body);
    // Sections still to come say what they will hold.
    let r = app.get(Some(&s), "/coming/aid").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("两癌"));
    // Built capabilities are no longer "coming".
    assert_eq!(
        app.get(Some(&s), "/coming/cases").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(Some(&s), "/coming/nothing").await.status,
        StatusCode::NOT_FOUND
    );
});
