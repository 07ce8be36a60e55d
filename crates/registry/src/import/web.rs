//! Import pages: the template download (the upload and its background job come next).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::{AppError, AppResult};
use kernel::state::AppState;
use sqlx::Row;

pub fn routes() -> Router<AppState> {
    Router::new().route("/registry/import/template.xlsx", get(template))
}

/// 下载导入模板: with the villages of the account's area in the residence drop-down.
async fn template(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Response> {
    let rows = sqlx::query(
        "SELECT code, name FROM org_units WHERE code >= $1 AND code < $2 AND level = 5 AND kind = 'territorial' \
         ORDER BY code LIMIT $3",
    )
    .bind(ctx.scope.lo())
    .bind(ctx.scope.hi())
    .bind(super::template::MAX_VILLAGES_LISTED as i64)
    .fetch_all(state.db().pool())
    .await?;
    let villages: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let bytes = super::template::build(ctx.tr, &villages)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"jinguo-persons-template.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
