//! `/api/v1/org/units`: the same services as the org pages.

use crate::api::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::model::OrgUnit;
use super::store::{self, BodyInput, LevelCount};
use super::web::{create_unit, save_body, NewUnitInput};
use crate::auth::roles::need;
use crate::auth::Can;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::page::{Paging, Suggestion};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UnitsQuery {
    /// Part of a name (two characters are enough) or a code prefix; empty lists the
    /// caller's own unit's children
    pub q: Option<String>,
    pub page: Option<i64>,
}

/// Find units in the caller's subtree
#[utoipa::path(get, path = "/api/v1/org/units", tag = "org", params(UnitsQuery),
    responses((status = 200, body = [OrgUnit])))]
pub async fn list_units(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<UnitsQuery>,
) -> AppResult<Json<Vec<OrgUnit>>> {
    let paging = Paging::new(q.page, 100);
    let text = q.q.unwrap_or_default();
    let units = if text.trim().is_empty() {
        store::children(
            state.db(),
            &ctx.scope,
            ctx.scope.unit(),
            paging.size,
            paging.offset(),
        )
        .await?
    } else {
        store::search(state.db(), &ctx.scope, &text, paging.size, paging.offset()).await?
    };
    Ok(Json(units))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PickQuery {
    /// Part of a unit's name (two characters are enough) or a code prefix
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Suggestions for a unit field: the units of the caller's subtree that match, each as
/// the field takes it (`大岭社区（塘渡口镇）`) with its code
#[utoipa::path(get, path = "/api/v1/org/pick", tag = "org", params(PickQuery),
    responses((status = 200, body = [Suggestion])))]
pub async fn pick_units(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<PickQuery>,
) -> AppResult<Json<Vec<Suggestion>>> {
    let q = crate::web::page::pick_query(q.q.as_deref())?;
    let found = super::pick::suggest(state.db(), &ctx.scope, q).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|u| Suggestion {
                value: u.label(),
                label: u.code,
            })
            .collect(),
    ))
}

/// A unit with the counts of the units below it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UnitDetail {
    pub unit: OrgUnit,
    pub below: Vec<LevelCount>,
}

/// One unit of the caller's subtree
#[utoipa::path(get, path = "/api/v1/org/units/{code}", tag = "org",
    params(("code" = String, Path, description = "unit code")),
    responses((status = 200, body = UnitDetail), (status = 404, description = "not in scope")))]
pub async fn get_unit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(code): Path<String>,
) -> AppResult<Json<UnitDetail>> {
    let unit = store::get(state.db(), &ctx.scope, &code).await?;
    let below = store::subtree_counts(state.db(), &state.counts, &code).await?;
    Ok(Json(UnitDetail {
        unit,
        below: below.as_ref().clone(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub page: Option<i64>,
}

/// The units directly under a unit
#[utoipa::path(get, path = "/api/v1/org/units/{code}/children", tag = "org",
    params(("code" = String, Path, description = "unit code"), PageQuery),
    responses((status = 200, body = [OrgUnit]), (status = 404, description = "not in scope")))]
pub async fn list_children(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<Vec<OrgUnit>>> {
    store::get(state.db(), &ctx.scope, &code).await?;
    let paging = Paging::new(q.page, 100);
    Ok(Json(
        store::children(state.db(), &ctx.scope, &code, paging.size, paging.offset()).await?,
    ))
}

/// Create a non-territorial unit (机关妇委会, 两新组织妇联, 新居民妇联, 企业妇委会)
#[utoipa::path(post, path = "/api/v1/org/units", tag = "org", request_body = NewUnitInput,
    responses((status = 201, body = OrgUnit), (status = 422, description = "invalid input")))]
pub async fn create_org_unit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Body(input): Body<NewUnitInput>,
) -> AppResult<(StatusCode, Json<OrgUnit>)> {
    Ok((
        StatusCode::CREATED,
        Json(create_unit(&state, &ctx, &input).await?),
    ))
}

/// Change a unit's federation body (chair, contacts, term dates)
#[utoipa::path(patch, path = "/api/v1/org/units/{code}", tag = "org", request_body = BodyInput,
    params(("code" = String, Path, description = "unit code")),
    responses((status = 200, body = OrgUnit), (status = 422, description = "invalid input")))]
pub async fn update_unit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Path(code): Path<String>,
    Body(input): Body<BodyInput>,
) -> AppResult<Json<OrgUnit>> {
    Ok(Json(save_body(&state, &ctx, &code, &input).await?))
}
