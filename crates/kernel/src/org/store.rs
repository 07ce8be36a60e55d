//! SQL of the org tree. Every read takes the request's [`Scope`] and filters on its code
//! range; a unit outside the scope is simply not found.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;

pub use super::model::BodyInput;
use super::model::{non_territorial_code, OrgUnit, UnitKind};
use crate::db::{now_ms, Db, WriteTx};
use crate::error::{AppError, AppResult};
use crate::scope::Scope;
use crate::text::like_escape;

const COLUMNS: &str = "code, name, level, kind, parent_code, county_code, chair, vice_chairs, \
                       phone, address, term_start, term_end";

fn unit(r: &sqlx::any::AnyRow) -> OrgUnit {
    OrgUnit {
        code: r.get(0),
        name: r.get(1),
        level: r.get(2),
        kind: UnitKind::parse(&r.get::<String, _>(3)).unwrap_or(UnitKind::Territorial),
        parent_code: r.get(4),
        county_code: r.get(5),
        chair: r.get(6),
        vice_chairs: r.get(7),
        phone: r.get(8),
        address: r.get(9),
        term_start: r.get(10),
        term_end: r.get(11),
    }
}

/// One unit of the scope.
pub async fn get(db: &Db, scope: &Scope, code: &str) -> AppResult<OrgUnit> {
    get_on(db.pool(), scope, code).await
}

/// [`get`] on a given connection: inside a write transaction, so that the writer does
/// not wait for a second connection while it holds the lock.
pub async fn get_on<'e, E>(ex: E, scope: &Scope, code: &str) -> AppResult<OrgUnit>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if !scope.contains(code) {
        return Err(AppError::NotFound);
    }
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM org_units WHERE code = $1 AND code >= $2 AND code < $3"
    ))
    .bind(code)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(unit).ok_or(AppError::NotFound)
}

/// The units directly under `code`, by code.
pub async fn children(
    db: &Db,
    scope: &Scope,
    code: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<OrgUnit>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM org_units WHERE parent_code = $1 AND code >= $2 AND code < $3 \
         ORDER BY code LIMIT $4 OFFSET $5"
    ))
    .bind(code)
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(unit).collect())
}

pub async fn count_children(db: &Db, scope: &Scope, code: &str) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM org_units WHERE parent_code = $1 AND code >= $2 AND code < $3",
    )
    .bind(code)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_one(db.pool())
    .await?)
}

/// The units above `code` that the scope may see, from the top down (for breadcrumbs).
pub async fn ancestors(db: &Db, scope: &Scope, code: &str) -> AppResult<Vec<OrgUnit>> {
    let mut prefixes: Vec<String> = (1..code.len())
        .filter(|l| code.is_char_boundary(*l))
        .map(|l| code[..l].to_string())
        .filter(|p| scope.contains(p))
        .collect();
    if scope.unit() == super::model::ROOT_CODE && code != super::model::ROOT_CODE {
        prefixes.insert(0, super::model::ROOT_CODE.to_string());
    }
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=prefixes.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM org_units WHERE code IN ({}) ORDER BY level, code",
        marks.join(",")
    );
    let mut q = sqlx::query(&sql);
    for p in &prefixes {
        q = q.bind(p);
    }
    Ok(q.fetch_all(db.pool()).await?.iter().map(unit).collect())
}

/// Units of the scope whose name contains `q`, or whose code starts with it.
pub async fn search(
    db: &Db,
    scope: &Scope,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<OrgUnit>> {
    let q = crate::text::clean_text(q);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let digits = crate::text::normalize_digits(&q);
    let rows = if digits.bytes().all(|b| b.is_ascii_digit()) {
        // A code prefix: the intersection of its range and the scope's.
        let (lo, hi) = (digits.clone(), format!("{digits}~"));
        let lo = std::cmp::max(lo.as_str(), scope.lo()).to_string();
        let hi = std::cmp::min(hi.as_str(), scope.hi()).to_string();
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM org_units WHERE code >= $1 AND code < $2 \
             ORDER BY code LIMIT $3 OFFSET $4"
        ))
        .bind(lo)
        .bind(hi)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM org_units WHERE code >= $1 AND code < $2 \
             AND name LIKE $3 ESCAPE '\\' ORDER BY level, code LIMIT $4 OFFSET $5"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(format!("%{}%", like_escape(&q)))
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?
    };
    Ok(rows.iter().map(unit).collect())
}

