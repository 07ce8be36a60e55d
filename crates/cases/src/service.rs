//! What pages and API both do with cases: intake, moves, the danger assessment, grants and
//! broken glass, each checked, written with its timeline entry and audited in one
//! transaction.

use chrono::NaiveDate;
use futures_util::FutureExt;
use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::scope::Scope;
use kernel::state::AppState;
use kernel::time::iso_date;
use registry::person::PersonInput;
use serde::{Deserialize, Deserializer};
use sqlx::Row;

use crate::access::{self, Viewer};
use crate::model::{self, Channel, Move, RiskLevel, State};
use crate::store::{self, Case, NewCase};

/// Accepts a number or a string holding one (forms send strings); empty is none.
pub fn flexible_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Text(String),
        Null,
    }
    Ok(match Option::<N>::deserialize(d)? {
        Some(N::Int(i)) => Some(i),
        Some(N::Text(s)) if s.trim().is_empty() => None,
        Some(N::Text(s)) => Some(
            kernel::text::normalize_digits(s.trim())
                .parse()
                .map_err(|_| serde::de::Error::custom("not a number"))?,
        ),
        Some(N::Null) | None => None,
    })
}

/// A satisfaction score as typed: what is not a whole number (`3.5`, `好`) reads as 0,
/// which the rules refuse with their message at the field instead of a bad request.
fn score_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Float(f64),
        Text(String),
        Null,
    }
    Ok(match Option::<N>::deserialize(d)? {
        Some(N::Int(i)) => Some(i),
        Some(N::Float(f)) if f.fract() == 0.0 && f.abs() < 1e6 => Some(f as i64),
        Some(N::Float(_)) => Some(0),
        Some(N::Text(s)) if s.trim().is_empty() => None,
        Some(N::Text(s)) => Some(
            kernel::text::normalize_digits(s.trim())
                .parse()
                .unwrap_or(0),
        ),
        Some(N::Null) | None => None,
    })
}

/// Accepts `true`/`false`, or what an HTML checkbox sends.
pub fn flexible_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(s) => matches!(s.as_str(), "on" | "1" | "true" | "yes"),
    })
}

fn text(field: &str, raw: &str, required: bool, max: usize, errs: &mut Vec<FieldError>) -> String {
    let v = raw.trim().to_string();
    if required && v.is_empty() {
        errs.push(FieldError::new(field, "field.required"));
    } else if v.chars().count() > max {
        errs.push(FieldError::new(field, "field.too_long"));
    }
    v
}

/// Whether the account reads English (case type names are data in both languages).
pub fn en(ctx: &Ctx) -> bool {
    ctx.tr.code() == "en"
}

/// A typed date, not in the future; empty means today.
fn past_date(field: &str, raw: &str, errs: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match kernel::time::past_or_today(raw) {
        Ok(s) => kernel::time::parse_date(&s),
        Err(k) => {
            errs.push(FieldError::new(field, k));
            None
        }
    }
}

/// A party as typed: a registry person (`person_id`), someone with a resident ID (found in
/// the registry or registered there), or a name only (a respondent, an anonymous caller).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PartyInput {
    /// complainant | victim | respondent | child
    #[schema(pattern = r"^(complainant|victim|respondent|child)$")]
    pub role: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub person_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    /// F or M, for a new registry person without an ID
    #[serde(default)]
    #[schema(pattern = r"^(F|M)?$")]
    pub sex: String,
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: String,
    /// Residence (a village or community code), to register a new person
    #[serde(default)]
    pub unit_code: String,
    /// Relation to the victim (丈夫, 父亲…)
    #[serde(default)]
    pub relation: String,
}

pub const PARTY_ROLES: [&str; 4] = ["complainant", "victim", "respondent", "child"];

/// Parties one case may name: a family dispute has a handful; a group petition (集体访)
/// names its representatives, at most five by the 信访工作条例, and its other members
/// in the summary.
pub const MAX_PARTIES: usize = 50;

