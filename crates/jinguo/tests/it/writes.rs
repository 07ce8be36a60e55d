//! Writes through `Db::write`: on SQLite many share one transaction (group commit); each
//! must still be kept or lost alone, with its audit entry, and be visible once answered.

use futures_util::FutureExt;
use kernel::audit::{Actor, Entry};
use kernel::error::AppError;
use kernel::Db;

use crate::on_both;

/// What a work does: insert `n` and append an entry, then fail or panic if asked.
#[derive(Clone, Copy)]
enum Then {
    Keep,
    Fail,
    Panic,
}

async fn probe(db: Db, n: i64, then: Then) -> Result<i64, AppError> {
    let reader = db.clone();
    let out = db
        .write(move |tx| {
            async move {
                sqlx::query("INSERT INTO probe (n) VALUES ($1)")
                    .bind(n)
                    .execute(&mut ***tx)
                    .await?;
                kernel::audit::append(
                    tx,
                    Entry::new(&Actor::cli(), "probe.write", "", &format!("probe:{n}")),
                )
                .await?;
                match then {
                    Then::Keep => Ok(n),
                    Then::Fail => Err(AppError::NotFound),
                    Then::Panic => panic!("a work that panics"),
                }
            }
            .boxed()
        })
        .await?;
    // Answered means committed: another connection sees the row at once.
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE n = $1")
        .bind(n)
        .fetch_one(reader.pool())
        .await
        .unwrap();
    assert_eq!(seen, 1, "row {n} not visible after its write was answered");
    Ok(out)
}

on_both!(shared_transactions_keep_or_lose_each_write_alone, |app| {
    sqlx::query("CREATE TABLE probe (n BIGINT PRIMARY KEY)")
        .execute(app.db.pool())
        .await
        .unwrap();
    let before = app.audit_count("probe.write").await;
    let mut tasks = Vec::new();
    for i in 0..40_i64 {
        let then = if i % 8 == 7 { Then::Fail } else { Then::Keep };
        tasks.push(tokio::spawn(probe(app.db.clone(), i, then)));
    }
    // Five that collide with rows of the others (whichever comes second fails) and one
    // that panics after its insert.
    for i in 0..5_i64 {
        tasks.push(tokio::spawn(probe(app.db.clone(), i, Then::Keep)));
    }
    tasks.push(tokio::spawn(probe(app.db.clone(), 100, Then::Panic)));
    let mut kept = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.expect("the caller never panics") {
            Ok(_) => kept += 1,
            Err(_) => refused += 1,
        }
    }
    assert_eq!((kept, refused), (35, 11));
    let rows: Vec<i64> = sqlx::query_scalar("SELECT n FROM probe ORDER BY n")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let expected: Vec<i64> = (0..40).filter(|i| i % 8 != 7).collect();
    assert_eq!(rows, expected);
    assert_eq!(app.audit_count("probe.write").await - before, 35);
    let report = kernel::audit::verify(&app.db).await.unwrap();
    assert_eq!(report.broken, None);
    // The writer goes on after all that.
    assert_eq!(probe(app.db.clone(), 200, Then::Keep).await.unwrap(), 200);
});
