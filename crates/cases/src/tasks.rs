//! The cases' lines on the home page: late cases first (with how late), then what waits.

use futures_util::future::BoxFuture;
use kernel::auth::{Ctx, Perm};
use kernel::capability::Task;
use kernel::error::AppResult;
use kernel::state::AppState;

pub fn tasks<'a>(state: &'a AppState, ctx: &'a Ctx) -> BoxFuture<'a, AppResult<Vec<Task>>> {
    Box::pin(async move {
        let mut out = Vec::new();
        let handles = ctx.p.role.has(Perm::HandleCases);
        if handles {
            for (key, href) in [
                ("home.log_call", "/cases/calls"),
                ("home.new_case", "/cases/new"),
            ] {
                out.push(Task {
                    text: ctx.tr.s(key).to_string(),
                    href: href.into(),
                    count: None,
                    urgent: false,
                    more: false,
                });
            }
        }
        if !handles && ctx.p.role.has(Perm::EditRecords) {
            out.push(Task {
                text: ctx.tr.s("note.title").to_string(),
                href: "/cases/notes".into(),
                count: None,
                urgent: false,
                more: false,
            });
        }
        if !ctx.p.role.has(Perm::ViewOrg) {
            return Ok(out);
        }
        let db = state.db();
        let today = kernel::time::today();
        let (lo, hi) = (ctx.scope.lo(), ctx.scope.hi());
        let (overdue, oldest): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(due_date) FROM cases WHERE unit_code >= $1 AND unit_code < $2 \
             AND due_date < $3",
        )
        .bind(lo)
        .bind(hi)
        .bind(kernel::time::iso_date(today))
        .fetch_one(db.pool())
        .await?;
        if overdue > 0 {
            let days = oldest
                .as_deref()
                .and_then(kernel::time::parse_date)
                .map_or(0, |d| (today - d).num_days());
            out.push(Task {
                text: ctx.tr.f("home.overdue_cases", &[("days", &days)]),
                href: "/cases?due=overdue&sort=due".into(),
                count: Some(overdue),
                urgent: true,
                more: false,
            });
        }
        if handles {
            let alerts = crate::store::alerts(db, &ctx.p.unit_code).await?.len() as i64;
            if alerts > 0 {
                out.push(Task {
                    text: ctx.tr.s("home.alerts").to_string(),
                    href: "/cases".into(),
                    count: Some(alerts),
                    urgent: true,
                    more: false,
                });
            }
            let (pending, mine): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN state = 'received' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN handler_id = $3 AND state IN ('accepted', 'assigned', \
                 'in_progress') THEN 1 ELSE 0 END), 0) FROM cases WHERE unit_code >= $1 \
                 AND unit_code < $2 AND state IN ('received', 'accepted', 'assigned', 'in_progress')",
            )
            .bind(lo)
            .bind(hi)
            .bind(ctx.p.user_id)
            .fetch_one(db.pool())
            .await?;
            out.push(Task {
                text: ctx.tr.s("home.pending_cases").to_string(),
                href: "/cases?status=received".into(),
                count: Some(pending),
                urgent: false,
                more: false,
            });
            out.push(Task {
                text: ctx.tr.s("home.my_cases").to_string(),
                href: "/cases?mine=1".into(),
                count: Some(mine),
                urgent: false,
                more: false,
            });
        }
        Ok(out)
    })
}
