//! The audit log: append-only, hash-chained, written in the transaction of the change it
//! records. `verify` walks the chain and names the first broken link.

pub mod web;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{now_ms, Backend, Db, WriteTx};
use crate::scope::Scope;

/// Every action the kernel audits (capabilities add their own).
pub const ACTIONS: &[&str] = &[
    "auth.login",
    "auth.login_failed",
    "auth.lockout",
    "auth.logout",
    "account.create",
    "account.update",
    "account.role_change",
    "account.disable",
    "account.enable",
    "account.password_change",
    "account.password_reset",
    "token.create",
    "token.revoke",
    "org.import",
    "org.create",
    "org.update",
];

/// Who did something.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub ip: String,
}

impl Actor {
    /// The command line, run by whoever holds the server.
    pub fn cli() -> Actor {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Actor {
            id: None,
            name: format!("cli:{who}"),
            ip: String::new(),
        }
    }

    /// Someone not (yet) known, e.g. a failed login.
    pub fn anonymous(name: &str, ip: &str) -> Actor {
        Actor {
            id: None,
            name: name.to_string(),
            ip: ip.to_string(),
        }
    }
}

/// One entry to append.
#[derive(Clone, Debug)]
pub struct Entry {
    pub actor_id: Option<i64>,
    pub actor: String,
    pub ip: String,
    /// The unit the record belongs to, so that audit views are scoped like the records.
    pub unit_code: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

impl Entry {
    pub fn new(actor: &Actor, action: &str, unit_code: &str, target: &str) -> Entry {
        Entry {
            actor_id: actor.id,
            actor: actor.name.clone(),
            ip: actor.ip.clone(),
            unit_code: unit_code.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            detail: serde_json::Value::Null,
        }
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Entry {
        self.detail = detail;
        self
    }
}

/// A stored entry.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Record {
    pub seq: i64,
    /// Unix milliseconds
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub unit_code: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
    #[serde(skip)]
    pub prev_hash: String,
    #[serde(skip)]
    pub hash: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn chain_hash(prev: &str, r: &Record) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &r.seq.to_string(),
        &r.at.to_string(),
        &r.actor_id.map(|i| i.to_string()).unwrap_or_default(),
        &r.actor,
        &r.unit_code,
        &r.action,
        &r.target,
        &r.detail,
        &r.ip,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Takes the chain's lock (PostgreSQL; on SQLite the writer lock already serialises):
/// appenders go one at a time so the chain stays linear. Released at commit.
async fn lock_chain(tx: &mut WriteTx) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7301002)")
            .execute(&mut ***tx)
            .await?;
    }
    Ok(())
}

/// A write transaction that will append to the audit log and also locks rows that other
/// appenders lock (sums kept by triggers): it takes the chain's lock first, so that two of
/// them never wait for each other in opposite orders (a deadlock on PostgreSQL).
pub async fn begin(db: &crate::db::Db) -> Result<WriteTx, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    lock_chain(&mut tx).await?;
    Ok(tx)
}

/// Appends an entry inside the caller's transaction and returns its sequence number; the
/// row is written at the transaction's commit.
pub async fn append(tx: &mut WriteTx, e: Entry) -> Result<i64, sqlx::Error> {
    let (prev_seq, prev_hash) = match tx.audit_head.take() {
        Some(head) => head,
        None => {
            lock_chain(tx).await?;
            let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut ***tx)
                .await?;
            match last {
                Some(r) => (r.get::<i64, _>(0), r.get::<String, _>(1)),
                None => (0, GENESIS.to_string()),
            }
        }
    };
    let mut rec = Record {
        seq: prev_seq + 1,
        at: now_ms(),
        actor_id: e.actor_id,
        actor: e.actor,
        unit_code: e.unit_code,
        action: e.action,
        target: e.target,
        detail: if e.detail.is_null() {
            String::new()
        } else {
            e.detail.to_string()
        },
        ip: e.ip,
        prev_hash,
        hash: String::new(),
    };
    rec.hash = chain_hash(&rec.prev_hash, &rec);
    let seq = rec.seq;
    tx.audit_head = Some((rec.seq, rec.hash.clone()));
    tx.audit_pending.push(rec);
    Ok(seq)
}

/// Writes the entries appended in `tx`, at its commit: one statement for many, since the
/// writes that share a transaction (see `db::combine`) each append one.
pub(crate) async fn flush(tx: &mut WriteTx) -> Result<(), sqlx::Error> {
    let pending = std::mem::take(&mut tx.audit_pending);
    for part in pending.chunks(500) {
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor_id, actor, unit_code, action, target, detail, \
             ip, prev_hash, hash) VALUES {}",
            crate::db::value_tuples(tx.backend(), part.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(r.seq)
                .bind(r.at)
                .bind(r.actor_id)
                .bind(&r.actor)
                .bind(&r.unit_code)
                .bind(&r.action)
                .bind(&r.target)
                .bind(&r.detail)
                .bind(&r.ip)
                .bind(&r.prev_hash)
                .bind(&r.hash);
        }
        q.execute(&mut ***tx).await?;
    }
    if let Some(last) = pending.last() {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(last.seq)
            .bind(&last.hash)
            .execute(&mut ***tx)
            .await?;
    }
    Ok(())
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub rows: i64,
    pub broken: Option<Broken>,
}

