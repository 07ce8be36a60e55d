//! Household pages: a household with its members and moves; create, add, remove, move.

use crate::access::Seer;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome, SavedQuery, Suggestion};
use kernel::web::pick::{UnitField, UnitFilterField, UnitInputs};

use crate::pick::PersonPick;

use super::service;
use super::store::{self, Household};
use super::Relation;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/households", get(list_page).post(create_submit))
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
    /// What was typed into the member field, given back with the people it could mean.
    person: String,
    choices: Vec<Suggestion>,
    /// The relation a new member is proposed with: not 户主 when the household has one.
    relation: Relation,
    unit: UnitField,
}

impl ShowPage {
    fn new(ctx: &Ctx, h: Household, errors: Vec<FieldError>) -> ShowPage {
        let relation = if h.members.iter().any(|m| m.relation == Relation::Head) {
            Relation::Spouse
        } else {
            Relation::Head
        };
        ShowPage {
            c: Chrome::new(ctx, "registry", ctx.tr.s("household.title").to_string()),
            relations: Relation::ALL,
            can_edit: ctx.p.role.has(Perm::EditRecords),
            errors,
            person: String::new(),
            choices: Vec::new(),
            relation,
            unit: UnitField::typed(ctx, "unit_code", "household.move_to", "", None),
            h,
        }
    }
}

impl ShowPage {
    fn remove_confirm(&self, name: &str) -> String {
        self.c.tr.f("household.remove_confirm", &[("name", &name)])
    }
}

/// 户
async fn show_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
    Query(saved): Query<SavedQuery>,
) -> AppResult<Response> {
    let h = store::get(state.db(), &Seer::of(&ctx), id).await?;
    let mut page = ShowPage::new(&ctx, h, Vec::new());
    page.c.notice = match saved.saved.as_deref() {
        Some("join") => Some(ctx.tr.s("household.saved_join").to_string()),
        Some("leave") => Some(ctx.tr.s("household.saved_leave").to_string()),
        Some("move") => Some(
            ctx.tr
                .f("household.saved_move", &[("unit", &page.h.unit_name)]),
        ),
        Some("create") => Some(ctx.tr.s("household.saved_create").to_string()),
        _ => None,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "registry/households.html")]
struct ListPage {
    c: Chrome,
    unit: UnitFilterField,
    unit_code: Option<String>,
    rows: Vec<store::Listed>,
    total: i64,
    page: i64,
    more: bool,
}

impl ListPage {
    fn total_text(&self) -> String {
        self.c
            .tr
            .f("common.total_households", &[("n", &self.total)])
    }

    fn link(&self, page: i64) -> String {
        let q = kernel::web::page::query_string(&[("unit", self.unit_code.as_deref())]);
        format!("/registry/households?{q}&page={page}")
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    unit: Option<String>,
    page: Option<i64>,
}

/// 户列表: a village's households, each with its head and how many live in it.
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let paging = kernel::web::page::Paging::new(q.page, 50);
    let unit = kernel::org::pick::filter(state.db(), &ctx.scope, q.unit.as_deref()).await?;
    let unit_code = unit.code().map(str::to_string);
    let (mut rows, total) = store::list(
        state.db(),
        &Seer::of(&ctx),
        unit_code.as_deref(),
        paging.size + 1,
        paging.offset(),
    )
    .await?;
    let more = rows.len() as i64 > paging.size;
    rows.truncate(paging.size as usize);
    let unit = UnitFilterField::new(ctx.tr, unit, |code| {
        format!("/registry/households?unit={code}")
    });
    Ok(render(&ListPage {
        c: Chrome::new(
            &ctx,
            "registry",
            ctx.tr.s("household.list_title").to_string(),
        ),
        unit,
        unit_code,
        rows,
        total,
        page: paging.page,
        more,
    }))
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
    Ok(see_other(&format!(
        "/registry/households/{}?saved=create",
        h.id
    )))
}

#[derive(serde::Deserialize)]
struct AddForm {
    person: String,
    relation: String,
}

/// What a failed form of the page gives back: the member typed, the unit typed.
#[derive(Default)]
struct Typed {
    person: String,
    unit: String,
}

async fn redisplay(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    result: AppResult<Household>,
    saved: &str,
    typed: Typed,
) -> AppResult<Response> {
    match result {
        Ok(h) => Ok(see_other(&format!(
            "/registry/households/{}?saved={saved}",
            h.id
        ))),
        Err(AppError::Invalid(mut errors)) => {
            let h = store::get(state.db(), &Seer::of(ctx), id).await?;
            let mut page = ShowPage::new(ctx, h, Vec::new());
            if !typed.person.is_empty() {
                if let PersonPick::Refused(_, c) =
                    crate::pick::resolve(state, ctx, &typed.person).await?
                {
                    page.choices = c.iter().map(|p| p.suggestion(ctx.tr)).collect();
                }
            }
            if !typed.unit.is_empty() {
                let units = UnitInputs::read(
                    state.db(),
                    ctx,
                    &mut [("unit_code", &mut typed.unit.clone(), true)],
                )
                .await?;
                units.merge(&mut errors);
                page.unit = units.field(ctx, "unit_code", "household.move_to", &errors);
            }
            page.person = typed.person;
            page.errors = errors;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
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
    let typed = Typed {
        person: f.person,
        ..Typed::default()
    };
    redisplay(&state, &ctx, id, result, "join", typed).await
}

/// 移出成员
async fn leave_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path((id, person)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let result = service::remove_member(&state, &ctx, id, person).await;
    redisplay(&state, &ctx, id, result, "leave", Typed::default()).await
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
    let mut code = f.unit_code.clone();
    let units = UnitInputs::read(state.db(), &ctx, &mut [("unit_code", &mut code, true)]).await?;
    let result = if units.ok() {
        service::relocate(&state, &ctx, id, &code, f.version).await
    } else {
        Err(AppError::Invalid(Vec::new()))
    };
    let typed = Typed {
        unit: f.unit_code,
        ..Typed::default()
    };
    redisplay(&state, &ctx, id, result, "move", typed).await
}
