//! What pages and API both do with pairings.

use crate::access::Seer;
use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::error::{AppError, AppResult, AtField, FieldError};
use kernel::state::AppState;

use super::store::{self, NewPairing, Pairing};
use super::HelperKind;

fn past_date(field: &str, raw: &str, errs: &mut Vec<FieldError>) -> String {
    kernel::time::past_or_today(raw)
        .map_err(|k| errs.push(FieldError::new(field, k)))
        .unwrap_or_default()
}

fn text(field: &str, raw: &str, required: bool, errs: &mut Vec<FieldError>) -> String {
    let v = raw.trim().to_string();
    if required && v.is_empty() {
        errs.push(FieldError::new(field, "field.required"));
    } else if v.chars().count() > 1000 {
        errs.push(FieldError::new(field, "field.too_long"));
    }
    v
}

/// A new pairing as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PairingInput {
    /// The helped person (or give `household`)
    pub person: Option<i64>,
    /// The helped household (or give `person`)
    pub household: Option<i64>,
    /// account | family | post | unit
    #[schema(value_type = crate::pairing::HelperKind)]
    pub helper_kind: String,
    /// For `account`: the cadre's account name; otherwise the family's, post's or unit's name
    pub helper: String,
    #[serde(default)]
    pub family_situation: String,
    #[serde(default)]
    pub poverty_cause: String,
    /// 帮扶方向
    #[serde(default)]
    pub help_direction: String,
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub start_date: String,
}

/// The result of creating a pairing: the helper's active pairs and whether that is over
/// the limit (a warning, not a refusal).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub pairing: Pairing,
    pub helper_pairs: i64,
    pub limit: i64,
    pub over_limit: bool,
}

pub async fn create(state: &AppState, ctx: &Ctx, input: &PairingInput) -> AppResult<Created> {
    ctx.require(Perm::EditRecords)?;
    let db = state.db();
    let seer = Seer::of(ctx);
    // A restricted person is paired only by those who handle her: the card names her.
    let (unit_code, person_id, household_id) = match (input.person, input.household) {
        (Some(p), None) => {
            let p = crate::store::get(db, &state.cipher, &ctx.scope, p)
                .await
                .at_field("person")?
                .person;
            seer.may_change(&p.unit_code, p.restricted)?;
            (p.unit_code, Some(p.id), None)
        }
        (None, Some(h)) => {
            let h = crate::household::store::get(db, &seer, h)
                .await
                .at_field("household")?;
            seer.may_change(&h.unit_code, h.members.iter().any(|m| m.restricted))?;
            (h.unit_code, None, Some(h.id))
        }
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "person",
                "pairing.helped_required",
            )]))
        }
    };
    let mut errs = Vec::new();
    let kind = HelperKind::parse(&input.helper_kind);
    if kind.is_none() {
        errs.push(FieldError::new("helper_kind", "pairing.kind_invalid"));
    }
    let helper = kernel::text::clean_text(&input.helper);
    let mut helper_user = None;
    let mut helper_name = helper.clone();
    if kind == Some(HelperKind::Account) {
        // A colleague of the creator's subtree, chosen by name (or, from the API, by login).
        use kernel::accounts::pick::{resolve, AccountPick};
        match resolve(db, &ctx.scope, &helper).await? {
            AccountPick::One(a) => {
                helper_user = Some(a.id);
                helper_name = a.display_name;
            }
            AccountPick::Empty => errs.push(FieldError::new("helper", "field.required")),
            AccountPick::Refused(k, _) => errs.push(FieldError::new("helper", k)),
        }
    } else if helper.is_empty() {
        errs.push(FieldError::new("helper", "field.required"));
    }
    let family = text(
        "family_situation",
        &input.family_situation,
        false,
        &mut errs,
    );
    let cause = text("poverty_cause", &input.poverty_cause, false, &mut errs);
    let direction = text("help_direction", &input.help_direction, true, &mut errs);
    let start = past_date("start_date", &input.start_date, &mut errs);
    let (Some(kind), true) = (kind, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let limit = store::limit(db).await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert(
        &mut tx,
        &NewPairing {
            unit_code: &unit_code,
            person_id,
            household_id,
            kind,
            helper_user_id: helper_user,
            helper_name: &helper_name,
            family_situation: &family,
            poverty_cause: &cause,
            help_direction: &direction,
            start_date: &start,
        },
    )
    .await?;
    let helper_pairs = match helper_user {
        Some(u) => store::active_of_helper(&mut tx, u).await?,
        None => 0,
    };
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "pairing.create",
            &unit_code,
            &format!("pairing:{id}"),
        )
        .detail(serde_json::json!({
            "person": person_id, "household": household_id, "helper": helper_name,
            "helper_pairs": helper_pairs, "over_limit": helper_pairs > limit,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        pairing: store::get(db, &seer, id).await?,
        helper_pairs,
        limit,
        over_limit: helper_pairs > limit,
    })
}

