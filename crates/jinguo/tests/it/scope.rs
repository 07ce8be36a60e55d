//! Scope on every route: random trees and accounts; no page or API call reads or changes
//! anything outside the caller's subtree. The route tables below are checked against the
//! source and the OpenAPI document, so a new route cannot skip this test.

use axum::http::{Method, StatusCode};
use kernel::auth::Role;
use kernel::org::model::UnitKind;
use kernel::scope::Scope;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use crate::on_both;
use crate::support::*;

/// Every `/api/v1` route and its methods.
pub const API_ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/me", &["get"]),
    ("/api/v1/accounts", &["get", "post"]),
    ("/api/v1/accounts/{id}", &["get", "patch"]),
    ("/api/v1/org/units", &["get", "post"]),
    ("/api/v1/org/units/{code}", &["get", "patch"]),
    ("/api/v1/org/units/{code}/children", &["get"]),
    ("/api/v1/org/pick", &["get"]),
    ("/api/v1/accounts/pick", &["get"]),
    ("/api/v1/persons/pick", &["get"]),
    ("/api/v1/audit", &["get"]),
    ("/api/v1/persons", &["get", "post"]),
    ("/api/v1/persons/{id}", &["get", "patch"]),
    ("/api/v1/persons/{id}/reveal", &["post"]),
    ("/api/v1/categories", &["get", "post"]),
    ("/api/v1/categories/{code}/members", &["get"]),
    ("/api/v1/persons/{id}/categories", &["post"]),
    ("/api/v1/memberships/{id}", &["patch"]),
    ("/api/v1/households", &["post"]),
    ("/api/v1/households/{id}", &["get"]),
    ("/api/v1/households/{id}/members", &["post"]),
    ("/api/v1/households/{id}/move", &["post"]),
    ("/api/v1/pairings", &["get", "post"]),
    ("/api/v1/pairings/{id}", &["get", "post"]),
    ("/api/v1/pairings/{id}/visits", &["post"]),
    ("/api/v1/duplicates", &["get"]),
    ("/api/v1/merges", &["get", "post"]),
    ("/api/v1/merges/{id}/undo", &["post"]),
    ("/api/v1/imports", &["post"]),
    ("/api/v1/imports/{id}", &["get"]),
    ("/api/v1/cases", &["get", "post"]),
    ("/api/v1/cases/{id}", &["get"]),
    ("/api/v1/cases/{id}/moves", &["post"]),
    ("/api/v1/cases/{id}/glass", &["post"]),
    ("/api/v1/cases/{id}/grants", &["post"]),
    ("/api/v1/cases/{id}/risk", &["post"]),
    ("/api/v1/cases/{id}/attachments", &["post"]),
    ("/api/v1/cases/{id}/attachments/{aid}", &["get"]),
    ("/api/v1/calls", &["get", "post"]),
    ("/api/v1/calls/{id}/case", &["post"]),
    ("/api/v1/case-types", &["get"]),
    ("/api/v1/case-partners", &["get"]),
    ("/api/v1/case-figures", &["get"]),
    ("/api/v1/measures", &["get"]),
    ("/api/v1/measures/{id}", &["get"]),
];