/// The first link that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub reason: BrokenReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenReason {
    /// The row's contents no longer give its hash: it was edited.
    Altered,
    /// The row does not follow the one before it: rows were removed or inserted.
    Missing,
    /// The log ends before the head kept outside it: the newest rows were removed (`seq`
    /// is the first one missing).
    Truncated,
}

const COLUMNS: &str =
    "seq, at, actor_id, actor, unit_code, action, target, detail, ip, prev_hash, hash";

fn record(r: &sqlx::any::AnyRow) -> Record {
    Record {
        seq: r.get(0),
        at: r.get(1),
        actor_id: r.get(2),
        actor: r.get(3),
        unit_code: r.get(4),
        action: r.get(5),
        target: r.get(6),
        detail: r.get(7),
        ip: r.get(8),
        prev_hash: r.get(9),
        hash: r.get(10),
    }
}

/// Walks the whole chain in order.
pub async fn verify(db: &Db) -> Result<VerifyReport, sqlx::Error> {
    let mut prev_hash = GENESIS.to_string();
    let mut prev_seq = 0i64;
    let mut rows = 0i64;
    loop {
        let page = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"
        ))
        .bind(prev_seq)
        .fetch_all(db.pool())
        .await?;
        if page.is_empty() {
            let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(db.pool())
                .await?;
            let broken = match head {
                Some(h) if h.get::<i64, _>(0) == prev_seq && h.get::<String, _>(1) == prev_hash => {
                    None
                }
                _ => Some(Broken {
                    seq: prev_seq + 1,
                    reason: BrokenReason::Truncated,
                }),
            };
            return Ok(VerifyReport { rows, broken });
        }
        for r in &page {
            let rec = record(r);
            rows += 1;
            let broken = |reason| {
                Ok(VerifyReport {
                    rows,
                    broken: Some(Broken {
                        seq: rec.seq,
                        reason,
                    }),
                })
            };
            if rec.seq != prev_seq + 1 || rec.prev_hash != prev_hash {
                return broken(BrokenReason::Missing);
            }
            if chain_hash(&rec.prev_hash, &rec) != rec.hash {
                return broken(BrokenReason::Altered);
            }
            prev_hash = rec.hash;
            prev_seq = rec.seq;
        }
    }
}

/// Filters of the audit page and API.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Filter {
    /// Account name (exact)
    pub actor: Option<String>,
    /// Action, or its prefix ending in `.` (e.g. `account.`)
    pub action: Option<String>,
    /// Unit code: entries of that unit's subtree
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
    /// From this date (YYYY-MM-DD, China time), inclusive
    #[param(format = Date)]
    pub from: Option<String>,
    /// To this date (YYYY-MM-DD, China time), inclusive
    #[param(format = Date)]
    pub to: Option<String>,
    /// Entries before this sequence number (for paging)
    pub before: Option<i64>,
}

/// Entries visible in `scope` that match the filter, newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Record>, crate::error::AppError> {
    let (lo, hi) = scope.filter_range(f.unit.as_deref())?;
    let mut sql =
        format!("SELECT {COLUMNS} FROM audit_log WHERE unit_code >= $1 AND unit_code < $2");
    let mut binds: Vec<Bind> = vec![Bind::S(lo), Bind::S(hi)];
    let mut push = |cond: &str, b: Bind, sql: &mut String| {
        binds.push(b);
        sql.push_str(&cond.replace('?', &format!("${}", binds.len())));
    };
    if let Some(a) = f.actor.as_deref().filter(|a| !a.is_empty()) {
        push(" AND actor = ?", Bind::S(a.trim().to_string()), &mut sql);
    }
    if let Some(a) = f.action.as_deref().filter(|a| !a.is_empty()) {
        if let Some(p) = a.strip_suffix('.') {
            push(" AND action >= ?", Bind::S(format!("{p}.")), &mut sql);
            push(" AND action < ?", Bind::S(format!("{p}/")), &mut sql);
        } else {
            push(" AND action = ?", Bind::S(a.to_string()), &mut sql);
        }
    }
    if let Some(d) = crate::time::date_param(f.from.as_deref(), "from")? {
        push(
            " AND at >= ?",
            Bind::I(crate::time::day_start_ms(d)),
            &mut sql,
        );
    }
    if let Some(d) = crate::time::date_param(f.to.as_deref(), "to")? {
        push(
            " AND at < ?",
            Bind::I(crate::time::day_start_ms(d) + 86_400_000),
            &mut sql,
        );
    }
    if let Some(b) = f.before {
        push(" AND seq < ?", Bind::I(b), &mut sql);
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT {limit}"));
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = match b {
            Bind::S(s) => q.bind(s),
            Bind::I(i) => q.bind(i),
        };
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok(rows.iter().map(record).collect())
}

enum Bind {
    S(String),
    I(i64),
}
