//! Sessions (cookie `jinguo_sid`) and the identity they carry. Only a SHA-256 of the
//! token is stored, so a copy of the database cannot be used to log in.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::auth::Role;
use crate::db::{now_ms, Db, WriteTx};
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "jinguo_sid";
pub const LANG_COOKIE: &str = "jinguo_lang";

/// The account behind a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub role: Role,
    pub lang: Lang,
    pub must_change_password: bool,
    /// The session's CSRF token; `None` when the request carries an API token.
    pub csrf: Option<String>,
    /// Hash of the session token, for logout.
    pub session: Option<String>,
}

/// A fresh random token, hex encoded.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) const PRINCIPAL_COLUMNS: &str = "u.id, u.username, u.display_name, u.unit_code, \
    o.name, u.role, u.lang, u.must_change_password, u.disabled";

pub(crate) fn principal_from(r: &sqlx::any::AnyRow) -> Option<Principal> {
    if r.get::<i64, _>(8) != 0 {
        return None;
    }
    Some(Principal {
        user_id: r.get(0),
        username: r.get(1),
        display_name: r.get(2),
        unit_code: r.get(3),
        unit_name: r.get(4),
        role: Role::parse(&r.get::<String, _>(5))?,
        lang: Lang::parse(&r.get::<String, _>(6)),
        must_change_password: r.get::<i64, _>(7) != 0,
        csrf: None,
        session: None,
    })
}

/// Opens a session for `user_id`; returns the cookie token and the CSRF token.
pub async fn create(
    tx: &mut WriteTx,
    user_id: i64,
    ip: &str,
    idle_minutes: i64,
) -> Result<(String, String), sqlx::Error> {
    let token = new_token();
    let csrf = new_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen, expires_at, ip) \
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(&csrf)
    .bind(now)
    .bind(now + idle_minutes * 60_000)
    .bind(ip)
    .execute(&mut ***tx)
    .await?;
    Ok((token, csrf))
}

/// The live session of `token`, extending its idle deadline now and then.
pub async fn lookup(
    db: &Db,
    token: &str,
    idle_minutes: i64,
    max_hours: i64,
) -> Result<Option<Principal>, sqlx::Error> {
    let hash = token_hash(token);
    let row = sqlx::query(&format!(
        "SELECT {PRINCIPAL_COLUMNS}, s.csrf, s.expires_at, s.last_seen, s.created_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN org_units o ON o.code = u.unit_code WHERE s.id_hash = $1"
    ))
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = now_ms();
    let expires: i64 = row.get(10);
    let last_seen: i64 = row.get(11);
    let created: i64 = row.get(12);
    let Some(mut p) = principal_from(&row) else {
        return Ok(None);
    };
    if expires <= now || created + max_hours * 3_600_000 <= now {
        let mut tx = db.begin_write().await?;
        delete(&mut tx, &hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    // Writing on every request would make every page a write; a minute is precise enough.
    if now - last_seen > 60_000 {
        let mut tx = db.begin_write().await?;
        sqlx::query("UPDATE sessions SET last_seen = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(now)
            .bind(now + idle_minutes * 60_000)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
    }
    p.csrf = Some(row.get(9));
    p.session = Some(hash);
    Ok(Some(p))
}

/// Ends one session.
pub async fn delete(tx: &mut WriteTx, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(hash)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Ends every session of an account (password change, disable), but `keep`.
pub async fn delete_all(
    tx: &mut WriteTx,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
