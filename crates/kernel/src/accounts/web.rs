//! Account pages: the managers' list, create and edit; everyone's own password and API
//! tokens.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Account, AccountChange, ListFilter, NewAccount};
use crate::audit::{self, Entry};
use crate::auth::roles::need;
use crate::auth::{tokens, Can, Ctx, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::web::page::{render, render_with, see_other, Chrome, Paging};
use crate::web::pick::{UnitField, UnitFilterField, UnitInputs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list_page))
        .route("/accounts/new", get(new_page).post(new_submit))
        .route("/accounts/{id}", get(detail_page).post(detail_submit))
        .route(
            "/account/password",
            get(password_page).post(password_submit),
        )
        .route("/account/tokens", get(tokens_page).post(token_create))
        .route("/account/tokens/{id}/revoke", post(token_revoke))
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    c: Chrome,
    accounts: Vec<Account>,
    q: String,
    unit: UnitFilterField,
    unit_code: String,
    /// How many accounts the filter keeps, over every page.
    total: i64,
    page: i64,
    more: bool,
}

impl ListPage {
    fn total_text(&self) -> String {
        self.c.tr.f("common.total_accounts", &[("n", &self.total)])
    }
}

/// 账号管理
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Query(mut f): Query<ListFilter>,
) -> AppResult<Response> {
    let paging = Paging::new(f.page, 50);
    let unit = crate::org::pick::filter(state.db(), &ctx.scope, f.unit.as_deref()).await?;
    f.unit = unit.code().map(str::to_string);
    let q = f.q.clone().unwrap_or_default();
    let unit = UnitFilterField::new(ctx.tr, unit, |u| {
        format!(
            "/accounts?{}",
            crate::web::page::query_string(&[("q", Some(q.as_str())), ("unit", Some(u))])
        )
    });
    let mut accounts =
        super::list(state.db(), &ctx.scope, &f, paging.size + 1, paging.offset()).await?;
    let more = accounts.len() as i64 > paging.size;
    accounts.truncate(paging.size as usize);
    let total = if paging.page == 1 && !more {
        accounts.len() as i64
    } else {
        super::count(state.db(), &ctx.scope, &f).await?
    };
    let page = ListPage {
        total,
        c: Chrome::new(&ctx, "accounts", ctx.tr.s("account.list_title").to_string()),
        accounts,
        q: f.q.unwrap_or_default(),
        unit,
        unit_code: f.unit.unwrap_or_default(),
        page: paging.page,
        more,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "accounts/new.html")]
struct NewPage {
    c: Chrome,
    form: NewAccount,
    roles: Vec<Role>,
    errors: Vec<FieldError>,
    created: Option<super::Created>,
    unit: UnitField,
}

#[derive(Deserialize)]
struct UnitQuery {
    unit: Option<String>,
}

/// 新建账号
async fn new_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Query(q): Query<UnitQuery>,
) -> AppResult<Response> {
    let unit = UnitField::showing(
        state.db(),
        &ctx,
        "unit_code",
        "account.unit",
        q.unit.as_deref(),
    )
    .await?;
    let page = NewPage {
        unit,
        c: Chrome::new(&ctx, "accounts", ctx.tr.s("account.new_title").to_string()),
        form: NewAccount {
            unit_code: q.unit.unwrap_or_default(),
            ..NewAccount::default()
        },
        roles: ctx.p.role.grantable(),
        errors: Vec::new(),
        created: None,
    };
    Ok(render(&page))
}

/// 创建账号: shows the initial password once.
async fn new_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Form(form): Form<NewAccount>,
) -> AppResult<Response> {
    let mut coded = form.clone();
    let units = UnitInputs::read(
        state.db(),
        &ctx,
        &mut [("unit_code", &mut coded.unit_code, true)],
    )
    .await?;
    let result = if units.ok() {
        super::create(&state, &ctx, &coded).await
    } else {
        Err(AppError::Invalid(Vec::new()))
    };
    let (mut errors, created, status) = match result {
        Ok(c) => (Vec::new(), Some(c), StatusCode::CREATED),
        Err(AppError::Invalid(e)) => (e, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e),
    };
    units.merge(&mut errors);
    let unit = units.field(&ctx, "unit_code", "account.unit", &errors);
    let page = NewPage {
        unit,
        c: Chrome::new(&ctx, "accounts", ctx.tr.s("account.new_title").to_string()),
        form,
        roles: ctx.p.role.grantable(),
        errors,
        created,
    };
    Ok(render_with(status, &page))
}

#[derive(Template)]
#[template(path = "accounts/detail.html")]
struct DetailPage {
    c: Chrome,
    a: Account,
    roles: Vec<Role>,
    can_manage: bool,
    errors: Vec<FieldError>,
    new_password: Option<String>,
    locked: bool,
    unit: UnitField,
}

async fn detail(
    state: &AppState,
    ctx: &Ctx,
    a: Account,
    errors: Vec<FieldError>,
    new_password: Option<String>,
) -> AppResult<DetailPage> {
    let can_manage = a.id != ctx.p.user_id
        && crate::auth::roles::may_manage(ctx.p.role, &ctx.p.unit_code, a.role, &a.unit_code);
    let mut unit = UnitField::showing(
        state.db(),
        ctx,
        "unit_code",
        "account.unit",
        Some(&a.unit_code),
    )
    .await?;
    unit.error = crate::error::field_error(&errors, "unit_code");
    Ok(DetailPage {
        unit,
        c: Chrome::new(ctx, "accounts", a.display_name.clone()),
        roles: ctx.p.role.grantable(),
        can_manage,
        errors,
        new_password,
        locked: a.locked_until > crate::db::now_ms(),
        a,
    })
}