/// A case as received.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct IntakeInput {
    /// visit | letter | phone | hotline | online | referral | station
    #[schema(value_type = crate::model::Channel)]
    pub channel: String,
    /// A case type code (see /api/v1/case-types)
    #[serde(rename = "type")]
    #[schema(pattern = r"^[a-z][a-z0-9_]{0,39}$")]
    pub type_code: String,
    /// YYYY-MM-DD, not in the future; empty is today
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub received_date: String,
    /// The unit that handles it (default: the account's own)
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")]
    pub unit_code: String,
    #[schema(min_length = 1, max_length = 5000)]
    pub summary: String,
    /// 诉求
    #[serde(default)]
    pub request: String,
    /// Restrict even when neither the type nor a minor requires it
    #[serde(default, deserialize_with = "flexible_bool")]
    pub restricted: bool,
    /// The complainant first; a victim, respondents and children as known
    #[serde(default)]
    #[schema(min_items = 1)]
    pub parties: Vec<PartyInput>,
    /// The hotline call the case comes from
    #[serde(default, skip_deserializing)]
    pub call_id: Option<i64>,
}

/// Registers a case; returns its id.
pub async fn intake(state: &AppState, ctx: &Ctx, input: &IntakeInput) -> AppResult<i64> {
    ctx.require(Perm::HandleCases)?;
    let db = state.db();
    let mut errs = Vec::new();
    let channel = Channel::parse(&input.channel);
    if channel.is_none() {
        errs.push(FieldError::new("channel", "case.channel_invalid"));
    }
    let types = store::types(db, false).await?;
    let kind = types
        .iter()
        .find(|t| t.code == input.type_code.trim() && t.active);
    if kind.is_none() {
        errs.push(FieldError::new("type", "case.type_invalid"));
    }
    let received = past_date("received_date", &input.received_date, &mut errs);
    let unit = match input.unit_code.trim() {
        "" => ctx.p.unit_code.clone(),
        u => u.to_string(),
    };
    if kernel::org::store::get(db, &ctx.scope, &unit)
        .await
        .is_err()
    {
        errs.push(FieldError::new("unit_code", "account.unit_invalid"));
    }
    let summary = text("summary", &input.summary, true, 5000, &mut errs);
    let request = text("request", &input.request, false, 2000, &mut errs);
    let complainants = input
        .parties
        .iter()
        .filter(|p| p.role == "complainant")
        .count();
    if complainants != 1 {
        errs.push(FieldError::new(
            "complainant_name",
            "case.complainant_required",
        ));
    }
    if input.parties.len() > MAX_PARTIES {
        errs.push(FieldError::new("parties", "case.too_many_parties"));
    } else if input
        .parties
        .iter()
        .any(|p| !PARTY_ROLES.contains(&p.role.as_str()))
    {
        errs.push(FieldError::new("parties", "case.party_role_invalid"));
    }
    let (Some(channel), Some(kind), Some(received), true) =
        (channel, kind, received, errs.is_empty())
    else {
        return Err(AppError::Invalid(errs));
    };
    let taken = Taken {
        unit,
        type_code: kind.code.clone(),
        channel,
        received,
        summary_enc: state.cipher.encrypt(&summary),
        request_enc: state.cipher.encrypt(&request),
        restricted: kind.restricted || input.restricted,
        parties: input.parties.clone(),
        call_id: input.call_id,
    };
    let (state, ctx) = (state.clone(), ctx.clone());
    db.write(move |tx| async move { write_intake(&state, &ctx, tx, taken).await }.boxed())
        .await
}

/// A case checked and ready to write.
#[derive(Clone)]
struct Taken {
    unit: String,
    type_code: String,
    channel: Channel,
    received: NaiveDate,
    summary_enc: String,
    request_enc: String,
    /// By its type or as asked (a minor among the parties adds to it)
    restricted: bool,
    parties: Vec<PartyInput>,
    call_id: Option<i64>,
}

