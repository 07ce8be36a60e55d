//! `/api/v1/persons`: the same services as the pages, masked unless revealed.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kernel::api::Body;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use kernel::web::page::{Paging, Suggestion};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Seer;
use crate::person::{Person, PersonInput, Revealed};
use crate::service;
use crate::store::{self, Filter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_persons, create_person))
        .routes(routes!(get_person, update_person))
        .routes(routes!(reveal_person))
        .routes(routes!(pick_persons))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PickQuery {
    /// Two characters of a name, or a resident ID or phone number (exact)
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Suggestions for a person field: the people of the caller's subtree she may see, each
/// with her village, birth year and the last characters of her ID, and the value the
/// field sends back (ending in her registry number)
#[utoipa::path(get, path = "/api/v1/persons/pick", tag = "registry", params(PickQuery),
    responses((status = 200, body = [Suggestion])))]
pub async fn pick_persons(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<PickQuery>,
) -> AppResult<Json<Vec<Suggestion>>> {
    let q = kernel::web::page::pick_query(q.q.as_deref())?;
    let found = crate::pick::suggest(&state, &ctx, q).await?;
    Ok(Json(found.iter().map(|p| p.suggestion(ctx.tr)).collect()))
}

/// Search persons in the caller's subtree (sensitive fields masked)
#[utoipa::path(get, path = "/api/v1/persons", tag = "registry", params(Filter),
    responses((status = 200, body = [Person])))]
pub async fn list_persons(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(f): Query<Filter>,
) -> AppResult<Json<Vec<Person>>> {
    let paging = Paging::new(f.page, 100);
    let seer = Seer::of(&ctx);
    let rows = store::search(
        state.db(),
        &state.cipher,
        &seer,
        &f,
        paging.size,
        paging.offset(),
    )
    .await?;
    Ok(Json(
        rows.into_iter().map(|r| seer.person(r.person)).collect(),
    ))
}

/// Register a person
#[utoipa::path(post, path = "/api/v1/persons", tag = "registry", request_body = PersonInput,
    responses((status = 201, body = Person), (status = 422, description = "invalid input, field by field")))]
pub async fn create_person(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Body(input): Body<PersonInput>,
) -> AppResult<(StatusCode, Json<Person>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &ctx, &input).await?),
    ))
}

/// One person of the caller's subtree (sensitive fields masked)
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "registry",
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Person), (status = 404, description = "not in scope")))]
pub async fn get_person(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
) -> AppResult<Json<Person>> {
    let row = store::get(state.db(), &state.cipher, &ctx.scope, id).await?;
    Ok(Json(Seer::of(&ctx).person(row.person)))
}

/// Replace a person's fields; `version` must be the one read, else 409
#[utoipa::path(patch, path = "/api/v1/persons/{id}", tag = "registry", request_body = PersonInput,
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Person), (status = 409, description = "changed by someone else"),
              (status = 422, description = "invalid input")))]
pub async fn update_person(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Body(input): Body<PersonInput>,
) -> AppResult<Json<Person>> {
    Ok(Json(service::update(&state, &ctx, id, &input).await?))
}

/// The resident ID, phone and address in clear; the view is audited
#[utoipa::path(post, path = "/api/v1/persons/{id}/reveal", tag = "registry",
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Revealed), (status = 403, description = "role may not reveal")))]
pub async fn reveal_person(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::RevealPersonal>,
    Path(id): Path<i64>,
) -> AppResult<Json<Revealed>> {
    Ok(Json(service::reveal(&state, &ctx, id).await?.1))
}