/// A visit or check as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    /// visit | check
    #[schema(pattern = r"^(visit|check)$")]
    pub kind: String,
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: String,
    pub found: String,
    pub done: String,
}

pub async fn visit(state: &AppState, ctx: &Ctx, id: i64, input: &VisitInput) -> AppResult<Pairing> {
    ctx.require(Perm::EditRecords)?;
    let g = store::get(state.db(), &Seer::of(ctx), id).await?;
    let mut errs = Vec::new();
    if !matches!(input.kind.as_str(), "visit" | "check") {
        errs.push(FieldError::new("kind", "pairing.visit_kind_invalid"));
    }
    let date = past_date("date", &input.date, &mut errs);
    if !date.is_empty() && date < g.start_date {
        errs.push(FieldError::new("date", "pairing.before_start"));
    }
    let found = text("found", &input.found, true, &mut errs);
    let done = text("done", &input.done, true, &mut errs);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut tx = state.db().begin_write().await?;
    store::add_visit(
        &mut tx,
        id,
        &input.kind,
        &date,
        &found,
        &done,
        &ctx.p.username,
    )
    .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "pairing.visit",
            &g.unit_code,
            &format!("pairing:{id}"),
        )
        .detail(serde_json::json!({"kind": input.kind, "date": date})),
    )
    .await?;
    tx.commit().await?;
    store::get(state.db(), &Seer::of(ctx), id).await
}

/// The year-end acceptance or the end of a pairing.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ConcludeInput {
    /// accept | end
    #[schema(pattern = r"^(accept|end)$")]
    pub action: String,
    /// For accept: passed | failed
    #[serde(default)]
    #[schema(pattern = r"^(passed|failed)?$")]
    pub result: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: String,
    pub version: Option<i64>,
}

pub async fn conclude(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    input: &ConcludeInput,
) -> AppResult<Pairing> {
    ctx.require(Perm::EditRecords)?;
    let g = store::get(state.db(), &Seer::of(ctx), id).await?;
    let mut errs = Vec::new();
    let date = past_date("date", &input.date, &mut errs);
    if !date.is_empty() && date < g.start_date {
        errs.push(FieldError::new("date", "pairing.before_start"));
    }
    let note = text("note", &input.note, false, &mut errs);
    let acceptance = match input.action.as_str() {
        "accept" if matches!(input.result.as_str(), "passed" | "failed") => {
            Some(input.result.as_str())
        }
        "accept" => {
            errs.push(FieldError::new("result", "pairing.result_invalid"));
            None
        }
        "end" if g.status == "active" => None,
        "end" => return Err(AppError::Conflict("category.bad_move")),
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "action",
                "err.field_choice",
            )]))
        }
    };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let version = input.version.unwrap_or(g.version);
    let mut tx = state.db().begin_write().await?;
    let ok = match acceptance {
        Some(r) => store::conclude(&mut tx, id, version, Some((r, &note, &date)), None).await?,
        None => store::conclude(&mut tx, id, version, None, Some(&date)).await?,
    };
    if !ok {
        return Err(AppError::Conflict("person.changed"));
    }
    let action = if acceptance.is_some() {
        "pairing.accept"
    } else {
        "pairing.end"
    };
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), action, &g.unit_code, &format!("pairing:{id}"))
            .detail(serde_json::json!({"result": input.result, "date": date})),
    )
    .await?;
    tx.commit().await?;
    store::get(state.db(), &Seer::of(ctx), id).await
}

/// Sets how many active pairs a cadre may carry (administrators).
pub async fn set_limit(state: &AppState, ctx: &Ctx, n: i64) -> AppResult<()> {
    ctx.require(Perm::ManageSystem)?;
    if !(1..=20).contains(&n) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "limit",
            "pairing.limit_invalid",
        )]));
    }
    let mut tx = state.db().begin_write().await?;
    store::set_limit(&mut tx, n).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "pairing.limit",
            &ctx.p.unit_code,
            super::LIMIT_SETTING,
        )
        .detail(serde_json::json!({ "limit": n })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