async fn write_intake(
    state: &AppState,
    ctx: &Ctx,
    tx: &mut kernel::db::WriteTx,
    c: Taken,
) -> AppResult<i64> {
    // Parties first: a new registry person is checked (and refused) before anything else.
    let mut linked = Vec::new();
    for p in &c.parties {
        let party = party(state, ctx, tx, p, c.received).await?;
        linked.push(party);
    }
    let complainant_hash = linked
        .iter()
        .find(|l| l.role == "complainant")
        .and_then(|l| l.id_hash.clone());
    let repeat_of = match &complainant_hash {
        Some(h) => store::repeat_of(tx, h, &c.type_code, c.received).await?,
        None => None,
    };
    let restricted = c.restricted || linked.iter().any(|l| l.minor);
    let id = store::insert(
        tx,
        &NewCase {
            unit_code: &c.unit,
            type_code: &c.type_code,
            channel: c.channel,
            received: c.received,
            summary_enc: c.summary_enc,
            request_enc: c.request_enc,
            restricted,
            complainant_hash,
            repeat_of,
            call_id: c.call_id,
            created_by: Some(ctx.p.user_id),
        },
    )
    .await?;
    let parties: Vec<store::NewParty> = linked
        .iter()
        .map(|l| store::NewParty {
            role: &l.role,
            person_id: l.person_id,
            name: &l.name,
            relation: &l.relation,
            minor: l.minor,
        })
        .collect();
    store::insert_parties(tx, id, &parties).await?;
    store::add_event(
        tx,
        &state.cipher,
        id,
        "receive",
        &iso_date(c.received),
        "",
        &serde_json::json!({"channel": c.channel.as_str(), "type": c.type_code, "repeat_of": repeat_of}),
        &ctx.actor(),
    )
    .await?;
    if let Some(call) = c.call_id {
        sqlx::query("UPDATE hotline_calls SET case_id = $1 WHERE id = $2 AND case_id IS NULL")
            .bind(id)
            .bind(call)
            .execute(&mut ***tx)
            .await?;
    }
    audit::append(
        tx,
        Entry::new(&ctx.actor(), "case.create", &c.unit, &format!("case:{id}")).detail(
            serde_json::json!({"type": c.type_code, "channel": c.channel.as_str(),
                "restricted": restricted, "repeat_of": repeat_of}),
        ),
    )
    .await?;
    Ok(id)
}

struct LinkedParty {
    role: String,
    person_id: Option<i64>,
    name: String,
    relation: String,
    minor: bool,
    id_hash: Option<String>,
}

fn is_minor(birth: Option<NaiveDate>, on: NaiveDate) -> bool {
    birth.is_some_and(|b| registry::person::age(b, on) < 18)
}

async fn party(
    state: &AppState,
    ctx: &Ctx,
    tx: &mut kernel::db::WriteTx,
    p: &PartyInput,
    received: NaiveDate,
) -> AppResult<LinkedParty> {
    let prefixed = |e: AppError| match e {
        AppError::Invalid(errs) => AppError::Invalid(
            errs.into_iter()
                .map(|e| FieldError::new(&format!("{}_{}", p.role, e.field), e.key))
                .collect(),
        ),
        AppError::NotFound => AppError::Invalid(vec![FieldError::new(
            &format!("{}_person_id", p.role),
            "case.person_unknown",
        )]),
        other => other,
    };
    let relation = kernel::text::clean_text(&p.relation);
    if p.person_id.is_some() || !p.id_number.trim().is_empty() {
        let input = PersonInput {
            name: p.name.clone(),
            sex: p.sex.clone(),
            birth_date: p.birth_date.clone(),
            id_number: p.id_number.clone(),
            phone: p.phone.clone(),
            unit_code: p.unit_code.clone(),
            ..PersonInput::default()
        };
        let l = registry::service::link(state, ctx, tx, p.person_id, &input)
            .await
            .map_err(prefixed)?;
        return Ok(LinkedParty {
            role: p.role.clone(),
            person_id: l.id,
            minor: p.role == "child" || is_minor(l.birth_date, received),
            name: l.name,
            relation,
            id_hash: l.id_hash,
        });
    }
    let name = registry::person::clean_name(&p.name)
        .map_err(|k| AppError::Invalid(vec![FieldError::new(&format!("{}_name", p.role), k)]))?;
    let birth = kernel::time::parse_date(&p.birth_date);
    Ok(LinkedParty {
        role: p.role.clone(),
        person_id: None,
        name,
        relation,
        minor: p.role == "child" || is_minor(birth, received),
        id_hash: None,
    })
}

