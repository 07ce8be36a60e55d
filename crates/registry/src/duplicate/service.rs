//! Finding, merging and un-merging duplicate persons, with audit entries.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::TryStreamExt;

use kernel::audit::{self, Entry};
use kernel::auth::{Ctx, Perm};
use kernel::db::{now_ms, Db};
use kernel::error::{AppError, AppResult, AtField};
use kernel::scope::Scope;
use kernel::state::AppState;
use sqlx::Row;

use super::{one_char_apart, Reason};
use crate::person::Person;

/// Two persons that look like one, and why.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub a: Person,
    pub b: Person,
    pub reasons: Vec<Reason>,
}

/// A person as the duplicate search compares her.
struct Seen {
    id: i64,
    name: String,
    birth: String,
    unit: String,
}

/// Calls `f` for every two members of a group.
fn each_pair<T>(members: &[T], mut f: impl FnMut(&T, &T)) {
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
            f(a, b);
        }
    }
}

/// Every pair of active persons of the scope that look like one, with the reasons, in
/// (a, b) order. One pass over the scope's rows, read from the list index alone and
/// grouped here: a self-join per reason probed an index once per person and took minutes
/// over a million persons.
async fn pairs(db: &Db, scope: &Scope) -> AppResult<BTreeMap<(i64, i64), Vec<Reason>>> {
    let mut people = Vec::new();
    let mut rows = sqlx::query(
        "SELECT id, name, birth_date, unit_code FROM persons \
         WHERE unit_code >= $1 AND unit_code < $2 AND status = 'active'",
    )
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch(db.pool());
    while let Some(r) = rows.try_next().await? {
        people.push(Seen {
            id: r.get(0),
            name: r.get(1),
            birth: r.get::<Option<String>, _>(2).unwrap_or_default(),
            unit: r.get(3),
        });
    }
    drop(rows);
    // Phones shared by more than one person anywhere, then those of the scope.
    let phones = sqlx::query(
        "SELECT id, phone_hash FROM persons WHERE phone_hash IN (SELECT phone_hash FROM persons \
         WHERE phone_hash IS NOT NULL GROUP BY phone_hash HAVING COUNT(*) > 1) \
         AND unit_code >= $1 AND unit_code < $2 AND status = 'active'",
    )
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_all(db.pool())
    .await?;
    let mut groups: [HashMap<(&str, &str), Vec<&Seen>>; 3] = Default::default();
    for p in &people {
        groups[0].entry((&p.name, &p.birth)).or_default().push(p);
        groups[1].entry((&p.unit, &p.name)).or_default().push(p);
        groups[2].entry((&p.unit, &p.birth)).or_default().push(p);
    }
    let mut by_phone: HashMap<String, Vec<i64>> = HashMap::new();
    for r in &phones {
        by_phone.entry(r.get(1)).or_default().push(r.get(0));
    }
    let mut out: BTreeMap<(i64, i64), Vec<Reason>> = BTreeMap::new();
    let mut add = |a: i64, b: i64, reason: Reason| {
        out.entry((a.min(b), a.max(b))).or_default().push(reason);
    };
    for members in groups[0].values() {
        each_pair(members, |a, b| add(a.id, b.id, Reason::SameNameBirth));
    }
    for ids in by_phone.values() {
        each_pair(ids, |a, b| add(*a, *b, Reason::SamePhone));
    }
    for members in groups[1].values() {
        each_pair(members, |a, b| {
            if a.birth != b.birth {
                add(a.id, b.id, Reason::SameNameVillage)
            }
        });
    }
    for members in groups[2].values() {
        each_pair(members, |a, b| {
            if one_char_apart(&a.name, &b.name) {
                add(a.id, b.id, Reason::SimilarNameVillage)
            }
        });
    }
    Ok(out)
}

