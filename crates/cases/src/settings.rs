//! What administrators set for cases: the list of case types (global) and the partner units
//! of a county that cases are referred to.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::audit::{self, Entry};
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome};
use serde::Deserialize;

use crate::service::flexible_bool;
use crate::store::{self, CaseType, Partner};

/// The kinds of partner unit.
pub const PARTNER_KINDS: [&str; 10] = [
    "police",
    "court",
    "procuratorate",
    "justice",
    "civil_affairs",
    "mass_work",
    "legal_aid",
    "health",
    "education",
    "other",
];

pub fn partner_key(kind: &str) -> &'static str {
    match kind {
        "police" => "partner.police",
        "court" => "partner.court",
        "procuratorate" => "partner.procuratorate",
        "justice" => "partner.justice",
        "civil_affairs" => "partner.civil_affairs",
        "mass_work" => "partner.mass_work",
        "legal_aid" => "partner.legal_aid",
        "health" => "partner.health",
        "education" => "partner.education",
        _ => "partner.other",
    }
}

/// A new case type.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TypeInput {
    /// Lower-case letters, digits and `_`
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub restricted: bool,
}

pub async fn add_type(state: &AppState, ctx: &Ctx, input: &TypeInput) -> AppResult<()> {
    ctx.require(Perm::ManageSystem)?;
    let mut errs = Vec::new();
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errs.push(FieldError::new("code", "case.type_code_invalid"));
    }
    let zh = kernel::text::clean_text(&input.name_zh);
    let en = kernel::text::clean_text(&input.name_en);
    for (f, v) in [("name_zh", &zh), ("name_en", &en)] {
        if v.is_empty() {
            errs.push(FieldError::new(f, "field.required"));
        } else if v.chars().count() > 40 {
            errs.push(FieldError::new(f, "field.too_long"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut tx = kernel::audit::begin(state.db()).await?;
    if !store::insert_type(&mut tx, code, &zh, &en, input.restricted).await? {
        return Err(AppError::Invalid(vec![FieldError::new(
            "code",
            "case.type_exists",
        )]));
    }
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "case.type_create", &ctx.p.unit_code, code)
            .detail(serde_json::json!({"name": zh, "restricted": input.restricted})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new partner unit of the account's county.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PartnerInput {
    pub kind: String,
    pub name: String,
}

pub async fn add_partner(state: &AppState, ctx: &Ctx, input: &PartnerInput) -> AppResult<i64> {
    ctx.require(Perm::EditOrg)?;
    let county = kernel::org::model::county_of(&ctx.p.unit_code);
    let mut errs = Vec::new();
    if county.is_empty() {
        errs.push(FieldError::new("name", "case.partner_county_only"));
    }
    if !PARTNER_KINDS.contains(&input.kind.as_str()) {
        errs.push(FieldError::new("kind", "case.partner_kind_invalid"));
    }
    let name = kernel::text::clean_text(&input.name);
    if name.is_empty() {
        errs.push(FieldError::new("name", "field.required"));
    } else if name.chars().count() > 60 {
        errs.push(FieldError::new("name", "field.too_long"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut tx = kernel::audit::begin(state.db()).await?;
    let Some(id) = store::insert_partner(&mut tx, county, &input.kind, &name).await? else {
        return Err(AppError::Invalid(vec![FieldError::new(
            "name",
            "case.partner_exists",
        )]));
    };
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "case.partner_create",
            county,
            &format!("partner:{id}"),
        )
        .detail(serde_json::json!({"kind": input.kind, "name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/settings", get(page))
        .route("/cases/settings/types", post(type_submit))
        .route("/cases/settings/partners", post(partner_submit))
}

#[derive(Template)]
#[template(path = "cases/settings.html")]
struct SettingsPage {
    c: Chrome,
    types: Vec<CaseType>,
    partners: Vec<Partner>,
    kinds: [&'static str; 10],
    can_types: bool,
    can_partners: bool,
    errors: Vec<FieldError>,
}

impl SettingsPage {
    fn partner_key(&self, kind: &str) -> &'static str {
        partner_key(kind)
    }
}

async fn view(state: &AppState, ctx: &Ctx, errors: Vec<FieldError>) -> AppResult<SettingsPage> {
    Ok(SettingsPage {
        c: Chrome::new(ctx, "cases", ctx.tr.s("case.settings").to_string()),
        types: store::types(state.db(), crate::service::en(ctx)).await?,
        partners: store::partners(state.db(), kernel::org::model::county_of(&ctx.p.unit_code))
            .await?,
        kinds: PARTNER_KINDS,
        can_types: ctx.p.role.has(Perm::ManageSystem),
        can_partners: ctx.p.role.has(Perm::EditOrg),
        errors,
    })
}

/// 案件类型与协作单位
async fn page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
) -> AppResult<Response> {
    Ok(render(&view(&state, &ctx, Vec::new()).await?))
}

async fn after(state: &AppState, ctx: &Ctx, r: AppResult<()>) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(see_other("/cases/settings")),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &view(state, ctx, errors).await?,
        )),
        Err(e) => Err(e),
    }
}

async fn type_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ManageSystem>,
    Form(f): Form<TypeInput>,
) -> AppResult<Response> {
    let r = add_type(&state, &ctx, &f).await;
    after(&state, &ctx, r).await
}

async fn partner_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditOrg>,
    Form(f): Form<PartnerInput>,
) -> AppResult<Response> {
    let r = add_partner(&state, &ctx, &f).await.map(|_| ());
    after(&state, &ctx, r).await
}
