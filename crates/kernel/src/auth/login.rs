//! Login and logout: the generic failure message, per-account lockout, per-address
//! throttling, and an audit entry for every attempt.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sqlx::Row;

use super::ctx::{ClientIp, Identity, PageLang};
use super::{csrf, password, session};
use crate::audit::{self, Actor, Entry};
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::page::{render_with, safe_next, see_other, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", post(set_lang))
}

/// What a login attempt came to.
pub enum Outcome {
    /// Logged in: the session token, and the account's language.
    Success { token: String, lang: Lang },
    /// Wrong name or password, locked or disabled account: all answer alike.
    Failed,
    /// Too many failures from this address.
    Throttled,
}

/// Checks credentials and opens a session; every attempt is audited.
pub async fn attempt(state: &AppState, username: &str, pw: &str, ip: &str) -> AppResult<Outcome> {
    if !state.throttle.allowed(ip) {
        return Ok(Outcome::Throttled);
    }
    let username = username.trim();
    let row = sqlx::query(
        "SELECT id, password_hash, disabled, failed_logins, locked_until, unit_code, lang \
         FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(state.db().pool())
    .await?;
    let now = now_ms();
    let Some(row) = row else {
        password::verify_off_thread(pw, None).await?;
        fail(state, &Actor::anonymous(username, ip), "", "unknown_user").await?;
        return Ok(Outcome::Failed);
    };
    let id: i64 = row.get(0);
    let hash: String = row.get(1);
    let unit: String = row.get(5);
    let actor = Actor {
        id: Some(id),
        name: username.to_string(),
        ip: ip.to_string(),
    };
    let locked = row.get::<i64, _>(4) > now;
    let disabled = row.get::<i64, _>(2) != 0;
    let ok = password::verify_off_thread(pw, Some(hash)).await?;
    if locked || disabled {
        let why = if locked { "locked" } else { "disabled" };
        fail(state, &actor, &unit, why).await?;
        return Ok(Outcome::Failed);
    }
    let settings = state.settings();
    let mut tx = state.db().begin_write().await?;
    if !ok {
        let failures = row.get::<i64, _>(3) + 1;
        let lock = failures >= settings.lockout_threshold;
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(if lock { 0 } else { failures })
            .bind(if lock {
                now + settings.lockout_minutes * 60_000
            } else {
                0
            })
            .bind(id)
            .execute(&mut **tx)
            .await?;
        audit::append(
            &mut tx,
            Entry::new(&actor, "auth.login_failed", &unit, username)
                .detail(serde_json::json!({"reason": "password", "failures": failures})),
        )
        .await?;
        if lock {
            audit::append(&mut tx, Entry::new(&actor, "auth.lockout", &unit, username)).await?;
        }
        tx.commit().await?;
        state.throttle.failed(ip);
        return Ok(Outcome::Failed);
    }
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let (token, _csrf) = session::create(&mut tx, id, ip, settings.session_idle_minutes).await?;
    audit::append(&mut tx, Entry::new(&actor, "auth.login", &unit, username)).await?;
    tx.commit().await?;
    state.throttle.succeeded(ip);
    Ok(Outcome::Success {
        token,
        lang: Lang::parse(&row.get::<String, _>(6)),
    })
}

async fn fail(state: &AppState, actor: &Actor, unit: &str, reason: &str) -> AppResult<()> {
    let mut tx = state.db().begin_write().await?;
    audit::append(
        &mut tx,
        Entry::new(actor, "auth.login_failed", unit, &actor.name)
            .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    state.throttle.failed(&actor.ip);
    Ok(())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn pre_cookie(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(csrf::PRE_COOKIE) {
        let v = c.value().to_string();
        return (jar, v);
    }
    let v = session::new_token();
    let cookie = Cookie::build((csrf::PRE_COOKIE, v.clone()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), v)
}

/// 登录页
async fn login_page(
    State(state): State<AppState>,
    PageLang(tr): PageLang,
    Extension(ident): Extension<Identity>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    if ident.0.is_some() {
        return see_other(&safe_next(q.next.as_deref()));
    }
    let (jar, token) = pre_cookie(jar, state.settings().secure_cookies);
    let page = LoginPage {
        c: Chrome::anonymous(tr, tr.s("auth.login_title").to_string(), token),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    };
    (jar, render_with(StatusCode::OK, &page)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// 登录
async fn login_submit(
    State(state): State<AppState>,
    PageLang(tr): PageLang,
    Extension(ip): Extension<ClientIp>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let secure = state.settings().secure_cookies;
    let next = safe_next(form.next.as_deref());
    let error = match attempt(&state, &form.username, &form.password, &ip.0).await? {
        Outcome::Success { token, lang } => {
            let sid = Cookie::build((session::SESSION_COOKIE, token))
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Lax)
                .build();
            let lang = Cookie::build((session::LANG_COOKIE, lang.code()))
                .path("/")
                .same_site(SameSite::Lax)
                .build();
            return Ok((jar.add(sid).add(lang), see_other(&next)).into_response());
        }
        Outcome::Failed => ("auth.login_failed", StatusCode::UNAUTHORIZED),
        Outcome::Throttled => ("err.too_many", StatusCode::TOO_MANY_REQUESTS),
    };
    let (jar, token) = pre_cookie(jar, secure);
    let page = LoginPage {
        c: Chrome::anonymous(tr, tr.s("auth.login_title").to_string(), token),
        next,
        username: form.username.trim().to_string(),
        error: Some(error.0),
    };
    Ok((jar, render_with(error.1, &page)).into_response())
}

/// 退出登录
async fn logout(
    State(state): State<AppState>,
    Extension(ident): Extension<Identity>,
    Extension(ip): Extension<ClientIp>,
    jar: CookieJar,
) -> AppResult<Response> {
    if let Some(p) = ident.0 {
        if let Some(hash) = &p.session {
            let mut tx = state.db().begin_write().await?;
            session::delete(&mut tx, hash).await?;
            let actor = Actor {
                id: Some(p.user_id),
                name: p.username.clone(),
                ip: ip.0,
            };
            audit::append(
                &mut tx,
                Entry::new(&actor, "auth.logout", &p.unit_code, &p.username),
            )
            .await?;
            tx.commit().await?;
        }
    }
    let jar = jar.remove(Cookie::build(session::SESSION_COOKIE).path("/"));
    Ok((jar, see_other("/login")).into_response())
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    next: Option<String>,
}

/// 切换界面语言: stored on the account when logged in, in a cookie in any case.
async fn set_lang(
    State(state): State<AppState>,
    Extension(ident): Extension<Identity>,
    jar: CookieJar,
    Form(form): Form<LangForm>,
) -> AppResult<Response> {
    if form.lang.is_empty() {
        return Err(AppError::BadRequest("err.bad_request"));
    }
    let lang = Lang::parse(&form.lang);
    if let Some(p) = ident.0 {
        let mut tx = state.db().begin_write().await?;
        sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
            .bind(lang.code())
            .bind(p.user_id)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
    }
    let cookie = Cookie::build((session::LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .build();
    Ok((jar.add(cookie), see_other(&safe_next(form.next.as_deref()))).into_response())
}
