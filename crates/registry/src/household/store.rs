//! SQL of households. A household is in scope when its unit is.

use crate::access::{Seer, ShownName};
use kernel::db::{now_ms, Db, WriteTx};
use kernel::error::{AppError, AppResult};
use sqlx::Row;

use super::Relation;

/// A household with its current members and its moves.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Household {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub members: Vec<Member>,
    pub moves: Vec<Move>,
    pub version: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    pub person_id: i64,
    pub name: ShownName,
    pub restricted: bool,
    pub relation: Relation,
    pub joined_at: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Move {
    pub from_unit: String,
    pub to_unit: String,
    pub moved_at: i64,
    pub actor: String,
}

/// A household of the reader's scope, its members named as she may see them.
pub async fn get(db: &Db, seer: &Seer, id: i64) -> AppResult<Household> {
    let scope = seer.scope();
    let row = sqlx::query(
        "SELECT h.id, h.unit_code, o.name, h.version FROM households h JOIN org_units o ON o.code = h.unit_code \
         WHERE h.id = $1 AND h.unit_code >= $2 AND h.unit_code < $3",
    )
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    let members = sqlx::query(
        "SELECT m.person_id, p.name, p.restricted, m.relation, m.joined_at, p.unit_code FROM household_members m \
         JOIN persons p ON p.id = m.person_id WHERE m.household_id = $1 AND m.left_at IS NULL \
         ORDER BY CASE WHEN m.relation = 'head' THEN 0 ELSE 1 END, m.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Member {
        person_id: r.get(0),
        name: seer.name(
            &r.get::<String, _>(1),
            &r.get::<String, _>(5),
            r.get::<i64, _>(2) != 0,
        ),
        restricted: r.get::<i64, _>(2) != 0,
        relation: Relation::parse(&r.get::<String, _>(3)).unwrap_or(Relation::Other),
        joined_at: r.get(4),
    })
    .collect();
    let moves = sqlx::query(
        "SELECT from_unit, to_unit, moved_at, \
         COALESCE((SELECT u.display_name FROM users u WHERE u.username = actor), actor) \
         FROM household_moves WHERE household_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Move {
        from_unit: r.get(0),
        to_unit: r.get(1),
        moved_at: r.get(2),
        actor: r.get(3),
    })
    .collect();
    Ok(Household {
        id: row.get(0),
        unit_code: row.get(1),
        unit_name: row.get(2),
        version: row.get(3),
        members,
        moves,
    })
}

/// A household as its village's list shows it.
pub struct Listed {
    pub id: i64,
    pub unit_name: String,
    /// The head as the reader may see her (empty when the household has none).
    pub head: String,
    pub members: i64,
}

/// The households of a unit's subtree in the reader's scope, `limit` from `offset`, with
/// how many there are.
pub async fn list(
    db: &Db,
    seer: &Seer,
    unit: Option<&str>,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Listed>, i64)> {
    let (lo, hi) = match unit {
        Some(u) => kernel::org::model::subtree_range(u),
        None => (seer.scope().lo().to_string(), seer.scope().hi().to_string()),
    };
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM households WHERE unit_code >= $1 AND unit_code < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query(
        "SELECT h.id, o.name, p.name, p.unit_code, p.restricted, \
         (SELECT COUNT(*) FROM household_members c WHERE c.household_id = h.id AND c.left_at IS NULL) \
         FROM households h JOIN org_units o ON o.code = h.unit_code \
         LEFT JOIN household_members m ON m.household_id = h.id AND m.relation = 'head' AND m.left_at IS NULL \
         LEFT JOIN persons p ON p.id = m.person_id \
         WHERE h.unit_code >= $1 AND h.unit_code < $2 ORDER BY h.unit_code, h.id LIMIT $3 OFFSET $4",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let listed = rows
        .iter()
        .map(|r| {
            let head = match r.get::<Option<String>, _>(2) {
                Some(name) => seer
                    .name(
                        &name,
                        &r.get::<Option<String>, _>(3).unwrap_or_default(),
                        r.get::<Option<i64>, _>(4).unwrap_or(0) != 0,
                    )
                    .as_str()
                    .to_string(),
                None => String::new(),
            };
            Listed {
                id: r.get(0),
                unit_name: r.get(1),
                head,
                members: r.get(5),
            }
        })
        .collect();
    Ok((listed, total))
}

/// The household a person currently belongs to.
pub async fn of_person(db: &Db, person_id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT household_id FROM household_members WHERE person_id = $1 AND left_at IS NULL",
    )
    .bind(person_id)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn insert(tx: &mut WriteTx, unit_code: &str) -> AppResult<i64> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO households (county_code, unit_code, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(kernel::org::model::county_of(unit_code))
    .bind(unit_code)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?)
}

/// Adds a member; a person already in a household is refused by the unique index.
pub async fn join(
    tx: &mut WriteTx,
    household_id: i64,
    person_id: i64,
    relation: Relation,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO household_members (household_id, person_id, relation, joined_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(household_id)
    .bind(person_id)
    .bind(relation.as_str())
    .bind(now_ms())
    .execute(&mut ***tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Invalid(vec![
            kernel::error::FieldError::new("person", "household.already_member"),
        ]),
        other => other.into(),
    })?;
    Ok(())
}

pub async fn leave(tx: &mut WriteTx, household_id: i64, person_id: i64) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE household_members SET left_at = $1 WHERE household_id = $2 AND person_id = $3 AND left_at IS NULL",
    )
    .bind(now_ms())
    .bind(household_id)
    .bind(person_id)
    .execute(&mut ***tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Moves the household and its current members' residence (and group memberships).
pub async fn relocate(
    tx: &mut WriteTx,
    h: &Household,
    to_unit: &str,
    actor: &str,
) -> AppResult<bool> {
    let now = now_ms();
    let n = sqlx::query(
        "UPDATE households SET unit_code = $1, county_code = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(to_unit)
    .bind(kernel::org::model::county_of(to_unit))
    .bind(now)
    .bind(h.id)
    .bind(h.version)
    .execute(&mut ***tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    for m in &h.members {
        sqlx::query(
            "UPDATE persons SET unit_code = $1, county_code = $2, updated_at = $3, version = version + 1 WHERE id = $4",
        )
        .bind(to_unit)
        .bind(kernel::org::model::county_of(to_unit))
        .bind(now)
        .bind(m.person_id)
        .execute(&mut ***tx)
        .await?;
        sqlx::query("UPDATE person_categories SET unit_code = $1 WHERE person_id = $2")
            .bind(to_unit)
            .bind(m.person_id)
            .execute(&mut ***tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO household_moves (household_id, from_unit, to_unit, moved_at, actor) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(h.id)
    .bind(&h.unit_code)
    .bind(to_unit)
    .bind(now)
    .bind(actor)
    .execute(&mut ***tx)
    .await?;
    Ok(true)
}
