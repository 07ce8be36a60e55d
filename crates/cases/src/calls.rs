//! The hotline's call log (12338): a call is written down in a few fields; one that needs
//! follow-up becomes a case in one step, the caller its complainant.

use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::db::{now_ms, Db};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::scope::Scope;
use kernel::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::service::{self, flexible_bool, IntakeInput, PartyInput};

/// A call as typed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CallInput {
    /// YYYY-MM-DD, empty is today
    #[serde(default)]
    pub call_date: String,
    /// The caller's name as given (may be empty: anonymous)
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub phone: String,
    /// A case type code
    #[serde(rename = "type")]
    pub type_code: String,
    pub summary: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub needs_follow_up: bool,
    /// Register the case at once (for a call that needs follow-up)
    #[serde(default, deserialize_with = "flexible_bool")]
    pub open_case: bool,
}

/// A logged call.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Call {
    pub id: i64,
    pub unit_code: String,
    pub call_date: String,
    pub caller_name: String,
    /// Masked
    pub phone: Option<String>,
    pub type_code: String,
    pub summary: String,
    pub needs_follow_up: bool,
    pub case_id: Option<i64>,
    pub actor: String,
}

/// What logging a call did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Logged {
    pub call: i64,
    pub case: Option<i64>,
}

/// Logs a call, and registers its case when asked.
pub async fn log(state: &AppState, ctx: &Ctx, input: &CallInput) -> AppResult<Logged> {
    ctx.require(Perm::HandleCases)?;
    let db = state.db();
    let mut errs = Vec::new();
    let date = kernel::time::past_or_today(&input.call_date)
        .map_err(|k| errs.push(FieldError::new("call_date", k)))
        .unwrap_or_default();
    let caller = kernel::text::clean_text(&input.caller_name);
    if !caller.is_empty() {
        if let Err(k) = registry::person::clean_name(&caller) {
            errs.push(FieldError::new("caller_name", k));
        }
    }
    let phone = match input.phone.trim() {
        "" => None,
        p => kernel::phone::parse(p)
            .map_err(|k| errs.push(FieldError::new("phone", k)))
            .ok(),
    };
    let types = crate::store::types(db, false).await?;
    if !types
        .iter()
        .any(|t| t.active && t.code == input.type_code.trim())
    {
        errs.push(FieldError::new("type", "case.type_invalid"));
    }
    let summary = input.summary.trim().to_string();
    if summary.is_empty() {
        errs.push(FieldError::new("summary", "field.required"));
    } else if summary.chars().count() > 5000 {
        errs.push(FieldError::new("summary", "field.too_long"));
    }
    if input.open_case && caller.is_empty() {
        errs.push(FieldError::new("caller_name", "case.caller_needed"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let unit = ctx.p.unit_code.clone();
    let mut tx = kernel::audit::begin(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hotline_calls (county_code, unit_code, call_date, caller_name, phone_enc, phone_hash, \
         type_code, summary, needs_follow_up, actor_id, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(kernel::org::model::county_of(&unit))
    .bind(&unit)
    .bind(&date)
    .bind(&caller)
    .bind(phone.as_deref().map(|p| state.cipher.encrypt(p)))
    .bind(phone.as_deref().map(|p| state.cipher.index("phone", p)))
    .bind(input.type_code.trim())
    .bind(state.cipher.encrypt(&summary))
    .bind((input.needs_follow_up || input.open_case) as i64)
    .bind(ctx.p.user_id)
    .bind(&ctx.p.username)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "call.create", &unit, &format!("call:{id}"))
            .detail(serde_json::json!({"type": input.type_code.trim(), "follow_up": input.needs_follow_up || input.open_case})),
    )
    .await?;
    tx.commit().await?;
    let case = if input.open_case {
        Some(to_case(state, ctx, id).await?)
    } else {
        None
    };
    Ok(Logged { call: id, case })
}

/// Registers the case of a call that needs follow-up: channel hotline, the call's type and
/// summary, the caller as complainant.
pub async fn to_case(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<i64> {
    let c = get(state, &ctx.scope, id).await?;
    if c.case_id.is_some() {
        return Err(AppError::Conflict("call.has_case"));
    }
    if c.caller_name.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "caller_name",
            "case.caller_needed",
        )]));
    }
    let input = IntakeInput {
        channel: "hotline".into(),
        type_code: c.type_code.clone(),
        received_date: c.call_date.clone(),
        unit_code: c.unit_code.clone(),
        summary: c.summary.clone(),
        parties: vec![PartyInput {
            role: "complainant".into(),
            name: c.caller_name.clone(),
            ..PartyInput::default()
        }],
        call_id: Some(id),
        ..IntakeInput::default()
    };
    service::intake(state, ctx, &input).await
}

const COLUMNS: &str = "id, unit_code, call_date, caller_name, phone_enc, type_code, summary, \
    needs_follow_up, case_id, actor";

fn call(r: &sqlx::any::AnyRow, state: &AppState) -> Call {
    let dec = |v: Option<String>| v.and_then(|e| state.cipher.decrypt(&e));
    Call {
        id: r.get(0),
        unit_code: r.get(1),
        call_date: r.get(2),
        caller_name: r.get(3),
        phone: dec(r.get(4)).map(|p| kernel::idcard::mask_phone(&p)),
        type_code: r.get(5),
        summary: dec(r.get(6)).unwrap_or_default(),
        needs_follow_up: r.get::<i64, _>(7) != 0,
        case_id: r.get(8),
        actor: r.get(9),
    }
}

pub async fn get(state: &AppState, scope: &Scope, id: i64) -> AppResult<Call> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hotline_calls WHERE id = $1 AND unit_code >= $2 AND unit_code < $3"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(state.db().pool())
    .await?;
    row.map(|r| call(&r, state)).ok_or(AppError::NotFound)
}

/// Calls of the scope, newest first; `pending` keeps those awaiting their case.
pub async fn list(
    state: &AppState,
    scope: &Scope,
    pending: bool,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Call>> {
    let db: &Db = state.db();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hotline_calls WHERE unit_code >= $1 AND unit_code < $2 \
         AND ($3 = 0 OR (needs_follow_up = 1 AND case_id IS NULL)) \
         ORDER BY call_date DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(pending as i64)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| call(r, state)).collect())
}
