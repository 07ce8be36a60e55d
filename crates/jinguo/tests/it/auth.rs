//! Login, lockout, CSRF, forced password change, role escalation.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::*;

on_both!(login_logout_and_generic_failure, |app| {
    app.user("wang", COUNTY, "county_admin").await;
    let bad = app.login("wang", "wrong-password1").await.unwrap_err();
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let unknown = app.login("nobody", "wrong-password1").await.unwrap_err();
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    // One generic message for both: the page does not tell which part was wrong.
    let msg = kernel::i18n::Tr::default().s("auth.login_failed");
    assert!(bad.body.contains(msg) && unknown.body.contains(msg));
    assert_eq!(app.audit_count("auth.login_failed").await, 2);

    let s = app.login("wang", PASSWORD).await.expect("login");
    let home = app.get(Some(&s), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("邵阳县"));
    assert_eq!(app.audit_count("auth.login").await, 1);

    let out = app.post(&s, "/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app.get(Some(&s), "/").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().starts_with("/login?next=%2F"));
});

on_both!(lockout_after_repeated_failures, |app| {
    let id = app.user("li", COUNTY, "village_chair").await;
    for _ in 0..5 {
        assert!(app.login("li", "nope-nope-1").await.is_err());
    }
    // Now even the right password is refused, with the same message.
    let locked = app.login("li", PASSWORD).await.unwrap_err();
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_count("auth.lockout").await, 1);
    // Once the lockout has passed, the right password works again.
    sqlx::query("UPDATE users SET locked_until = 1 WHERE id = $1")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(app.login("li", PASSWORD).await.is_ok());
});

