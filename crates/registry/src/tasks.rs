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
                more: false,
            });
        }
        let month_start = kernel::time::day_start_ms(today.with_day(1).unwrap_or(today));
        let (new, more) = registered_since(db, &ctx.scope, month_start, REGISTERED_COUNTED).await?;
        out.push(Task {
            text: ctx.tr.s("home.registered_this_month").to_string(),
            href: "/registry/persons?sort=newest".into(),
            count: Some(new),
            urgent: false,
            more,
        });
        Ok(out)
    })
}

/// The home page counts the persons registered this month up to this many, then says "+".
pub const REGISTERED_COUNTED: i64 = 10_000;

/// The persons of the scope registered since `from` (ms), counted up to `cap`, and
/// whether there are more. Registry numbers grow with time, so
/// the first number since then is found by bisecting the numbers (a few key lookups) and
/// only the rows after it are read: counting by `created_at`, which no index holds, read
/// every row of the scope (0.8 s for a county of a million persons).
pub async fn registered_since(
    db: &kernel::db::Db,
    scope: &kernel::scope::Scope,
    from: i64,
    cap: i64,
) -> AppResult<(i64, bool)> {
    let Some(first) = first_number_since(db, from).await? else {
        return Ok((0, false));
    };
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM persons WHERE id >= $1 AND unit_code >= $2 \
         AND unit_code < $3 AND status = 'active' LIMIT $4) t",
    )
    .bind(first)
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(cap + 1)
    .fetch_one(db.pool())
    .await?;
    Ok((n.min(cap), n > cap))
}

/// The smallest registry number of a person registered at or after `from`, if any.
pub async fn first_number_since(db: &kernel::db::Db, from: i64) -> AppResult<Option<i64>> {
    let next = |id: i64| {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT id, created_at FROM persons WHERE id >= $1 ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(db.pool())
    };
    let Some(last) = sqlx::query_as::<_, (i64, i64)>(
        "SELECT id, created_at FROM persons ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    if last.1 < from {
        return Ok(None);
    }
    // The smallest number whose next registered person is from `from` on: registration
    // times grow with the numbers, so that holds from some number up.
    let (mut lo, mut hi) = (0i64, last.0);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match next(mid).await? {
            Some((_, at)) if at >= from => hi = mid,
            _ => lo = mid + 1,
        }
    }
    Ok(next(lo).await?.map(|(id, _)| id))
}

fn start(ctx: &Ctx, key: &str, href: &str) -> Task {
    Task {
        text: ctx.tr.s(key).to_string(),
        href: href.into(),
        count: None,
        urgent: false,
        more: false,
    }
}
