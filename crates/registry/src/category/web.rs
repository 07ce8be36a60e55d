//! Category pages: the categories with their counts, a category's members, a new
//! category, and adding, changing or ending a person's membership.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx, Perm};
use kernel::error::{field_error, AppError, AppResult, FieldError};
use kernel::state::AppState;
use kernel::web::page::{query_string, render, render_with, see_other, Chrome, Paging};
use kernel::web::pick::UnitFilterField;

use super::model::{show_value, Category, CategoryInput};
use super::service::{self, AssignInput, ChangeInput};
use super::store::{self, MemberFilter, Membership};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/categories", get(list_page))
        .route("/registry/categories/new", get(new_page).post(new_submit))
        .route("/registry/categories/{code}", get(members_page))
        .route(
            "/registry/persons/{id}/categories",
            get(assign_page).post(assign_submit),
        )
        .route("/registry/memberships/{id}", post(change_submit))
}

#[derive(Template)]
#[template(path = "registry/categories.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<(Category, i64)>,
    can_define: bool,
}

/// 重点人群
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
) -> AppResult<Response> {
    let counts: HashMap<String, i64> = store::counts(state.db(), &ctx.scope)
        .await?
        .into_iter()
        .collect();
    let rows = store::list(state.db())
        .await?
        .into_iter()
        .map(|c| {
            let n = counts.get(&c.code).copied().unwrap_or(0);
            (c, n)
        })
        .collect();
    Ok(render(&ListPage {
        c: Chrome::new(
            &ctx,
            "registry",
            ctx.tr.s("category.list_title").to_string(),
        ),
        rows,
        can_define: ctx.p.role.has(Perm::ManageSystem),
    }))
}

#[derive(Template)]
#[template(path = "registry/members.html")]
struct MembersPage {
    c: Chrome,
    cat: Category,
    f: MemberFilter,
    unit: UnitFilterField,
    /// How many members the filter keeps, over every page.
    total: i64,
    rows: Vec<Membership>,
    page: i64,
    more: bool,
}

impl MembersPage {
    fn attr(&self, m: &Membership, key: &str) -> String {
        m.attrs.get(key).map(show_value).unwrap_or_default()
    }

    fn link(&self, page: i64) -> String {
        format!("{}&page={page}", members_link(&self.cat.code, &self.f))
    }

    fn total_text(&self) -> String {
        self.c.tr.f("common.total_persons", &[("n", &self.total)])
    }
}

fn members_link(code: &str, f: &MemberFilter) -> String {
    let q = query_string(&[
        ("unit", f.unit.as_deref()),
        ("status", f.status.as_deref()),
        ("q", f.q.as_deref()),
    ]);
    format!("/registry/categories/{code}?{q}")
}

/// 某类人群名单
async fn members_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(code): Path<String>,
    Query(mut f): Query<MemberFilter>,
) -> AppResult<Response> {
    let cat = store::get(state.db(), &code).await?;
    let unit = kernel::org::pick::filter(state.db(), &ctx.scope, f.unit.as_deref()).await?;
    f.unit = unit.code().map(str::to_string);
    let unit = UnitFilterField::new(ctx.tr, unit, |u| {
        members_link(
            &code,
            &MemberFilter {
                unit: Some(u.to_string()),
                ..f.clone()
            },
        )
    });
    let paging = Paging::new(f.page, 50);
    let mut rows = store::members(
        state.db(),
        &crate::access::Seer::of(&ctx),
        &code,
        &f,
        paging.size + 1,
        paging.offset(),
    )
    .await?;
    let more = rows.len() as i64 > paging.size;
    rows.truncate(paging.size as usize);
    let total = if paging.page == 1 && !more {
        rows.len() as i64
    } else {
        store::count_members(state.db(), &crate::access::Seer::of(&ctx), &code, &f).await?
    };
    Ok(render(&MembersPage {
        total,
        c: Chrome::new(&ctx, "registry", cat.name(&ctx.tr).to_string()),
        cat,
        f,
        unit,
        rows,
        page: paging.page,
        more,
    }))
}

#[derive(Template)]
#[template(path = "registry/category_new.html")]
struct NewPage {
    c: Chrome,
    form: CategoryInput,
    errors: Vec<FieldError>,
}

