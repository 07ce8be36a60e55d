//! SQL of pairings. A pairing is in scope when the helped party's unit is.

use kernel::db::{now_ms, Db, WriteTx};
use kernel::error::{AppError, AppResult};
use kernel::scope::Scope;

use crate::access::{Seer, ShownName};
use sqlx::Row;

use super::HelperKind;

/// A pairing with its help card.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Pairing {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub household_id: Option<i64>,
    /// The helped person's name, or the household head's, as the reader may see it
    pub helped_name: ShownName,
    pub helper_kind: HelperKind,
    pub helper_user_id: Option<i64>,
    pub helper_name: String,
    pub family_situation: String,
    pub poverty_cause: String,
    pub help_direction: String,
    pub start_date: String,
    pub end_date: Option<String>,
    /// active | ended
    pub status: String,
    /// '' | passed | failed
    pub acceptance: String,
    pub acceptance_note: String,
    pub accepted_at: Option<String>,
    pub version: i64,
}

/// A home visit (入户走访) or a periodic check (定期检查).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Visit {
    /// visit | check
    pub kind: String,
    pub visit_date: String,
    /// 了解到的情况
    pub found: String,
    /// 帮扶措施
    pub done: String,
    pub actor: String,
}

const COLUMNS: &str = "g.id, g.unit_code, o.name, g.person_id, g.household_id, \
    COALESCE(p.name, hp.name, ''), g.helper_kind, g.helper_user_id, g.helper_name, g.family_situation, \
    g.poverty_cause, g.help_direction, g.start_date, g.end_date, g.status, g.acceptance, \
    g.acceptance_note, g.accepted_at, g.version, COALESCE(p.unit_code, hp.unit_code, g.unit_code), \
    COALESCE(p.restricted, hp.restricted, 0)";

const FROM: &str = "FROM pairings g JOIN org_units o ON o.code = g.unit_code \
    LEFT JOIN persons p ON p.id = g.person_id \
    LEFT JOIN household_members hm ON hm.household_id = g.household_id AND hm.relation = 'head' AND hm.left_at IS NULL \
    LEFT JOIN persons hp ON hp.id = hm.person_id";

fn pairing(r: &sqlx::any::AnyRow, seer: &Seer) -> Pairing {
    Pairing {
        id: r.get(0),
        unit_code: r.get(1),
        unit_name: r.get(2),
        person_id: r.get(3),
        household_id: r.get(4),
        helped_name: seer.name(
            &r.get::<String, _>(5),
            &r.get::<String, _>(19),
            r.get::<i64, _>(20) != 0,
        ),
        helper_kind: HelperKind::parse(&r.get::<String, _>(6)).unwrap_or(HelperKind::Account),
        helper_user_id: r.get(7),
        helper_name: r.get(8),
        family_situation: r.get(9),
        poverty_cause: r.get(10),
        help_direction: r.get(11),
        start_date: r.get(12),
        end_date: r.get(13),
        status: r.get(14),
        acceptance: r.get(15),
        acceptance_note: r.get(16),
        accepted_at: r.get(17),
        version: r.get(18),
    }
}

/// A pairing of the reader's scope, the helped person named as she may see her.
pub async fn get(db: &Db, seer: &Seer, id: i64) -> AppResult<Pairing> {
    let scope = seer.scope();
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE g.id = $1 AND g.unit_code >= $2 AND g.unit_code < $3"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref()
        .map(|r| pairing(r, seer))
        .ok_or(AppError::NotFound)
}

/// Filters of the pairing list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Filter {
    /// active (default) | ended | all
    pub status: Option<String>,
    /// Only pairs of this helper account
    pub helper: Option<i64>,
    pub page: Option<i64>,
}

pub async fn list(
    db: &Db,
    seer: &Seer,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Pairing>> {
    let status = match f.status.as_deref() {
        Some("ended") => "ended",
        Some("all") => "",
        _ => "active",
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE g.unit_code >= $1 AND g.unit_code < $2 AND ($3 = '' OR g.status = $3) \
         AND ($4 = 0 OR g.helper_user_id = $4) ORDER BY g.unit_code, g.id LIMIT $5 OFFSET $6"
    ))
    .bind(seer.scope().lo())
    .bind(seer.scope().hi())
    .bind(status)
    .bind(f.helper.unwrap_or(0))
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| pairing(r, seer)).collect())
}

