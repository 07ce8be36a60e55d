//! Measures: every figure named and defined in both languages, its values rolled up the
//! tree as it adds up (sums, distinct counts computed per unit, ratios from their parts),
//! for a period and as of a date, and refused clearly when asked wrongly.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both;
use crate::support::*;

#[test]
fn every_measure_is_named_and_defined_in_both_languages() {
    use kernel::i18n::{Lang, Tr};
    let ids: Vec<&str> = jinguo::CAPABILITIES
        .iter()
        .flat_map(|c| c.measures.iter())
        .map(|m| m.id)
        .collect();
    assert!(ids.len() >= 8, "{ids:?}");
    for c in jinguo::CAPABILITIES {
        for m in c.measures {
            assert!(
                m.id.starts_with(&format!("{}.", c.name)),
                "{} begins with its capability",
                m.id
            );
            for lang in Lang::ALL {
                let tr = Tr::new(lang);
                for part in ["name", "definition"] {
                    let key = format!("measure.{}.{part}", m.id);
                    assert_ne!(tr.s(&key), key, "{key} in {lang:?}");
                }
                assert_ne!(tr.s(m.unit.key()), m.unit.key());
            }
        }
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids are unique");
}

async fn figures(app: &TestApp, s: &Session, path: &str) -> Value {
    let r = app.api(s, Method::GET, path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.json()
}

/// A unit's row: its code and name, its value (and a ratio's parts).
fn unit_value(f: &Value, code: &str) -> Value {
    f["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == code)
        .cloned()
        .unwrap_or(Value::Null)
}

on_both!(registry_measures_roll_up_the_tree, |app| {
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let (village_b, town_b): (String, String) = {
        let b: String = sqlx::query_scalar(
            "SELECT code FROM org_units WHERE parent_code = $1 AND code <> $2 ORDER BY code LIMIT 1",
        )
        .bind(TOWN_A)
        .bind(VILLAGE_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        let t: String = sqlx::query_scalar(
            "SELECT code FROM org_units WHERE level = 4 AND code <> $1 ORDER BY code LIMIT 1",
        )
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        let tv: String = sqlx::query_scalar(
            "SELECT code FROM org_units WHERE parent_code = $1 ORDER BY code LIMIT 1",
        )
        .bind(&t)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        (b, tv)
    };
    let mut person = Vec::new();
    for (name, sex, unit) in [
        ("陈淑珍", "F", VILLAGE_A),
        ("王秀英", "F", VILLAGE_A),
        ("李建国", "M", VILLAGE_A),
        ("赵桂兰", "F", village_b.as_str()),
        ("孙美华", "F", town_b.as_str()),
    ] {
        let r = app
            .api(
                &county,
                Method::POST,
                "/api/v1/persons",
                Some(json!({"name": name, "sex": sex, "birth_date": "1970-01-01", "unit_code": unit})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        person.push(r.json()["id"].as_i64().unwrap());
    }
    let f = figures(&app, &county, "/api/v1/measures/registry.persons").await;
    assert_eq!(f["total"]["value"], 5.0, "{f}");
    assert_eq!(f["measure"]["unit_label"], "人");
    assert!(f["measure"]["definition"]
        .as_str()
        .unwrap()
        .contains("在册"));
    assert_eq!(unit_value(&f, TOWN_A)["value"], 4.0, "{f}");
    let f = figures(
        &app,
        &county,
        &format!("/api/v1/measures/registry.persons?unit={TOWN_A}&by=sex"),
    )
    .await;
    assert_eq!(unit_value(&f, VILLAGE_A)["value"], 3.0);
    assert_eq!(unit_value(&f, &village_b)["value"], 1.0);
    let groups: Vec<(String, f64)> = f["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["label"].as_str().unwrap().into(),
                g["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, vec![("女".into(), 3.0), ("男".into(), 1.0)]);
    // As of yesterday: only the two registered yesterday.
    let yesterday = kernel::time::today().pred_opt().unwrap();
    sqlx::query("UPDATE persons SET created_at = $1 WHERE id IN ($2, $3)")
        .bind(kernel::time::day_start_ms(yesterday) + 1000)
        .bind(person[0])
        .bind(person[1])
        .execute(app.db.pool())
        .await
        .unwrap();
    let f = figures(
        &app,
        &county,
        &format!(
            "/api/v1/measures/registry.persons?as_of={}",
            kernel::time::iso_date(yesterday)
        ),
    )
    .await;
    assert_eq!(f["total"]["value"], 2.0, "{f}");

    // Groups by category.
    for (p, cat, attrs) in [
        (person[0], "left_behind_women", json!({})),
        (person[0], "dibao", json!({"dibao_kind": "农村低保"})),
        (person[3], "left_behind_women", json!({})),
    ] {
        let r = app
            .api(
                &county,
                Method::POST,
                &format!("/api/v1/persons/{p}/categories"),
                Some(json!({"category": cat, "attrs": attrs})),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let f = figures(
        &app,
        &county,
        &format!("/api/v1/measures/registry.group_members?unit={TOWN_A}&by=category"),
    )
    .await;
    assert_eq!(f["total"]["value"], 3.0, "{f}");
    let groups: Vec<(&str, f64)> = f["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(groups, vec![("left_behind_women", 2.0), ("dibao", 1.0)]);

    // Pairings: one cadre helps in both villages of the township.
    let helper = app.user("helper", TOWN_A, "township_chair").await;
    let town = app.session_for(helper).await;
    let mut pairing = Vec::new();
    for p in [person[0], person[1], person[3]] {
        let r = app
            .api(
                &town,
                Method::POST,
                "/api/v1/pairings",
                Some(
                    json!({"person": p, "helper_kind": "account", "helper": "helper",
                    "help_direction": "技能培训"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        pairing.push(r.json()["pairing"]["id"].as_i64().unwrap());
    }
    for g in [pairing[0], pairing[2]] {
        let r = app
            .api(
                &town,
                Method::POST,
                &format!("/api/v1/pairings/{g}/visits"),
                Some(json!({"kind": "visit", "found": "家中缺劳力", "done": "联系就业"})),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    // The ratio is recomputed from its summed parts: 2 of 3, not the mean of 1/2 and 1/1.
    let f = figures(
        &app,
        &county,
        &format!("/api/v1/measures/registry.visit_coverage?unit={TOWN_A}"),
    )
    .await;
    assert_eq!(f["total"]["value"], 0.6667, "{f}");
    assert_eq!(
        (f["total"]["num"].as_i64(), f["total"]["den"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(unit_value(&f, VILLAGE_A)["value"], 0.5);
    assert_eq!(unit_value(&f, &village_b)["value"], 1.0);
    assert_eq!(f["measure"]["kind"], "ratio");
    // The distinct count is one cadre for the township, though each village has her.
    let f = figures(
        &app,
        &county,
        &format!("/api/v1/measures/registry.helpers?unit={TOWN_A}"),
    )
    .await;
    assert_eq!(f["total"]["value"], 1.0, "{f}");
    assert_eq!(unit_value(&f, VILLAGE_A)["value"], 1.0);
    assert_eq!(unit_value(&f, &village_b)["value"], 1.0);
    // Visits by month in a named period.
    let month = kernel::time::iso_date(kernel::time::today())[..7].to_string();
    let f = figures(
        &app,
        &county,
        &format!("/api/v1/measures/registry.visits?period={month}&by=month"),
    )
    .await;
    assert_eq!(f["total"]["value"], 2.0, "{f}");
    assert_eq!(f["groups"][0]["key"], month);
    let last_year = kernel::time::today()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap()
        - 1;
    let f = figures(
        &app,
        &county,
        &format!("/api/v1/measures/registry.visits?period={last_year}"),
    )
    .await;
    assert_eq!(f["total"]["value"], 0.0);

    // Asked wrongly: clear refusals.
    let r = app
        .api(
            &county,
            Method::GET,
            "/api/v1/measures/registry.nothing",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (q, field) in [
        ("by=type", "by"),
        ("period=2026-Q9", "period"),
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("as_of=2026-13-01", "as_of"),
    ] {
        let r = app
            .api(
                &county,
                Method::GET,
                &format!("/api/v1/measures/registry.persons?{q}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert_eq!(r.json()["error"]["fields"][0]["field"], field, "{q}");
    }
    // A village director sees her village only.
    let village = app.as_user("village", VILLAGE_A, "village_chair").await;
    let f = figures(&app, &village, "/api/v1/measures/registry.persons").await;
    assert_eq!(f["total"]["value"], 3.0);
    let r = app
        .api(
            &village,
            Method::GET,
            &format!("/api/v1/measures/registry.persons?unit={TOWN_A}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = figures(&app, &village, "/api/v1/measures").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "registry.visit_coverage" && m["kind"] == "ratio"));
});

// The figures page: the set's measures as a table rolled up the tree (each unit below a
// link to its own figures), a chart drawn by the template, the definitions, and the same
// table as .xlsx opened back.
on_both!(the_figures_page_shows_any_set_of_measures, |app| {
    let county = app.as_user("county", COUNTY, "county_admin").await;
    for (name, unit) in [("陈淑珍", VILLAGE_A), ("王秀英", VILLAGE_A)] {
        let r = app
            .api(
                &county,
                Method::POST,
                "/api/v1/persons",
                Some(json!({"name": name, "sex": "F", "birth_date": "1970-01-01", "unit_code": unit})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let page = app.get(Some(&county), "/figures?set=registry").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let town_name: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        page.body.contains(&format!(
            "?set=registry&#38;unit={TOWN_A}\">{town_name}</a>"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("<svg") && page.body.contains(&town_name));
    assert!(page.body.contains("结对走访覆盖率＝"), "definitions shown");
    assert!(page.body.contains(&format!("data-unit=\"{TOWN_A}\"")));
    // Drilled into the township by its name: its villages.
    let page = app
        .get(
            Some(&county),
            &format!("/figures?set=registry&unit={town_name}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("data-unit=\"{VILLAGE_A}\"")));
    // A count links to the records behind it.
    assert!(
        page.body.contains(&format!(
            "href=\"/registry/persons?unit={VILLAGE_A}\">2</a>"
        )),
        "{}",
        page.body
    );
    // A name that is no unit of hers keeps the page and says so.
    let page = app
        .get(Some(&county), "/figures?set=registry&unit=不存在镇")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"unit-unmatched\""));
    // A set that does not exist is a 404 page, a bad period a message.
    assert_eq!(
        app.get(Some(&county), "/figures?set=nothing").await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .get(Some(&county), "/figures?set=registry&period=2026-Q9")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The .xlsx holds the same numbers.
    let r = app
        .get(
            Some(&county),
            &format!("/figures.xlsx?set=registry&unit={TOWN_A}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = sheet(&r.raw);
    assert_eq!(rows[1][0], "单位");
    assert!(rows[1][1].starts_with("在册人员"), "{:?}", rows[1]);
    assert_eq!(rows[2][0], town_name);
    assert_eq!(rows[2][1], "2");
    let village = rows.iter().find(|r| r[0] != town_name && r[1] == "2");
    assert!(village.is_some(), "{rows:?}");
});
