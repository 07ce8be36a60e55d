//! The hotline's call log (12338): a call is written down in a few fields; one that needs
//! follow-up becomes a case in one step, the caller its complainant.

use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::db::now_ms;
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::access::Viewer;
use crate::service::{self, flexible_bool, IntakeInput, PartyInput};

/// A call as typed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CallInput {
    /// YYYY-MM-DD, empty is today
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub call_date: String,
    /// The caller's name as given (may be empty: anonymous)
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub phone: String,
    /// A case type code
    #[serde(rename = "type")]
    #[schema(pattern = r"^[a-z][a-z0-9_]{0,39}$")]
    pub type_code: String,
    #[schema(min_length = 1, max_length = 5000)]
    pub summary: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub needs_follow_up: bool,
    /// Register the case at once (for a call that needs follow-up)
    #[serde(default, deserialize_with = "flexible_bool")]
    pub open_case: bool,
    /// Restrict even when the type does not (a minor, a victim in hiding)
    #[serde(default, deserialize_with = "flexible_bool")]
    pub restricted: bool,
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
    /// About domestic violence or a minor (by its type, as asked, or by its case)
    pub restricted: bool,
    /// Whether the reader may see the caller, phone and summary (empty otherwise)
    pub readable: bool,
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
    record(state, ctx, input, ctx.p.unit_code.clone()).await
}

/// The unit a village director's note goes to: her township (where the chair and the
/// rights officers who follow it up sit); a unit above a village keeps its own notes.
pub fn note_unit(own: &str) -> String {
    match (own.len(), kernel::org::model::territorial_parent(own)) {
        (12, Some(parent)) => parent.to_string(),
        _ => own.to_string(),
    }
}

/// A village director passes on what a woman told her, even where she may not register
/// cases: it reaches her township's call log as a call that needs follow-up.
pub async fn pass_on(state: &AppState, ctx: &Ctx, input: &CallInput) -> AppResult<Logged> {
    ctx.require(Perm::EditRecords)?;
    let input = CallInput {
        needs_follow_up: true,
        open_case: false,
        ..input.clone()
    };
    record(state, ctx, &input, note_unit(&ctx.p.unit_code)).await
}

async fn record(state: &AppState, ctx: &Ctx, input: &CallInput, unit: String) -> AppResult<Logged> {
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
    let kind = types
        .iter()
        .find(|t| t.active && t.code == input.type_code.trim());
    if kind.is_none() {
        errs.push(FieldError::new("type", "case.type_invalid"));
    }
    let restricted = input.restricted || kind.is_some_and(|k| k.restricted);
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
    let mut tx = kernel::audit::begin(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hotline_calls (county_code, unit_code, call_date, caller_name, phone_enc, phone_hash, \
         type_code, summary, needs_follow_up, actor_id, actor, created_at, restricted) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
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
    .bind(restricted as i64)
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
    let c = get(state, ctx, id).await?;
    // Its case would hand the story to whoever registers it.
    if !c.readable {
        return Err(AppError::Forbidden);
    }
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
        restricted: c.restricted,
        ..IntakeInput::default()
    };
    service::intake(state, ctx, &input).await
}

const COLUMNS: &str = "h.id, h.unit_code, h.call_date, h.caller_name, h.phone_enc, h.type_code, \
    h.summary, h.needs_follow_up, h.case_id, \
    COALESCE((SELECT u.display_name FROM users u WHERE u.id = h.actor_id), h.actor), h.restricted";

/// A call as this reader may see it: a restricted call she may not read shows only that it
/// exists, its date and its type.
fn call(r: &sqlx::any::AnyRow, state: &AppState) -> Call {
    let readable = r.get::<i64, _>(11) != 0;
    let dec = |v: Option<String>| v.and_then(|e| state.cipher.decrypt(&e));
    Call {
        id: r.get(0),
        unit_code: r.get(1),
        call_date: r.get(2),
        caller_name: if readable { r.get(3) } else { String::new() },
        phone: if readable {
            dec(r.get(4)).map(|p| kernel::idcard::mask_phone(&p))
        } else {
            None
        },
        type_code: r.get(5),
        summary: if readable {
            dec(r.get(6)).unwrap_or_default()
        } else {
            String::new()
        },
        needs_follow_up: r.get::<i64, _>(7) != 0,
        case_id: r.get(8),
        actor: r.get(9),
        restricted: r.get::<i64, _>(10) != 0,
        readable,
    }
}

/// The calls of the reader's scope that match `cond` (SQL over `h`, numbers inlined),
/// followed by `tail`, as she may see them.
async fn select(state: &AppState, ctx: &Ctx, cond: &str, tail: &str) -> AppResult<Vec<Call>> {
    let mut binds: Vec<String> = vec![ctx.scope.lo().to_string(), ctx.scope.hi().to_string()];
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let readable = Viewer::of(ctx).call_readable_sql(&mut bind);
    let sql = format!(
        "SELECT {COLUMNS}, {readable} FROM hotline_calls h LEFT JOIN cases c ON c.id = h.case_id \
         WHERE h.unit_code >= $1 AND h.unit_code < $2 AND {cond}{tail}"
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(state.db().pool()).await?;
    Ok(rows.iter().map(|r| call(r, state)).collect())
}

/// Writes who read the story of restricted calls (a list shows many at once: one entry).
async fn audit_reads(state: &AppState, ctx: &Ctx, calls: &[Call]) -> AppResult<()> {
    let read: Vec<i64> = calls
        .iter()
        .filter(|c| c.restricted && c.readable)
        .map(|c| c.id)
        .collect();
    if read.is_empty() {
        return Ok(());
    }
    let mut tx = state.db().begin_write().await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "call.view",
            &ctx.p.unit_code,
            &format!("call:{}", read[0]),
        )
        .detail(serde_json::json!({ "calls": read })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One call of the scope, as the reader may see it (not audited: for the services).
async fn get(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<Call> {
    select(state, ctx, &format!("h.id = {id}"), "")
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Calls of the scope, newest first; `pending` keeps those awaiting their case. The
/// restricted ones the reader may read are audited as read.
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    pending: bool,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Call>> {
    let cond = if pending {
        "h.needs_follow_up = 1 AND h.case_id IS NULL"
    } else {
        "1 = 1"
    };
    let tail = format!(" ORDER BY h.call_date DESC, h.id DESC LIMIT {limit} OFFSET {offset}");
    let calls = select(state, ctx, cond, &tail).await?;
    audit_reads(state, ctx, &calls).await?;
    Ok(calls)
}