/// A move on a case as typed: one shape for every action, each using its own fields.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MoveInput {
    /// accept | decline | transfer | assign | step | refer | referral_answer | extend |
    /// supervise | close | follow_up | reopen | archive
    #[schema(
        required = true,
        pattern = r"^(accept|decline|transfer|assign|step|refer|referral_answer|extend|supervise|close|follow_up|reopen|archive)$"
    )]
    pub action: String,
    /// The version the user saw (concurrent-edit detection)
    #[serde(default, deserialize_with = "flexible_i64")]
    pub version: Option<i64>,
    /// The date of the move, YYYY-MM-DD; empty is today
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: String,
    /// Decline and reopen: why; transfer: a note
    #[serde(default)]
    pub reason: String,
    /// Transfer: the unit it goes to
    #[serde(default)]
    pub unit_code: String,
    /// Assign: the handler's account name
    #[serde(default)]
    pub handler: String,
    /// Step: call | visit | mediation | legal_aid | instrument | note
    #[serde(default)]
    pub step: String,
    /// Step and referral: what was done; close: the result; follow-up: what she said
    #[serde(default)]
    pub content: String,
    /// Mediation: success | failed | ongoing
    #[serde(default)]
    pub outcome: String,
    /// Instrument: warning (告诫书) | protection_order (人身安全保护令)
    #[serde(default)]
    pub instrument: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub instrument_number: String,
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub valid_until: String,
    /// Refer: the partner unit
    #[serde(default, deserialize_with = "flexible_i64")]
    pub partner_id: Option<i64>,
    /// Referral answer: which referral
    #[serde(default, deserialize_with = "flexible_i64")]
    pub referral_id: Option<i64>,
    /// Referral answer: accepted | returned
    #[serde(default)]
    pub answer: String,
    /// Extend: 1-30 days
    #[serde(default, deserialize_with = "flexible_i64")]
    #[schema(minimum = 1, maximum = 30)]
    pub days: Option<i64>,
    /// Supervise: the due date set by the supervising unit
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub due: String,
    /// Follow-up: satisfaction 1-5
    #[serde(default, deserialize_with = "score_field")]
    #[schema(minimum = 1, maximum = 5)]
    pub score: Option<i64>,
}

pub const STEPS: [&str; 6] = [
    "call",
    "visit",
    "mediation",
    "legal_aid",
    "instrument",
    "note",
];
pub const ACTIONS: [&str; 13] = [
    "accept",
    "decline",
    "transfer",
    "assign",
    "step",
    "refer",
    "referral_answer",
    "extend",
    "supervise",
    "close",
    "follow_up",
    "reopen",
    "archive",
];

