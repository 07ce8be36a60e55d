//! Accounts (账号): who may log in, at which unit, with which role. Managers act only on
//! accounts below their own unit and never grant more than they hold.

pub mod api;
pub mod pick;
pub mod web;

use sqlx::Row;

use crate::audit::{self, Actor, Entry};
use crate::auth::roles::may_manage;
use crate::auth::{password, session, Ctx, Perm, Role};
use crate::db::{now_ms, Db, WriteTx};
use crate::error::{AppError, AppResult, FieldError};
use crate::scope::Scope;

/// An account as managers see it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub role: Role,
    pub phone: String,
    pub disabled: bool,
    pub must_change_password: bool,
    /// Unix milliseconds; 0 when not locked
    pub locked_until: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "u.id, u.username, u.display_name, u.unit_code, o.name, u.role, u.phone, \
                       u.disabled, u.must_change_password, u.locked_until, u.created_at";

fn account(r: &sqlx::any::AnyRow) -> Account {
    Account {
        id: r.get(0),
        username: r.get(1),
        display_name: r.get(2),
        unit_code: r.get(3),
        unit_name: r.get(4),
        role: Role::parse(&r.get::<String, _>(5)).unwrap_or(Role::Leader),
        phone: r.get(6),
        disabled: r.get::<i64, _>(7) != 0,
        must_change_password: r.get::<i64, _>(8) != 0,
        locked_until: r.get(9),
        created_at: r.get(10),
    }
}

/// Filters of the account list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ListFilter {
    /// Part of the account name or the person's name
    pub q: Option<String>,
    /// Only accounts in this unit's subtree
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
    pub page: Option<i64>,
}

/// The accounts the list keeps: `$1`–`$2` the unit range, `$3`/`$4` a name and its pattern.
const LIST_WHERE: &str = "u.unit_code >= $1 AND u.unit_code < $2 \
    AND ($3 = '' OR u.username LIKE $4 ESCAPE '\\' OR u.display_name LIKE $4 ESCAPE '\\')";

/// How many accounts the list keeps, over every page.
pub async fn count(db: &Db, scope: &Scope, f: &ListFilter) -> AppResult<i64> {
    let (lo, hi) = scope.filter_range(f.unit.as_deref())?;
    let q = crate::text::clean_text(f.q.as_deref().unwrap_or(""));
    Ok(
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u WHERE {LIST_WHERE}"))
            .bind(lo)
            .bind(hi)
            .bind(&q)
            .bind(format!("%{}%", crate::text::like_escape(&q)))
            .fetch_one(db.pool())
            .await?,
    )
}

/// Accounts in the scope (and the filter's unit), by unit then name.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &ListFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Account>> {
    let (lo, hi) = scope.filter_range(f.unit.as_deref())?;
    let q = crate::text::clean_text(f.q.as_deref().unwrap_or(""));
    let pattern = format!("%{}%", crate::text::like_escape(&q));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u JOIN org_units o ON o.code = u.unit_code \
         WHERE {LIST_WHERE} ORDER BY u.unit_code, u.username LIMIT $5 OFFSET $6"
    ))
    .bind(lo)
    .bind(hi)
    .bind(&q)
    .bind(pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(account).collect())
}

/// One account of the scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Account> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u JOIN org_units o ON o.code = u.unit_code \
         WHERE u.id = $1 AND u.unit_code >= $2 AND u.unit_code < $3"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(account).ok_or(AppError::NotFound)
}

/// Input for a new account.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    #[schema(pattern = r"^[a-z0-9][a-z0-9_.-]{2,31}$")]
    pub username: String,
    #[schema(min_length = 1, max_length = 40)]
    pub display_name: String,
    #[schema(pattern = r"^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit_code: String,
    /// sys_admin | county_admin | township_chair | village_chair | rights_officer | leader
    #[schema(value_type = crate::auth::Role)]
    pub role: String,
    #[serde(default)]
    pub phone: String,
}

/// A created account and the initial password to hand over (changed at first login).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub account: Account,
    pub initial_password: String,
}

