//! What pages and API both do with persons: checks of scope and permission, the write,
//! and its audit entry, in one place.

use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;

use crate::access::{self, Found, Reach, Seer};
use crate::person::{validate, Person, PersonInput, Revealed, ValidPerson};
use crate::store::{self, PersonRow};

/// Checks the input and that the residence is a village or community in the scope.
async fn checked(state: &AppState, ctx: &Ctx, input: &PersonInput) -> AppResult<ValidPerson> {
    checked_on(state.db().pool(), ctx, input).await
}

/// [`checked`] on a given connection (inside a write transaction).
async fn checked_on<'e, E>(ex: E, ctx: &Ctx, input: &PersonInput) -> AppResult<ValidPerson>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let unit = input.unit_code.trim();
    let unit_error = if unit.is_empty() {
        None
    } else {
        match kernel::org::store::get_on(ex, &ctx.scope, unit).await {
            Ok(u) if u.is_territorial() && u.level == 5 => None,
            Ok(_) => Some(FieldError::new("unit_code", "person.unit_not_village")),
            Err(_) => Some(FieldError::new("unit_code", "account.unit_invalid")),
        }
    };
    match (validate(input, kernel::time::today()), unit_error) {
        (Ok(v), None) => Ok(v),
        (Ok(_), Some(e)) => Err(AppError::Invalid(vec![e])),
        (Err(mut errs), e) => {
            errs.extend(e);
            Err(AppError::Invalid(errs))
        }
    }
}

/// Registers a person.
pub async fn create(state: &AppState, ctx: &Ctx, input: &PersonInput) -> AppResult<Person> {
    ctx.require(Perm::EditRecords)?;
    let v = checked(state, ctx, input).await?;
    let mut tx = state.db().begin_write().await?;
    let id = store::insert(&mut tx, &state.cipher, &v, Some(ctx.p.user_id)).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "person.create",
            &v.unit_code,
            &format!("person:{id}"),
        )
        .detail(create_detail(&v)),
    )
    .await?;
    tx.commit().await?;
    Ok(store::get(state.db(), &state.cipher, &ctx.scope, id)
        .await?
        .person)
}

/// Saves an edit made from `input.version`; someone else's save in between is a conflict.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    input: &PersonInput,
) -> AppResult<Person> {
    ctx.require(Perm::EditRecords)?;
    let before = store::get(state.db(), &state.cipher, &ctx.scope, id).await?;
    Seer::of(ctx).may_change(&before.person.unit_code, before.person.restricted)?;
    let v = checked(state, ctx, input).await?;
    let version = input.version.unwrap_or(before.person.version);
    let mut tx = state.db().begin_write().await?;
    if !store::update(&mut tx, &state.cipher, id, version, &v).await? {
        return Err(AppError::Conflict("person.changed"));
    }
    if before.person.unit_code != v.unit_code {
        sqlx::query("UPDATE person_categories SET unit_code = $1 WHERE person_id = $2")
            .bind(&v.unit_code)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    let b = &before.person;
    let mut changed = Vec::new();
    for (field, same) in [
        ("name", b.name == v.name),
        ("unit_code", b.unit_code == v.unit_code),
        ("hukou_code", b.hukou_code == v.hukou_code),
        ("ethnicity", b.ethnicity == v.ethnicity),
        ("restricted", b.restricted == v.restricted),
        ("notes", b.notes == v.notes),
    ] {
        if !same {
            changed.push(field);
        }
    }
    // Sensitive fields are named, never written into the log.
    let old = before.reveal(&state.cipher);
    if old.id_number.as_deref() != v.id.as_ref().map(|i| i.as_str()) {
        changed.push("id_number");
    }
    if old.phone != v.phone {
        changed.push("phone");
    }
    if old.address.unwrap_or_default() != v.address {
        changed.push("address");
    }
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "person.update",
            &v.unit_code,
            &format!("person:{id}"),
        )
        .detail(serde_json::json!({"changed": changed, "from_unit": b.unit_code})),
    )
    .await?;
    tx.commit().await?;
    Ok(store::get(state.db(), &state.cipher, &ctx.scope, id)
        .await?
        .person)
}

