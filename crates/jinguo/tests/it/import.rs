//! Importing persons from Excel: a messy sheet with its row errors checked one by one, the
//! error report opened back, re-import updating instead of duplicating, all or nothing,
//! files that are not spreadsheets, and a job cut off midway and resumed.

use axum::http::{Method, StatusCode};
use rust_xlsxwriter::Workbook;

use crate::on_both;
use crate::support::*;

/// Rows per transaction when a test cuts a job off after its first batch.
const CUT_BATCH: usize = 5_000;

pub async fn upload(app: &TestApp, s: &Session, file: &[u8], name: &str, mode: &str) -> Resp {
    app.post_multipart(s, "/registry/import", &[("mode", mode)], name, file)
        .await
}

pub async fn wait(app: &TestApp, s: &Session, id: i64) -> serde_json::Value {
    // A bound against a hung job only: a slow machine may take a while.
    for _ in 0..2400 {
        let r = app
            .api(s, Method::GET, &format!("/api/v1/imports/{id}"), None)
            .await;
        let j = r.json();
        if j["status"] == "done" || j["status"] == "failed" {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

fn job_id(r: &Resp) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
        .trim_start_matches("/registry/import/")
        .parse()
        .unwrap()
}

/// Checks that the name pairs the import made (SQLite) or its trigger (PostgreSQL) are
/// those of every active name, no more, no fewer; returns how many there are.
async fn name_pairs_stored(app: &TestApp) -> i64 {
    let pairs =
        "SELECT DISTINCT substr(p.name, CAST(k.i AS INTEGER), 2) AS gram, p.unit_code, p.id \
                 FROM persons p JOIN name_positions k ON k.i < length(p.name) \
                 WHERE p.status = 'active'";
    let (expected, stored, missing): (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT (SELECT COUNT(*) FROM ({pairs}) e), (SELECT COUNT(*) FROM person_grams), \
         (SELECT COUNT(*) FROM ({pairs}) e WHERE NOT EXISTS (SELECT 1 FROM person_grams g \
          WHERE g.gram = e.gram AND g.unit_code = e.unit_code AND g.person_id = e.id))"
    ))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!((stored, missing), (expected, 0), "name pairs");
    expected
}

/// A sheet with a title row, 3 good rows and 4 bad ones.
fn messy_sheet() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "大岭社区 2023 年重点人群花名册")
        .unwrap();
    for (c, h) in [
        "姓名",
        "身份证号码",
        "性别",
        "出生日期",
        "民族",
        "手机号码",
        "居住地代码",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let rows: [[&str; 7]; 7] = [
        [
            "王秀英",
            "11010519491231002X",
            "",
            "",
            "汉族",
            "13812345678",
            VILLAGE_A,
        ],
        ["李梅 ", "", "女", "2015年3月8日", "", "", VILLAGE_A],
        ["张兰", "430523800101002", "", "", "苗族", "", VILLAGE_A],
        ["刘芳", "110105194912310021", "", "", "", "", VILLAGE_A],
        ["", "", "女", "2001-01-01", "", "", VILLAGE_A],
        ["陈红", "", "女", "2099-01-01", "", "12345", VILLAGE_A],
        ["周敏", "", "女", "1990-01-01", "", "", "110101001001"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string((r + 3) as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

on_both!(messy_sheet_with_row_errors_and_reimport, |app| {
    let s = app.as_user("village", VILLAGE_A, "village_chair").await;
    let file = messy_sheet();
    let id = job_id(&upload(&app, &s, &file, "花名册.xlsx", "valid_rows").await);
    let j = wait(&app, &s, id).await;
    assert_eq!(j["status"], "done", "{j}");
    assert_eq!(
        (
            j["total"].as_i64(),
            j["inserted"].as_i64(),
            j["failed"].as_i64()
        ),
        (Some(7), Some(3), Some(4))
    );
    assert!(name_pairs_stored(&app).await >= 3);
    let errors: Vec<(i64, String, String)> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().into(),
                e["key"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (7, "id_number".into(), "id.check_digit".into()),
            (8, "name".into(), "field.required".into()),
            (9, "birth_date".into(), "field.date_future".into()),
            (9, "phone".into(), "field.phone_invalid".into()),
            (10, "unit_code".into(), "import.unit_outside".into()),
        ]
    );
    // The page lists them in Chinese; the report is the sheet's bad rows with a reason.
    let page = app.get(Some(&s), &format!("/registry/import/{id}")).await;
    assert!(page
        .body
        .contains(kernel::i18n::Tr::default().s("id.check_digit")));
    assert!(
        page.body.contains("第 7 行（刘芳）"),
        "rows are named by their person"
    );
    assert!(
        page.body.contains("第 8 行<"),
        "a row without a name by its number"
    );
    assert_eq!(
        page.body.matches("<tr data-row=").count(),
        4,
        "one line per row in error, as many as the count"
    );
    let report = app
        .get(Some(&s), &format!("/registry/import/{id}/errors.xlsx"))
        .await;
    let rows = sheet(&report.raw);
    assert_eq!(rows.len(), 5, "header and four bad rows");
    assert_eq!(rows[0][7], "错误原因");
    assert_eq!(rows[1][0], "刘芳");
    assert!(
        rows[1][7].starts_with("第 7 行（刘芳）：身份证号") && rows[1][7].contains("校验位"),
        "{:?}",
        rows[1]
    );
    // The good rows are there, with what the sheet said.
    let r = app
        .api(&s, Method::GET, "/api/v1/persons?sort=name", None)
        .await;
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"李梅".to_string()));
    // Importing the same file again (through the API this time) updates; nobody twice.
    let r = app
        .post_multipart(
            &s,
            "/api/v1/imports",
            &[("mode", "valid_rows")],
            "花名册.xlsx",
            &file,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id2 = r.json()["id"].as_i64().unwrap();
    let j = wait(&app, &s, id2).await;
    assert_eq!(
        (j["inserted"].as_i64(), j["updated"].as_i64()),
        (Some(0), Some(3)),
        "{j}"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(app.audit_count("person.import").await, 2);
});

on_both!(all_or_nothing_and_bad_files, |app| {
    let s = app.as_user("village", VILLAGE_A, "village_chair").await;
    let id = job_id(&upload(&app, &s, &messy_sheet(), "a.xlsx", "all_or_nothing").await);
    let j = wait(&app, &s, id).await;
    assert_eq!(j["message"], "import.nothing_written");
    assert_eq!(j["inserted"], 0);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    let tr = kernel::i18n::Tr::default();
    for (bytes, key) in [
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\0".to_vec(),
            "import.not_spreadsheet",
        ),
        (
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "import.encrypted",
        ),
        (b"PK\x03\x04garbage".to_vec(), "import.corrupt"),
        ("甲,乙\n1,2\n".as_bytes().to_vec(), "import.no_header"),
    ] {
        let r = upload(&app, &s, &bytes, "x", "valid_rows").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}");
        assert!(r.body.contains(tr.s(key)), "{key}");
    }
    // A CSV as Excel saves it in China (GB18030) works, all or nothing.
    let text = format!("姓名,性别,出生日期,居住地代码\n王芳,女,2001.2.3,{VILLAGE_A}\n");
    let (csv, _, _) = encoding_rs::GB18030.encode(&text);
    let id = job_id(&upload(&app, &s, &csv, "名单.csv", "all_or_nothing").await);
    let j = wait(&app, &s, id).await;
    assert_eq!(j["inserted"], 1, "{j}");
});

on_both!(job_cut_off_midway_resumes_without_duplicates, |app| {
    let s = app.as_user("town", TOWN_A, "township_chair").await;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "居住地代码"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let n = (CUT_BATCH * 2 + 500) as u32;
    for i in 0..n {
        let birth =
            chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(i as u64);
        let id =
            kernel::idcard::ResidentId::compose("430523", birth, (i % 500) as u16 * 2).unwrap();
        // Sheet row 4 has no name: an error found when checking.
        ws.write_string(i + 1, 0, if i == 2 { "" } else { "测试人" })
            .unwrap();
        ws.write_string(i + 1, 1, id.as_str()).unwrap();
        ws.write_string(i + 1, 2, VILLAGE_A).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    // Sheet row 3 holds an ID registered in another township: an error found when writing.
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let elsewhere: String = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE parent_code = $1 ORDER BY code LIMIT 1",
    )
    .bind(TOWN_B)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let row3 = kernel::idcard::ResidentId::compose(
        "430523",
        chrono::NaiveDate::from_ymd_opt(1960, 1, 2).unwrap(),
        2,
    )
    .unwrap();
    let r = app
        .api(
            &county,
            Method::POST,
            "/api/v1/persons",
            Some(serde_json::json!({"name": "别处人", "id_number": row3.as_str(), "unit_code": elsewhere})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Save the file and queue a job by hand, then run one batch only: as if the server died.
    let path = app.data_dir().join("cut.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'town'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let id = registry::import::job::create(
        app.state(),
        &registry::import::job::NewJob {
            unit_code: TOWN_A,
            user_id: uid,
            username: "town",
            file_name: "cut.xlsx",
            file_path: &path.to_string_lossy(),
            mode: "valid_rows",
            category: "",
        },
    )
    .await
    .unwrap();
    registry::import::job::run_with(app.state(), id, CUT_BATCH, Some(1))
        .await
        .unwrap();
    let (processed, status): (i64, String) = {
        let r = app
            .api(&s, Method::GET, &format!("/api/v1/imports/{id}"), None)
            .await
            .json();
        (
            r["processed"].as_i64().unwrap(),
            r["status"].as_str().unwrap().into(),
        )
    };
    assert_eq!((processed, status.as_str()), (CUT_BATCH as i64, "running"));
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM persons")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    assert_eq!(
        count().await,
        CUT_BATCH as i64 - 2 + 1,
        "whole batches only"
    );
    // On restart the job resumes where it stopped.
    registry::import::job::run_with(app.state(), id, CUT_BATCH, None)
        .await
        .unwrap();
    let j = app
        .api(&s, Method::GET, &format!("/api/v1/imports/{id}"), None)
        .await
        .json();
    assert_eq!(
        (
            j["status"].as_str(),
            j["inserted"].as_i64(),
            j["processed"].as_i64()
        ),
        (Some("done"), Some(i64::from(n) - 2), Some(i64::from(n)))
    );
    // The errors of the batch written before the cut are still reported after it.
    let errors: Vec<(i64, String)> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, "import.id_elsewhere".to_string()),
            (4, "field.required".to_string())
        ]
    );
    assert_eq!(j["failed"].as_i64(), Some(2));
    assert_eq!(count().await, i64::from(n) - 2 + 1);
    // Rerunning the whole file changes nothing twice.
    let id = job_id(&upload(&app, &s, &bytes, "cut.xlsx", "valid_rows").await);
    let j = wait(&app, &s, id).await;
    assert_eq!(
        (j["inserted"].as_i64(), j["updated"].as_i64()),
        (Some(0), Some(i64::from(n) - 2))
    );
    assert_eq!(count().await, i64::from(n) - 2 + 1);
    let pairs = name_pairs_stored(&app).await;
    assert!(pairs > 2 * (i64::from(n) - 2), "{pairs}");
});

