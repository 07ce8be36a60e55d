//! Pages of the org tree: browse, find, a unit's page, edit its federation body, add a
//! non-territorial unit.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{level_key, BodyChange, OrgUnit, UnitKind};
use super::store::{self, BodyInput, LevelCount};
use crate::audit::{self, Entry};
use crate::auth::roles::need;
use crate::auth::{Can, Ctx, Perm};
use crate::error::{AppError, AppResult, AtField, FieldError};
use crate::state::AppState;
use crate::web::page::{render, render_with, see_other, Chrome, Paging};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org", get(browse_root))
        .route("/org/search", get(search_page))
        .route("/org/{code}", get(unit_page))
        .route("/org/{code}/edit", get(edit_page).post(edit_submit))
        .route("/org/{code}/new", get(new_page).post(new_submit))
}

const CHILDREN_PER_PAGE: i64 = 100;

/// Applies a body change with its audit entry (shared by page and API).
pub async fn save_body(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    input: &BodyInput,
) -> AppResult<OrgUnit> {
    ctx.require(Perm::EditOrg)?;
    let before = store::get(state.db(), &ctx.scope, code).await?;
    let change = BodyChange::parse(input, !before.is_territorial()).map_err(AppError::Invalid)?;
    let mut tx = state.db().begin_write().await?;
    store::update_body(&mut tx, &before, &change).await?;
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "org.update", &before.code, &before.code).detail(
            serde_json::json!({
                "before": {"name": before.name, "chair": before.chair, "vice_chairs": before.vice_chairs,
                           "phone": before.phone, "address": before.address,
                           "term_start": before.term_start, "term_end": before.term_end},
                "after": {"name": change.name, "chair": change.chair, "vice_chairs": change.vice_chairs,
                          "phone": change.phone, "address": change.address,
                          "term_start": change.term_start, "term_end": change.term_end},
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    state.counts.clear();
    store::get(state.db(), &ctx.scope, code).await
}

/// Input for a new non-territorial unit.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUnitInput {
    #[schema(pattern = r"^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub parent: String,
    /// agency | two_new | migrant | enterprise
    #[schema(pattern = r"^(agency|two_new|migrant|enterprise)$")]
    pub kind: String,
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
}

/// Creates a non-territorial unit with its audit entry (shared by page and API).
pub async fn create_unit(state: &AppState, ctx: &Ctx, input: &NewUnitInput) -> AppResult<OrgUnit> {
    ctx.require(Perm::EditOrg)?;
    let parent = store::get(state.db(), &ctx.scope, input.parent.trim())
        .await
        .at_field("parent")?;
    let mut errs = Vec::new();
    if !parent.is_territorial() {
        errs.push(FieldError::new("parent", "org.parent_not_territorial"));
    }
    let kind = UnitKind::parse(&input.kind).filter(|k| *k != UnitKind::Territorial);
    if kind.is_none() {
        errs.push(FieldError::new("kind", "org.kind_invalid"));
    }
    let name = crate::text::clean_text(&input.name);
    if name.is_empty() {
        errs.push(FieldError::new("name", "field.required"));
    } else if name.chars().count() > 60 {
        errs.push(FieldError::new("name", "field.too_long"));
    }
    let (Some(kind), true) = (kind, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let mut tx = state.db().begin_write().await?;
    let unit = store::create_child(&mut tx, &parent, kind, &name).await?;
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "org.create", &unit.code, &unit.code).detail(
            serde_json::json!({"name": unit.name, "kind": kind.as_str(), "parent": parent.code}),
        ),
    )
    .await?;
    tx.commit().await?;
    state.counts.clear();
    Ok(unit)
}

/// The label of a count row: a level for territorial units, a kind for the others.
pub fn count_label(c: &LevelCount) -> &'static str {
    if c.kind == UnitKind::Territorial {
        level_key(c.level)
    } else {
        c.kind.label_key()
    }
}

