//! `/api/v1/duplicates` and merges: the same services as the pages.

use axum::extract::{Path, State};
use axum::Json;
use kernel::api::Body;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, Candidate, MergeRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_duplicates))
        .routes(routes!(list_merges, merge_persons))
        .routes(routes!(undo_merge))
}

/// Likely duplicate persons in the caller's subtree
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "registry",
    responses((status = 200, body = [Candidate])))]
pub async fn list_duplicates(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Json<Vec<Candidate>>> {
    Ok(Json(service::find(&state, &ctx, 100).await?))
}

/// Merges in the caller's subtree
#[utoipa::path(get, path = "/api/v1/merges", tag = "registry",
    responses((status = 200, body = [MergeRecord])))]
pub async fn list_merges(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Json<Vec<MergeRecord>>> {
    Ok(Json(service::merges(&state, &ctx).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct MergeInput {
    pub survivor: i64,
    pub merged: i64,
}

/// Merge one person into another; undoable
#[utoipa::path(post, path = "/api/v1/merges", tag = "registry", request_body = MergeInput,
    responses((status = 200, description = "the merge's id"), (status = 404, description = "not in scope")))]
pub async fn merge_persons(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Body(input): Body<MergeInput>,
) -> AppResult<Json<serde_json::Value>> {
    let id = service::merge(&state, &ctx, input.survivor, input.merged).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

/// Undo a merge
#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "registry",
    params(("id" = i64, Path, description = "merge id")),
    responses((status = 200, description = "undone"), (status = 409, description = "already undone")))]
pub async fn undo_merge(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Json<serde_json::Value>> {
    service::undo(&state, &ctx, id).await?;
    Ok(Json(serde_json::json!({ "undone": id })))
}
