//! A file offered for download: an export, an attachment.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The bytes as a download under `name` (the browser saves them, never shows them in the
/// page), kept out of every cache: they hold personal data.
pub fn file(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition(name)),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// `attachment` with the name in UTF-8 (RFC 6266 / 5987) and an ASCII fallback for old
/// browsers: Chinese file names survive.
fn disposition(name: &str) -> String {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b".-_".contains(&b);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && safe(c as u8) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if safe(b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_encoded() {
        assert_eq!(
            disposition("告诫书 1.pdf"),
            "attachment; filename=\"____1.pdf\"; filename*=UTF-8''%E5%91%8A%E8%AF%AB%E4%B9%A6%201.pdf"
        );
        assert_eq!(
            disposition("jinguo-persons.xlsx"),
            "attachment; filename=\"jinguo-persons.xlsx\"; filename*=UTF-8''jinguo-persons.xlsx"
        );
    }
}
