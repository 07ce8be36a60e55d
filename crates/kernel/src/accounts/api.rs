//! `/api/v1/me` and `/api/v1/accounts`: the same services as the pages.

use crate::api::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;

use super::{Account, AccountChange, Created, ListFilter, NewAccount};
use crate::auth::roles::need;
use crate::auth::{Can, Ctx, Role};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::page::Paging;

/// The calling account.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub role: Role,
    pub lang: String,
    pub must_change_password: bool,
}

/// The calling account
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, description = "not logged in")))]
pub async fn me(ctx: Ctx) -> Json<Me> {
    Json(Me {
        id: ctx.p.user_id,
        username: ctx.p.username.clone(),
        display_name: ctx.p.display_name.clone(),
        unit_code: ctx.p.unit_code.clone(),
        unit_name: ctx.p.unit_name.clone(),
        role: ctx.p.role,
        lang: ctx.p.lang.code().to_string(),
        must_change_password: ctx.p.must_change_password,
    })
}

/// List accounts in the caller's subtree
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(ListFilter),
    responses((status = 200, body = [Account]), (status = 403, description = "no permission")))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Query(f): Query<ListFilter>,
) -> AppResult<Json<Vec<Account>>> {
    let paging = Paging::new(f.page, 100);
    Ok(Json(
        super::list(state.db(), &ctx.scope, &f, paging.size, paging.offset()).await?,
    ))
}

/// Create an account below the caller's unit
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = NewAccount,
    responses((status = 201, body = Created), (status = 422, description = "invalid input")))]
pub async fn create_account(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Body(input): Body<NewAccount>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state, &ctx, &input).await?),
    ))
}

/// One account of the caller's subtree
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = Account), (status = 404, description = "not in scope")))]
pub async fn get_account(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Path(id): Path<i64>,
) -> AppResult<Json<Account>> {
    Ok(Json(super::get(state.db(), &ctx.scope, id).await?))
}

/// The result of a change: the account, and the new password if one was reset.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Changed {
    pub account: Account,
    pub new_password: Option<String>,
}

/// Change an account (role, unit, name, disable, reset password, unlock)
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", request_body = AccountChange,
    params(("id" = i64, Path, description = "account id")),
    responses((status = 200, body = Changed), (status = 403, description = "not manageable"),
              (status = 422, description = "invalid input")))]
pub async fn update_account(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Path(id): Path<i64>,
    Body(change): Body<AccountChange>,
) -> AppResult<Json<Changed>> {
    let (account, new_password) = super::update(&state, &ctx, id, &change).await?;
    Ok(Json(Changed {
        account,
        new_password,
    }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PickQuery {
    /// Two characters of a colleague's name
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Suggestions for an account field (a pairing's helper): the active accounts of the
/// caller's subtree whose name matches, shown as `王红梅（大岭社区）`, with the value the
/// field sends back (ending in the account's number)
#[utoipa::path(get, path = "/api/v1/accounts/pick", tag = "accounts", params(PickQuery),
    responses((status = 200, body = [crate::web::page::Suggestion])))]
pub async fn pick_accounts(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Query(q): Query<PickQuery>,
) -> AppResult<Json<Vec<crate::web::page::Suggestion>>> {
    let q = crate::web::page::pick_query(q.q.as_deref())?;
    let found = super::pick::suggest(state.db(), &ctx.scope, q).await?;
    Ok(Json(found.iter().map(|a| a.suggestion()).collect()))
}
