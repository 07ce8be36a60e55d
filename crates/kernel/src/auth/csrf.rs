//! CSRF protection for every state-changing request made with a cookie: the session's
//! token must come back in the `_csrf` form field or the `X-CSRF-Token` header. Before
//! login, the token is the random `jinguo_pre` cookie (double submit).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method};

pub const PRE_COOKIE: &str = "jinguo_pre";
pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "_csrf";

pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The token sent in the header, if any.
pub fn from_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The token sent in the query string (`?_csrf=`), for file uploads whose multipart body
/// is not read before the handler.
pub fn from_query(uri: &axum::http::Uri) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

/// The token sent in a form body.
pub fn from_form(body: &Bytes) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

/// Compares in constant time so the token cannot be guessed byte by byte.
pub fn matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads a form body up to `limit` bytes so its token can be checked; the bytes go back
/// into the request afterwards.
pub async fn buffer(body: Body, limit: usize) -> Option<Bytes> {
    axum::body::to_bytes(body, limit).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_tokens() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("", ""));
        assert_eq!(from_form(&Bytes::from("a=1&_csrf=xyz")), Some("xyz".into()));
    }
}
