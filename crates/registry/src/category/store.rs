//! SQL of categories and memberships. Memberships carry the person's residence unit so
//! that category lists are scoped and counted by a range on the code.

use kernel::db::{now_ms, Db, WriteTx};
use kernel::error::{AppError, AppResult};
use kernel::scope::Scope;

use crate::access::{Seer, ShownName};
use sqlx::Row;

use super::model::{Category, FieldDef};

fn category(r: &sqlx::any::AnyRow) -> Category {
    Category {
        code: r.get(0),
        name_zh: r.get(1),
        name_en: r.get(2),
        fields: serde_json::from_str::<Vec<FieldDef>>(&r.get::<String, _>(3)).unwrap_or_default(),
        builtin: r.get::<i64, _>(4) != 0,
        active: r.get::<i64, _>(5) != 0,
    }
}

const CAT_COLUMNS: &str = "code, name_zh, name_en, fields, builtin, active";

pub async fn list(db: &Db) -> AppResult<Vec<Category>> {
    let rows = sqlx::query(&format!(
        "SELECT {CAT_COLUMNS} FROM categories ORDER BY sort, code"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(category).collect())
}

pub async fn get(db: &Db, code: &str) -> AppResult<Category> {
    let row = sqlx::query(&format!(
        "SELECT {CAT_COLUMNS} FROM categories WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(category).ok_or(AppError::NotFound)
}

pub async fn insert(tx: &mut WriteTx, c: &Category) -> AppResult<()> {
    let sort: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(sort), 0) + 1 FROM categories")
        .fetch_one(&mut ***tx)
        .await?;
    sqlx::query(
        "INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) \
         VALUES ($1, $2, $3, $4, 0, 1, $5, $6)",
    )
    .bind(&c.code)
    .bind(&c.name_zh)
    .bind(&c.name_en)
    .bind(serde_json::to_string(&c.fields).unwrap_or_else(|_| "[]".into()))
    .bind(sort)
    .bind(now_ms())
    .execute(&mut ***tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Invalid(vec![
            kernel::error::FieldError::new("code", "category.code_taken"),
        ]),
        other => other.into(),
    })?;
    Ok(())
}

/// Active members per category in the scope.
pub async fn counts(db: &Db, scope: &Scope) -> AppResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT category_code, COUNT(*) FROM person_categories \
         WHERE unit_code >= $1 AND unit_code < $2 AND status = 'active' GROUP BY category_code",
    )
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A person's membership of a category.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub id: i64,
    pub person_id: i64,
    pub person_name: ShownName,
    pub person_restricted: bool,
    pub category_code: String,
    pub unit_code: String,
    pub unit_name: String,
    #[schema(value_type = Object)]
    pub attrs: serde_json::Map<String, serde_json::Value>,
    pub start_date: String,
    pub end_date: Option<String>,
    /// active | ended
    pub status: String,
    pub version: i64,
}

/// One entry of a membership's history.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Event {
    pub at: i64,
    pub actor: String,
    /// start | update | end | reopen
    pub action: String,
    pub status: String,
    pub note: String,
}

const M_COLUMNS: &str =
    "m.id, m.person_id, p.name, p.restricted, m.category_code, m.unit_code, o.name, \
    m.attrs, m.start_date, m.end_date, m.status, m.version";

/// A membership as the reader may see it: a restricted person's name masked and her
/// group's details left out for those who do not handle her.
fn membership(r: &sqlx::any::AnyRow, seer: &Seer) -> Membership {
    let restricted = r.get::<i64, _>(3) != 0;
    let unit: String = r.get(5);
    let sees = seer.sees(&unit, restricted);
    Membership {
        id: r.get(0),
        person_id: r.get(1),
        person_name: seer.name(&r.get::<String, _>(2), &unit, restricted),
        person_restricted: restricted,
        category_code: r.get(4),
        unit_code: r.get(5),
        unit_name: r.get(6),
        attrs: if sees {
            serde_json::from_str(&r.get::<String, _>(7)).unwrap_or_default()
        } else {
            Default::default()
        },
        start_date: r.get(8),
        end_date: r.get(9),
        status: r.get(10),
        version: r.get(11),
    }
}

const M_FROM: &str = "FROM person_categories m JOIN persons p ON p.id = m.person_id \
    JOIN org_units o ON o.code = m.unit_code";

pub async fn get_membership(db: &Db, seer: &Seer, id: i64) -> AppResult<Membership> {
    let scope = seer.scope();
    let row = sqlx::query(&format!(
        "SELECT {M_COLUMNS} {M_FROM} WHERE m.id = $1 AND m.unit_code >= $2 AND m.unit_code < $3"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref()
        .map(|r| membership(r, seer))
        .ok_or(AppError::NotFound)
}

pub async fn of_person(db: &Db, seer: &Seer, person_id: i64) -> AppResult<Vec<Membership>> {
    let rows = sqlx::query(&format!(
        "SELECT {M_COLUMNS} {M_FROM} WHERE m.person_id = $1 ORDER BY m.status, m.start_date DESC"
    ))
    .bind(person_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| membership(r, seer)).collect())
}

/// Filters of a category's member list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct MemberFilter {
    /// Only members living in this unit's subtree
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
    /// active (default) | ended | all
    pub status: Option<String>,
    /// Part of the name
    pub q: Option<String>,
    pub page: Option<i64>,
}