/// A case the account may read, or the refusal.
pub(crate) async fn readable_case(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<Case> {
    let c = store::get(state.db(), &state.cipher, &ctx.scope, id, en(ctx)).await?;
    if !store::readable(state.db(), &Viewer::of(ctx), id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// Whether the reader may read case `id`: in her scope and readable by the restriction rule.
async fn may_read(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<bool> {
    match readable_case(state, ctx, id).await {
        Ok(_) => Ok(true),
        Err(AppError::NotFound | AppError::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Applies one move.
pub async fn act(state: &AppState, ctx: &Ctx, id: i64, input: &MoveInput) -> AppResult<Case> {
    ctx.require(Perm::HandleCases)?;
    let db = state.db();
    let c = readable_case(state, ctx, id).await?;
    // Someone saved the case since this user loaded it: say so before judging the move
    // against a state she has not seen.
    if input.version.is_some_and(|v| v != c.version) {
        return Err(AppError::Conflict("case.changed"));
    }
    let mut errs = Vec::new();
    let date = past_date("date", &input.date, &mut errs);
    if date.is_some_and(|d| iso_date(d) < c.received_date) {
        errs.push(FieldError::new("date", "case.date_before_received"));
    }
    let mut t = c.t.clone();
    let mut detail = serde_json::json!({});
    let mut content = String::new();
    // What the move writes besides the case row.
    let mut referral: Option<(i64, String)> = None;
    let mut answer: Option<(i64, &str)> = None;
    let mv = match input.action.as_str() {
        "accept" => Move::Accept,
        "decline" => {
            t.decline_reason = text("reason", &input.reason, true, 1000, &mut errs);
            content = t.decline_reason.clone();
            Move::Decline
        }
        "transfer" => {
            let to = input.unit_code.trim();
            let exists: Option<String> =
                sqlx::query_scalar("SELECT code FROM org_units WHERE code = $1")
                    .bind(to)
                    .fetch_optional(db.pool())
                    .await?;
            if exists.is_none()
                || kernel::org::model::county_of(to)
                    != kernel::org::model::county_of(&c.t.unit_code)
            {
                errs.push(FieldError::new("unit_code", "case.unit_unknown"));
            } else if to == c.t.unit_code {
                errs.push(FieldError::new("unit_code", "case.same_unit"));
            }
            detail = serde_json::json!({"from": c.t.unit_code, "to": to});
            content = text("reason", &input.reason, false, 1000, &mut errs);
            t.unit_code = to.to_string();
            t.transferred += 1;
            t.handler_id = None;
            Move::Transfer
        }
        "assign" => {
            let row = sqlx::query(
                "SELECT id, unit_code, role, disabled, display_name FROM users WHERE username = $1",
            )
            .bind(input.handler.trim().to_lowercase())
            .fetch_optional(db.pool())
            .await?;
            match row {
                Some(r)
                    if r.get::<String, _>(1) == c.t.unit_code
                        && r.get::<i64, _>(3) == 0
                        && kernel::auth::roles::Role::parse(&r.get::<String, _>(2))
                            .is_some_and(|role| role.has(Perm::HandleCases)) =>
                {
                    t.handler_id = Some(r.get(0));
                    detail = serde_json::json!({"handler": input.handler.trim().to_lowercase(),
                        "name": r.get::<String, _>(4)});
                }
                _ => errs.push(FieldError::new("handler", "case.handler_invalid")),
            }
            Move::Assign
        }
        "step" => {
            let step = input.step.trim();
            if !STEPS.contains(&step) {
                errs.push(FieldError::new("step", "case.step_invalid"));
            }
            content = text("content", &input.content, true, 5000, &mut errs);
            detail = serde_json::json!({"step": step});
            if step == "mediation" {
                if !["success", "failed", "ongoing"].contains(&input.outcome.as_str()) {
                    errs.push(FieldError::new("outcome", "case.outcome_invalid"));
                }
                detail["outcome"] = input.outcome.clone().into();
            }
            if step == "instrument" {
                if !["warning", "protection_order"].contains(&input.instrument.as_str()) {
                    errs.push(FieldError::new("instrument", "case.instrument_invalid"));
                }
                let issuer = text("issuer", &input.issuer, true, 100, &mut errs);
                let number = text(
                    "instrument_number",
                    &input.instrument_number,
                    true,
                    100,
                    &mut errs,
                );
                let until = match input.valid_until.trim() {
                    "" => None,
                    s => match kernel::time::parse_date(s) {
                        Some(u) if date.is_none_or(|d| u >= d) => Some(iso_date(u)),
                        _ => {
                            errs.push(FieldError::new("valid_until", "field.date_invalid"));
                            None
                        }
                    },
                };
                detail["instrument"] = input.instrument.clone().into();
                detail["issuer"] = issuer.into();
                detail["number"] = number.into();
                detail["valid_until"] = until.into();
            }
            Move::Step
        }
        "refer" => {
            let partner = match input.partner_id {
                Some(p) => sqlx::query("SELECT id, name FROM case_partners WHERE id = $1 AND county_code = $2 AND active = 1")
                    .bind(p)
                    .bind(kernel::org::model::county_of(&c.t.unit_code))
                    .fetch_optional(db.pool())
                    .await?,
                None => None,
            };
            match partner {
                Some(r) => {
                    detail = serde_json::json!({"partner_id": r.get::<i64, _>(0), "partner": r.get::<String, _>(1)});
                    referral = Some((r.get(0), r.get(1)));
                }
                None => errs.push(FieldError::new("partner_id", "case.partner_unknown")),
            }
            content = text("content", &input.content, false, 2000, &mut errs);
            t.pending_referrals += 1;
            Move::Refer
        }
        "referral_answer" => {
            let a = match input.answer.as_str() {
                "accepted" => "accepted",
                "returned" => "returned",
                _ => {
                    errs.push(FieldError::new("answer", "case.answer_invalid"));
                    ""
                }
            };
            let pending: Option<i64> = match input.referral_id {
                Some(r) => sqlx::query_scalar(
                    "SELECT id FROM case_referrals WHERE id = $1 AND case_id = $2 AND status = 'pending'",
                )
                .bind(r)
                .bind(id)
                .fetch_optional(db.pool())
                .await?,
                None => None,
            };
            match pending {
                Some(r) => answer = Some((r, a)),
                None => errs.push(FieldError::new("referral_id", "case.referral_unknown")),
            }
            content = text("content", &input.content, false, 2000, &mut errs);
            detail = serde_json::json!({"referral": input.referral_id, "answer": a});
            t.pending_referrals -= 1;
            Move::AnswerReferral
        }
        "extend" => {
            // The extension is approved by a leader of the case's unit or above.
            if !(access::leads(ctx.p.role) && ctx.scope.contains(&c.t.unit_code)) {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "days",
                    "case.extension_needs_leader",
                )]));
            }
            let days = input.days.unwrap_or(0);
            if let Some(a) = c.t.accepted_date.as_deref() {
                t.resolution_due = Some(iso_date(model::resolution_due(Case::date(a), days)));
            }
            t.extension_days = days;
            content = text("reason", &input.reason, false, 1000, &mut errs);
            detail = serde_json::json!({"days": days, "approved_by": ctx.p.username});
            Move::Extend { days }
        }
        "supervise" => {
            if !ctx.scope.strictly_contains(&c.t.unit_code) {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "due",
                    "case.supervisor_not_above",
                )]));
            }
            let due = kernel::time::parse_date(&input.due);
            if due.is_none() {
                errs.push(FieldError::new("due", "field.date_invalid"));
            }
            t.supervision_due = due.map(iso_date);
            t.supervisor_unit = Some(ctx.p.unit_code.clone());
            content = text("content", &input.content, false, 1000, &mut errs);
            detail = serde_json::json!({"due": t.supervision_due, "unit": ctx.p.unit_code});
            Move::Supervise {
                due: due.unwrap_or(NaiveDate::MAX),
            }
        }
        "close" => {
            t.result = text("content", &input.content, true, 5000, &mut errs);
            content = t.result.clone();
            t.closed_date = date.map(iso_date);
            Move::Close
        }
        "follow_up" => {
            let score = input.score.unwrap_or(0);
            t.score = Some(score);
            content = text("content", &input.content, false, 2000, &mut errs);
            detail = serde_json::json!({"score": score});
            Move::FollowUp { score }
        }
        "reopen" => {
            content = text("reason", &input.reason, true, 1000, &mut errs);
            t.reopened += 1;
            t.score = None;
            Move::Reopen
        }
        "archive" => Move::Archive,
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "action",
                "case.bad_move",
            )]))
        }
    };
    let Some(date) = date else {
        return Err(AppError::Invalid(errs));
    };
    match model::next(&c.facts(), mv, date) {
        Ok(next) => t.state = next,
        Err(key) => {
            let field = match key {
                "case.date_before_last" => "date",
                "case.extension_days_invalid" | "case.extension_used" | "case.extension_late" => {
                    "days"
                }
                "case.supervision_due_invalid" => "due",
                "case.score_invalid" => "score",
                _ => "action",
            };
            if !errs.iter().any(|e| e.field == field) {
                errs.insert(0, FieldError::new(field, key));
            }
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    match mv {
        Move::Accept => {
            t.decision = "accepted".into();
            t.decided_date = Some(iso_date(date));
            t.accepted_date = Some(iso_date(date));
            t.resolution_due = Some(iso_date(model::resolution_due_base(date)));
        }
        Move::Decline => {
            t.decision = "declined".into();
            t.decided_date = Some(iso_date(date));
        }
        _ => {}
    }
    t.since_date = iso_date(date);
    let version = input.version.unwrap_or(c.version);
    let mut tx = kernel::audit::begin(db).await?;
    if !store::save(&mut tx, id, version, &c.t.since_date, &t).await? {
        return Err(AppError::Conflict("case.changed"));
    }
    if let Some((partner, _)) = &referral {
        let rid = store::insert_referral(&mut tx, id, *partner, &iso_date(date), &content).await?;
        detail["referral"] = rid.into();
    }
    if let Some((rid, a)) = answer {
        if !store::answer_referral(&mut tx, id, rid, a, &iso_date(date), &content).await? {
            return Err(AppError::Conflict("case.changed"));
        }
    }
    let kind = match mv {
        Move::Step => input.step.trim(),
        other => other.action(),
    };
    store::add_event(
        &mut tx,
        &state.cipher,
        id,
        kind,
        &iso_date(date),
        &content,
        &detail,
        &ctx.actor(),
    )
    .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            &format!("case.{}", mv.action()),
            &c.t.unit_code,
            &format!("case:{id}"),
        )
        .detail(
            serde_json::json!({"date": iso_date(date), "state": t.state.as_str(), "detail": detail}),
        ),
    )
    .await?;
    tx.commit().await?;
    // Read back unscoped: a transfer may have moved the case out of the actor's subtree.
    store::get(
        db,
        &state.cipher,
        &Scope::of_unit(kernel::org::model::ROOT_CODE),
        id,
        en(ctx),
    )
    .await
}