/// Checks an account name: 3-32 of a-z, 0-9, `_`, `.`, `-`, starting with a letter or digit.
pub fn check_username(name: &str) -> Result<String, &'static str> {
    let n = name.trim().to_lowercase();
    let ok_chars = n
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if !(3..=32).contains(&n.len())
        || !ok_chars
        || !n.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err("account.username_invalid");
    }
    Ok(n)
}

struct Checked {
    username: String,
    display_name: String,
    unit_code: String,
    role: Role,
    phone: String,
}

async fn check_new(db: &Db, scope: &Scope, input: &NewAccount) -> AppResult<Checked> {
    let mut errs = Vec::new();
    let username = check_username(&input.username)
        .map_err(|k| errs.push(FieldError::new("username", k)))
        .unwrap_or_default();
    let display_name = crate::text::clean_text(&input.display_name);
    if display_name.is_empty() {
        errs.push(FieldError::new("display_name", "field.required"));
    } else if display_name.chars().count() > 30 {
        errs.push(FieldError::new("display_name", "field.too_long"));
    }
    let role = Role::parse(&input.role);
    if role.is_none() {
        errs.push(FieldError::new("role", "account.role_invalid"));
    }
    let unit_code = input.unit_code.trim().to_string();
    if crate::org::store::get(db, scope, &unit_code).await.is_err() {
        errs.push(FieldError::new("unit_code", "account.unit_invalid"));
    }
    let phone = match input.phone.trim() {
        "" => String::new(),
        p => crate::phone::parse(p)
            .map_err(|k| errs.push(FieldError::new("phone", k)))
            .unwrap_or_default(),
    };
    if !username.is_empty() {
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
            .bind(&username)
            .fetch_one(db.pool())
            .await?;
        if taken > 0 {
            errs.push(FieldError::new("username", "account.username_taken"));
        }
    }
    match (role, errs.is_empty()) {
        (Some(role), true) => Ok(Checked {
            username,
            display_name,
            unit_code,
            role,
            phone,
        }),
        _ => Err(AppError::Invalid(errs)),
    }
}

async fn insert(
    tx: &mut WriteTx,
    c: &Checked,
    hash: &str,
    created_by: Option<i64>,
    must_change: bool,
) -> AppResult<i64> {
    let now = now_ms();
    let id = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, unit_code, role, password_hash, \
         must_change_password, phone, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&c.username)
    .bind(&c.display_name)
    .bind(&c.unit_code)
    .bind(c.role.as_str())
    .bind(hash)
    .bind(i64::from(must_change))
    .bind(&c.phone)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            AppError::Invalid(vec![FieldError::new("username", "account.username_taken")])
        }
        other => other.into(),
    })?;
    Ok(id)
}

/// Creates an account below the manager's unit with a random initial password.
pub async fn create(
    state: &crate::state::AppState,
    ctx: &Ctx,
    input: &NewAccount,
) -> AppResult<Created> {
    ctx.require(Perm::ManageAccounts)?;
    let c = check_new(state.db(), &ctx.scope, input).await?;
    if !may_manage(ctx.p.role, &ctx.p.unit_code, c.role, &c.unit_code) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "role",
            "account.role_not_grantable",
        )]));
    }
    let initial = password::generate();
    let hash = password::hash_off_thread(&initial).await?;
    let mut tx = state.db().begin_write().await?;
    let id = insert(&mut tx, &c, &hash, Some(ctx.p.user_id), true).await?;
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "account.create", &c.unit_code, &c.username).detail(
            serde_json::json!({"id": id, "role": c.role.as_str(), "display_name": c.display_name}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        account: get(state.db(), &ctx.scope, id).await?,
        initial_password: initial,
    })
}

/// A change to an account by a manager; absent fields stay.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountChange {
    #[schema(min_length = 1, max_length = 40)]
    pub display_name: Option<String>,
    #[schema(value_type = Option<crate::auth::Role>)]
    pub role: Option<String>,
    #[schema(pattern = r"^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit_code: Option<String>,
    pub phone: Option<String>,
    pub disabled: Option<bool>,
    /// Sets a new random password that must be changed at next login
    #[serde(default)]
    pub reset_password: bool,
    /// Lifts a lockout
    #[serde(default)]
    pub unlock: bool,
}

