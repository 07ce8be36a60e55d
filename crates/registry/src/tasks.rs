//! The registry's lines on the home page: how to start, and the work that waits.

use chrono::Datelike;
use futures_util::future::BoxFuture;
use kernel::auth::{Ctx, Perm};
use kernel::capability::Task;
use kernel::error::AppResult;
use kernel::state::AppState;

/// A pairing is due for a visit when nobody has visited for this many days: 结对帮扶 is
/// visited at least monthly.
pub const VISIT_DUE_DAYS: u64 = 30;

pub fn tasks<'a>(state: &'a AppState, ctx: &'a Ctx) -> BoxFuture<'a, AppResult<Vec<Task>>> {
    Box::pin(async move {
        let mut out = Vec::new();
        if ctx.p.role.has(Perm::EditRecords) {
            out.push(start(ctx, "home.register", "/registry/persons/new"));
            out.push(start(ctx, "home.import", "/registry/import"));
        }
        if !ctx.p.role.has(Perm::ViewOrg) {
            return Ok(out);
        }
        // Whoever has units below her sees their registries side by side.
        if ctx.scope.unit().len() < 12 {
            out.push(start(ctx, "overview.title", "/registry/overview"));
        }
        let db = state.db();
        let today = kernel::time::today();
        let due = kernel::time::iso_date(
            today
                .checked_sub_days(chrono::Days::new(VISIT_DUE_DAYS))
                .unwrap_or(today),
        );
        let unvisited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pairings g WHERE g.unit_code >= $1 AND g.unit_code < $2 \
             AND g.status = 'active' AND g.start_date <= $3 AND NOT EXISTS (SELECT 1 FROM \
             pairing_visits v WHERE v.pairing_id = g.id AND v.visit_date > $3)",
        )
        .bind(ctx.scope.lo())
        .bind(ctx.scope.hi())
        .bind(&due)
        .fetch_one(db.pool())
        .await?;
        if unvisited > 0 {
            out.push(Task {
                text: ctx.tr.f("home.pairings_due", &[("days", &VISIT_DUE_DAYS)]),
                href: "/registry/pairings".into(),
                count: Some(unvisited),
                urgent: false,
            });
        }
        let month_start = kernel::time::day_start_ms(today.with_day(1).unwrap_or(today));
        let new: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM persons WHERE unit_code >= $1 AND unit_code < $2 \
             AND status = 'active' AND created_at >= $3",
        )
        .bind(ctx.scope.lo())
        .bind(ctx.scope.hi())
        .bind(month_start)
        .fetch_one(db.pool())
        .await?;
        out.push(Task {
            text: ctx.tr.s("home.registered_this_month").to_string(),
            href: "/registry/persons?sort=newest".into(),
            count: Some(new),
            urgent: false,
        });
        Ok(out)
    })
}

fn start(ctx: &Ctx, key: &str, href: &str) -> Task {
    Task {
        text: ctx.tr.s(key).to_string(),
        href: href.into(),
        count: None,
        urgent: false,
    }
}