/// What a reader sees of one case.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// full | existence (a restricted case the reader may not read)
    pub access: String,
    pub id: i64,
    pub number: String,
    pub unit_code: String,
    pub unit_name: String,
    pub received_date: String,
    pub state: State,
    pub restricted: bool,
    pub case: Option<Case>,
    pub parties: Vec<store::Party>,
    pub events: Vec<store::Event>,
    pub referrals: Vec<store::Referral>,
    pub grants: Vec<store::Grant>,
    pub attachments: Vec<crate::attachments::Attachment>,
}

/// One case as the reader may see it; a view of its details is audited.
pub async fn view(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<CaseView> {
    let db = state.db();
    let c = store::get(db, &state.cipher, &ctx.scope, id, en(ctx)).await?;
    let readable = store::readable(db, &Viewer::of(ctx), id).await?;
    let mut v = CaseView {
        access: if readable { "full" } else { "existence" }.into(),
        id,
        number: c.number.clone(),
        unit_code: c.t.unit_code.clone(),
        unit_name: c.unit_name.clone(),
        received_date: c.received_date.clone(),
        state: c.t.state,
        restricted: c.t.restricted,
        case: None,
        parties: Vec::new(),
        events: Vec::new(),
        referrals: Vec::new(),
        grants: Vec::new(),
        attachments: Vec::new(),
    };
    if !readable {
        return Ok(v);
    }
    let mut tx = kernel::audit::begin(db).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "case.view",
            &c.t.unit_code,
            &format!("case:{id}"),
        )
        .detail(serde_json::json!({"restricted": c.t.restricted})),
    )
    .await?;
    tx.commit().await?;
    // The earlier case of a repeat may lie outside what this reader may read.
    let repeat_of = match c.repeat_of {
        Some(a) => may_read(state, ctx, a).await?.then_some(a),
        None => None,
    };
    v.parties = store::parties(db, id).await?;
    v.events = store::events(db, &state.cipher, id).await?;
    for e in &mut v.events {
        if let Some(d) = e
            .detail
            .as_object_mut()
            .filter(|d| d.contains_key("repeat_of"))
        {
            d.insert("repeat_of".into(), serde_json::json!(repeat_of));
        }
    }
    let mut c = c;
    c.repeat_of = repeat_of;
    v.referrals = store::referrals(db, id).await?;
    v.grants = store::grants(db, id).await?;
    v.attachments = crate::attachments::list(state, id).await?;
    v.case = Some(c);
    Ok(v)
}

