//! Personal API tokens (`Authorization: Bearer jgt_…`): same account, same scope and audit
//! as the session, no CSRF since no cookie is involved.

use sqlx::Row;

use super::session::{new_token, principal_from, token_hash, Principal, PRINCIPAL_COLUMNS};
use crate::db::{now_ms, Db, WriteTx};

pub const PREFIX: &str = "jgt_";

/// A token as listed to its owner (never the secret itself).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used: i64,
    pub expires_at: i64,
}

/// Creates a token valid for `days`; the secret is shown once.
pub async fn create(
    tx: &mut WriteTx,
    user_id: i64,
    name: &str,
    days: i64,
) -> Result<(i64, String), sqlx::Error> {
    let secret = format!("{PREFIX}{}", new_token());
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(now)
    .bind(now + days * 86_400_000)
    .fetch_one(&mut ***tx)
    .await?;
    Ok((id, secret))
}

pub async fn list(db: &Db, user_id: i64) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used, expires_at FROM api_tokens \
         WHERE user_id = $1 AND revoked = 0 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| TokenInfo {
            id: r.get(0),
            name: r.get(1),
            created_at: r.get(2),
            last_used: r.get(3),
            expires_at: r.get(4),
        })
        .collect())
}

/// Revokes one of the account's own tokens; false if there was none.
pub async fn revoke(tx: &mut WriteTx, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE api_tokens SET revoked = 1 WHERE id = $1 AND user_id = $2 AND revoked = 0",
    )
    .bind(id)
    .bind(user_id)
    .execute(&mut ***tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The account behind a bearer token, if the token is live.
pub async fn lookup(db: &Db, secret: &str) -> Result<Option<Principal>, sqlx::Error> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let hash = token_hash(secret);
    let row = sqlx::query(&format!(
        "SELECT {PRINCIPAL_COLUMNS}, t.id, t.expires_at, t.last_used, t.revoked \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         JOIN org_units o ON o.code = u.unit_code WHERE t.token_hash = $1"
    ))
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = now_ms();
    if row.get::<i64, _>(10) <= now || row.get::<i64, _>(12) != 0 {
        return Ok(None);
    }
    if now - row.get::<i64, _>(11) > 60_000 {
        let mut tx = db.begin_write().await?;
        sqlx::query("UPDATE api_tokens SET last_used = $1 WHERE id = $2")
            .bind(now)
            .bind(row.get::<i64, _>(9))
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
    }
    Ok(principal_from(&row))
}