/// Likely duplicates among the active persons of the scope (at most `limit` pairs).
pub async fn find(state: &AppState, ctx: &Ctx, limit: i64) -> AppResult<Vec<Candidate>> {
    ctx.require(Perm::EditRecords)?;
    let db = state.db();
    let dismissed: HashSet<(i64, i64)> = sqlx::query("SELECT a_id, b_id FROM duplicate_dismissals")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let pairs = pairs(db, &ctx.scope)
        .await?
        .into_iter()
        .filter(|(pair, _)| !dismissed.contains(pair));
    let mut out = Vec::new();
    let seer = crate::access::Seer::of(ctx);
    for ((a, b), reasons) in pairs.take(limit.max(0) as usize) {
        let pa = crate::store::get(db, &state.cipher, &ctx.scope, a)
            .await?
            .person;
        let pb = crate::store::get(db, &state.cipher, &ctx.scope, b)
            .await?
            .person;
        out.push(Candidate {
            a: seer.person(pa),
            b: seer.person(pb),
            reasons,
        });
    }
    Ok(out)
}

/// Marks a pair as two different persons, so it is not shown again.
pub async fn dismiss(state: &AppState, ctx: &Ctx, a: i64, b: i64) -> AppResult<()> {
    ctx.require(Perm::EditRecords)?;
    let (a, b) = (a.min(b), a.max(b));
    let pa = crate::store::get(state.db(), &state.cipher, &ctx.scope, a)
        .await
        .at_field("a")?
        .person;
    crate::store::get(state.db(), &state.cipher, &ctx.scope, b)
        .await
        .at_field("b")?;
    let mut tx = state.db().begin_write().await?;
    sqlx::query("DELETE FROM duplicate_dismissals WHERE a_id = $1 AND b_id = $2")
        .bind(a)
        .bind(b)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO duplicate_dismissals (a_id, b_id, actor, at) VALUES ($1, $2, $3, $4)")
        .bind(a)
        .bind(b)
        .bind(&ctx.p.username)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "person.not_duplicate",
            &pa.unit_code,
            &format!("person:{a}"),
        )
        .detail(serde_json::json!({"other": b})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a merge moved from the merged person to the survivor, so it can be moved back.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Moved {
    memberships: Vec<i64>,
    pairings: Vec<i64>,
    household_members: Vec<i64>,
}

async fn ids(tx: &mut kernel::db::WriteTx, sql: &str, person: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar(sql)
        .bind(person)
        .fetch_all(&mut ***tx)
        .await?)
}