/// Applies a manager's change; the new random password if one was reset.
pub async fn update(
    state: &crate::state::AppState,
    ctx: &Ctx,
    id: i64,
    change: &AccountChange,
) -> AppResult<(Account, Option<String>)> {
    ctx.require(Perm::ManageAccounts)?;
    let db = state.db();
    let before = get(db, &ctx.scope, id).await?;
    if before.id == ctx.p.user_id
        || !may_manage(ctx.p.role, &ctx.p.unit_code, before.role, &before.unit_code)
    {
        return Err(AppError::Forbidden);
    }
    let mut errs = Vec::new();
    let role = match change.role.as_deref() {
        Some(r) => Role::parse(r).unwrap_or_else(|| {
            errs.push(FieldError::new("role", "account.role_invalid"));
            before.role
        }),
        None => before.role,
    };
    let unit_code = change
        .unit_code
        .as_deref()
        .map(str::trim)
        .unwrap_or(&before.unit_code)
        .to_string();
    if crate::org::store::get(db, &ctx.scope, &unit_code)
        .await
        .is_err()
    {
        errs.push(FieldError::new("unit_code", "account.unit_invalid"));
    }
    let display_name = match &change.display_name {
        Some(n) => {
            let n = crate::text::clean_text(n);
            if n.is_empty() || n.chars().count() > 30 {
                errs.push(FieldError::new("display_name", "field.required"));
            }
            n
        }
        None => before.display_name.clone(),
    };
    let phone = match change.phone.as_deref().map(str::trim) {
        Some("") => String::new(),
        Some(p) => crate::phone::parse(p)
            .map_err(|k| errs.push(FieldError::new("phone", k)))
            .unwrap_or_default(),
        None => before.phone.clone(),
    };
    if errs.is_empty() && !may_manage(ctx.p.role, &ctx.p.unit_code, role, &unit_code) {
        errs.push(FieldError::new("role", "account.role_not_grantable"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let disabled = change.disabled.unwrap_or(before.disabled);
    let new_password = if change.reset_password {
        Some(password::generate())
    } else {
        None
    };
    let new_hash = match &new_password {
        Some(p) => Some(password::hash_off_thread(p).await?),
        None => None,
    };
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, unit_code = $3, phone = $4, disabled = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&display_name)
    .bind(role.as_str())
    .bind(&unit_code)
    .bind(&phone)
    .bind(i64::from(disabled))
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if let Some(h) = &new_hash {
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 1 WHERE id = $2")
            .bind(h)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if change.unlock || new_hash.is_some() {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if disabled || new_hash.is_some() || role != before.role || unit_code != before.unit_code {
        session::delete_all(&mut tx, id, None).await?;
    }
    let action = match (before.disabled, disabled) {
        (false, true) => "account.disable",
        (true, false) => "account.enable",
        _ if role != before.role || unit_code != before.unit_code => "account.role_change",
        _ => "account.update",
    };
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), action, &unit_code, &before.username).detail(serde_json::json!({
            "id": id,
            "before": {"role": before.role.as_str(), "unit": before.unit_code, "display_name": before.display_name, "disabled": before.disabled},
            "after": {"role": role.as_str(), "unit": unit_code, "display_name": display_name, "disabled": disabled},
            "password_reset": new_hash.is_some(),
            "unlock": change.unlock,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok((get(db, &ctx.scope, id).await?, new_password))
}

/// The account's own password change: the current password, then the new one twice.
pub async fn change_own_password(
    state: &crate::state::AppState,
    ctx: &Ctx,
    current: &str,
    new: &str,
    confirm: &str,
) -> AppResult<()> {
    let mut errs = Vec::new();
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(ctx.p.user_id)
        .fetch_one(state.db().pool())
        .await?;
    let ok = password::verify_off_thread(current, Some(stored)).await?;
    if !ok {
        errs.push(FieldError::new("current", "account.current_password_wrong"));
    }
    if let Err(k) = password::check_policy(new, &ctx.p.username) {
        errs.push(FieldError::new("new", k));
    } else if new == current {
        errs.push(FieldError::new("new", "account.password_unchanged"));
    }
    if new != confirm {
        errs.push(FieldError::new("confirm", "account.password_mismatch"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let hash = password::hash_off_thread(new).await?;
    let mut tx = state.db().begin_write().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = 0, updated_at = $2 WHERE id = $3",
    )
    .bind(&hash)
    .bind(now_ms())
    .bind(ctx.p.user_id)
    .execute(&mut **tx)
    .await?;
    session::delete_all(&mut tx, ctx.p.user_id, ctx.p.session.as_deref()).await?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "account.password_change",
            &ctx.p.unit_code,
            &ctx.p.username,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `jinguo user add`: the command line needs no manager, only access to the server.
pub async fn add_from_cli(
    db: &Db,
    input: &NewAccount,
    pw: Option<&str>,
) -> anyhow::Result<(i64, String)> {
    let root = Scope::of_unit(crate::org::model::ROOT_CODE);
    let c = match check_new(db, &root, input).await {
        Ok(c) => c,
        Err(AppError::Invalid(errs)) => {
            let tr = crate::i18n::Tr::default();
            let msgs: Vec<String> = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, tr.s(e.key)))
                .collect();
            anyhow::bail!("{}", msgs.join("; "));
        }
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    };
    let (initial, must_change) = match pw {
        Some(p) => {
            password::check_policy(p, &c.username)
                .map_err(|k| anyhow::anyhow!("{}", crate::i18n::Tr::default().s(k)))?;
            (p.to_string(), false)
        }
        None => (password::generate(), true),
    };
    let hash = password::hash(&initial)?;
    let mut tx = db.begin_write().await?;
    let id = insert(&mut tx, &c, &hash, None, must_change)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    audit::append(
        &mut tx,
        Entry::new(&Actor::cli(), "account.create", &c.unit_code, &c.username)
            .detail(serde_json::json!({"id": id, "role": c.role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok((id, initial))
}

/// `jinguo user passwd|disable|enable`: sets a password (to be changed at next login) or
/// the disabled flag.
/// An API token for an account, made at the console (for an integration or a test
/// harness that has no browser); the secret is printed once and the making audited.
pub async fn token_from_cli(
    db: &Db,
    username: &str,
    name: &str,
    days: i64,
) -> anyhow::Result<String> {
    let row = sqlx::query("SELECT id, unit_code FROM users WHERE username = $1 AND disabled = 0")
        .bind(username.trim())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else {
        anyhow::bail!("账号 {username} 不存在或已停用");
    };
    let (id, unit): (i64, String) = (row.get(0), row.get(1));
    if !(1..=365).contains(&days) {
        anyhow::bail!("有效天数应为 1 到 365");
    }
    let mut tx = db.begin_write().await?;
    let (token_id, secret) = crate::auth::tokens::create(&mut tx, id, name, days).await?;
    audit::append(
        &mut tx,
        Entry::new(&Actor::cli(), "token.create", &unit, username)
            .detail(serde_json::json!({"token": token_id, "name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

pub async fn admin_from_cli(
    db: &Db,
    username: &str,
    new_password: Option<&str>,
    disabled: Option<bool>,
) -> anyhow::Result<()> {
    let row = sqlx::query("SELECT id, unit_code FROM users WHERE username = $1")
        .bind(username.trim())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else {
        anyhow::bail!("账号 {username} 不存在");
    };
    let (id, unit): (i64, String) = (row.get(0), row.get(1));
    let hash = match new_password {
        Some(p) => {
            password::check_policy(p, username)
                .map_err(|k| anyhow::anyhow!("{}", crate::i18n::Tr::default().s(k)))?;
            Some(password::hash(p)?)
        }
        None => None,
    };
    let mut tx = db.begin_write().await?;
    if let Some(h) = &hash {
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 1, failed_logins = 0, \
             locked_until = 0, updated_at = $2 WHERE id = $3",
        )
        .bind(h)
        .bind(now_ms())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    if let Some(d) = disabled {
        sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(d))
            .bind(now_ms())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    session::delete_all(&mut tx, id, None).await?;
    let action = match (hash.is_some(), disabled) {
        (_, Some(true)) => "account.disable",
        (_, Some(false)) => "account.enable",
        _ => "account.password_reset",
    };
    audit::append(&mut tx, Entry::new(&Actor::cli(), action, &unit, username)).await?;
    tx.commit().await?;
    Ok(())
}
