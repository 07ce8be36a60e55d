//! What a capability crate (registry, cases, aid…) hands the kernel: its migrations, its
//! pages and its API routes. The binary lists the capabilities it is built with.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::db::migrate::Migration;
use crate::state::AppState;

pub struct Capability {
    pub name: &'static str,
    /// Versions in the capability's own thousand (registry 1000-1999, …).
    pub migrations: &'static [Migration],
    pub pages: fn() -> Router<AppState>,
    pub api: fn() -> OpenApiRouter<AppState>,
    /// Starts the capability's background work (resuming interrupted jobs) for a server.
    pub start: fn(&AppState),
}
