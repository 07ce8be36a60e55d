//! Household pages: a household with its members and moves; create, add, remove, move.

use crate::access::Seer;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome};

use super::service;
use super::store::{self, Household};
use super::Relation;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/households", post(create_submit))
        .route("/registry/households/{id}", get(show_page))
        .route("/registry/households/{id}/members", post(add_submit))
        .route(
            "/registry/households/{id}/members/{person}/leave",
            post(leave_submit),
        )
        .route("/registry/households/{id}/move", post(move_submit))
}

#[derive(Template)]
#[template(path = "registry/household.html")]
struct ShowPage {
    c: Chrome,
    h: Household,
    relations: [Relation; 10],
    can_edit: bool,
    errors: Vec<FieldError>,
}

impl ShowPage {
    fn new(ctx: &Ctx, h: Household, errors: Vec<FieldError>) -> ShowPage {
        ShowPage {
            c: Chrome::new(ctx, "registry", ctx.tr.s("household.title").to_string()),
            h,
            relations: Relation::ALL,
            can_edit: ctx.p.role.has(Perm::EditRecords),
            errors,
        }
    }
}

/// 户
async fn show_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let h = store::get(state.db(), &Seer::of(&ctx), id).await?;
    Ok(render(&ShowPage::new(&ctx, h, Vec::new())))
}

#[derive(serde::Deserialize)]
struct CreateForm {
    head: i64,
}

/// 建户: the person becomes the head.
async fn create_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Form(f): Form<CreateForm>,
) -> AppResult<Response> {
    let h = service::create(&state, &ctx, f.head).await?;
    Ok(see_other(&format!("/registry/households/{}", h.id)))
}

#[derive(serde::Deserialize)]
struct AddForm {
    person: String,
    relation: String,
}

async fn redisplay(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    result: AppResult<Household>,
) -> AppResult<Response> {
    match result {
        Ok(h) => Ok(see_other(&format!("/registry/households/{}", h.id))),
        Err(AppError::Invalid(errors)) => {
            let h = store::get(state.db(), &Seer::of(ctx), id).await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ShowPage::new(ctx, h, errors),
            ))
        }
        Err(AppError::Conflict(k)) => {
            let h = store::get(state.db(), &Seer::of(ctx), id).await?;
            Ok(render_with(
                StatusCode::CONFLICT,
                &ShowPage::new(ctx, h, vec![FieldError::new("unit_code", k)]),
            ))
        }
        Err(e) => Err(e),
    }
}

/// 添加成员
async fn add_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(f): Form<AddForm>,
) -> AppResult<Response> {
    let result = service::add_member(&state, &ctx, id, &f.person, &f.relation).await;
    redisplay(&state, &ctx, id, result).await
}

/// 移出成员
async fn leave_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path((id, person)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let result = service::remove_member(&state, &ctx, id, person).await;
    redisplay(&state, &ctx, id, result).await
}

#[derive(serde::Deserialize)]
struct MoveForm {
    unit_code: String,
    version: Option<i64>,
}

/// 迁移
async fn move_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let result = service::relocate(&state, &ctx, id, &f.unit_code, f.version).await;
    redisplay(&state, &ctx, id, result).await
}