/// A valid resident ID of 邵阳县 for a woman born on the given day.
pub fn resident_id(y: i32, m: u32, d: u32, seq: u16) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    kernel::idcard::ResidentId::compose("430523", birth, seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// Rows written under a template's header, by header text (`*` left off), on a sheet named
/// like the template's.
pub fn ledger(sheet_name: &str, header: &[String], rows: &[Vec<(&str, String)>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name).unwrap();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (name, value) in row {
            let c = header
                .iter()
                .position(|h| h.trim_end_matches('*') == *name)
                .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
            ws.write_string(r as u32 + 1, c as u16, value).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    calamine::Reader::sheet_names(&wb)
}

fn sheet_named(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut wb, name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

on_both!(
    a_group_ledger_goes_in_by_its_template_and_comes_back_out,
    |app| {
        let s = app.as_user("town", TOWN_A, "township_chair").await;
        let village: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = $1")
            .bind(VILLAGE_A)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        // The group's template: named after it, its items after the person columns, the
        // villages by name with their codes on a sheet of their own.
        let r = app
            .get(Some(&s), "/registry/import/template.xlsx?group=two_cancers")
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            sheet_names(&r.raw),
            vec!["两癌患者", "村（社区）名单", "填写说明", "Lists"]
        );
        let header = sheet(&r.raw)[0].clone();
        assert_eq!(header[6], "居住地（村/社区）*");
        assert_eq!(&header[10..], ["病种*", "筛查阶段", "救助阶段", "病情"]);
        let villages = sheet_named(&r.raw, "村（社区）名单");
        let listed = villages
            .iter()
            .find(|v| v[2] == VILLAGE_A)
            .expect("the village with its code");
        assert_eq!(listed[0], village);
        let written = listed[3].clone();
        assert!(written.starts_with(&village), "{written}");
        assert_eq!(
            app.get(Some(&s), "/registry/import/template.xlsx?group=nope")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // A ledger on it: the village by name; one row without its required item, one with a
        // village outside the township.
        let ouyang = resident_id(1982, 3, 15, 2);
        let chen = resident_id(1975, 6, 1, 4);
        let li = resident_id(1969, 1, 20, 6);
        let row = |name: &str, id: &str, unit: &str, cancer: &str| {
            vec![
                ("姓名", name.to_string()),
                ("身份证号", id.to_string()),
                ("居住地（村/社区）", unit.to_string()),
                ("病种", cancer.to_string()),
                ("救助阶段", "已申请".to_string()),
            ]
        };
        let file = ledger(
            "两癌患者",
            &header,
            &[
                row("欧阳秀芝", &ouyang, &written, "乳腺癌"),
                row("陈淑珍", &chen, &village, ""),
                row("李四娣", &li, "不存在村", "宫颈癌"),
            ],
        );
        let id = job_id(&upload(&app, &s, &file, "两癌台账.xlsx", "valid_rows").await);
        let j = wait(&app, &s, id).await;
        assert_eq!(
            j["category"], "two_cancers",
            "the sheet's name says the group"
        );
        assert_eq!(
            (
                j["inserted"].as_i64(),
                j["grouped"].as_i64(),
                j["failed"].as_i64()
            ),
            (Some(1), Some(1), Some(2)),
            "{j}"
        );
        let errors: Vec<(i64, &str, &str, &str)> = j["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_i64().unwrap(),
                    e["field"].as_str().unwrap(),
                    e["key"].as_str().unwrap(),
                    e["name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            errors,
            vec![
                (3, "attr.cancer", "field.required", "陈淑珍"),
                (4, "unit_code", "import.unit_outside", "李四娣"),
            ]
        );
        // The page names each row by its person, one line a row, as many as the count says.
        let page = app.get(Some(&s), &format!("/registry/import/{id}")).await;
        assert!(page.body.contains("第 3 行（陈淑珍）"), "{}", page.body);
        assert!(page.body.contains("病种：此项必填"), "{}", page.body);
        assert!(page.body.contains("第 4 行（李四娣）"));
        assert_eq!(page.body.matches("<tr data-row=").count(), 2);
        assert!(page.body.contains("id=\"grouped\""));
        let report = app
            .get(Some(&s), &format!("/registry/import/{id}/errors.xlsx"))
            .await;
        let rows = sheet(&report.raw);
        assert_eq!(rows.len(), 3, "header and the two rows");
        assert!(
            rows[1]
                .last()
                .unwrap()
                .starts_with("第 3 行（陈淑珍）：病种"),
            "{:?}",
            rows[1]
        );
        let (attrs, unit): (String, String) = sqlx::query_as(
        "SELECT m.attrs, m.unit_code FROM person_categories m JOIN persons p ON p.id = m.person_id \
         WHERE p.name = '欧阳秀芝' AND m.category_code = 'two_cancers' AND m.status = 'active'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
        assert_eq!(unit, VILLAGE_A);
        let attrs: serde_json::Value = serde_json::from_str(&attrs).unwrap();
        assert_eq!(
            attrs,
            serde_json::json!({"cancer": "乳腺癌", "aid_stage": "已申请"})
        );

        // Fixed and imported again: 陈淑珍 joins, 欧阳秀芝 is not joined twice.
        let file = ledger(
            "两癌患者",
            &header,
            &[
                row("欧阳秀芝", &ouyang, &written, "乳腺癌"),
                row("陈淑珍", &chen, &village, "宫颈癌"),
            ],
        );
        let id = job_id(&upload(&app, &s, &file, "两癌台账.xlsx", "valid_rows").await);
        let j = wait(&app, &s, id).await;
        assert_eq!(
            (
                j["inserted"].as_i64(),
                j["updated"].as_i64(),
                j["grouped"].as_i64(),
                j["failed"].as_i64()
            ),
            (Some(1), Some(1), Some(1), Some(0)),
            "{j}"
        );
        let members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM person_categories WHERE category_code = 'two_cancers' AND status = 'active'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
        assert_eq!(members, 2);

        // The list filtered by the group exports its ledger: a sheet named after it, with its
        // items and the date each joined.
        let r = app
            .get(
                Some(&s),
                "/registry/persons/export.xlsx?category=two_cancers&sort=name",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(sheet_names(&r.raw), vec!["两癌患者"]);
        let rows = sheet(&r.raw);
        let n = rows[0].len();
        assert_eq!(
            &rows[0][n - 5..],
            ["病种", "筛查阶段", "救助阶段", "病情", "纳入日期"]
        );
        assert_eq!(rows.len(), 3);
        let ouyang_row = rows.iter().find(|r| r[1] == "欧阳秀芝").unwrap();
        assert_eq!(&ouyang_row[n - 5..n - 1], ["乳腺癌", "", "已申请", ""]);
        assert_eq!(
            ouyang_row[n - 1],
            kernel::time::iso_date(kernel::time::today())
        );

        // Asked for no group, a group's template registers the persons only.
        let file = ledger(
            "两癌患者",
            &header,
            &[row("李四娣", &li, &village, "宫颈癌")],
        );
        let r = app
            .post_multipart(
                &s,
                "/registry/import",
                &[("mode", "valid_rows"), ("group", "none")],
                "x.xlsx",
                &file,
            )
            .await;
        let j = wait(&app, &s, job_id(&r)).await;
        assert_eq!(
            (j["inserted"].as_i64(), j["grouped"].as_i64()),
            (Some(1), Some(0)),
            "{j}"
        );
        let r = app
            .post_multipart(
                &s,
                "/registry/import",
                &[("mode", "valid_rows"), ("group", "no_such_group")],
                "x.xlsx",
                &file,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("没有这个人群"));
    }
);
