//! The database: one pool over SQLite or PostgreSQL, chosen by the URL at run time.
//!
//! Queries are written once in the portable subset of SQL with `$1` placeholders (SQLite
//! accepts them too) and run through sqlx's `Any` driver; the few places that need a
//! dialect (bulk loading, the audit chain lock) ask [`Db::backend`].

mod combine;
pub mod migrate;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Which database engine is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The shared handle to the database.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// Where write transactions run: on SQLite a pool of one connection that only the
    /// holder of `write_lock` uses, so a writer never queues for a connection behind the
    /// readers while it holds the lock; on PostgreSQL the shared pool.
    writer: AnyPool,
    backend: Backend,
    url: Arc<str>,
    /// SQLite has one writer; taking this lock before a write transaction avoids
    /// `SQLITE_BUSY` on upgrade from a read lock and keeps the audit chain linear.
    write_lock: Arc<Mutex<()>>,
    /// SQLite's group commit for [`Db::write`] (not on a bulk writer's handle).
    combiner: Option<combine::Combiner>,
}

/// A write transaction. On SQLite it also holds the process-wide writer lock.
pub struct WriteTx {
    /// Private: a commit goes through [`WriteTx::commit`], which writes the audit entries.
    tx: Transaction<'static, Any>,
    backend: Backend,
    _guard: Option<OwnedMutexGuard<()>>,
    /// The audit chain's last link as this transaction left it: the chain is locked for
    /// the transaction's length, so a second append needs not read it back.
    pub(crate) audit_head: Option<(i64, String)>,
    /// Entries appended, written at commit.
    pub(crate) audit_pending: Vec<crate::audit::Record>,
}

impl WriteTx {
    fn new(
        tx: Transaction<'static, Any>,
        backend: Backend,
        guard: Option<OwnedMutexGuard<()>>,
    ) -> WriteTx {
        WriteTx {
            tx,
            backend,
            _guard: guard,
            audit_head: None,
            audit_pending: Vec::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        crate::audit::flush(&mut self).await?;
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Transaction<'static, Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Db {
    /// Connects, applying the SQLite pragmas Jinguo relies on (WAL, foreign keys).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let options: AnyConnectOptions = url
            .parse()
            .with_context(|| format!("数据库地址无法解析: {}", redact(url)))?;
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let open = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            conn.execute("PRAGMA cache_size=-32000;").await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options.clone())
        };
        let pool = open(max)
            .await
            .with_context(|| format!("无法连接数据库: {}", redact(url)))?;
        let writer = match backend {
            Backend::Sqlite => open(1)
                .await
                .with_context(|| format!("无法连接数据库: {}", redact(url)))?,
            Backend::Postgres => pool.clone(),
        };
        let write_lock = Arc::new(Mutex::new(()));
        let combiner = match backend {
            Backend::Sqlite => Some(
                combine::Combiner::start(writer.clone(), write_lock.clone())
                    .context("无法启动写入线程")?,
            ),
            Backend::Postgres => None,
        };
        Ok(Db {
            pool,
            writer,
            backend,
            url: url.into(),
            write_lock,
            combiner,
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the pool was opened with (for bulk loads on a native connection).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Begins a write transaction.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        // IMMEDIATE takes SQLite's write lock at once, so another process (a CLI command
        // beside the server) makes us wait (busy_timeout) instead of failing mid-transaction.
        let tx = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx::new(tx, self.backend, guard))
    }

