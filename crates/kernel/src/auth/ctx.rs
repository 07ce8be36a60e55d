//! Who is asking, resolved once per request by [`identify`], and the extractors handlers
//! take: [`Ctx`] (any logged-in account, with its scope) and [`Can`] (one that holds a
//! permission). Neither can be had without the scope, so no handler reads unscoped data.

use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::roles::PermMarker;
use super::session::{self, Principal, LANG_COOKIE, SESSION_COOKIE};
use super::{csrf, tokens};
use crate::audit::Actor;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::scope::Scope;
use crate::state::AppState;

/// The identity [`identify`] found (or not), kept in the request's extensions.
#[derive(Clone, Debug)]
pub struct Identity(pub Option<Principal>);

/// The client's address as seen by the server.
#[derive(Clone, Debug, Default)]
pub struct ClientIp(pub String);

/// Paths an account that must change its password may still reach.
const ALLOWED_BEFORE_CHANGE: &[&str] = &["/account/password", "/logout", "/api/v1/me"];

/// Middleware: resolves the session or API token and enforces CSRF on state changes.
pub async fn identify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match identify_inner(&state, req).await {
        Ok(req) => {
            let who = req.extensions().get::<Identity>().cloned();
            let mut res = next.run(req).await;
            // The error renderer runs outside this layer: tell it who asked, so that an
            // error page keeps the account's navigation, name and language.
            if let Some(Identity(Some(p))) = who {
                res.extensions_mut().insert(p.lang);
                if !res.status().is_success() {
                    res.extensions_mut().insert(Identity(Some(p)));
                }
            }
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn identify_inner(state: &AppState, mut req: Request) -> Result<Request, AppError> {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let jar = CookieJar::from_headers(req.headers());
    let bearer = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_string);
    let settings = state.settings();
    let principal = if let Some(secret) = &bearer {
        match tokens::lookup(state.db(), secret).await? {
            Some(p) => Some(p),
            None => return Err(AppError::LoginRequired),
        }
    } else if let Some(c) = jar.get(SESSION_COOKIE) {
        session::lookup(
            state.db(),
            c.value(),
            settings.session_idle_minutes,
            settings.session_max_hours,
        )
        .await?
    } else {
        None
    };

    if !csrf::is_safe(req.method()) && bearer.is_none() {
        let expected = match &principal {
            Some(p) => p.csrf.clone(),
            None => jar.get(csrf::PRE_COOKIE).map(|c| c.value().to_string()),
        };
        let mut given = csrf::from_header(req.headers()).or_else(|| csrf::from_query(req.uri()));
        if given.is_none() && csrf::is_form(req.headers()) {
            let (parts, body) = req.into_parts();
            let bytes = csrf::buffer(body, settings.max_body_bytes)
                .await
                .ok_or(AppError::BadRequest("err.body_too_large"))?;
            // A NUL character is no text anyone types, and PostgreSQL cannot store it.
            if bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) {
                return Err(AppError::BadRequest("err.control_char"));
            }
            given = csrf::from_form(&bytes);
            req = Request::from_parts(parts, axum::body::Body::from(bytes));
        }
        match (expected, given) {
            (Some(e), Some(g)) if csrf::matches(&e, &g) => {}
            _ => return Err(AppError::Csrf),
        }
    }
    req.extensions_mut().insert(Identity(principal));
    req.extensions_mut().insert(ClientIp(ip));
    Ok(req)
}

/// A logged-in account, its scope and its language.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub p: Principal,
    pub scope: Scope,
    pub tr: Tr,
    pub ip: String,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.p.user_id),
            name: self.p.username.clone(),
            ip: self.ip.clone(),
        }
    }

    /// The CSRF token forms must carry (empty for token requests, which need none).
    pub fn csrf(&self) -> &str {
        self.p.csrf.as_deref().unwrap_or("")
    }

    /// Credentials (API tokens, the password) are made only in a signed-in browser
    /// session: a token that could mint tokens would outlive its own revocation.
    pub fn require_session(&self) -> Result<(), AppError> {
        if self.p.session.is_some() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require(&self, perm: super::Perm) -> Result<(), AppError> {
        if self.p.role.has(perm) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        let p = parts
            .extensions
            .get::<Identity>()
            .and_then(|i| i.0.clone())
            .ok_or(AppError::LoginRequired)?;
        if p.must_change_password && !ALLOWED_BEFORE_CHANGE.contains(&parts.uri.path()) {
            return Err(AppError::PasswordChangeRequired);
        }
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        Ok(Ctx {
            scope: Scope::of_unit(&p.unit_code),
            tr: Tr::new(p.lang),
            ip,
            p,
        })
    }
}

/// A logged-in account that holds permission `P`.
pub struct Can<P: PermMarker>(pub Ctx, pub PhantomData<P>);

impl<P: PermMarker> std::ops::Deref for Can<P> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.0
    }
}

impl<P: PermMarker> FromRequestParts<AppState> for Can<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        ctx.require(P::PERM)?;
        Ok(Can(ctx, PhantomData))
    }
}

/// The language of a page for anyone, logged in or not.
#[derive(Clone, Copy, Debug)]
pub struct PageLang(pub Tr);

impl FromRequestParts<AppState> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(PageLang(Tr::new(lang_of(parts))))
    }
}

/// The account's language, else the language cookie, else Chinese.
pub fn lang_of(parts: &Parts) -> Lang {
    if let Some(Identity(Some(p))) = parts.extensions.get::<Identity>() {
        return p.lang;
    }
    CookieJar::from_headers(&parts.headers)
        .get(LANG_COOKIE)
        .map(|c| Lang::parse(c.value()))
        .unwrap_or_default()
}