/// Break the glass: a reader in scope who may not read a restricted case gives a written
/// reason and reads it for [`access::GLASS_HOURS`] hours. Audited with the reason.
pub async fn break_glass(state: &AppState, ctx: &Ctx, id: i64, reason: &str) -> AppResult<()> {
    let db = state.db();
    let c = store::get(db, &state.cipher, &ctx.scope, id, false).await?;
    let reason = kernel::text::clean_text(reason);
    if reason.chars().count() < 4 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "reason",
            "case.glass_reason",
        )]));
    }
    if reason.chars().count() > 1000 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "reason",
            "field.too_long",
        )]));
    }
    let expires = kernel::db::now_ms() + access::GLASS_HOURS * 3_600_000;
    let mut tx = kernel::audit::begin(db).await?;
    store::insert_grant(
        &mut tx,
        id,
        ctx.p.user_id,
        "glass",
        &reason,
        ctx.p.user_id,
        Some(expires),
    )
    .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "case.glass",
            &c.t.unit_code,
            &format!("case:{id}"),
        )
        .detail(serde_json::json!({"reason": reason, "expires_at": expires})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A grant to read a restricted case.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct GrantInput {
    /// The account name
    #[schema(min_length = 1, max_length = 32)]
    pub username: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// Days the grant lasts; empty is until the case is archived
    #[serde(default, deserialize_with = "flexible_i64")]
    #[schema(minimum = 1, maximum = 365)]
    pub days: Option<i64>,
}

/// The handler or a leader of the case's unit lets another account read a restricted case.
pub async fn grant(state: &AppState, ctx: &Ctx, id: i64, input: &GrantInput) -> AppResult<()> {
    ctx.require(Perm::HandleCases)?;
    let db = state.db();
    let c = readable_case(state, ctx, id).await?;
    let may = c.t.handler_id == Some(ctx.p.user_id)
        || (access::leads(ctx.p.role) && ctx.scope.contains(&c.t.unit_code));
    if !may {
        return Err(AppError::Forbidden);
    }
    let mut errs = Vec::new();
    let reason = text("reason", &input.reason, true, 1000, &mut errs);
    let target =
        sqlx::query("SELECT id, unit_code FROM users WHERE username = $1 AND disabled = 0")
            .bind(input.username.trim().to_lowercase())
            .fetch_optional(db.pool())
            .await?;
    let user = match target {
        Some(r) if kernel::org::model::in_subtree(&r.get::<String, _>(1), &c.t.unit_code) => {
            Some(r.get::<i64, _>(0))
        }
        _ => {
            errs.push(FieldError::new("username", "case.grantee_invalid"));
            None
        }
    };
    let expires = match input.days {
        None => None,
        Some(d) if (1..=365).contains(&d) => Some(kernel::db::now_ms() + d * 86_400_000),
        Some(_) => {
            errs.push(FieldError::new("days", "case.grant_days_invalid"));
            None
        }
    };
    let (Some(user), true) = (user, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let mut tx = kernel::audit::begin(db).await?;
    store::insert_grant(&mut tx, id, user, "grant", &reason, ctx.p.user_id, expires).await?;
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "case.grant", &c.t.unit_code, &format!("case:{id}"))
            .detail(serde_json::json!({"user": input.username.trim().to_lowercase(), "reason": reason, "expires_at": expires})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The danger assessment of a domestic-violence case: the items answered "yes".
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RiskInput {
    /// Keys of the items answered yes (risk.weapon, …)
    #[serde(default)]
    pub yes: Vec<String>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub version: Option<i64>,
}

/// Records an assessment; a high level alerts the unit's handlers and the unit above.
pub async fn assess(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    input: &RiskInput,
) -> AppResult<RiskLevel> {
    ctx.require(Perm::HandleCases)?;
    let db = state.db();
    let c = readable_case(state, ctx, id).await?;
    if c.type_code != "domestic_violence" {
        return Err(AppError::Conflict("case.risk_not_dv"));
    }
    if c.t.state == State::Declined || c.t.state == State::Archived {
        return Err(AppError::Invalid(vec![FieldError::new(
            "action",
            "case.bad_move",
        )]));
    }
    let answers: Vec<bool> = model::RISK_ITEMS
        .iter()
        .map(|i| input.yes.iter().any(|y| y == i.key))
        .collect();
    if input
        .yes
        .iter()
        .any(|y| !model::RISK_ITEMS.iter().any(|i| i.key == y))
    {
        return Err(AppError::Invalid(vec![FieldError::new(
            "yes",
            "case.risk_item_unknown",
        )]));
    }
    let (score, level) = model::assess(&answers);
    let mut t = c.t.clone();
    t.risk_level = level.as_str().into();
    let mut tx = kernel::audit::begin(db).await?;
    if !store::save(
        &mut tx,
        id,
        input.version.unwrap_or(c.version),
        &c.t.since_date,
        &t,
    )
    .await?
    {
        return Err(AppError::Conflict("case.changed"));
    }
    let today = iso_date(kernel::time::today().max(Case::date(&c.t.since_date)));
    let detail = serde_json::json!({"score": score, "level": level.as_str(), "yes": input.yes});
    store::add_event(
        &mut tx,
        &state.cipher,
        id,
        "risk",
        &today,
        "",
        &detail,
        &ctx.actor(),
    )
    .await?;
    if level == RiskLevel::High {
        let parent: Option<String> =
            sqlx::query_scalar("SELECT parent_code FROM org_units WHERE code = $1")
                .bind(&c.t.unit_code)
                .fetch_optional(&mut **tx)
                .await?
                .flatten();
        for unit in std::iter::once(c.t.unit_code.clone()).chain(parent) {
            store::insert_alert(&mut tx, id, &unit, "risk_high").await?;
        }
    }
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "case.risk",
            &c.t.unit_code,
            &format!("case:{id}"),
        )
        .detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(level)
}
