//! `/api/v1/imports`: upload a sheet (multipart, field `file`, optional `mode`) and follow
//! its job.

use axum::extract::{Path, State};
use axum::Json;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::job::{self, Job};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_import))
        .routes(routes!(upload_import))
        .layer(axum::extract::DefaultBodyLimit::max(
            super::web::UPLOAD_LIMIT,
        ))
}

/// An import job: progress, counts and row errors
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "registry",
    params(("id" = i64, Path, description = "import job id")),
    responses((status = 200, body = Job), (status = 404, description = "not in scope")))]
pub async fn get_import(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Json<Job>> {
    Ok(Json(job::get(&state, &ctx.scope, id).await?))
}

/// The multipart fields of an upload.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct ImportUpload {
    /// The sheet: .xlsx or .csv (UTF-8 or GB18030), at most 200 MB
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// valid_rows (default): the valid rows are written; all_or_nothing: none if any is wrong
    #[schema(pattern = "^(valid_rows|all_or_nothing)?$")]
    mode: Option<String>,
    /// A group's code: every row joins it, its items read from the columns named after
    /// them; `none` for no group; empty for the group the first sheet is named after
    group: Option<String>,
}

/// Upload a sheet (.xlsx or .csv) as a multipart form; the import runs as a job
#[utoipa::path(post, path = "/api/v1/imports", tag = "registry",
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 202, body = Job), (status = 422, description = "not a readable sheet, or no such group")))]
pub async fn upload_import(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    form: axum::extract::Multipart,
) -> AppResult<(axum::http::StatusCode, Json<Job>)> {
    match super::web::receive(&state, &ctx, form).await? {
        Ok(id) => Ok((
            axum::http::StatusCode::ACCEPTED,
            Json(job::get(&state, &ctx.scope, id).await?),
        )),
        Err(key) => Err(kernel::error::AppError::Invalid(vec![
            kernel::error::FieldError::new("file", key),
        ])),
    }
}