pub async fn visits(db: &Db, id: i64) -> AppResult<Vec<Visit>> {
    let rows = sqlx::query(
        "SELECT kind, visit_date, found, done, \
         COALESCE((SELECT u.display_name FROM users u WHERE u.username = actor), actor) \
         FROM pairing_visits WHERE pairing_id = $1 ORDER BY visit_date, id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Visit {
            kind: r.get(0),
            visit_date: r.get(1),
            found: r.get(2),
            done: r.get(3),
            actor: r.get(4),
        })
        .collect())
}

/// Cadres of the scope with more active pairs than `limit`: (account, name, pairs).
pub async fn over_limit(db: &Db, scope: &Scope, limit: i64) -> AppResult<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT g.helper_user_id, MAX(g.helper_name), COUNT(*) FROM pairings g \
         WHERE g.status = 'active' AND g.helper_user_id IS NOT NULL \
         AND g.helper_user_id IN (SELECT u.id FROM users u WHERE u.unit_code >= $1 AND u.unit_code < $2) \
         GROUP BY g.helper_user_id HAVING COUNT(*) > $3 ORDER BY 3 DESC",
    )
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Active pairs of one helper account.
pub async fn active_of_helper(tx: &mut WriteTx, user_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM pairings WHERE helper_user_id = $1 AND status = 'active'",
    )
    .bind(user_id)
    .fetch_one(&mut ***tx)
    .await?)
}

/// The pair limit from the settings table.
pub async fn limit(db: &Db) -> AppResult<i64> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(super::LIMIT_SETTING)
        .fetch_optional(db.pool())
        .await?;
    Ok(v.and_then(|v| v.parse().ok())
        .unwrap_or(super::DEFAULT_LIMIT))
}

pub async fn set_limit(tx: &mut WriteTx, n: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(super::LIMIT_SETTING)
        .execute(&mut ***tx)
        .await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
        .bind(super::LIMIT_SETTING)
        .bind(n.to_string())
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

pub struct NewPairing<'a> {
    pub unit_code: &'a str,
    pub person_id: Option<i64>,
    pub household_id: Option<i64>,
    pub kind: HelperKind,
    pub helper_user_id: Option<i64>,
    pub helper_name: &'a str,
    pub family_situation: &'a str,
    pub poverty_cause: &'a str,
    pub help_direction: &'a str,
    pub start_date: &'a str,
}

pub async fn insert(tx: &mut WriteTx, p: &NewPairing<'_>) -> AppResult<i64> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO pairings (county_code, unit_code, person_id, household_id, helper_kind, helper_user_id, \
         helper_name, family_situation, poverty_cause, help_direction, start_date, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(kernel::org::model::county_of(p.unit_code))
    .bind(p.unit_code)
    .bind(p.person_id)
    .bind(p.household_id)
    .bind(p.kind.as_str())
    .bind(p.helper_user_id)
    .bind(p.helper_name)
    .bind(p.family_situation)
    .bind(p.poverty_cause)
    .bind(p.help_direction)
    .bind(p.start_date)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?)
}

pub async fn add_visit(
    tx: &mut WriteTx,
    id: i64,
    kind: &str,
    date: &str,
    found: &str,
    done: &str,
    actor: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO pairing_visits (pairing_id, kind, visit_date, found, done, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(kind)
    .bind(date)
    .bind(found)
    .bind(done)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Records the year-end acceptance or the end, if the pairing is still at `version`.
pub async fn conclude(
    tx: &mut WriteTx,
    id: i64,
    version: i64,
    acceptance: Option<(&str, &str, &str)>,
    end_date: Option<&str>,
) -> AppResult<bool> {
    let n = match (acceptance, end_date) {
        (Some((result, note, date)), _) => sqlx::query(
            "UPDATE pairings SET acceptance = $1, acceptance_note = $2, accepted_at = $3, updated_at = $4, \
             version = version + 1 WHERE id = $5 AND version = $6",
        )
        .bind(result)
        .bind(note)
        .bind(date)
        .bind(now_ms())
        .bind(id)
        .bind(version)
        .execute(&mut ***tx)
        .await?,
        (None, end) => sqlx::query(
            "UPDATE pairings SET status = 'ended', end_date = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND status = 'active'",
        )
        .bind(end)
        .bind(now_ms())
        .bind(id)
        .bind(version)
        .execute(&mut ***tx)
        .await?,
    };
    Ok(n.rows_affected() == 1)
}
