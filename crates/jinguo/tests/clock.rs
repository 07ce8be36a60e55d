//! A configured today (`JINGUO_TODAY`, for training installations): deadlines, flags, lists
//! and date checks count from it, and every page says so. Its own test binary, because the
//! day is set once for the whole process.

// The story suite's support; this binary uses only part of it.
#[allow(dead_code)]
#[path = "it/support.rs"]
mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::*;

/// A day years after any real today of these tests: a case received shortly before it is
/// in the future by the real clock, so only the configured one accepts and flags it.
const TODAY: &str = "2031-03-15";

fn day(d: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()
}

async fn configured(app: TestApp) {
    assert!(kernel::time::set_today(day(TODAY)));
    assert_eq!(kernel::time::today(), day(TODAY));
    let s = app.as_user("hot", TOWN_A, "rights_officer").await;
    let case = |received: &str| {
        json!({"channel": "visit", "type": "marriage", "received_date": received,
            "summary": "反映婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]})
    };
    // Received 23 days before the configured today and undecided: the 15 days are over.
    let r = app
        .api(&s, Method::POST, "/api/v1/cases", Some(case("2031-02-20")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let late = r.json()["id"].as_i64().unwrap();
    let v = app
        .api(&s, Method::GET, &format!("/api/v1/cases/{late}"), None)
        .await
        .json();
    assert_eq!(v["case"]["acceptance_due"], "2031-03-07");
    assert_eq!(v["case"]["flags"]["acceptance_overdue"], true, "{v}");
    // Received 13 days before: due in two days.
    let r = app
        .api(&s, Method::POST, "/api/v1/cases", Some(case("2031-03-02")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let soon = r.json()["id"].as_i64().unwrap();
    let ids = |path: &'static str| {
        let (app, s) = (&app, &s);
        async move {
            app.api(s, Method::GET, path, None)
                .await
                .json()
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap())
                .collect::<Vec<i64>>()
        }
    };
    assert_eq!(ids("/api/v1/cases?due=overdue").await, [late]);
    assert_eq!(ids("/api/v1/cases?due=soon").await, [soon]);
    // The day after the configured today is the future.
    let r = app
        .api(&s, Method::POST, "/api/v1/cases", Some(case("2031-03-16")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        "日期不能晚于今天。",
        "{}",
        r.body
    );
    // This year's figures are the configured year's, counting the overdue case.
    let f = app
        .api(&s, Method::GET, "/api/v1/case-figures", None)
        .await
        .json();
    assert_eq!(f["from"], "2031-01-01", "{f}");
    assert_eq!(f["total"]["received"], 2);
    assert_eq!(f["total"]["overdue"], 1);
    // Every page says which day it takes as today.
    for path in ["/", "/cases", &format!("/cases/{late}")] {
        let page = app.get(Some(&s), path).await;
        assert!(
            page.body.contains("id=\"configured-today\"") && page.body.contains(TODAY),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_today_moves_deadlines_and_checks() {
    configured(TestApp::new(Backend::Sqlite).await).await;
    if let Some(app) = TestApp::postgres().await {
        configured(app).await;
    }
}