/// Every page route (besides operations and assets, which hold no scoped data).
pub const PAGE_ROUTES: &[&str] = &[
    "/",
    "/login",
    "/logout",
    "/lang",
    "/coming/{section}",
    "/accounts",
    "/accounts/new",
    "/accounts/{id}",
    "/account/password",
    "/account/tokens",
    "/account/tokens/{id}/revoke",
    "/org",
    "/org/search",
    "/org/{code}",
    "/org/{code}/edit",
    "/org/{code}/new",
    "/audit",
    "/figures",
    "/figures.xlsx",
    "/registry/persons",
    "/registry/persons/export.xlsx",
    "/registry/import/template.xlsx",
    "/registry/import",
    "/registry/import/{id}",
    "/registry/import/{id}/errors.xlsx",
    "/registry/persons/new",
    "/registry/persons/{id}",
    "/registry/persons/{id}/edit",
    "/registry/persons/{id}/reveal",
    "/registry/categories",
    "/registry/categories/new",
    "/registry/categories/{code}",
    "/registry/persons/{id}/categories",
    "/registry/memberships/{id}",
    "/registry/households",
    "/registry/households/{id}",
    "/registry/households/{id}/members",
    "/registry/households/{id}/members/{person}/leave",
    "/registry/households/{id}/move",
    "/registry/overview",
    "/registry/pairings",
    "/registry/pairings/limit",
    "/registry/pairings/new",
    "/registry/pairings/{id}",
    "/registry/pairings/{id}/visits",
    "/registry/duplicates",
    "/registry/duplicates/merge",
    "/registry/duplicates/dismiss",
    "/registry/merges/{id}/undo",
    "/cases",
    "/cases/new",
    "/cases/calls",
    "/cases/calls/{id}/case",
    "/cases/notes",
    "/cases/alerts/{id}/ack",
    "/cases/figures",
    "/cases/figures.xlsx",
    "/cases/{id}/sheet",
    "/cases/{id}",
    "/cases/{id}/moves",
    "/cases/{id}/glass",
    "/cases/{id}/grants",
    "/cases/{id}/risk",
    "/cases/{id}/attachments",
    "/cases/{id}/attachments/{aid}",
    "/cases/settings",
    "/cases/settings/types",
    "/cases/settings/partners",
];

const PUBLIC_ROUTES: &[&str] = &[
    "/healthz",
    "/metrics",
    "/static/app.css",
    "/static/app.js",
    "/favicon.svg",
    "/api/v1/openapi.json",
];

/// Every route mounted in the capabilities' source (`.route("…"`).
pub fn source_routes() -> Vec<String> {
    let mut found = Vec::new();
    // Every crate of the workspace, so that a new capability's routes are found too.
    let crates = std::path::PathBuf::from(format!("{}/..", env!("CARGO_MANIFEST_DIR")));
    let mut stack: Vec<std::path::PathBuf> = std::fs::read_dir(crates)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let src = std::fs::read_to_string(&p).unwrap();
                for part in src.split(".route(").skip(1) {
                    if let Some(path) = part.trim_start().strip_prefix('"') {
                        found.push(path.split('"').next().unwrap().to_string());
                    }
                }
            }
        }
    }
    found
}

#[test]
fn route_tables_cover_every_route_in_the_source() {
    let found = source_routes();
    assert!(found.len() > 10);
    for r in &found {
        assert!(
            PAGE_ROUTES.contains(&r.as_str()) || PUBLIC_ROUTES.contains(&r.as_str()),
            "route {r} is not in the scope test's table"
        );
    }
    for r in PAGE_ROUTES {
        assert!(found.iter().any(|f| f == r), "{r} listed but not served");
    }
}

#[derive(Clone, Debug)]
struct Case {
    accounts: Vec<(usize, Role)>,
    probes: Vec<usize>,
}

fn case(units: usize) -> impl Strategy<Value = Case> {
    let role = proptest::sample::select(Role::ALL.to_vec());
    (
        proptest::collection::vec((0..units, role), 1..4),
        proptest::collection::vec(0..units, 4..8),
    )
        .prop_map(|(accounts, probes)| Case { accounts, probes })
}