/// 账号详情
async fn detail_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = super::get(state.db(), &ctx.scope, id).await?;
    Ok(render(&detail(&state, &ctx, a, Vec::new(), None).await?))
}

#[derive(Deserialize)]
struct DetailForm {
    action: String,
    display_name: Option<String>,
    role: Option<String>,
    unit_code: Option<String>,
    phone: Option<String>,
}

/// 修改账号: save, disable, enable, reset password, unlock.
async fn detail_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageAccounts>,
    Path(id): Path<i64>,
    Form(mut f): Form<DetailForm>,
) -> AppResult<Response> {
    let mut unit_errors = Vec::new();
    if let Some(typed) = f.unit_code.as_mut() {
        let p = crate::org::pick::field(state.db(), &ctx.scope, "unit_code", typed, true).await?;
        match (p.code, p.error) {
            (Some(code), _) => *typed = code,
            (_, Some(e)) => unit_errors.push(e),
            _ => {}
        }
    }
    if !unit_errors.is_empty() {
        let a = super::get(state.db(), &ctx.scope, id).await?;
        return Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &detail(&state, &ctx, a, unit_errors, None).await?,
        ));
    }
    let change = match f.action.as_str() {
        "save" => AccountChange {
            display_name: f.display_name,
            role: f.role,
            unit_code: f.unit_code,
            phone: f.phone,
            ..AccountChange::default()
        },
        "disable" => AccountChange {
            disabled: Some(true),
            ..AccountChange::default()
        },
        "enable" => AccountChange {
            disabled: Some(false),
            ..AccountChange::default()
        },
        "reset_password" => AccountChange {
            reset_password: true,
            ..AccountChange::default()
        },
        "unlock" => AccountChange {
            unlock: true,
            ..AccountChange::default()
        },
        _ => return Err(AppError::BadRequest("err.bad_request")),
    };
    match super::update(&state, &ctx, id, &change).await {
        Ok((a, new_password)) => {
            let mut page = detail(&state, &ctx, a, Vec::new(), new_password).await?;
            page.c.notice = Some(ctx.tr.s("account.saved").to_string());
            Ok(render(&page))
        }
        Err(AppError::Invalid(errors)) => {
            let a = super::get(state.db(), &ctx.scope, id).await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &detail(&state, &ctx, a, errors, None).await?,
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    c: Chrome,
    forced: bool,
    errors: Vec<FieldError>,
}

/// 修改密码 (forced at first login).
async fn password_page(ctx: Ctx) -> AppResult<Response> {
    let page = PasswordPage {
        c: Chrome::new(&ctx, "", ctx.tr.s("account.password_title").to_string()),
        forced: ctx.p.must_change_password,
        errors: Vec::new(),
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

async fn password_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    ctx.require_session()?;
    match super::change_own_password(&state, &ctx, &f.current, &f.new, &f.confirm).await {
        Ok(()) => Ok(see_other("/?changed=1")),
        Err(AppError::Invalid(errors)) => {
            let page = PasswordPage {
                c: Chrome::new(&ctx, "", ctx.tr.s("account.password_title").to_string()),
                forced: ctx.p.must_change_password,
                errors,
            };
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "accounts/tokens.html")]
struct TokensPage {
    c: Chrome,
    tokens: Vec<tokens::TokenInfo>,
    secret: Option<String>,
    error: Option<&'static str>,
}

/// API 令牌
async fn tokens_page(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let page = TokensPage {
        c: Chrome::new(&ctx, "", ctx.tr.s("account.tokens_title").to_string()),
        tokens: tokens::list(state.db(), ctx.p.user_id).await?,
        secret: None,
        error: None,
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    days: Option<i64>,
}

async fn token_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    ctx.require_session()?;
    let name = crate::text::clean_text(&f.name);
    let days = f.days.unwrap_or(90);
    if name.is_empty() || name.chars().count() > 40 || !(1..=366).contains(&days) {
        let page = TokensPage {
            c: Chrome::new(&ctx, "", ctx.tr.s("account.tokens_title").to_string()),
            tokens: tokens::list(state.db(), ctx.p.user_id).await?,
            secret: None,
            error: Some("account.token_invalid"),
        };
        return Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let mut tx = state.db().begin_write().await?;
    let (id, secret) = tokens::create(&mut tx, ctx.p.user_id, &name, days).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "token.create",
            &ctx.p.unit_code,
            &ctx.p.username,
        )
        .detail(serde_json::json!({"id": id, "name": name, "days": days})),
    )
    .await?;
    tx.commit().await?;
    let page = TokensPage {
        c: Chrome::new(&ctx, "", ctx.tr.s("account.tokens_title").to_string()),
        tokens: tokens::list(state.db(), ctx.p.user_id).await?,
        secret: Some(secret),
        error: None,
    };
    Ok(render_with(StatusCode::CREATED, &page))
}

async fn token_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = state.db().begin_write().await?;
    if !tokens::revoke(&mut tx, ctx.p.user_id, id).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "token.revoke",
            &ctx.p.unit_code,
            &ctx.p.username,
        )
        .detail(serde_json::json!({"id": id})),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other("/account/tokens"))
}
