//! What pages and API both do with households.

use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::error::{AppError, AppResult, AtField, FieldError};
use kernel::state::AppState;

use super::store::{self, Household};
use super::Relation;
use crate::access::{Found, Seer};

/// Finds a person of the scope by her registry number or her resident ID, through the
/// registry's one gate; a restricted person is added only by those who handle her.
async fn find_person(state: &AppState, ctx: &Ctx, key: &str) -> AppResult<Found> {
    crate::pick::required(state, ctx, "person", key)
        .await?
        .map_err(crate::pick::invalid)
}

/// Creates a household with the person as its head.
pub async fn create(state: &AppState, ctx: &Ctx, head_person: i64) -> AppResult<Household> {
    ctx.require(Perm::EditRecords)?;
    let head = crate::store::get(state.db(), &state.cipher, &ctx.scope, head_person)
        .await
        .at_field("head")?
        .person;
    Seer::of(ctx).may_change(&head.unit_code, head.restricted)?;
    let mut tx = state.db().begin_write().await?;
    let id = store::insert(&mut tx, &head.unit_code).await?;
    store::join(&mut tx, id, head.id, Relation::Head).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "household.create",
            &head.unit_code,
            &format!("household:{id}"),
        )
        .detail(serde_json::json!({"head": head.id})),
    )
    .await?;
    tx.commit().await?;
    store::get(state.db(), &Seer::of(ctx), id).await
}

/// Adds a person (registry number or resident ID) with her relation to the head.
pub async fn add_member(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    person: &str,
    relation: &str,
) -> AppResult<Household> {
    ctx.require(Perm::EditRecords)?;
    let h = store::get(state.db(), &Seer::of(ctx), id).await?;
    let mut errs = Vec::new();
    let relation = match Relation::parse(relation) {
        Some(Relation::Head) if h.members.iter().any(|m| m.relation == Relation::Head) => {
            errs.push(FieldError::new("relation", "household.one_head"));
            None
        }
        Some(r) => Some(r),
        None => {
            errs.push(FieldError::new("relation", "household.relation_invalid"));
            None
        }
    };
    let p = match find_person(state, ctx, person).await {
        Ok(p) => Some(p),
        Err(AppError::Invalid(e)) => {
            errs.extend(e);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(p), Some(relation), true) = (p, relation, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let mut tx = state.db().begin_write().await?;
    store::join(&mut tx, id, p.id, relation).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "household.join",
            &h.unit_code,
            &format!("household:{id}"),
        )
        .detail(serde_json::json!({"person": p.id, "relation": relation.as_str()})),
    )
    .await?;
    tx.commit().await?;
    store::get(state.db(), &Seer::of(ctx), id).await
}

/// Takes a member out of the household (the record of her membership stays).
pub async fn remove_member(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    person_id: i64,
) -> AppResult<Household> {
    ctx.require(Perm::EditRecords)?;
    let h = store::get(state.db(), &Seer::of(ctx), id).await?;
    let mut tx = state.db().begin_write().await?;
    if !store::leave(&mut tx, id, person_id).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "household.leave",
            &h.unit_code,
            &format!("household:{id}"),
        )
        .detail(serde_json::json!({"person": person_id})),
    )
    .await?;
    tx.commit().await?;
    store::get(state.db(), &Seer::of(ctx), id).await
}

/// Moves the household to another village or community of the scope.
pub async fn relocate(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    to_unit: &str,
    version: Option<i64>,
) -> AppResult<Household> {
    ctx.require(Perm::EditRecords)?;
    let mut h = store::get(state.db(), &Seer::of(ctx), id).await?;
    let to = to_unit.trim();
    match kernel::org::store::get(state.db(), &ctx.scope, to).await {
        Ok(u) if u.is_territorial() && u.level == 5 && u.code != h.unit_code => {}
        // Already there: the household's state, not the input, is what refuses it.
        Ok(u) if u.code == h.unit_code => return Err(AppError::Conflict("household.same_unit")),
        Ok(_) => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "unit_code",
                "person.unit_not_village",
            )]))
        }
        Err(_) => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "unit_code",
                "account.unit_invalid",
            )]))
        }
    }
    if let Some(v) = version {
        h.version = v;
    }
    let mut tx = state.db().begin_write().await?;
    if !store::relocate(&mut tx, &h, to, &ctx.p.username).await? {
        return Err(AppError::Conflict("person.changed"));
    }
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "household.move",
            to,
            &format!("household:{id}"),
        )
        .detail(serde_json::json!({"from": h.unit_code, "to": to, "members": h.members.len()})),
    )
    .await?;
    tx.commit().await?;
    store::get(state.db(), &Seer::of(ctx), id).await
}