impl NewPage {
    fn line_errors(&self) -> Vec<(String, &'static str)> {
        self.errors
            .iter()
            .filter_map(|e| {
                e.field
                    .strip_prefix("fields.")
                    .map(|n| (n.to_string(), e.key))
            })
            .collect()
    }
}

/// 新增人群类别 (administrators)
async fn new_page(Can(ctx, ..): Can<need::ManageSystem>) -> AppResult<Response> {
    Ok(render(&NewPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("category.new_title").to_string()),
        form: CategoryInput::default(),
        errors: Vec::new(),
    }))
}

async fn new_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageSystem>,
    Form(form): Form<CategoryInput>,
) -> AppResult<Response> {
    match service::create_category(&state, &ctx, &form).await {
        Ok(c) => Ok(see_other(&format!("/registry/categories/{}", c.code))),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPage {
                c: Chrome::new(&ctx, "registry", ctx.tr.s("category.new_title").to_string()),
                form,
                errors,
            },
        )),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "registry/assign.html")]
struct AssignPage {
    c: Chrome,
    person_id: i64,
    person_name: String,
    categories: Vec<Category>,
    chosen: Option<Category>,
    values: HashMap<String, String>,
    start_date: String,
    errors: Vec<FieldError>,
}

impl AssignPage {
    fn value(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    fn attr_err(&self, key: &str) -> Option<&'static str> {
        field_error(&self.errors, &format!("attr.{key}"))
    }
}

#[derive(serde::Deserialize)]
struct ChooseQuery {
    category: Option<String>,
}

async fn assign_view(
    state: &AppState,
    ctx: &Ctx,
    person_id: i64,
    chosen: Option<&str>,
    values: HashMap<String, String>,
    start_date: String,
    errors: Vec<FieldError>,
) -> AppResult<AssignPage> {
    let person = crate::store::get(state.db(), &state.cipher, &ctx.scope, person_id)
        .await?
        .person;
    let person = crate::access::Seer::of(ctx).person(person);
    let categories: Vec<Category> = store::list(state.db())
        .await?
        .into_iter()
        .filter(|c| c.active)
        .collect();
    let chosen = chosen.and_then(|code| categories.iter().find(|c| c.code == code).cloned());
    Ok(AssignPage {
        c: Chrome::new(
            ctx,
            "registry",
            ctx.tr.s("category.assign_title").to_string(),
        ),
        person_id,
        person_name: person.name,
        categories,
        chosen,
        values,
        start_date,
        errors,
    })
}

/// 添加人群类别: choose the category, then fill its fields.
async fn assign_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Query(q): Query<ChooseQuery>,
) -> AppResult<Response> {
    let page = assign_view(
        &state,
        &ctx,
        id,
        q.category.as_deref(),
        HashMap::new(),
        String::new(),
        Vec::new(),
    )
    .await?;
    Ok(render(&page))
}

/// Splits a form into the membership's own fields and its `attr.*` attributes.
fn split_form(form: HashMap<String, String>) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut own = HashMap::new();
    let mut attrs = HashMap::new();
    for (k, v) in form {
        match k.strip_prefix("attr.") {
            Some(a) => {
                attrs.insert(a.to_string(), v);
            }
            None => {
                own.insert(k, v);
            }
        }
    }
    (own, attrs)
}

async fn assign_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let (own, attrs) = split_form(form);
    let get = |k: &str| own.get(k).cloned().unwrap_or_default();
    let input = AssignInput {
        category: get("category"),
        start_date: get("start_date"),
        attrs,
        note: get("note"),
    };
    match service::assign(&state, &ctx, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/registry/persons/{id}"))),
        Err(AppError::Invalid(errors)) => {
            let page = assign_view(
                &state,
                &ctx,
                id,
                Some(&input.category),
                input.attrs,
                input.start_date,
                errors,
            )
            .await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e),
    }
}

/// 更新/结束/恢复 a membership, from the person's page.
async fn change_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let (own, attrs) = split_form(form);
    let get = |k: &str| own.get(k).cloned().unwrap_or_default();
    let input = ChangeInput {
        action: get("action"),
        attrs,
        end_date: get("end_date"),
        note: get("note"),
        version: get("version").parse().ok(),
    };
    let m = service::change(&state, &ctx, id, &input).await?;
    Ok(see_other(&format!("/registry/persons/{}", m.person_id)))
}