/// Shows the sensitive fields in clear to a role that may see them, and audits who saw whom.
pub async fn reveal(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<(PersonRow, Revealed)> {
    ctx.require(Perm::RevealPersonal)?;
    let row = store::get(state.db(), &state.cipher, &ctx.scope, id).await?;
    Seer::of(ctx).may_change(&row.person.unit_code, row.person.restricted)?;
    let revealed = row.reveal(&state.cipher);
    let mut tx = state.db().begin_write().await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "person.reveal",
            &row.person.unit_code,
            &format!("person:{id}"),
        )
        .detail(
            serde_json::json!({"name": shown_in_log(&row.person.name, row.person.restricted),
                "fields": ["id_number", "phone", "address"]}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((row, revealed))
}

/// A person another capability refers to (a case's party): found or registered on the spot,
/// or, when her resident ID is registered outside the caller's area, kept as typed and not
/// linked (`id` is `None`), so that nothing of the registered person reaches the caller.
#[derive(Clone, Debug)]
pub struct Linked {
    pub id: Option<i64>,
    pub name: String,
    pub birth_date: Option<chrono::NaiveDate>,
    /// The keyed hash of her resident ID, if she has one
    pub id_hash: Option<String>,
}

impl Linked {
    fn of(f: Found) -> Linked {
        Linked {
            id: Some(f.id),
            name: f.name,
            birth_date: f.birth_date,
            id_hash: f.id_hash,
        }
    }
}

/// The person `id` of the scope, or the one with the resident ID of `input`, or a new one
/// registered from `input` with the registry's validation, inside the caller's transaction
/// (and audited there). Every lookup goes through [`crate::access`]. Field errors name the
/// registry's fields.
pub async fn link(
    state: &AppState,
    ctx: &Ctx,
    tx: &mut kernel::db::WriteTx,
    id: Option<i64>,
    input: &PersonInput,
) -> AppResult<Linked> {
    let seer = Seer::of(ctx);
    if let Some(id) = id {
        return match access::by_number(&mut ***tx, &seer, id).await? {
            Reach::Person(f) => Ok(Linked::of(f)),
            Reach::Masked { .. } => Err(AppError::Forbidden),
            Reach::Elsewhere | Reach::Unknown => Err(AppError::NotFound),
        };
    }
    let today = kernel::time::today();
    if let Ok(rid) = kernel::idcard::ResidentId::parse(&input.id_number, today) {
        match access::by_resident_id(&mut ***tx, &state.cipher, &seer, &rid).await? {
            Reach::Person(f) => return Ok(Linked::of(f)),
            Reach::Masked { .. } => return Err(AppError::Forbidden),
            Reach::Elsewhere => {
                let name = crate::person::clean_name(&input.name)
                    .map_err(|k| AppError::Invalid(vec![FieldError::new("name", k)]))?;
                return Ok(Linked {
                    id: None,
                    name,
                    birth_date: Some(rid.birth_date()),
                    id_hash: Some(state.cipher.index("id", rid.as_str())),
                });
            }
            Reach::Unknown => {}
        }
    }
    let v = checked_on(&mut ***tx, ctx, input).await?;
    let id = store::insert(tx, &state.cipher, &v, Some(ctx.p.user_id)).await?;
    audit::append(
        tx,
        Entry::new(
            &ctx.actor(),
            "person.create",
            &v.unit_code,
            &format!("person:{id}"),
        )
        .detail(create_detail(&v)),
    )
    .await?;
    Ok(Linked {
        id: Some(id),
        name: v.name,
        birth_date: Some(v.birth_date),
        id_hash: v.id.map(|i| state.cipher.index("id", i.as_str())),
    })
}

/// What the audit log keeps of a new person: the log is read by auditors of the whole
/// area, so a restricted person's name is kept masked.
fn create_detail(v: &ValidPerson) -> serde_json::Value {
    serde_json::json!({"name": shown_in_log(&v.name, v.restricted), "has_id": v.id.is_some()})
}

/// A person's name as the audit log keeps it: masked when she is restricted.
fn shown_in_log(name: &str, restricted: bool) -> String {
    if restricted {
        access::masked_name(name)
    } else {
        name.to_string()
    }
}
