//! One error type for pages and API. It carries a catalogue key and a status; the cause
//! of an internal error is logged, never shown. The response is rendered (as an HTML page
//! or as JSON, in the user's language) by [`crate::web::errors::render`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("login required")]
    LoginRequired,
    #[error("csrf")]
    Csrf,
    #[error("too many requests")]
    TooManyRequests,
    /// A request that cannot be acted on, with the catalogue key of the reason.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The record changed or exists already, with the catalogue key of the reason.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The account must change its password before anything else.
    #[error("password change required")]
    PasswordChangeRequired,
    /// Input that fails validation, field by field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A body that is not of the content type the route takes.
    #[error("unsupported media type")]
    UnsupportedMedia,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A validation message for one field (or one row and column), as a catalogue key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub key: &'static str,
}

impl FieldError {
    pub fn new(field: &str, key: &'static str) -> FieldError {
        FieldError {
            field: field.to_string(),
            key,
        }
    }
}

/// The catalogue key of the message for `field` among `errors`, for forms' templates.
pub fn field_error(errors: &[FieldError], field: &str) -> Option<&'static str> {
    errors.iter().find(|e| e.field == field).map(|e| e.key)
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

/// What the renderer needs to know about an error, left in the response's extensions.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub key: &'static str,
    pub fields: Vec<FieldError>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::LoginRequired => StatusCode::UNAUTHORIZED,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            AppError::NotFound => "err.not_found",
            AppError::Forbidden => "err.forbidden",
            AppError::LoginRequired => "err.login_required",
            AppError::Csrf => "err.csrf",
            AppError::TooManyRequests => "err.too_many",
            AppError::BadRequest(k) | AppError::Conflict(k) => k,
            AppError::PasswordChangeRequired => "err.password_change_required",
            AppError::Invalid(_) => "err.invalid",
            AppError::UnsupportedMedia => "err.unsupported_media",
            AppError::Internal(_) => "err.internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let info = ErrorInfo {
            status: self.status(),
            key: self.key(),
            fields: match &self {
                AppError::Invalid(f) => f.clone(),
                _ => Vec::new(),
            },
        };
        let mut res = info.status.into_response();
        res.extensions_mut().insert(info);
        res
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A record named by a field of the input (a parent, a head, a person) that is not there
/// is invalid input at that field (422), not a missing page (404).
pub trait AtField<T> {
    fn at_field(self, field: &str) -> AppResult<T>;
}

impl<T> AtField<T> for AppResult<T> {
    fn at_field(self, field: &str) -> AppResult<T> {
        self.map_err(|e| match e {
            AppError::NotFound => {
                AppError::Invalid(vec![FieldError::new(field, "err.ref_not_found")])
            }
            e => e,
        })
    }
}