    /// Runs `work` in a write transaction that may append to the audit log, and commits
    /// it. `work` may run more than once (only the last run's writes are kept), so it must
    /// do nothing outside the transaction.
    ///
    /// On SQLite the works submitted while another runs share one transaction, committed
    /// once (see `combine`): for writes many clients make at once (cases taken in). On
    /// PostgreSQL, and on a bulk writer's handle, a transaction each.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: for<'a> FnOnce(&'a mut WriteTx) -> BoxFuture<'a, Result<T, E>> + Clone + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        if let Some(combiner) = &self.combiner {
            return combiner.submit(work).await;
        }
        let mut tx = crate::audit::begin(self).await?;
        let out = combine::unwound(work(&mut tx)).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A handle for one long bulk load (an import job): on SQLite a pool of its own single
    /// connection with a page cache of 512 MB, large enough for a transaction of 500,000
    /// rows into a table of a million without spilling (the default one makes every insert
    /// into a random-keyed index read its page back from the file), sharing this handle's
    /// writer lock. On PostgreSQL the same pool.
    ///
    /// SQLite does not enforce foreign keys on it: an immediate foreign key makes every
    /// multi-row insert keep a statement journal (a sixth of a bulk load's time). The
    /// loader must check its references itself (the import checks each row's unit).
    pub async fn bulk_writer(&self) -> Result<Db, sqlx::Error> {
        if self.backend == Backend::Postgres {
            return Ok(self.clone());
        }
        let options: AnyConnectOptions = self.url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    conn.execute("PRAGMA cache_size=-524288; PRAGMA foreign_keys=OFF;")
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db {
            writer: pool.clone(),
            pool,
            backend: self.backend,
            url: self.url.clone(),
            write_lock: self.write_lock.clone(),
            combiner: None,
        })
    }

    /// Holds the SQLite writer lock for work on a native connection (bulk loads).
    pub async fn exclusive(&self) -> Option<OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await
    }
}

/// What every SQLite connection runs first. A new database is made of 8 KB pages, not
/// 4 KB: a million-person import inserts into random-keyed indexes (ID and phone hashes,
/// name pairs), and on bigger pages their B-trees have half the pages to find, split and
/// write back (import time -6%, 7 runs alternated with 4 KB). 16 KB pages helped the
/// import little more and cost small writes a fifth of their speed, since each commit
/// writes whole pages (case intake, medians alternated with 4 KB: 16 KB 1,850 -> 1,510/s,
/// 8 KB 1,910 -> 1,760/s). An existing database keeps the size it was made with.
/// Temporary storage in memory keeps the statement journal of multi-row inserts off the
/// disk. A checkpoint every 64 MB of WAL (8,192 pages) instead of every 4 MB: each one
/// syncs the file, and small writes (a case, a visit) paid a sixteenth of one each (case
/// intake 650 -> 770/s).
const SQLITE_PRAGMAS: &str = "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; \
    PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
    PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=8192;";

/// Placeholders for `rows` tuples of `per_row` values: `(?,?),(?,?)` on SQLite, whose
/// numbered parameters are looked up by a linear scan (quadratic in a long statement),
/// `($1,$2),($3,$4)` on PostgreSQL.
pub fn value_tuples(backend: Backend, rows: usize, per_row: usize) -> String {
    let mut out = String::with_capacity(rows * per_row * 4);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..per_row {
            if c > 0 {
                out.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => out.push_str(&format!("${n}")),
            }
        }
        out.push(')');
    }
    out
}

/// Tells the backend from the URL scheme.
pub fn backend_of(url: &str) -> anyhow::Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        anyhow::bail!(
            "不支持的数据库地址 {}: 应以 sqlite: 或 postgres:// 开头",
            redact(url)
        )
    }
}

/// Hides the password of a database URL in messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Current time as Unix milliseconds, the form every timestamp is stored in.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(
            redact("postgres://jinguo:secret@localhost/db"),
            "postgres://jinguo:***@localhost/db"
        );
        assert_eq!(redact("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }

    #[test]
    fn tuples() {
        assert_eq!(value_tuples(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(value_tuples(Backend::Postgres, 2, 2), "($1,$2),($3,$4)");
    }

    #[test]
    fn rejects_unknown_scheme() {
        assert!(backend_of("mysql://x").is_err());
        assert_eq!(backend_of("sqlite://a.db").unwrap(), Backend::Sqlite);
    }
}