/// Members of a group in the reader's scope; a search by name finds a restricted person
/// only for those who see her name.
/// The members a group's list keeps: `$1` the group, `$2`–`$3` the unit range, `$4` the
/// status (empty for all), `$5`/`$6` a name and its pattern, `$9` whether the reader
/// handles restricted persons.
const M_WHERE: &str = "m.category_code = $1 AND m.unit_code >= $2 AND m.unit_code < $3 \
    AND ($4 = '' OR m.status = $4) \
    AND ($5 = '' OR (p.name LIKE $6 ESCAPE '\\' AND (p.restricted = 0 OR $9 = 1)))";

/// How many members the list keeps over every page (its "共 N 人").
pub async fn count_members(db: &Db, seer: &Seer, code: &str, f: &MemberFilter) -> AppResult<i64> {
    let (lo, hi) = seer.scope().filter_range(f.unit.as_deref())?;
    let q = kernel::text::clean_text(f.q.as_deref().unwrap_or(""));
    // $7 and $8 are the list's paging: bound so the numbering stays the list's.
    Ok(sqlx::query_scalar(&format!(
        "SELECT COUNT(*) {M_FROM} WHERE {M_WHERE} AND $7 >= 0 AND $8 >= 0"
    ))
    .bind(code)
    .bind(lo)
    .bind(hi)
    .bind(member_status(f))
    .bind(&q)
    .bind(format!("%{}%", kernel::text::like_escape(&q)))
    .bind(0i64)
    .bind(0i64)
    .bind(seer.handles_restricted() as i64)
    .fetch_one(db.pool())
    .await?)
}

fn member_status(f: &MemberFilter) -> &'static str {
    match f.status.as_deref() {
        Some("ended") => "ended",
        Some("all") => "",
        _ => "active",
    }
}

pub async fn members(
    db: &Db,
    seer: &Seer,
    code: &str,
    f: &MemberFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Membership>> {
    let scope = seer.scope();
    let (lo, hi) = scope.filter_range(f.unit.as_deref())?;
    let status = member_status(f);
    let q = kernel::text::clean_text(f.q.as_deref().unwrap_or(""));
    let rows = sqlx::query(&format!(
        "SELECT {M_COLUMNS} {M_FROM} WHERE {M_WHERE} ORDER BY m.unit_code, p.name, m.id \
         LIMIT $7 OFFSET $8"
    ))
    .bind(code)
    .bind(lo)
    .bind(hi)
    .bind(status)
    .bind(&q)
    .bind(format!("%{}%", kernel::text::like_escape(&q)))
    .bind(limit)
    .bind(offset)
    .bind(seer.handles_restricted() as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| membership(r, seer)).collect())
}

pub async fn events(db: &Db, membership_id: i64) -> AppResult<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT at, actor, action, status, note FROM person_category_events \
         WHERE person_category_id = $1 ORDER BY id",
    )
    .bind(membership_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Event {
            at: r.get(0),
            actor: r.get(1),
            action: r.get(2),
            status: r.get(3),
            note: r.get(4),
        })
        .collect())
}

/// Whether the person is an active member of the category already.
pub async fn active_exists(tx: &mut WriteTx, person_id: i64, code: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM person_categories WHERE person_id = $1 AND category_code = $2 AND status = 'active'",
    )
    .bind(person_id)
    .bind(code)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(n > 0)
}

pub struct NewMembership<'a> {
    pub person_id: i64,
    pub code: &'a str,
    pub unit_code: &'a str,
    pub attrs: &'a serde_json::Map<String, serde_json::Value>,
    pub start_date: &'a str,
}

pub async fn insert_membership(tx: &mut WriteTx, m: &NewMembership<'_>) -> AppResult<i64> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO person_categories (person_id, category_code, unit_code, attrs, start_date, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) RETURNING id",
    )
    .bind(m.person_id)
    .bind(m.code)
    .bind(m.unit_code)
    .bind(serde_json::Value::Object(m.attrs.clone()).to_string())
    .bind(m.start_date)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?)
}

/// Sets attributes, end date and status if the membership is still at `version`.
pub async fn update_membership(
    tx: &mut WriteTx,
    id: i64,
    version: i64,
    attrs: &serde_json::Map<String, serde_json::Value>,
    end_date: Option<&str>,
    status: &str,
) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE person_categories SET attrs = $1, end_date = $2, status = $3, updated_at = $4, \
         version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(serde_json::Value::Object(attrs.clone()).to_string())
    .bind(end_date)
    .bind(status)
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .execute(&mut ***tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn add_event(
    tx: &mut WriteTx,
    membership_id: i64,
    actor: &str,
    action: &str,
    status: &str,
    attrs: &serde_json::Map<String, serde_json::Value>,
    note: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO person_category_events (person_category_id, at, actor, action, status, attrs, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(membership_id)
    .bind(now_ms())
    .bind(actor)
    .bind(action)
    .bind(status)
    .bind(serde_json::Value::Object(attrs.clone()).to_string())
    .bind(note)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}