/// Merges `merged` into `survivor`: her group memberships, pairings and (if the survivor
/// has none) household membership go to the survivor; her own record stays, marked merged.
pub async fn merge(state: &AppState, ctx: &Ctx, survivor: i64, merged: i64) -> AppResult<i64> {
    ctx.require(Perm::EditRecords)?;
    let db = state.db();
    // Scope first: a person outside is not found, whatever else is wrong.
    let s = crate::store::get(db, &state.cipher, &ctx.scope, survivor)
        .await
        .at_field("survivor")?
        .person;
    let m = crate::store::get(db, &state.cipher, &ctx.scope, merged)
        .await
        .at_field("merged")?
        .person;
    if survivor == merged {
        return Err(AppError::BadRequest("duplicate.same_person"));
    }
    let seer = crate::access::Seer::of(ctx);
    seer.may_change(&s.unit_code, s.restricted)?;
    seer.may_change(&m.unit_code, m.restricted)?;
    let mut tx = db.begin_write().await?;
    let mut moved = Moved {
        memberships: ids(
            &mut tx,
            "SELECT id FROM person_categories WHERE person_id = $1",
            merged,
        )
        .await?,
        pairings: ids(
            &mut tx,
            "SELECT id FROM pairings WHERE person_id = $1",
            merged,
        )
        .await?,
        household_members: Vec::new(),
    };
    let survivor_in_household = !ids(
        &mut tx,
        "SELECT id FROM household_members WHERE person_id = $1 AND left_at IS NULL",
        survivor,
    )
    .await?
    .is_empty();
    if !survivor_in_household {
        moved.household_members = ids(
            &mut tx,
            "SELECT id FROM household_members WHERE person_id = $1 AND left_at IS NULL",
            merged,
        )
        .await?;
    }
    for (table, list) in [
        ("person_categories", &moved.memberships),
        ("pairings", &moved.pairings),
        ("household_members", &moved.household_members),
    ] {
        for id in list {
            sqlx::query(&format!("UPDATE {table} SET person_id = $1 WHERE id = $2"))
                .bind(survivor)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
    }
    sqlx::query("UPDATE persons SET status = 'merged', merged_into = $1, version = version + 1, updated_at = $2 WHERE id = $3")
        .bind(survivor)
        .bind(now_ms())
        .bind(merged)
        .execute(&mut **tx)
        .await?;
    let moved_json = serde_json::to_string(&moved).unwrap_or_default();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO person_merges (unit_code, survivor_id, merged_id, moved, merged_at, actor) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&s.unit_code)
    .bind(survivor)
    .bind(merged)
    .bind(&moved_json)
    .bind(now_ms())
    .bind(&ctx.p.username)
    .fetch_one(&mut **tx)
    .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "person.merge",
            &s.unit_code,
            &format!("person:{survivor}"),
        )
        .detail(serde_json::json!({"merged": merged, "merge": id, "moved": moved})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A merge as listed.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MergeRecord {
    pub id: i64,
    pub survivor_id: i64,
    pub survivor_name: crate::access::ShownName,
    pub merged_id: i64,
    pub merged_name: crate::access::ShownName,
    pub merged_at: i64,
    pub actor: String,
    pub undone_at: Option<i64>,
}

pub async fn merges(state: &AppState, ctx: &Ctx) -> AppResult<Vec<MergeRecord>> {
    let rows = sqlx::query(
        "SELECT g.id, g.survivor_id, s.name, g.merged_id, m.name, g.merged_at, COALESCE((SELECT u.display_name FROM users u WHERE u.username = g.actor), g.actor), g.undone_at, \
         s.unit_code, s.restricted, m.unit_code, m.restricted \
         FROM person_merges g JOIN persons s ON s.id = g.survivor_id JOIN persons m ON m.id = g.merged_id \
         WHERE g.unit_code >= $1 AND g.unit_code < $2 ORDER BY g.id DESC LIMIT 200",
    )
    .bind(ctx.scope.lo())
    .bind(ctx.scope.hi())
    .fetch_all(state.db().pool())
    .await?;
    let seer = crate::access::Seer::of(ctx);
    let name = |r: &sqlx::any::AnyRow, at: usize| {
        seer.name(
            &r.get::<String, _>(at),
            &r.get::<String, _>(at + 6),
            r.get::<i64, _>(at + 7) != 0,
        )
    };
    Ok(rows
        .iter()
        .map(|r| MergeRecord {
            id: r.get(0),
            survivor_id: r.get(1),
            survivor_name: name(r, 2),
            merged_id: r.get(3),
            merged_name: name(r, 4),
            merged_at: r.get(5),
            actor: r.get(6),
            undone_at: r.get(7),
        })
        .collect())
}

/// Undoes a merge: what moved goes back, the merged person is active again.
pub async fn undo(state: &AppState, ctx: &Ctx, merge_id: i64) -> AppResult<()> {
    ctx.require(Perm::EditRecords)?;
    let db = state.db();
    let row = sqlx::query(
        "SELECT unit_code, survivor_id, merged_id, moved, undone_at FROM person_merges \
         WHERE id = $1 AND unit_code >= $2 AND unit_code < $3",
    )
    .bind(merge_id)
    .bind(ctx.scope.lo())
    .bind(ctx.scope.hi())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    if row.get::<Option<i64>, _>(4).is_some() {
        return Err(AppError::Conflict("duplicate.already_undone"));
    }
    let (unit, survivor, merged): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
    let moved: Moved = serde_json::from_str(&row.get::<String, _>(3)).unwrap_or_default();
    let mut tx = db.begin_write().await?;
    for (table, list) in [
        ("person_categories", &moved.memberships),
        ("pairings", &moved.pairings),
        ("household_members", &moved.household_members),
    ] {
        for id in list {
            sqlx::query(&format!(
                "UPDATE {table} SET person_id = $1 WHERE id = $2 AND person_id = $3"
            ))
            .bind(merged)
            .bind(id)
            .bind(survivor)
            .execute(&mut **tx)
            .await?;
        }
    }
    sqlx::query("UPDATE persons SET status = 'active', merged_into = NULL, version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(merged)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE person_merges SET undone_at = $1, undone_by = $2 WHERE id = $3")
        .bind(now_ms())
        .bind(&ctx.p.username)
        .bind(merge_id)
        .execute(&mut **tx)
        .await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "person.unmerge",
            &unit,
            &format!("person:{survivor}"),
        )
        .detail(serde_json::json!({"merged": merged, "merge": merge_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
