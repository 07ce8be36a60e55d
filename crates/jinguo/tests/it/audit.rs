//! The audit chain: written with the change, filtered by scope, verified.

use axum::http::StatusCode;

use crate::on_both;
use crate::support::*;

async fn seed(app: &TestApp) -> Session {
    let s = app.as_user("county", COUNTY, "county_admin").await;
    for (i, chair) in ["甲", "乙", "丙"].iter().enumerate() {
        let code = if i % 2 == 0 { TOWN_A } else { TOWN_B };
        let r = app
            .post(&s, &format!("/org/{code}/edit"), &[("chair", chair)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    s
}

async fn drop_guards(app: &TestApp) {
    // An attacker with database access would first remove the append-only triggers.
    let sql = match app.backend {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
    };
    sqlx::raw_sql(sql).execute(app.db.pool()).await.unwrap();
}

/// The first link `audit verify` finds broken (there must be one).
async fn first_break(app: &TestApp) -> kernel::audit::Broken {
    kernel::audit::verify(&app.db)
        .await
        .unwrap()
        .broken
        .expect("verify finds the chain broken")
}

on_both!(audit_log_is_append_only, |app| {
    seed(&app).await;
    assert!(
        sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(app.db.pool())
        .await
        .is_err());
    let report = kernel::audit::verify(&app.db).await.unwrap();
    assert_eq!(report.broken, None);
    assert!(report.rows >= 4);
});

on_both!(verify_detects_an_edited_row, |app| {
    seed(&app).await;
    drop_guards(&app).await;
    sqlx::query("UPDATE audit_log SET detail = '{}' WHERE seq = 3")
        .execute(app.db.pool())
        .await
        .unwrap();
    let report = kernel::audit::verify(&app.db).await.unwrap();
    let b = report.broken.expect("broken");
    assert_eq!(b.seq, 3);
    assert_eq!(b.reason, kernel::audit::BrokenReason::Altered);
});

on_both!(verify_detects_a_deleted_row, |app| {
    seed(&app).await;
    drop_guards(&app).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(app.db.pool())
        .await
        .unwrap();
    let b = first_break(&app).await;
    assert_eq!(b.seq, 3);
    assert_eq!(b.reason, kernel::audit::BrokenReason::Missing);
});

on_both!(audit_page_filters_and_scopes, |app| {
    let county = seed(&app).await;
    let r = app.get(Some(&county), "/audit?action=org.update").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.matches("<td>org.update</td>").count(), 3);
    let r = app
        .get(Some(&county), &format!("/audit?unit={TOWN_B}"))
        .await;
    assert_eq!(r.body.matches("<td>org.update</td>").count(), 1);
    let r = app
        .get(Some(&county), "/audit?actor=county&action=org.")
        .await;
    assert_eq!(r.body.matches("<td>org.update</td>").count(), 3);
    // A leader of township A sees only A's entries; a village chair sees no audit at all.
    let leader = app.as_user("leader", TOWN_A, "leader").await;
    let r = app.get(Some(&leader), "/api/v1/audit").await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = r.json();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["unit_code"].as_str().unwrap().starts_with(TOWN_A)));
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "org.update")
            .count(),
        2
    );
    let r = app
        .get(Some(&leader), &format!("/audit?unit={TOWN_B}"))
        .await;
    // Another township typed into the filter is no unit of hers: her own log, and why.
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"unit-unmatched\""));
    let village = app.as_user("vc", VILLAGE_A, "village_chair").await;
    assert_eq!(
        app.get(Some(&village), "/audit").await.status,
        StatusCode::FORBIDDEN
    );
});

on_both!(verify_detects_the_newest_rows_deleted, |app| {
    seed(&app).await;
    drop_guards(&app).await;
    let last: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(kernel::audit::verify(&app.db).await.unwrap().broken, None);
    sqlx::query("DELETE FROM audit_log WHERE seq >= $1")
        .bind(last - 1)
        .execute(app.db.pool())
        .await
        .unwrap();
    let b = first_break(&app).await;
    assert_eq!(b.seq, last - 1);
    assert_eq!(b.reason, kernel::audit::BrokenReason::Truncated);
});
