//! Turns an [`AppError`] left in a response into what the client reads: a Chinese (or
//! English) error page, a redirect to login, or JSON for the API.

use askama::Template;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::page::{render_with, Chrome};
use crate::auth::ctx::{lang_of, Identity};
use crate::auth::session::Principal;
use crate::error::{AppError, ErrorInfo};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
}

/// Fallback for paths no route matches.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A handler that panicked becomes a 500 page, not a dropped connection.
pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Middleware: renders error responses for people and programs.
pub async fn render(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let wanted = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let (parts, body) = req.into_parts();
    let tr = Tr::new(lang_of(&parts));
    let res = next.run(Request::from_parts(parts, body)).await;
    let tr = res
        .extensions()
        .get::<crate::i18n::Lang>()
        .map_or(tr, |l| Tr::new(*l));
    let who = res.extensions().get::<Identity>().and_then(|i| i.0.clone());
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else {
        // Answers of axum itself (bad JSON or query, a method the route does not take, a
        // body over the limit) arrive without a page or an error body: give them one.
        let status = res.status();
        let bare = !res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
            v.to_str()
                .is_ok_and(|s| s.starts_with("text/html") || s.starts_with("application/json"))
        });
        if (status.is_client_error() || status.is_server_error()) && bare {
            let allow = res.headers().get(header::ALLOW).cloned();
            let text = axum::body::to_bytes(res.into_body(), 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let (status, key, fields) = classify(status, &text);
            let mut out = error_response(&path, tr, who.as_ref(), status, key, &fields);
            if let Some(allow) = allow {
                out.headers_mut().insert(header::ALLOW, allow);
            }
            return out;
        }
        return res;
    };
    let api = path.starts_with("/api/");
    if !api && info.key == AppError::LoginRequired.key() {
        let to = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(wanted.as_bytes()).collect::<String>()
        );
        return super::page::see_other(&to);
    }
    if !api && info.key == AppError::PasswordChangeRequired.key() {
        return super::page::see_other("/account/password");
    }
    error_response(&path, tr, who.as_ref(), info.status, info.key, &info.fields)
}

/// What one of axum's own rejections means, from its status and text: a query parameter
/// of the wrong type is invalid input at that field (422), a form or a path that cannot be
/// read is a bad request (400). JSON bodies are read by [`crate::api::Body`], which names
/// its own errors.
fn classify(
    status: StatusCode,
    text: &str,
) -> (StatusCode, &'static str, Vec<crate::error::FieldError>) {
    use crate::error::FieldError;
    let field_of = |detail: &str| -> String {
        if let Some(start) = detail.find("field `") {
            let rest = &detail[start + 7..];
            return rest[..rest.find('`').unwrap_or(0)].to_string();
        }
        match detail.split_once(": ") {
            Some((f, _)) if !f.contains(' ') => f.to_string(),
            _ => String::new(),
        }
    };
    if let Some(detail) = text.strip_prefix("Failed to deserialize query string: ") {
        let field = field_of(detail);
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "err.invalid",
            vec![FieldError::new(&field, "err.query_invalid")],
        );
    }
    let key = match status {
        StatusCode::NOT_FOUND => "err.not_found",
        StatusCode::METHOD_NOT_ALLOWED => "err.method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "err.body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "err.unsupported_media",
        s if s.is_server_error() => "err.internal",
        _ if text.contains("JSON") => "err.bad_json",
        _ if text.contains("multipart") => "err.bad_multipart",
        _ => "err.bad_request",
    };
    (status, key, Vec::new())
}

fn error_response(
    path: &str,
    tr: Tr,
    who: Option<&Principal>,
    status: StatusCode,
    key: &'static str,
    fields: &[crate::error::FieldError],
) -> Response {
    if path.starts_with("/api/") {
        let fields: Vec<_> = fields
            .iter()
            .map(|f| serde_json::json!({"field": f.field, "code": f.key, "message": tr.s(f.key)}))
            .collect();
        let body = serde_json::json!({
            "error": {"code": key, "message": tr.s(key), "fields": fields}
        });
        return (status, Json(body)).into_response();
    }
    let title = tr.s(key).to_string();
    let c = match who {
        Some(p) => Chrome::signed_in(p, tr, "", title),
        None => Chrome::anonymous(tr, title, String::new()),
    };
    let page = ErrorPage {
        c,
        status: status.as_u16(),
        message: tr.s(key).to_string(),
    };
    render_with(status, &page)
}