#[derive(Template)]
#[template(path = "org/unit.html")]
struct UnitPage {
    c: Chrome,
    unit: OrgUnit,
    trail: Vec<OrgUnit>,
    counts: Vec<(&'static str, i64)>,
    children: Vec<OrgUnit>,
    total_children: i64,
    page: i64,
    pages: i64,
    can_edit: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

/// 组织: the account's own unit.
async fn browse_root(ctx: Ctx) -> AppResult<Response> {
    ctx.require(Perm::ViewOrg)?;
    Ok(see_other(&format!("/org/{}", ctx.scope.unit())))
}

/// 单位页
async fn unit_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let db = state.db();
    let unit = store::get(db, &ctx.scope, &code).await?;
    let paging = Paging::new(q.page, CHILDREN_PER_PAGE);
    let total_children = store::count_children(db, &ctx.scope, &code).await?;
    let children = store::children(db, &ctx.scope, &code, paging.size, paging.offset()).await?;
    let counts = store::subtree_counts(db, &state.counts, &code).await?;
    let trail = store::ancestors(db, &ctx.scope, &code).await?;
    let page = UnitPage {
        c: Chrome::new(&ctx, "org", unit.name.clone()),
        counts: counts.iter().map(|c| (count_label(c), c.count)).collect(),
        trail,
        children,
        total_children,
        page: paging.page,
        pages: (total_children + CHILDREN_PER_PAGE - 1) / CHILDREN_PER_PAGE,
        can_edit: ctx.p.role.has(Perm::EditOrg),
        unit,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "org/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    results: Vec<OrgUnit>,
    page: i64,
    more: bool,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    page: Option<i64>,
}

/// 查找单位: by part of the name (two characters are enough) or a code prefix.
async fn search_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<SearchQuery>,
) -> AppResult<Response> {
    let text = q.q.unwrap_or_default();
    let paging = Paging::new(q.page, 50);
    let mut results = store::search(
        state.db(),
        &ctx.scope,
        &text,
        paging.size + 1,
        paging.offset(),
    )
    .await?;
    let more = results.len() as i64 > paging.size;
    results.truncate(paging.size as usize);
    let page = SearchPage {
        c: Chrome::new(&ctx, "org", ctx.tr.s("org.search_title").to_string()),
        q: text,
        results,
        page: paging.page,
        more,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "org/edit.html")]
struct EditPage {
    c: Chrome,
    unit: OrgUnit,
    form: BodyInput,
    errors: Vec<FieldError>,
}

/// 编辑单位信息
async fn edit_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let unit = store::get(state.db(), &ctx.scope, &code).await?;
    let form = BodyInput {
        name: Some(unit.name.clone()),
        chair: Some(unit.chair.clone()),
        vice_chairs: Some(unit.vice_chairs.clone()),
        phone: Some(unit.phone.clone()),
        address: Some(unit.address.clone()),
        term_start: unit.term_start.clone(),
        term_end: unit.term_end.clone(),
    };
    let page = EditPage {
        c: Chrome::new(&ctx, "org", unit.name.clone()),
        unit,
        form,
        errors: Vec::new(),
    };
    Ok(render(&page))
}

/// 保存单位信息
async fn edit_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Path(code): Path<String>,
    Form(form): Form<BodyInput>,
) -> AppResult<Response> {
    match save_body(&state, &ctx, &code, &form).await {
        Ok(unit) => Ok(see_other(&format!("/org/{}", unit.code))),
        Err(AppError::Invalid(errors)) => {
            let unit = store::get(state.db(), &ctx.scope, &code).await?;
            let page = EditPage {
                c: Chrome::new(&ctx, "org", unit.name.clone()),
                unit,
                form,
                errors,
            };
            Ok(render_with(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "org/new.html")]
struct NewPage {
    c: Chrome,
    parent: OrgUnit,
    kinds: Vec<UnitKind>,
    kind: String,
    name: String,
    errors: Vec<FieldError>,
}

/// 新建非区划单位
async fn new_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let parent = store::get(state.db(), &ctx.scope, &code).await?;
    let page = NewPage {
        c: Chrome::new(&ctx, "org", ctx.tr.s("org.new_title").to_string()),
        parent,
        kinds: UnitKind::NON_TERRITORIAL.to_vec(),
        kind: String::new(),
        name: String::new(),
        errors: Vec::new(),
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
struct NewForm {
    kind: String,
    name: String,
}

/// 创建非区划单位
async fn new_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Path(code): Path<String>,
    Form(form): Form<NewForm>,
) -> AppResult<Response> {
    let input = NewUnitInput {
        parent: code.clone(),
        kind: form.kind.clone(),
        name: form.name.clone(),
    };
    match create_unit(&state, &ctx, &input).await {
        Ok(unit) => Ok(see_other(&format!("/org/{}", unit.code))),
        Err(AppError::Invalid(errors)) => {
            let parent = store::get(state.db(), &ctx.scope, &code).await?;
            let page = NewPage {
                c: Chrome::new(&ctx, "org", ctx.tr.s("org.new_title").to_string()),
                parent,
                kinds: UnitKind::NON_TERRITORIAL.to_vec(),
                kind: form.kind,
                name: form.name,
                errors,
            };
            Ok(render_with(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            ))
        }
        Err(e) => Err(e),
    }
}
