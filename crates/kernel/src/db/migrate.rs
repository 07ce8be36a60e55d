//! Forward-only migrations, one folder per backend, each applied atomically with its
//! record in `schema_migrations`.

use anyhow::Context;
use sqlx::Row;

use super::{now_ms, Backend, Db};

/// One migration: its version, name and the SQL for each backend. Versions are global:
/// the kernel uses 1-999, each capability its own thousand.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migration {
    ($version:expr, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $file, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $file, ".sql")),
        }
    };
}

/// The kernel's migrations, in order. Append only: a released migration never changes.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_kernel"),
    migration!(2, "0002_audit_head"),
];

/// Applies the kernel's and the given capabilities' migrations the database has not seen.
pub async fn run(db: &Db, capabilities: &[crate::Capability]) -> anyhow::Result<usize> {
    let mut all: Vec<Migration> = MIGRATIONS.to_vec();
    for c in capabilities {
        all.extend_from_slice(c.migrations);
    }
    all.sort_by_key(|m| m.version);
    apply(db, &all).await
}

/// Applies `migrations` in one transaction: all that are new, or none.
pub async fn apply(db: &Db, migrations: &[Migration]) -> anyhow::Result<usize> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        // Two servers starting at once must not both migrate.
        sqlx::query("SELECT pg_advisory_xact_lock(7301001)")
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut **tx)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .collect();
    if let Some(newest) = applied.iter().max() {
        let known = migrations.last().map_or(0, |m| m.version);
        if *newest > known {
            anyhow::bail!(
                "数据库结构版本 {newest} 比本程序认识的 {known} 新: 请使用更新版本的 jinguo"
            );
        }
    }
    let mut ran = 0;
    for m in migrations.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        sqlx::raw_sql(sql)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("迁移 {} 失败", m.name))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        ran += 1;
    }
    tx.commit().await?;
    Ok(ran)
}
