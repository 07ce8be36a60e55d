//! What pages and API both do with categories and memberships: permission and scope,
//! validation, the write with its history entry and its audit entry.

use std::collections::HashMap;

use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;

use super::model::{check_category, Category, CategoryInput};
use super::store::{self, Membership, NewMembership};

/// Defines a new category (administrators only).
pub async fn create_category(
    state: &AppState,
    ctx: &Ctx,
    input: &CategoryInput,
) -> AppResult<Category> {
    ctx.require(Perm::ManageSystem)?;
    let c = check_category(input).map_err(AppError::Invalid)?;
    let mut tx = state.db().begin_write().await?;
    store::insert(&mut tx, &c).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "category.create",
            &ctx.p.unit_code,
            &format!("category:{}", c.code),
        )
        .detail(serde_json::json!({"name": c.name_zh, "fields": c.fields.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// A membership as typed: the category, its start and the attributes by field key.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AssignInput {
    pub category: String,
    /// YYYY-MM-DD; today when empty
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub start_date: String,
    #[serde(default)]
    pub attrs: HashMap<String, String>,
    #[serde(default)]
    pub note: String,
}

fn date_field(field: &str, raw: &str, errs: &mut Vec<FieldError>) -> Option<String> {
    kernel::time::past_or_today(raw)
        .map_err(|k| errs.push(FieldError::new(field, k)))
        .ok()
}

/// Adds a person to a category.
pub async fn assign(
    state: &AppState,
    ctx: &Ctx,
    person_id: i64,
    input: &AssignInput,
) -> AppResult<Membership> {
    ctx.require(Perm::EditRecords)?;
    let person = crate::store::get(state.db(), &state.cipher, &ctx.scope, person_id)
        .await?
        .person;
    crate::access::Seer::of(ctx).may_change(&person.unit_code, person.restricted)?;
    let cat = match store::get(state.db(), input.category.trim()).await {
        Ok(c) if c.active => c,
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "category",
                "category.unknown",
            )]))
        }
    };
    let mut errs = Vec::new();
    let start = date_field("start_date", &input.start_date, &mut errs);
    let attrs = cat
        .check_attrs(&input.attrs)
        .map_err(|e| errs.extend(e))
        .unwrap_or_default();
    let Some(start) = start.filter(|_| errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let mut tx = state.db().begin_write().await?;
    if store::active_exists(&mut tx, person_id, &cat.code).await? {
        return Err(AppError::Invalid(vec![FieldError::new(
            "category",
            "category.already_member",
        )]));
    }
    let id = store::insert_membership(
        &mut tx,
        &NewMembership {
            person_id,
            code: &cat.code,
            unit_code: &person.unit_code,
            attrs: &attrs,
            start_date: &start,
        },
    )
    .await?;
    store::add_event(
        &mut tx,
        id,
        &ctx.p.username,
        "start",
        "active",
        &attrs,
        input.note.trim(),
    )
    .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "category.assign",
            &person.unit_code,
            &format!("person:{person_id}"),
        )
        .detail(serde_json::json!({"category": cat.code, "membership": id})),
    )
    .await?;
    tx.commit().await?;
    store::get_membership(state.db(), &crate::access::Seer::of(ctx), id).await
}

/// A change to a membership: new attributes, an end, or a reopening.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ChangeInput {
    /// update | end | reopen
    #[schema(pattern = r"^(update|end|reopen)$")]
    pub action: String,
    #[serde(default)]
    pub attrs: HashMap<String, String>,
    /// For `end`: YYYY-MM-DD, today when empty
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub end_date: String,
    #[serde(default)]
    pub note: String,
    pub version: Option<i64>,
}

pub async fn change(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    input: &ChangeInput,
) -> AppResult<Membership> {
    ctx.require(Perm::EditRecords)?;
    let seer = crate::access::Seer::of(ctx);
    let m = store::get_membership(state.db(), &seer, id).await?;
    seer.may_change(&m.unit_code, m.person_restricted)?;
    let cat = store::get(state.db(), &m.category_code).await?;
    let mut errs = Vec::new();
    // An end date that is no date is refused whatever the move, not silently dropped.
    if input.action != "end" && !input.end_date.is_empty() {
        if let Err(AppError::Invalid(e)) =
            kernel::time::date_param(Some(&input.end_date), "end_date")
        {
            errs.extend(e);
        }
    }
    let (attrs, end, status) = match input.action.as_str() {
        "update" => {
            let a = cat
                .check_attrs(&input.attrs)
                .map_err(|e| errs.extend(e))
                .unwrap_or_default();
            (a, m.end_date.clone(), m.status.clone())
        }
        "end" if m.status == "active" => {
            let end = date_field("end_date", &input.end_date, &mut errs);
            if end.as_deref().is_some_and(|e| e < m.start_date.as_str()) {
                errs.push(FieldError::new("end_date", "category.end_before_start"));
            }
            (m.attrs.clone(), end, "ended".to_string())
        }
        "reopen" if m.status == "ended" => (m.attrs.clone(), None, "active".to_string()),
        // A known move the membership's state does not allow is a conflict; an unknown
        // one is invalid input.
        "end" | "reopen" => return Err(AppError::Conflict("category.bad_move")),
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
    let mut tx = state.db().begin_write().await?;
    if status == "active"
        && m.status == "ended"
        && store::active_exists(&mut tx, m.person_id, &m.category_code).await?
    {
        return Err(AppError::Invalid(vec![FieldError::new(
            "category",
            "category.already_member",
        )]));
    }
    let version = input.version.unwrap_or(m.version);
    if !store::update_membership(&mut tx, id, version, &attrs, end.as_deref(), &status).await? {
        return Err(AppError::Conflict("person.changed"));
    }
    store::add_event(
        &mut tx,
        id,
        &ctx.p.username,
        &input.action,
        &status,
        &attrs,
        input.note.trim(),
    )
    .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            &format!("category.{}", input.action),
            &m.unit_code,
            &format!("person:{}", m.person_id),
        )
        .detail(
            serde_json::json!({"category": m.category_code, "membership": id, "status": status}),
        ),
    )
    .await?;
    tx.commit().await?;
    store::get_membership(state.db(), &crate::access::Seer::of(ctx), id).await
}
