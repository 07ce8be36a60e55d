//! Migrations: both backends end with the same tables and columns; a failing migration
//! leaves the database as it was.

use kernel::db::migrate::{apply, Migration, MIGRATIONS};

use crate::on_both;
use crate::support::*;

async fn columns(app: &TestApp) -> Vec<String> {
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name FROM information_schema.columns \
                              WHERE table_schema = 'public' ORDER BY 1"
        }
    };
    let mut cols: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    cols.sort();
    cols
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_schema() {
    let Some(pg) = TestApp::postgres().await else {
        return;
    };
    let lite = TestApp::new(Backend::Sqlite).await;
    let (a, b) = (columns(&lite).await, columns(&pg).await);
    assert!(a.len() > 50, "{a:?}");
    assert_eq!(a, b);
}

on_both!(failed_migration_changes_nothing, |app| {
    let bad = [
        Migration {
            version: 900_000,
            name: "good",
            sqlite: "CREATE TABLE probe_a (x BIGINT);",
            postgres: "CREATE TABLE probe_a (x BIGINT);",
        },
        Migration {
            version: 900_001,
            name: "bad",
            sqlite: "CREATE TABLE probe_b (x BIGINT); INSERT INTO nowhere VALUES (1);",
            postgres: "CREATE TABLE probe_b (x BIGINT); INSERT INTO nowhere VALUES (1);",
        },
    ];
    let all: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|m| Migration { ..*m })
        .chain(bad)
        .collect();
    let before = columns(&app).await;
    let res = apply(&app.db, &all).await;
    assert!(res.is_err(), "{res:?}");
    assert_eq!(
        columns(&app).await,
        before,
        "no table of the failed run remains"
    );
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let mut expected: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
    for c in jinguo::CAPABILITIES {
        expected.extend(c.migrations.iter().map(|m| m.version));
    }
    expected.sort();
    assert_eq!(versions, expected);
    // Running the real migrations again is a no-op.
    assert_eq!(
        kernel::db::migrate::run(&app.db, jinguo::CAPABILITIES)
            .await
            .unwrap(),
        0
    );
});

/// A new SQLite database is made of 8 KB pages (a million-person import writes through
/// half the B-tree pages of 4 KB ones) and keeps its checkpoint at 64 MB of WAL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_sqlite_databases_have_8k_pages() {
    let app = TestApp::new(Backend::Sqlite).await;
    let pool = app.db.pool();
    let page: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(pool)
        .await
        .unwrap();
    let checkpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(pool)
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        (page, checkpoint * page, mode.as_str()),
        (8192, 64 << 20, "wal")
    );
}
