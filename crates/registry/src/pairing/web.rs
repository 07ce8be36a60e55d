//! Pairing pages: the list with the over-limit warning, a new pairing from a person's or
//! household's page, the help card with its visits, acceptance and end.

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
use kernel::web::page::{render, render_with, see_other, Chrome, Paging, Suggestion};

use super::service::{self, ConcludeInput, PairingInput, VisitInput};
use super::store::{self, Filter, Pairing, Visit};
use super::HelperKind;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/pairings", get(list_page))
        .route("/registry/pairings/limit", post(limit_submit))
        .route("/registry/pairings/new", get(new_page).post(new_submit))
        .route(
            "/registry/pairings/{id}",
            get(show_page).post(conclude_submit),
        )
        .route("/registry/pairings/{id}/visits", post(visit_submit))
}

#[derive(Template)]
#[template(path = "registry/pairings.html")]
struct ListPage {
    c: Chrome,
    f: Filter,
    rows: Vec<Pairing>,
    over: Vec<(i64, String, i64)>,
    limit: i64,
    can_set_limit: bool,
    page: i64,
    more: bool,
}

/// 结对帮扶
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(f): Query<Filter>,
) -> AppResult<Response> {
    let paging = Paging::new(f.page, 50);
    let mut rows = store::list(
        state.db(),
        &Seer::of(&ctx),
        &f,
        paging.size + 1,
        paging.offset(),
    )
    .await?;
    let more = rows.len() as i64 > paging.size;
    rows.truncate(paging.size as usize);
    let limit = store::limit(state.db()).await?;
    Ok(render(&ListPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("pairing.list_title").to_string()),
        over: store::over_limit(state.db(), &ctx.scope, limit).await?,
        f,
        rows,
        limit,
        can_set_limit: ctx.p.role.has(Perm::ManageSystem),
        page: paging.page,
        more,
    }))
}

#[derive(serde::Deserialize)]
struct LimitForm {
    limit: i64,
}

async fn limit_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageSystem>,
    Form(f): Form<LimitForm>,
) -> AppResult<Response> {
    service::set_limit(&state, &ctx, f.limit).await?;
    Ok(see_other("/registry/pairings"))
}

#[derive(Template)]
#[template(path = "registry/pairing_new.html")]
struct NewPage {
    c: Chrome,
    form: PairingInput,
    kinds: [HelperKind; 4],
    errors: Vec<FieldError>,
    /// The colleagues a helper's name could mean.
    choices: Vec<Suggestion>,
}

impl NewPage {
    fn new(
        ctx: &Ctx,
        form: PairingInput,
        errors: Vec<FieldError>,
        choices: Vec<Suggestion>,
    ) -> NewPage {
        NewPage {
            c: Chrome::new(ctx, "registry", ctx.tr.s("pairing.new_title").to_string()),
            form,
            kinds: HelperKind::ALL,
            errors,
            choices,
        }
    }
}

#[derive(serde::Deserialize)]
struct NewQuery {
    person: Option<i64>,
    household: Option<i64>,
}

/// 新建结对
async fn new_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    // The cadre herself, as the picker shows her, is the helper until she picks another.
    let me = kernel::accounts::pick::by_id(state.db(), &ctx.scope, ctx.p.user_id).await?;
    let form = PairingInput {
        person: q.person,
        household: q.household,
        helper_kind: "account".into(),
        helper: me.map(|a| a.value()).unwrap_or_default(),
        ..PairingInput::default()
    };
    Ok(render(&NewPage::new(&ctx, form, Vec::new(), Vec::new())))
}

async fn new_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Form(form): Form<PairingInput>,
) -> AppResult<Response> {
    match service::create(&state, &ctx, &form).await {
        Ok(c) => {
            let warn = if c.over_limit { "?over_limit=1" } else { "" };
            Ok(see_other(&format!(
                "/registry/pairings/{}{warn}",
                c.pairing.id
            )))
        }
        Err(AppError::Invalid(errors)) => {
            // The colleagues the helper's name could mean, offered under the field.
            let mut choices = Vec::new();
            if form.helper_kind == "account" && errors.iter().any(|e| e.field == "helper") {
                use kernel::accounts::pick::{resolve, AccountPick};
                if let AccountPick::Refused(_, c) =
                    resolve(state.db(), &ctx.scope, &form.helper).await?
                {
                    choices = c.iter().map(|a| a.suggestion()).collect();
                }
            }
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage::new(&ctx, form, errors, choices),
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "registry/pairing.html")]
struct ShowPage {
    c: Chrome,
    g: Pairing,
    visits: Vec<Visit>,
    over_limit: bool,
    can_edit: bool,
    errors: Vec<FieldError>,
}

#[derive(serde::Deserialize)]
struct ShowQuery {
    over_limit: Option<u8>,
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    over_limit: bool,
    errors: Vec<FieldError>,
) -> AppResult<ShowPage> {
    let g = store::get(state.db(), &Seer::of(ctx), id).await?;
    Ok(ShowPage {
        c: Chrome::new(ctx, "registry", ctx.tr.s("pairing.card_title").to_string()),
        visits: store::visits(state.db(), id).await?,
        g,
        over_limit,
        can_edit: ctx.p.role.has(Perm::EditRecords),
        errors,
    })
}

/// 帮扶卡
async fn show_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    Ok(render(
        &show(&state, &ctx, id, q.over_limit.is_some(), Vec::new()).await?,
    ))
}

async fn after(state: &AppState, ctx: &Ctx, id: i64, r: AppResult<Pairing>) -> AppResult<Response> {
    match r {
        Ok(_) => Ok(see_other(&format!("/registry/pairings/{id}"))),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &show(state, ctx, id, false, errors).await?,
        )),
        Err(AppError::Conflict(k)) => Ok(render_with(
            StatusCode::CONFLICT,
            &show(state, ctx, id, false, vec![FieldError::new("version", k)]).await?,
        )),
        Err(e) => Err(e),
    }
}

/// 入户走访/定期检查
async fn visit_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(f): Form<VisitInput>,
) -> AppResult<Response> {
    let r = service::visit(&state, &ctx, id, &f).await;
    after(&state, &ctx, id, r).await
}

/// 年终验收/结束结对
async fn conclude_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(f): Form<ConcludeInput>,
) -> AppResult<Response> {
    let r = service::conclude(&state, &ctx, id, &f).await;
    after(&state, &ctx, id, r).await
}