/// Everything any route could change, as one comparable value.
async fn fingerprint(app: &TestApp) -> (Vec<String>, Vec<String>, i64) {
    let units: Vec<String> = sqlx::query_scalar(
        "SELECT code || '|' || name || '|' || chair || '|' || phone || '|' || COALESCE(term_end, '') \
         FROM org_units ORDER BY code",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT username || '|' || role || '|' || unit_code || '|' || disabled || '|' || password_hash \
         FROM users ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let persons: Vec<String> = sqlx::query_scalar(
        "SELECT name || '|' || unit_code || '|' || version FROM persons \
         UNION ALL SELECT status || '|' || version FROM person_categories \
         UNION ALL SELECT household_id || '|' || person_id || '|' || COALESCE(left_at, 0) FROM household_members \
         UNION ALL SELECT id || '|' || unit_code || '|' || version FROM households \
         UNION ALL SELECT id || '|' || status || '|' || version FROM pairings \
         UNION ALL SELECT pairing_id || '|' || kind FROM pairing_visits \
         UNION ALL SELECT id || '|' || status FROM persons \
         UNION ALL SELECT 'dismissed' || a_id || '|' || b_id FROM duplicate_dismissals \
         UNION ALL SELECT 'case' || id || '|' || unit_code || '|' || state || '|' || version || '|' || risk_level FROM cases \
         UNION ALL SELECT 'event' || case_id || '|' || kind FROM case_events \
         UNION ALL SELECT 'grant' || case_id || '|' || user_id FROM case_grants \
         UNION ALL SELECT 'alert' || id || '|' || COALESCE(acked_at, 0) FROM case_alerts \
         UNION ALL SELECT 'call' || id || '|' || COALESCE(case_id, 0) FROM hotline_calls \
         UNION ALL SELECT 'file' || id || '|' || case_id FROM case_attachments ORDER BY 1",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let tokens: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) + CAST(COALESCE(SUM(revoked), 0) AS BIGINT) * 1000 FROM api_tokens",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    (units, [users, persons].concat(), tokens)
}

fn denied(status: StatusCode) -> bool {
    status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN
}

/// Denied, or refused as input because the record a field names is not found in her
/// scope (the same answer as for one that does not exist); the fingerprint shows nothing
/// was written either way.
fn refused(r: &Resp) -> bool {
    denied(r.status) || r.status == StatusCode::UNPROCESSABLE_ENTITY
}

/// Registers a person at each village of `units`, each a member of 低保; returns
/// (person id, village, membership id, household id, pairing id).
async fn seed_persons(app: &TestApp, units: &[String]) -> Vec<(i64, String, i64, i64, i64)> {
    let admin = app.as_user("seeder", "0", "sys_admin").await;
    let mut out = Vec::new();
    for (i, u) in units.iter().filter(|u| u.len() == 12).enumerate() {
        let r = app
            .api(&admin, Method::POST, "/api/v1/persons", Some(json!({
                "name": "李秀兰", "sex": "F", "birth_date": "1980-01-01", "unit_code": u,
                "phone": format!("139{:08}", i), "address": "某路某号", "restricted": i % 3 == 0,
            })))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let pid = r.json()["id"].as_i64().unwrap();
        let m = app
            .api(
                &admin,
                Method::POST,
                &format!("/api/v1/persons/{pid}/categories"),
                Some(json!({"category": "dibao", "attrs": {"dibao_kind": "农村低保"}})),
            )
            .await;
        assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
        let h = app
            .api(
                &admin,
                Method::POST,
                "/api/v1/households",
                Some(json!({"head": pid})),
            )
            .await;
        assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
        let g = app
            .api(&admin, Method::POST, "/api/v1/pairings", Some(json!({
                "person": pid, "helper_kind": "family", "helper": "爱心家庭", "help_direction": "就业"})))
            .await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
        out.push((
            pid,
            u.clone(),
            m.json()["id"].as_i64().unwrap(),
            h.json()["id"].as_i64().unwrap(),
            g.json()["pairing"]["id"].as_i64().unwrap(),
        ));
    }
    out
}

/// A case at a unit of the tree, with a hotline call and (for the restricted ones) an alert.
struct SeededCase {
    id: i64,
    unit: String,
    call: i64,
    alert: Option<i64>,
    attachment: i64,
}

/// A case at every unit below the county (every other one restricted and assessed high
/// risk, so that alerts go up), and a pending hotline call at each.
async fn seed_cases(app: &TestApp, units: &[String]) -> Vec<SeededCase> {
    let admin = app.as_user("caseseeder", "0", "sys_admin").await;
    let mut out = Vec::new();
    for (i, u) in units.iter().filter(|u| u.starts_with(COUNTY)).enumerate() {
        let dv = i % 2 == 0;
        let r = app
            .api(&admin, Method::POST, "/api/v1/cases", Some(json!({
                "channel": "visit", "type": if dv { "domestic_violence" } else { "marriage" },
                "unit_code": u, "summary": "案情", "parties": [{"role": "complainant", "name": "郑秀梅"}]})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let r = app
            .post_multipart(
                &admin,
                &format!("/api/v1/cases/{id}/attachments"),
                &[],
                "a.pdf",
                b"%PDF-1.4\n%%EOF\n",
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let attachment = r.json()["id"].as_i64().unwrap();
        let mut alert = None;
        if dv {
            let r = app
                .api(
                    &admin,
                    Method::POST,
                    &format!("/api/v1/cases/{id}/risk"),
                    Some(json!({"yes": ["risk.weapon"]})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            alert = sqlx::query_scalar(
                "SELECT id FROM case_alerts WHERE case_id = $1 AND unit_code = $2",
            )
            .bind(id)
            .bind(u)
            .fetch_optional(app.db.pool())
            .await
            .unwrap();
        }
        let call: i64 = sqlx::query_scalar(
            "INSERT INTO hotline_calls (county_code, unit_code, call_date, caller_name, type_code, summary, \
             needs_follow_up, actor, created_at) VALUES ($1, $2, '2026-01-05', '郑秀梅', 'marriage', '', 1, 'seed', 0) RETURNING id",
        )
        .bind(COUNTY)
        .bind(u)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        out.push(SeededCase {
            id,
            unit: u.clone(),
            call,
            alert,
            attachment,
        });
    }
    out
}

async fn run_case(
    app: &TestApp,
    units: &[String],
    persons: &[(i64, String, i64, i64, i64)],
    cases: &[SeededCase],
    c: &Case,
    n: usize,
) -> Result<(), TestCaseError> {
    let mut accounts = Vec::new();
    for (i, (u, role)) in c.accounts.iter().enumerate() {
        let name = format!("p{n}x{i}");
        let id = app.user(&name, &units[*u], role.as_str()).await;
        let mut tx = app.db.begin_write().await.unwrap();
        let (token_id, _) = kernel::auth::tokens::create(&mut tx, id, "t", 30)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        accounts.push((
            id,
            units[*u].clone(),
            *role,
            app.session_for(id).await,
            token_id,
        ));
    }
    let before = fingerprint(app).await;
    let reveals_before = app.audit_count("person.reveal").await;
    for (me, unit, role, s, _) in &accounts {
        let scope = Scope::of_unit(unit);
        for p in &c.probes {
            let code = &units[*p];
            let inside = scope.contains(code);
            let gets = [
                format!("/org/{code}"),
                format!("/org/{code}/edit"),
                format!("/org/{code}/new"),
                format!("/api/v1/org/units/{code}"),
                format!("/api/v1/org/units/{code}/children"),
                format!("/accounts?unit={code}"),
                format!("/api/v1/accounts?unit={code}"),
                format!("/audit?unit={code}"),
                format!("/api/v1/audit?unit={code}"),
                format!("/accounts/new?unit={code}"),
                format!("/api/v1/measures/registry.persons?unit={code}"),
                format!("/api/v1/measures/registry.helpers?unit={code}&by=unit"),
            ];
            for path in &gets {
                let r = app.api(s, Method::GET, path, None).await;
                let page_filter = !path.starts_with("/api/") && path.contains("?unit=");
                if !inside && page_filter && !path.starts_with("/accounts/new") {
                    // A list's unit filter outside the subtree is no unit of hers: the page
                    // keeps her own rows and says so (her own rows may be none).
                    prop_assert!(
                        r.status == StatusCode::FORBIDDEN
                            || (r.status == StatusCode::OK
                                && r.body.contains("id=\"unit-unmatched\"")),
                        "{role:?}@{unit} GET {path}: {}",
                        r.status
                    );
                } else if !inside && !path.starts_with("/accounts/new") {
                    prop_assert!(denied(r.status), "{role:?}@{unit} GET {path}: {}", r.status);
                }
                prop_assert!(!r.status.is_server_error(), "GET {path}: {}", r.body);
            }
            if inside {
                let r = app.get(Some(s), &format!("/org/{code}")).await;
                prop_assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "{:?}@{} GET /org/{}",
                    role,
                    unit,
                    code
                );
                continue;
            }
            let writes = [
                app.post(s, &format!("/org/{code}/edit"), &[("chair", "越权")]).await,
                app.post(s, &format!("/org/{code}/new"), &[("kind", "agency"), ("name", "越权")]).await,
                app.api(s, Method::PATCH, &format!("/api/v1/org/units/{code}"), Some(json!({"chair": "越权"}))).await,
                app.api(s, Method::POST, "/api/v1/org/units", Some(json!({"parent": code, "kind": "agency", "name": "越权"}))).await,
                app.api(s, Method::POST, "/api/v1/accounts", Some(json!({
                    "username": format!("x{n}{p}"), "display_name": "越权", "unit_code": code, "role": "leader"}))).await,
                app.post(s, "/accounts/new", &[("username", &format!("y{n}{p}")), ("display_name", "越权"),
                    ("unit_code", code), ("role", "leader")]).await,
            ];
            for w in writes {
                prop_assert!(
                    w.status.is_client_error(),
                    "{role:?}@{unit} wrote outside at {code}: {} {}",
                    w.status,
                    w.body
                );
            }
        }
        // Accounts of the others.
        for (other_id, other_unit, _, _, other_token) in &accounts {
            if other_id != me {
                // Tokens are personal, whatever the scope.
                let r = app
                    .post(s, &format!("/account/tokens/{other_token}/revoke"), &[])
                    .await;
                prop_assert_eq!(r.status, StatusCode::NOT_FOUND);
            }
            if scope.contains(other_unit) {
                continue;
            }
            for r in [
                app.api(s, Method::GET, &format!("/accounts/{other_id}"), None)
                    .await,
                app.api(
                    s,
                    Method::GET,
                    &format!("/api/v1/accounts/{other_id}"),
                    None,
                )
                .await,
                app.post(
                    s,
                    &format!("/accounts/{other_id}"),
                    &[("action", "disable")],
                )
                .await,
                app.post(
                    s,
                    &format!("/accounts/{other_id}"),
                    &[("action", "reset_password")],
                )
                .await,
                app.api(
                    s,
                    Method::PATCH,
                    &format!("/api/v1/accounts/{other_id}"),
                    Some(json!({"disabled": true})),
                )
                .await,
            ] {
                prop_assert!(
                    denied(r.status),
                    "{role:?}@{unit} reached account {other_id}@{other_unit}: {}",
                    r.status
                );
            }
        }
        // Persons of other subtrees.
        for (pid, village, mid, hid, gid) in persons {
            if scope.contains(village) {
                let r = app
                    .api(s, Method::GET, &format!("/registry/persons/{pid}"), None)
                    .await;
                prop_assert_eq!(r.status, StatusCode::OK);
                continue;
            }
            for r in [
                app.api(s, Method::GET, &format!("/registry/persons/{pid}"), None)
                    .await,
                app.api(
                    s,
                    Method::GET,
                    &format!("/registry/persons/{pid}/edit"),
                    None,
                )
                .await,
                app.api(s, Method::GET, &format!("/api/v1/persons/{pid}"), None)
                    .await,
                app.post(s, &format!("/registry/persons/{pid}/reveal"), &[])
                    .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/persons/{pid}/reveal"),
                    None,
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/persons/{pid}/edit"),
                    &[("name", "越权"), ("unit_code", village)],
                )
                .await,
                app.api(
                    s,
                    Method::PATCH,
                    &format!("/api/v1/persons/{pid}"),
                    Some(json!({"name": "越权", "unit_code": village})),
                )
                .await,
                app.api(
                    s,
                    Method::GET,
                    &format!("/registry/persons/{pid}/categories"),
                    None,
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/persons/{pid}/categories"),
                    Some(json!({"category": "dibao", "attrs": {"dibao_kind": "农村低保"}})),
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/persons/{pid}/categories"),
                    &[("category", "dibao"), ("attr.dibao_kind", "农村低保")],
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/memberships/{mid}"),
                    &[("action", "end")],
                )
                .await,
                app.api(
                    s,
                    Method::PATCH,
                    &format!("/api/v1/memberships/{mid}"),
                    Some(json!({"action": "end"})),
                )
                .await,
                app.api(s, Method::GET, &format!("/registry/households/{hid}"), None)
                    .await,
                app.api(s, Method::GET, &format!("/api/v1/households/{hid}"), None)
                    .await,
                app.post(s, "/registry/households", &[("head", &pid.to_string())])
                    .await,
                app.api(
                    s,
                    Method::POST,
                    "/api/v1/households",
                    Some(json!({"head": pid})),
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/households/{hid}/members"),
                    &[("person", &pid.to_string()), ("relation", "child")],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/households/{hid}/members"),
                    Some(json!({"person": pid.to_string(), "relation": "child"})),
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/households/{hid}/members/{pid}/leave"),
                    &[],
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/households/{hid}/move"),
                    &[("unit_code", unit)],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/households/{hid}/move"),
                    Some(json!({"unit_code": unit})),
                )
                .await,
                app.api(s, Method::GET, &format!("/registry/pairings/{gid}"), None)
                    .await,
                app.api(s, Method::GET, &format!("/api/v1/pairings/{gid}"), None)
                    .await,
                app.post(
                    s,
                    "/registry/pairings/new",
                    &[
                        ("person", &pid.to_string()),
                        ("helper_kind", "family"),
                        ("helper", "x"),
                        ("help_direction", "x"),
                    ],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    "/api/v1/pairings",
                    Some(json!({"person": pid,
                    "helper_kind": "family", "helper": "x", "help_direction": "x"})),
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/pairings/{gid}/visits"),
                    &[("kind", "visit"), ("found", "x"), ("done", "x")],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/pairings/{gid}/visits"),
                    Some(json!({"kind": "visit", "found": "x", "done": "x"})),
                )
                .await,
                app.post(
                    s,
                    &format!("/registry/pairings/{gid}"),
                    &[("action", "end")],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/pairings/{gid}"),
                    Some(json!({"action": "accept", "result": "passed"})),
                )
                .await,
                app.post(
                    s,
                    "/registry/duplicates/merge",
                    &[
                        ("survivor", &pid.to_string()),
                        ("merged", &persons[0].0.to_string()),
                    ],
                )
                .await,
                app.post(
                    s,
                    "/registry/duplicates/merge",
                    &[
                        ("survivor", &persons[0].0.to_string()),
                        ("merged", &pid.to_string()),
                    ],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    "/api/v1/merges",
                    Some(json!({"survivor": persons[0].0, "merged": pid})),
                )
                .await,
                app.post(
                    s,
                    "/registry/duplicates/dismiss",
                    &[("a", &pid.to_string()), ("b", &persons[0].0.to_string())],
                )
                .await,
            ]
            .into_iter()
            .enumerate()
            {
                prop_assert!(
                    refused(&r.1),
                    "{role:?}@{unit} reached person {pid}@{village} (probe {}): {} {}",
                    r.0,
                    r.1.status,
                    r.1.body
                );
            }
        }
        // Cases of other subtrees: not read, not moved, not opened by glass or grant.
        for k in cases {
            let id = k.id;
            if scope.contains(&k.unit) {
                let r = app
                    .api(s, Method::GET, &format!("/api/v1/cases/{id}"), None)
                    .await;
                prop_assert_eq!(r.status, StatusCode::OK, "{:?}@{} case {}", role, unit, id);
                continue;
            }
            let mut probes = vec![
                app.api(s, Method::GET, &format!("/cases/{id}"), None).await,
                app.api(s, Method::GET, &format!("/cases/{id}/sheet"), None)
                    .await,
                app.api(s, Method::GET, &format!("/api/v1/cases/{id}"), None)
                    .await,
                app.post(s, &format!("/cases/{id}/moves"), &[("action", "accept")])
                    .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/cases/{id}/moves"),
                    Some(json!({"action": "accept"})),
                )
                .await,
                app.post(
                    s,
                    &format!("/cases/{id}/glass"),
                    &[("reason", "越权查看案件")],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/cases/{id}/glass"),
                    Some(json!({"reason": "越权查看案件"})),
                )
                .await,
                app.post(
                    s,
                    &format!("/cases/{id}/grants"),
                    &[("username", "caseseeder"), ("reason", "x")],
                )
                .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/cases/{id}/grants"),
                    Some(json!({"username": "caseseeder", "reason": "x"})),
                )
                .await,
                app.post(s, &format!("/cases/{id}/risk"), &[("yes", "risk.weapon")])
                    .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/cases/{id}/risk"),
                    Some(json!({"yes": ["risk.weapon"]})),
                )
                .await,
                app.post(s, &format!("/cases/calls/{}/case", k.call), &[])
                    .await,
                app.api(
                    s,
                    Method::POST,
                    &format!("/api/v1/calls/{}/case", k.call),
                    None,
                )
                .await,
                app.api(
                    s,
                    Method::GET,
                    &format!("/api/v1/case-figures?unit={}", k.unit),
                    None,
                )
                .await,
                app.api(
                    s,
                    Method::GET,
                    &format!("/api/v1/cases?unit={}", k.unit),
                    None,
                )
                .await,
                app.get(
                    Some(s),
                    &format!("/cases/{id}/attachments/{}", k.attachment),
                )
                .await,
                app.get(
                    Some(s),
                    &format!("/api/v1/cases/{id}/attachments/{}", k.attachment),
                )
                .await,
                app.post_multipart(
                    s,
                    &format!("/cases/{id}/attachments"),
                    &[],
                    "b.pdf",
                    b"%PDF-1.4\n",
                )
                .await,
                app.post_multipart(
                    s,
                    &format!("/api/v1/cases/{id}/attachments"),
                    &[],
                    "b.pdf",
                    b"%PDF-1.4\n",
                )
                .await,
            ];
            if let Some(a) = k.alert {
                probes.push(app.post(s, &format!("/cases/alerts/{a}/ack"), &[]).await);
            }
            // A unit outside her subtree typed into the figures page's filter is no unit
            // of hers: the page stays on her own figures and says so.
            let r = app
                .get(Some(s), &format!("/cases/figures?unit={}", k.unit))
                .await;
            prop_assert!(
                r.status == StatusCode::OK && r.body.contains("id=\"unit-unmatched\""),
                "{role:?}@{unit} figures of {}: {}",
                k.unit,
                r.status
            );
            for (i, r) in probes.into_iter().enumerate() {
                prop_assert!(
                    denied(r.status),
                    "{role:?}@{unit} reached case {id}@{} (probe {i}): {} {}",
                    k.unit,
                    r.status,
                    r.body
                );
            }
        }
        // The Excel export holds only the subtree too.
        let r = app.get(Some(s), "/registry/persons/export.xlsx").await;
        prop_assert_eq!(r.status, StatusCode::OK);
        for row in sheet(&r.raw).iter().skip(1) {
            prop_assert!(
                scope.contains(&row[7]),
                "export gave {} to {role:?}@{unit}",
                row[7]
            );
        }
        // Lists show only the subtree.
        let checks: [(&str, &str); 10] = [
            ("/api/v1/cases?status=all", "unit_code"),
            ("/api/v1/calls", "unit_code"),
            ("/api/v1/categories/dibao/members?status=all", "unit_code"),
            ("/api/v1/pairings?status=all", "unit_code"),
            ("/api/v1/persons?q=%E7%A7%80%E5%85%B0", "unit_code"),
            ("/api/v1/org/units?q=%E6%9D%91", "code"),
            ("/api/v1/org/units?q=4305", "code"),
            ("/api/v1/accounts", "unit_code"),
            ("/api/v1/audit", "unit_code"),
            ("/api/v1/org/units", "code"),
        ];
        for (path, field) in checks {
            let r = app.api(s, Method::GET, path, None).await;
            if r.status == StatusCode::OK {
                for item in r.json().as_array().unwrap() {
                    let code = item[field].as_str().unwrap();
                    prop_assert!(
                        scope.contains(code),
                        "{path} gave {code} to {role:?}@{unit}"
                    );
                }
            } else {
                prop_assert!(denied(r.status), "{path}: {}", r.status);
            }
        }
        for path in [
            "/org/search?q=%E7%A4%BE%E5%8C%BA",
            "/org/search?q=4305",
            "/accounts",
            "/audit",
            "/figures",
            "/figures.xlsx",
            "/registry/persons",
            "/registry/categories/dibao",
            "/cases?status=all",
            "/cases/calls",
        ] {
            let r = app.get(Some(s), path).await;
            prop_assert!(r.status == StatusCode::OK || denied(r.status));
            for part in r.body.split("href=\"/registry/persons/").skip(1) {
                let Ok(pid) = part.split('"').next().unwrap_or("").parse::<i64>() else {
                    continue;
                };
                let village = persons.iter().find(|p| p.0 == pid).map(|p| p.1.as_str());
                prop_assert!(
                    village.is_some_and(|v| scope.contains(v)),
                    "{path} links person {pid} for {role:?}@{unit}"
                );
            }
            for part in r.body.split("href=\"/cases/").skip(1) {
                let Ok(cid) = part.split('"').next().unwrap_or("").parse::<i64>() else {
                    continue;
                };
                let at = cases.iter().find(|k| k.id == cid).map(|k| k.unit.as_str());
                prop_assert!(
                    at.is_some_and(|u| scope.contains(u)),
                    "{path} links case {cid} for {role:?}@{unit}"
                );
            }
            for part in r.body.split("href=\"/org/").skip(1) {
                let code = part.split(['"', '/', '?']).next().unwrap();
                if !code.starts_with(|c: char| c.is_ascii_digit()) {
                    continue;
                }
                prop_assert!(
                    scope.contains(code),
                    "{path} links {code} for {role:?}@{unit}"
                );
            }
        }
    }
    prop_assert_eq!(
        before,
        fingerprint(app).await,
        "something outside a scope changed"
    );
    // Reveals inside the scope are audited; refused ones outside leave no entry, so the
    // count grows by at most one per permitted in-scope reveal (none are tried here).
    prop_assert_eq!(reveals_before, app.audit_count("person.reveal").await);
    Ok(())
}

on_both!(no_route_reaches_outside_the_subtree, |app| {
    // A random tree: the county's units plus non-territorial units at random places.
    let mut units: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE code LIKE '4305231%' AND LENGTH(code) <= 12 ORDER BY code",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    units.retain(|c| c.len() == 9 || c.ends_with("001") || c.ends_with("002"));
    units.push(COUNTY.into());
    units.push("43".into());
    let root = Scope::of_unit("0");
    let mut rng = rand::random::<u64>();
    for i in 0..6 {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let parent_code = units[(rng >> 33) as usize % units.len()].clone();
        let parent = kernel::org::store::get(&app.db, &root, &parent_code)
            .await
            .unwrap();
        let mut tx = app.db.begin_write().await.unwrap();
        let kind = UnitKind::NON_TERRITORIAL[i % 4];
        let u = kernel::org::store::create_child(&mut tx, &parent, kind, &format!("测试单位{i}"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        units.push(u.code);
    }
    let persons = seed_persons(&app, &units).await;
    let cases = seed_cases(&app, &units).await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 10,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let result = tokio::task::block_in_place(|| {
        runner.run(&case(units.len()), |c| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle.block_on(run_case(&app, &units, &persons, &cases, &c, n))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
});
