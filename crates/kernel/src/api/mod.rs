//! The JSON API under `/api/v1`. Routes are mounted through utoipa-axum's `routes!`, so
//! mounting a route documents it; the document is served at `/api/v1/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::{FromRequest, Request};

use crate::error::{AppError, FieldError};
use crate::state::AppState;

/// A JSON request body, read the way the document describes it: malformed JSON is a bad
/// request (400), a body of another type 415, and a field of the wrong type or missing is
/// invalid input at that field (422, named by its path, e.g. `parties[0].role`). A number
/// with no fraction (`3.0`) is an integer, as JSON Schema counts it; NUL characters are
/// taken out of strings.
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.trim_start().to_ascii_lowercase();
                v.starts_with("application/json")
                    || v.starts_with("application/") && v.contains("+json")
            });
        if !json {
            return Err(AppError::UnsupportedMedia);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest("err.body_too_large"))?;
        let mut value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AppError::BadRequest("err.bad_json"))?;
        integral(&mut value);
        strip_nul(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Body)
            .map_err(|e| {
                let field = e.path().to_string();
                let field = if field == "." { String::new() } else { field };
                let inner = e.into_inner().to_string();
                let (field, key) = match inner.strip_prefix("missing field `") {
                    Some(rest) => {
                        let name = rest.split('`').next().unwrap_or("");
                        let path = if field.is_empty() {
                            name.to_string()
                        } else {
                            format!("{field}.{name}")
                        };
                        (path, "field.required")
                    }
                    None if inner.starts_with("unknown variant") => (field, "err.field_choice"),
                    None => (field, "err.field_type"),
                };
                AppError::Invalid(vec![FieldError::new(&field, key)])
            })
    }
}

/// Takes NUL characters out of every string and key: no text anyone types holds one, and
/// PostgreSQL cannot store it (a NUL left in would fail the write, not the input).
fn strip_nul(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Array(a) => a.iter_mut().for_each(strip_nul),
        Value::Object(o) => {
            if o.keys().any(|k| k.contains('\0')) {
                let taken = std::mem::take(o);
                for (k, x) in taken {
                    o.insert(k.replace('\0', ""), x);
                }
            }
            o.values_mut().for_each(strip_nul);
        }
        _ => {}
    }
}

/// Numbers without a fraction become integers, so that `3.0` reads as `3`.
fn integral(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral),
        Value::Object(o) => o.values_mut().for_each(integral),
        _ => {}
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Jinguo API", version = "1", description = "巾帼 妇联工作平台 JSON API. \
        Authenticate with a session cookie (state changes also need the X-CSRF-Token header) \
        or a personal token: `Authorization: Bearer jgt_…`. Every call sees only the caller's \
        subtree of the org tree and is audited like the pages."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("jinguo_sid"))),
        );
    }
}

/// Every `/api/v1` route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    use crate::{accounts::api as acc, audit::web as aud, org::api as org};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(acc::me))
        .routes(routes!(acc::pick_accounts))
        .routes(routes!(acc::list_accounts, acc::create_account))
        .routes(routes!(acc::get_account, acc::update_account))
        .routes(routes!(org::list_units, org::create_org_unit))
        .routes(routes!(org::get_unit, org::update_unit))
        .routes(routes!(org::list_children))
        .routes(routes!(org::pick_units))
        .routes(routes!(aud::list_audit))
}

/// The document as served: every operation lists the error statuses the server answers
/// it with, each with the one error body (`{"error":{code,message,fields}}`), so that a
/// client (or a tester such as schemathesis) meets no status the document does not name.
pub fn finish(doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    use serde_json::{json, Value};
    let mut doc = serde_json::to_value(doc).unwrap_or(Value::Null);
    let error = json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "catalogue key of the reason"},
                "message": {"type": "string", "description": "the reason in the caller's language"},
                "fields": {"type": "array", "items": {
                    "type": "object",
                    "required": ["field", "code", "message"],
                    "properties": {
                        "field": {"type": "string"},
                        "code": {"type": "string"},
                        "message": {"type": "string"}
                    }
                }}
            }
        }}
    });
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.insert("Error".into(), error);
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for item in paths.values_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            let has_path = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["in"] == "path" || (p["in"] == "query" && p["name"] == "unit"))
            });
            let has_body = op.get("requestBody").is_some();
            let writes = method != "get";
            let mut statuses = vec![
                ("400", "malformed request (JSON, multipart or path)"),
                ("401", "not signed in, or the token is not valid"),
                (
                    "403",
                    "the account may not do this (role, scope, or restricted record)",
                ),
                (
                    "422",
                    "invalid input, field by field (body or query parameters)",
                ),
            ];
            if has_path {
                statuses.push(("404", "no such record (or unit) in the caller's scope"));
            }
            if writes {
                statuses.push(("409", "the record changed meanwhile or is in another state"));
            }
            if has_body {
                statuses.push(("413", "the body is larger than the server takes"));
                statuses.push(("415", "the body is not of the documented content type"));
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (code, description) in statuses {
                let r = responses
                    .entry(code)
                    .or_insert_with(|| json!({"description": description}));
                r["content"] =
                    json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
            }
        }
    }
    doc
}
