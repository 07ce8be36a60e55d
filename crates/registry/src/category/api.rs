//! `/api/v1/categories` and memberships: the same services as the pages.

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

use super::model::{Category, CategoryInput};
use super::service::{self, AssignInput, ChangeInput};
use super::store::{self, MemberFilter, Membership};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(list_members))
        .routes(routes!(assign_category))
        .routes(routes!(change_membership))
}

/// All categories with their fields
#[utoipa::path(get, path = "/api/v1/categories", tag = "registry",
    responses((status = 200, body = [Category])))]
pub async fn list_categories(
    State(state): State<AppState>,
    _can: Can<need::ViewOrg>,
) -> AppResult<Json<Vec<Category>>> {
    Ok(Json(store::list(state.db()).await?))
}

/// Define a category with its fields (administrators)
#[utoipa::path(post, path = "/api/v1/categories", tag = "registry", request_body = CategoryInput,
    responses((status = 201, body = Category), (status = 422, description = "invalid input")))]
pub async fn create_category(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageSystem>,
    Body(input): Body<CategoryInput>,
) -> AppResult<(StatusCode, Json<Category>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_category(&state, &ctx, &input).await?),
    ))
}

/// Members of a category in the caller's subtree
#[utoipa::path(get, path = "/api/v1/categories/{code}/members", tag = "registry",
    params(("code" = String, Path, description = "category code"), MemberFilter),
    responses((status = 200, body = [Membership])))]
pub async fn list_members(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(code): Path<String>,
    Query(f): Query<MemberFilter>,
) -> AppResult<Json<Vec<Membership>>> {
    store::get(state.db(), &code).await?;
    let paging = Paging::new(f.page, 100);
    let rows = store::members(
        state.db(),
        &crate::access::Seer::of(&ctx),
        &code,
        &f,
        paging.size,
        paging.offset(),
    )
    .await?;
    Ok(Json(rows))
}

/// Add a person to a category
#[utoipa::path(post, path = "/api/v1/persons/{id}/categories", tag = "registry", request_body = AssignInput,
    params(("id" = i64, Path, description = "person id")),
    responses((status = 201, body = Membership), (status = 422, description = "invalid input")))]
pub async fn assign_category(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<AssignInput>,
) -> AppResult<(StatusCode, Json<Membership>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::assign(&state, &ctx, id, &input).await?),
    ))
}

/// Update a membership's attributes, end it or reopen it
#[utoipa::path(patch, path = "/api/v1/memberships/{id}", tag = "registry", request_body = ChangeInput,
    params(("id" = i64, Path, description = "membership id")),
    responses((status = 200, body = Membership), (status = 409, description = "changed by someone else")))]
pub async fn change_membership(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<ChangeInput>,
) -> AppResult<Json<Membership>> {
    Ok(Json(service::change(&state, &ctx, id, &input).await?))
}
