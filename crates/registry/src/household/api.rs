//! `/api/v1/households`: the same services as the pages.

use crate::access::Seer;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kernel::api::Body;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service;
use super::store::{self, Household};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_household))
        .routes(routes!(get_household))
        .routes(routes!(add_household_member))
        .routes(routes!(move_household))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewHousehold {
    /// The person who heads it
    pub head: i64,
}

/// Create a household headed by a person
#[utoipa::path(post, path = "/api/v1/households", tag = "registry", request_body = NewHousehold,
    responses((status = 201, body = Household), (status = 422, description = "already in a household")))]
pub async fn create_household(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Body(input): Body<NewHousehold>,
) -> AppResult<(StatusCode, Json<Household>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &ctx, input.head).await?),
    ))
}

/// A household of the caller's subtree, with members and moves
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "registry",
    params(("id" = i64, Path, description = "household id")),
    responses((status = 200, body = Household), (status = 404, description = "not in scope")))]
pub async fn get_household(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
) -> AppResult<Json<Household>> {
    Ok(Json(store::get(state.db(), &Seer::of(&ctx), id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewMember {
    /// Registry number or resident ID of the person
    #[schema(min_length = 1, max_length = 100)]
    pub person: String,
    /// head | spouse | child | parent | grandparent | grandchild | sibling | child_in_law | guardian | other
    #[schema(value_type = crate::household::Relation)]
    pub relation: String,
}

/// Add a member to a household
#[utoipa::path(post, path = "/api/v1/households/{id}/members", tag = "registry", request_body = NewMember,
    params(("id" = i64, Path, description = "household id")),
    responses((status = 200, body = Household), (status = 422, description = "invalid input")))]
pub async fn add_household_member(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<NewMember>,
) -> AppResult<Json<Household>> {
    Ok(Json(
        service::add_member(&state, &ctx, id, &input.person, &input.relation).await?,
    ))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct MoveInput {
    /// The village or community the household moves to
    #[schema(pattern = r"^[0-9]{12}$")]
    pub unit_code: String,
    pub version: Option<i64>,
}

/// Move a household (and its members' residence) to another village; the move is kept
#[utoipa::path(post, path = "/api/v1/households/{id}/move", tag = "registry", request_body = MoveInput,
    params(("id" = i64, Path, description = "household id")),
    responses((status = 200, body = Household), (status = 422, description = "invalid unit")))]
pub async fn move_household(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<MoveInput>,
) -> AppResult<Json<Household>> {
    Ok(Json(
        service::relocate(&state, &ctx, id, &input.unit_code, input.version).await?,
    ))
}