/// How many units of one level and kind lie below a unit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LevelCount {
    pub level: i64,
    pub kind: UnitKind,
    pub count: i64,
}

/// Subtree counts change only when the tree does; this keeps them for a minute, and
/// forgets them all on any change made through this process.
#[derive(Default)]
pub struct CountsCache {
    map: Mutex<HashMap<String, CachedCounts>>,
}

/// When the counts were taken, and the counts.
type CachedCounts = (Instant, Arc<Vec<LevelCount>>);

const COUNTS_TTL: Duration = Duration::from_secs(60);

impl CountsCache {
    pub fn clear(&self) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Units below `code` (itself excluded), by level and kind.
pub async fn subtree_counts(
    db: &Db,
    cache: &CountsCache,
    code: &str,
) -> AppResult<Arc<Vec<LevelCount>>> {
    if let Some((at, v)) = cache
        .map
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(code)
    {
        if at.elapsed() < COUNTS_TTL {
            return Ok(v.clone());
        }
    }
    let (lo, hi) = super::model::subtree_range(code);
    let rows = sqlx::query(
        "SELECT level, kind, COUNT(*) FROM org_units WHERE code > $1 AND code < $2 \
         GROUP BY level, kind ORDER BY level, kind",
    )
    .bind(if code == super::model::ROOT_CODE {
        "0"
    } else {
        lo.as_str()
    })
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let counts: Vec<LevelCount> = rows
        .iter()
        .map(|r| LevelCount {
            level: r.get(0),
            kind: UnitKind::parse(&r.get::<String, _>(1)).unwrap_or(UnitKind::Territorial),
            count: r.get(2),
        })
        .collect();
    let counts = Arc::new(counts);
    let mut map = cache.map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() > 10_000 {
        map.clear();
    }
    map.insert(code.to_string(), (Instant::now(), counts.clone()));
    Ok(counts)
}

/// Saves a unit's federation body; territorial names come from the statistics and stay.
pub async fn update_body(
    tx: &mut WriteTx,
    before: &OrgUnit,
    input: &super::model::BodyChange,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE org_units SET name = $1, chair = $2, vice_chairs = $3, phone = $4, address = $5, \
         term_start = $6, term_end = $7, updated_at = $8 WHERE code = $9",
    )
    .bind(if before.is_territorial() {
        &before.name
    } else {
        &input.name
    })
    .bind(&input.chair)
    .bind(&input.vice_chairs)
    .bind(&input.phone)
    .bind(&input.address)
    .bind(&input.term_start)
    .bind(&input.term_end)
    .bind(now_ms())
    .bind(&before.code)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Creates a non-territorial unit under `parent` with the next free code.
pub async fn create_child(
    tx: &mut WriteTx,
    parent: &OrgUnit,
    kind: UnitKind,
    name: &str,
) -> AppResult<OrgUnit> {
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE parent_code = $1 AND kind <> 'territorial'",
    )
    .bind(&parent.code)
    .fetch_all(&mut ***tx)
    .await?;
    let prefix = format!("{}N", parent.code);
    let next = existing
        .iter()
        .filter_map(|c| c.strip_prefix(&prefix))
        .filter_map(|n| n.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    if next > 999 {
        return Err(AppError::Conflict("org.too_many_children"));
    }
    let code = non_territorial_code(&parent.code, next);
    let county = super::model::county_of(&parent.code).to_string();
    sqlx::query(
        "INSERT INTO org_units (code, name, level, kind, parent_code, county_code, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&code)
    .bind(name)
    .bind(parent.level + 1)
    .bind(kind.as_str())
    .bind(&parent.code)
    .bind(&county)
    .bind(now_ms())
    .execute(&mut ***tx)
    .await?;
    Ok(OrgUnit {
        code,
        name: name.to_string(),
        level: parent.level + 1,
        kind,
        parent_code: Some(parent.code.clone()),
        county_code: county,
        chair: String::new(),
        vice_chairs: String::new(),
        phone: String::new(),
        address: String::new(),
        term_start: None,
        term_end: None,
    })
}