on_both!(csrf_is_required_on_every_state_change, |app| {
    let s = app.as_user("zhao", COUNTY, "county_admin").await;
    // Form without the token.
    let r = app
        .post_raw(
            Some(&s.cookie),
            &format!("/org/{TOWN_A}/edit"),
            &[("chair", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Form with a wrong token.
    let r = app
        .post_raw(
            Some(&s.cookie),
            "/accounts/new",
            &[("_csrf", "0000"), ("username", "abc")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // API call with the cookie but no header.
    let bad = Session {
        cookie: s.cookie.clone(),
        csrf: String::new(),
    };
    let r = app
        .api(
            &bad,
            Method::PATCH,
            &format!("/api/v1/org/units/{TOWN_A}"),
            Some(json!({"chair": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Login form without the pre-login token.
    let r = app
        .post_raw(
            None,
            "/login",
            &[("username", "zhao"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let unit: String = sqlx::query_scalar("SELECT chair FROM org_units WHERE code = $1")
        .bind(TOWN_A)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(unit, "");
    // With the token it goes through.
    let ok = app
        .post(&s, &format!("/org/{TOWN_A}/edit"), &[("chair", "刘芳")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
});

on_both!(forced_password_change_at_first_login, |app| {
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let r = app
        .post(
            &county,
            "/accounts/new",
            &[
                ("username", "xiaomei"),
                ("display_name", "小梅"),
                ("unit_code", VILLAGE_A),
                ("role", "village_chair"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let initial = r
        .body
        .split("id=\"initial-password\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("initial password shown")
        .to_string();
    let s = app
        .login("xiaomei", &initial)
        .await
        .expect("login with initial password");
    // Every page but the password page sends her there; the API refuses.
    let home = app.get(Some(&s), "/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/account/password");
    let api = app.api(&s, Method::GET, "/api/v1/org/units", None).await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    // A weak password is refused at its field; the right one is taken.
    let weak = app
        .post(
            &s,
            "/account/password",
            &[
                ("current", &initial),
                ("new", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak
        .body
        .contains(kernel::i18n::Tr::default().s("auth.password_too_short")));
    let ok = app
        .post(
            &s,
            "/account/password",
            &[
                ("current", &initial),
                ("new", "Xiangjiang-2026"),
                ("confirm", "Xiangjiang-2026"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let home = app.get(Some(&s), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("大岭社区"));
    assert_eq!(app.audit_count("account.password_change").await, 1);
    assert!(app.login("xiaomei", &initial).await.is_err());
    assert!(app.login("xiaomei", "Xiangjiang-2026").await.is_ok());
});

on_both!(role_escalation_is_refused, |app| {
    let town = app.as_user("town", TOWN_A, "township_chair").await;
    let me: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'town'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    // A township chair cannot create a county admin, nor a sys admin, even below her.
    for role in ["county_admin", "sys_admin"] {
        let r = app
            .api(&town, Method::POST, "/api/v1/accounts", Some(json!({
                "username": format!("esc{role}"), "display_name": "x", "unit_code": VILLAGE_A, "role": role
            })))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role}: {}",
            r.body
        );
        assert_eq!(
            r.json()["error"]["fields"][0]["code"],
            "account.role_not_grantable"
        );
    }
    // Nor another township chair at her own unit, nor change her own role.
    let r = app
        .api(&town, Method::POST, "/api/v1/accounts", Some(json!({
            "username": "peer", "display_name": "x", "unit_code": TOWN_A, "role": "township_chair"
        })))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(
            &town,
            Method::PATCH,
            &format!("/api/v1/accounts/{me}"),
            Some(json!({"role": "county_admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A village chair she creates cannot be promoted past her own role.
    let r = app
        .api(&town, Method::POST, "/api/v1/accounts", Some(json!({
            "username": "vchair", "display_name": "村主席", "unit_code": VILLAGE_A, "role": "village_chair"
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["account"]["id"].as_i64().unwrap();
    let r = app
        .api(
            &town,
            Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            Some(json!({"role": "county_admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(role, "village_chair");
    // A village chair has no account management at all.
    let village = app.as_user("v2", VILLAGE_A, "village_chair").await;
    let r = app.get(Some(&village), "/accounts").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r
        .body
        .contains(kernel::i18n::Tr::default().s("err.forbidden")));
});

on_both!(disabled_account_loses_its_sessions, |app| {
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let id = app.user("gone", VILLAGE_A, "village_chair").await;
    let s = app.session_for(id).await;
    assert_eq!(app.get(Some(&s), "/").await.status, StatusCode::OK);
    let r = app
        .post(
            &county,
            &format!("/accounts/{id}"),
            &[("action", "disable")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get(Some(&s), "/").await.status, StatusCode::SEE_OTHER);
    assert!(app.login("gone", PASSWORD).await.is_err());
    assert_eq!(app.audit_count("account.disable").await, 1);
});

on_both!(api_tokens_authenticate_without_csrf, |app| {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    let r = app
        .post(
            &s,
            "/account/tokens",
            &[("name", "报表脚本"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = r
        .body
        .split("id=\"token-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert!(secret.starts_with("jgt_"));
    let req = |m: Method, path: &str, body: Option<serde_json::Value>| {
        let mut b = axum::http::Request::builder()
            .method(m)
            .uri(path)
            .header("authorization", format!("Bearer {secret}"));
        let body = match body {
            Some(j) => {
                b = b.header("content-type", "application/json");
                axum::body::Body::from(j.to_string())
            }
            None => axum::body::Body::empty(),
        };
        b.body(body).unwrap()
    };
    let me = app.send(req(Method::GET, "/api/v1/me", None)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["username"], "county");
    let r = app
        .send(req(
            Method::PATCH,
            &format!("/api/v1/org/units/{TOWN_A}"),
            Some(json!({"chair": "陈红"})),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bad = app
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/me")
                .header("authorization", "Bearer jgt_wrong")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.json()["error"]["code"], "err.login_required");
});

on_both!(expired_session_returns_to_the_wanted_page, |app| {
    let id = app.user("wu", COUNTY, "county_admin").await;
    let s = app.session_for(id).await;
    sqlx::query("UPDATE sessions SET expires_at = 1 WHERE user_id = $1")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let r = app.get(Some(&s), &format!("/org/{TOWN_A}?page=1")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let next = format!("/org/{TOWN_A}?page=1");
    assert_eq!(
        r.location(),
        format!(
            "/login?next={}",
            form_encode(&[("x", &next)]).trim_start_matches("x=")
        )
    );
    // Logging in from there lands on that page; a foreign `next` lands home.
    let page = app.get(None, r.location()).await;
    assert!(
        page.body
            .contains(&format!("value=\"{}\"", next.replace('&', "&amp;")))
            || page.body.contains(&next)
    );
    let pre = cookie_value(&page, kernel::auth::csrf::PRE_COOKIE).unwrap();
    let token = hidden_csrf(&page.body).unwrap();
    let cookie = format!("{}={pre}", kernel::auth::csrf::PRE_COOKIE);
    let r = app
        .post_raw(
            Some(&cookie),
            "/login",
            &[
                ("_csrf", &token),
                ("username", "wu"),
                ("password", PASSWORD),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(r.location(), next);
    let r = app
        .post_raw(
            Some(&cookie),
            "/login",
            &[
                ("_csrf", &token),
                ("username", "wu"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");
});

on_both!(english_is_chosen_per_account, |app| {
    let s = app.as_user("en_user", COUNTY, "county_admin").await;
    let r = app.post(&s, "/lang", &[("lang", "en")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let home = app.get(Some(&s), "/").await;
    assert!(
        home.body.contains("Units in your area") && home.body.contains("lang=\"en\""),
        "{}",
        home.body
    );
    let r = app.get(Some(&s), "/org/110101").await;
    assert!(r.body.contains("outside your area"));
    let api = app
        .api(&s, Method::GET, "/api/v1/org/units/110101", None)
        .await;
    assert_eq!(api.json()["error"]["code"], "err.not_found");
    // Another account still reads Chinese.
    let other = app.as_user("zh_user", COUNTY, "county_admin").await;
    assert!(app.get(Some(&other), "/").await.body.contains("辖区内组织"));
});
