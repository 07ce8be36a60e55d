//! The JSON API and its OpenAPI document.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

on_both!(accounts_api_round_trip, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app
        .api(&s, Method::POST, "/api/v1/accounts", Some(json!({
            "username": "Hotline1", "display_name": " 周 敏 ", "unit_code": COUNTY, "role": "rights_officer", "phone": "138 0000 1111"
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    assert_eq!(created["account"]["username"], "hotline1");
    assert_eq!(created["account"]["display_name"], "周 敏");
    assert_eq!(created["account"]["phone"], "13800001111");
    assert_eq!(created["initial_password"].as_str().unwrap().len(), 12);
    let id = created["account"]["id"].as_i64().unwrap();
    // Duplicate name and bad fields: 422 with every field named, in Chinese.
    let r = app
        .api(&s, Method::POST, "/api/v1/accounts", Some(json!({
            "username": "hotline1", "display_name": "", "unit_code": "110101", "role": "boss", "phone": "abc"
        })))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    for f in ["username", "display_name", "role", "unit_code", "phone"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    assert!(r.json()["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    let r = app
        .api(
            &s,
            Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            Some(json!({"reset_password": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["new_password"].as_str().is_some());
    let r = app.api(&s, Method::GET, "/api/v1/accounts", None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    // Malformed JSON is a 4xx, not a crash.
    let r = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/accounts")
                .header("cookie", &s.cookie)
                .header("x-csrf-token", &s.csrf)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
});

on_both!(openapi_documents_every_api_route, |app| {
    let r = app.get(None, "/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in crate::scope::API_ROUTES {
        let p = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the document"));
        for m in *methods {
            assert!(p.get(*m).is_some(), "{m} {path} missing");
        }
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    let served: usize = crate::scope::API_ROUTES.iter().map(|(_, m)| m.len()).sum();
    assert_eq!(
        documented, served,
        "every documented route is served and tested"
    );
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app.api(&s, Method::GET, "/api/v1/nothing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "err.not_found");
});

on_both!(health_and_metrics, |app| {
    let r = app.get(None, "/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    for page in ["/login", "/healthz", "/nothing"] {
        let r = app.get(None, page).await;
        assert_eq!(r.headers["x-frame-options"], "DENY", "{page}");
        assert!(r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
    }
    assert_eq!(r.json()["status"], "ok");
    app.get(None, "/login").await;
    let r = app.get(None, "/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(
            "jinguo_http_requests_total{method=\"GET\",route=\"/login\",status=\"200\"} 2"
        ),
        "{}",
        r.body
    );
    assert!(r.body.trim_end().ends_with("# EOF"));
    // Oversized bodies are refused with a 4xx.
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let big = "x".repeat(3 * 1024 * 1024);
    let r = app
        .post(&s, &format!("/org/{TOWN_A}/edit"), &[("chair", &big)])
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
});

on_both!(statuses_are_what_the_document_says, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let raw = |method: Method, path: &str, kind: Option<&str>, body: &str| {
        let mut b = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf);
        if let Some(k) = kind {
            b = b.header("content-type", k);
        }
        b.body(axum::body::Body::from(body.to_string())).unwrap()
    };
    // Malformed JSON: 400 in the one error body.
    let r = app
        .send(raw(
            Method::POST,
            "/api/v1/persons",
            Some("application/json"),
            "{not json",
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "err.bad_json");
    // Not JSON at all: 415.
    let r = app
        .send(raw(
            Method::POST,
            "/api/v1/persons",
            Some("text/plain"),
            "{}",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A field of the wrong type: 422 naming it; a missing one: 422 naming it too.
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/merges",
            Some(json!({"survivor": 1.5, "merged": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "survivor");
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/merges",
            Some(json!({"merged": 2})),
        )
        .await;
    assert_eq!(r.json()["error"]["fields"][0]["field"], "survivor");
    assert_eq!(r.json()["error"]["fields"][0]["code"], "field.required");
    // 2.0 is an integer, as JSON Schema counts it: the request is read (and the persons
    // are not found), not refused for its type.
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/merges",
            Some(json!({"survivor": 2.0, "merged": 3.0})),
        )
        .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "err.ref_not_found",
        "{}",
        r.body
    );
    // A household head who does not exist: 422 at the field, not 404.
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/households",
            Some(json!({"head": 999999})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "head");
    // A query parameter that cannot be read: 422 naming it.
    let r = app
        .api(&s, Method::GET, "/api/v1/persons?page=abc", None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "page");
    // A unit filter that is no code: 422; a unit outside the scope: 404.
    let r = app
        .api(
            &s,
            Method::GET,
            "/api/v1/persons?unit=%E5%A4%A7%E5%B2%AD",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(&s, Method::GET, "/api/v1/persons?unit=110101", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Every operation names the error statuses with the error body.
    let doc = app.get(None, "/api/v1/openapi.json").await.json();
    assert!(doc["components"]["schemas"]["Error"].is_object());
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for code in ["400", "401", "403", "422"] {
                assert_eq!(
                    op["responses"][code]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {path} {code}"
                );
            }
        }
    }
    let params = doc["paths"]["/api/v1/cases"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let from = params.iter().find(|p| p["name"] == "from").unwrap();
    assert_eq!(from["schema"]["format"], "date");
});

// A NUL character (which PostgreSQL cannot store) never fails a write: the API takes it
// out, a page form is refused with a message.
on_both!(nul_characters_never_reach_the_database, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/cases",
            Some(json!({"channel": "visit", "type": "marriage", "unit_code": COUNTY,
                "summary": "反映\u{0}婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            &s,
            Method::POST,
            &format!("/api/v1/cases/{id}/glass"),
            Some(json!({"reason": "紧急\u{0}查阅理由"})),
        )
        .await;
    assert!(!r.status.is_server_error(), "{} {}", r.status, r.body);
    let r = app
        .post(
            &s,
            "/cases/notes",
            &[("type", "marriage"), ("summary", "含\u{0}控制字符")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("控制字符"));
});
