//! A group's ledger: the rows an import wrote join the group with the items the ledger
//! gives, or have those items updated where the person is in the group already.

use std::collections::HashSet;

use kernel::db::WriteTx;
use kernel::error::{AppError, AppResult};
use sqlx::Row;

use super::check::{Attrs, Ready, RowError};

/// The group an import's rows join, and who it is recorded as.
pub(super) struct Join {
    pub(super) code: String,
    pub(super) actor: String,
    pub(super) today: String,
}

/// Puts a person in the group with the ledger's items, or, when she is in it already,
/// sets the items the ledger fills (the others are kept). Unchanged items write nothing.
async fn join_group(
    tx: &mut WriteTx,
    join: &Join,
    person_id: i64,
    unit_code: &str,
    attrs: &Attrs,
) -> AppResult<bool> {
    use crate::category::store as cat;
    let existing = sqlx::query(
        "SELECT id, version, attrs FROM person_categories WHERE person_id = $1 AND category_code = $2 \
         AND status = 'active'",
    )
    .bind(person_id)
    .bind(&join.code)
    .fetch_optional(&mut ***tx)
    .await?;
    match existing {
        Some(m) => {
            let (id, version): (i64, i64) = (m.get(0), m.get(1));
            let old: Attrs = serde_json::from_str(&m.get::<String, _>(2)).unwrap_or_default();
            let mut merged = old.clone();
            merged.extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
            if merged == old {
                return Ok(false);
            }
            if !cat::update_membership(tx, id, version, &merged, None, "active").await? {
                return Err(AppError::Conflict("person.changed"));
            }
            cat::add_event(tx, id, &join.actor, "update", "active", &merged, "").await?;
        }
        None => {
            let id = cat::insert_membership(
                tx,
                &cat::NewMembership {
                    person_id,
                    code: &join.code,
                    unit_code,
                    attrs,
                    start_date: &join.today,
                },
            )
            .await?;
            cat::add_event(tx, id, &join.actor, "start", "active", attrs, "").await?;
        }
    }
    Ok(true)
}

/// The written rows of a batch join the group: each found by its resident ID, or by name,
/// birth date and village as the write found her. Rows refused while writing do not.
pub(super) async fn join_rows(
    tx: &mut WriteTx,
    join: &Join,
    rows: &[Ready],
    refused: &[RowError],
) -> AppResult<i64> {
    let refused: HashSet<usize> = refused.iter().map(|e| e.row).collect();
    let rows: Vec<&Ready> = rows
        .iter()
        .filter(|r| r.attrs.is_some() && !refused.contains(&r.row))
        .collect();
    let hashes: Vec<String> = rows
        .iter()
        .filter_map(|r| r.stored.id_hash().map(str::to_string))
        .collect();
    let by_hash = crate::store::by_id_hashes(tx, &hashes).await?;
    let mut n = 0;
    for r in rows {
        let found = match r.stored.id_hash() {
            Some(h) => by_hash.get(h).map(|p| (p.0, p.1.clone())),
            None => sqlx::query(
                "SELECT id, unit_code FROM persons WHERE name = $1 AND birth_date = $2 AND unit_code = $3 \
                 AND status = 'active' AND id_hash IS NULL ORDER BY id LIMIT 1",
            )
            .bind(r.stored.name())
            .bind(r.stored.birth_date())
            .bind(r.stored.unit_code())
            .fetch_optional(&mut ***tx)
            .await?
            .map(|p| (p.get(0), p.get(1))),
        };
        if let (Some((id, unit)), Some(attrs)) = (found, &r.attrs) {
            if join_group(tx, join, id, &unit, attrs).await? {
                n += 1;
            }
        }
    }
    Ok(n)
}
