//! `/api/v1/pairings`: the same services as the pages.

use crate::access::Seer;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kernel::api::Body;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use kernel::web::page::Paging;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, ConcludeInput, Created, PairingInput, VisitInput};
use super::store::{self, Filter, Pairing, Visit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pairings, create_pairing))
        .routes(routes!(get_pairing, conclude_pairing))
        .routes(routes!(add_visit))
}

/// Pairings of the caller's subtree
#[utoipa::path(get, path = "/api/v1/pairings", tag = "registry", params(Filter),
    responses((status = 200, body = [Pairing])))]
pub async fn list_pairings(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(f): Query<Filter>,
) -> AppResult<Json<Vec<Pairing>>> {
    let paging = Paging::new(f.page, 100);
    Ok(Json(
        store::list(
            state.db(),
            &Seer::of(&ctx),
            &f,
            paging.size,
            paging.offset(),
        )
        .await?,
    ))
}

/// Pair a helper with a person or household; warns when the cadre is over the limit
#[utoipa::path(post, path = "/api/v1/pairings", tag = "registry", request_body = PairingInput,
    responses((status = 201, body = Created), (status = 422, description = "invalid input")))]
pub async fn create_pairing(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Body(input): Body<PairingInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &ctx, &input).await?),
    ))
}

/// A pairing with its visits.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PairingDetail {
    pub pairing: Pairing,
    pub visits: Vec<Visit>,
}

/// One pairing and its visits
#[utoipa::path(get, path = "/api/v1/pairings/{id}", tag = "registry",
    params(("id" = i64, Path, description = "pairing id")),
    responses((status = 200, body = PairingDetail), (status = 404, description = "not in scope")))]
pub async fn get_pairing(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
) -> AppResult<Json<PairingDetail>> {
    Ok(Json(PairingDetail {
        pairing: store::get(state.db(), &Seer::of(&ctx), id).await?,
        visits: store::visits(state.db(), id).await?,
    }))
}

/// Record the year-end acceptance, or end the pairing
#[utoipa::path(post, path = "/api/v1/pairings/{id}", tag = "registry", request_body = ConcludeInput,
    params(("id" = i64, Path, description = "pairing id")),
    responses((status = 200, body = Pairing), (status = 422, description = "invalid input")))]
pub async fn conclude_pairing(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<ConcludeInput>,
) -> AppResult<Json<Pairing>> {
    Ok(Json(service::conclude(&state, &ctx, id, &input).await?))
}

/// Record a home visit or a periodic check
#[utoipa::path(post, path = "/api/v1/pairings/{id}/visits", tag = "registry", request_body = VisitInput,
    params(("id" = i64, Path, description = "pairing id")),
    responses((status = 200, body = Pairing), (status = 422, description = "invalid input")))]
pub async fn add_visit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<VisitInput>,
) -> AppResult<Json<Pairing>> {
    Ok(Json(service::visit(&state, &ctx, id, &input).await?))
}
