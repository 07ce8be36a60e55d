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
    OpenApiRouter::new().routes(routes!(get_import))
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
