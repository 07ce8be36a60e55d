//! Excel export of the person list: opened back with calamine and checked cell by cell.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

on_both!(export_with_filters_masked_and_full, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    for (name, id, phone) in [
        ("王秀英", "11010519491231002X", "13800000001"),
        ("李秀兰", "430523198203150024", "13800000002"),
        ("张红梅", "430523199001010044", "13800000003"),
    ] {
        let r = app
            .api(&s, Method::POST, "/api/v1/persons", Some(json!({
                "name": name, "id_number": id, "phone": phone, "unit_code": VILLAGE_A, "ethnicity": "01"})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // Masked, with the list's filter (两 characters of the name).
    let r = app
        .get(Some(&s), "/registry/persons/export.xlsx?q=%E7%A7%80")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let rows = sheet(&r.raw);
    assert_eq!(rows[0][1], "姓名");
    assert_eq!(rows.len(), 3, "header and the two 秀");
    assert_eq!(rows[1][1], "李秀兰");
    assert_eq!(rows[1][5], "4305**********0024");
    assert_eq!(rows[2][6], "138****0001");
    assert_eq!(rows[1][4], "汉族");
    // Full details need the permission and are audited.
    let v = app.as_user("village", VILLAGE_A, "village_chair").await;
    assert_eq!(
        app.get(Some(&v), "/registry/persons/export.xlsx?full=1")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .get(Some(&s), "/registry/persons/export.xlsx?full=1&sort=birth")
        .await;
    let rows = sheet(&r.raw);
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[1][5], "11010519491231002X",
        "an 18-digit ID stays exact as text"
    );
    assert_eq!(rows[3][6], "13800000003");
    let audit = app.as_user("county", COUNTY, "county_admin").await;
    let e = app
        .api(
            &audit,
            Method::GET,
            "/api/v1/audit?action=person.export",
            None,
        )
        .await;
    let entries = e.json();
    assert_eq!(entries.as_array().unwrap().len(), 2);
    assert!(entries[0]["detail"]
        .as_str()
        .unwrap()
        .contains("\"full\":true"));
});

on_both!(import_template_lists_the_areas_villages, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let r = app.get(Some(&s), "/registry/import/template.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = sheet(&r.raw);
    assert_eq!(rows[0][0], "姓名*");
    assert_eq!(rows.len(), 1, "an empty person sheet");
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.raw.clone())).unwrap();
    let names = calamine::Reader::sheet_names(&wb);
    assert_eq!(names, vec!["人员", "村（社区）名单", "填写说明", "Lists"]);
    // The drop-down offers the villages by name; their sheet lists each with its code.
    let listed = calamine::Reader::worksheet_range(&mut wb, "村（社区）名单").unwrap();
    let codes: Vec<String> = listed.rows().skip(1).map(|r| r[2].to_string()).collect();
    let expected: Vec<String> =
        sqlx::query_scalar("SELECT code FROM org_units WHERE parent_code = $1 ORDER BY code")
            .bind(TOWN_A)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(codes, expected);
    let lists = calamine::Reader::worksheet_range(&mut wb, "Lists").unwrap();
    let villages: Vec<String> = lists
        .rows()
        .filter_map(|r| r.get(1).map(|c| c.to_string()))
        .filter(|c| !c.is_empty())
        .collect();
    let written: Vec<String> = listed.rows().skip(1).map(|r| r[3].to_string()).collect();
    assert_eq!(villages, written);
    assert!(
        villages.iter().all(|v| !v.starts_with(TOWN_A)),
        "names, not codes"
    );
    assert_eq!(lists.rows().next().unwrap()[0].to_string(), "汉族");
    // A leader has no data entry, so no template.
    let leader = app.as_user("leader", COUNTY, "leader").await;
    assert_eq!(
        app.get(Some(&leader), "/registry/import/template.xlsx")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
});
