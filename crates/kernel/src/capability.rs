//! What a capability crate (registry, cases, aid…) hands the kernel: its migrations, its
//! pages and its API routes. The binary lists the capabilities it is built with.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use futures_util::future::BoxFuture;

use crate::auth::Ctx;
use crate::db::migrate::Migration;
use crate::error::AppResult;
use crate::state::AppState;

/// One line of a home page's work: something to do now (a count that leads to its list)
/// or a way to start (a button).
#[derive(Clone, Debug)]
pub struct Task {
    pub text: String,
    pub href: String,
    /// How many records wait, for a count; `None` for a way to start.
    pub count: Option<i64>,
    /// Late work (an overdue case) stands out.
    pub urgent: bool,
    /// The count is a floor ("10000+"): counting on would cost more than it tells.
    pub more: bool,
}

/// What a capability puts on the home page of the account asking, in its order.
pub type TasksFn = for<'a> fn(&'a AppState, &'a Ctx) -> BoxFuture<'a, AppResult<Vec<Task>>>;

/// A capability with nothing for the home page.
pub fn no_tasks<'a>(_: &'a AppState, _: &'a Ctx) -> BoxFuture<'a, AppResult<Vec<Task>>> {
    Box::pin(async { Ok(Vec::new()) })
}

pub struct Capability {
    pub name: &'static str,
    /// Versions in the capability's own thousand (registry 1000-1999, …).
    pub migrations: &'static [Migration],
    pub pages: fn() -> Router<AppState>,
    pub api: fn() -> OpenApiRouter<AppState>,
    /// Starts the capability's background work (resuming interrupted jobs) for a server.
    pub start: fn(&AppState),
    /// The account's work of this capability, for the top of the home page.
    pub tasks: TasksFn,
    /// The figures of this capability's records.
    pub measures: &'static [crate::measure::Measure],
}
