//! The home page: the account's unit and the counts of its subtree; and the pages of
//! sections whose capability is still to come.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use std::sync::Arc;

use super::page::{render, Chrome, NAV};
use crate::auth::Ctx;
use crate::capability::{Task, TasksFn};
use crate::error::{AppError, AppResult};
use crate::org::store;
use crate::state::AppState;

pub fn routes(tasks: Vec<TasksFn>) -> Router<AppState> {
    let tasks = Arc::new(tasks);
    Router::new()
        .route(
            "/",
            get(move |state, ctx, q| home(state, ctx, q, tasks.clone())),
        )
        .route("/coming/{section}", get(coming))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    unit_code: String,
    counts: Vec<(&'static str, i64)>,
    changed: bool,
    /// Counts of work waiting, then ways to start, from every capability.
    waiting: Vec<Task>,
    starts: Vec<Task>,
    can_search: bool,
}

#[derive(Deserialize)]
struct HomeQuery {
    changed: Option<u8>,
}

/// 首页
async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HomeQuery>,
    tasks: Arc<Vec<TasksFn>>,
) -> AppResult<Response> {
    let counts = store::subtree_counts(state.db(), &state.counts, ctx.scope.unit()).await?;
    let mut all = Vec::new();
    for f in tasks.iter() {
        all.extend(f(&state, &ctx).await?);
    }
    let (waiting, starts) = all.into_iter().partition(|t| t.count.is_some());
    let page = HomePage {
        waiting,
        starts,
        can_search: ctx.p.role.has(crate::auth::Perm::ViewOrg),
        c: Chrome::new(&ctx, "home", ctx.tr.s("home.title").to_string()),
        unit_code: ctx.p.unit_code.clone(),
        counts: counts
            .iter()
            .map(|c| (crate::org::web::count_label(c), c.count))
            .collect(),
        changed: q.changed.is_some(),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "coming.html")]
struct ComingPage {
    c: Chrome,
    title_key: &'static str,
    body_key: String,
}

/// A section whose capability is not built yet says what it will hold.
async fn coming(ctx: Ctx, Path(section): Path<String>) -> AppResult<Response> {
    let item = NAV
        .iter()
        .find(|n| n.coming && n.id == section)
        .ok_or(AppError::NotFound)?;
    let page = ComingPage {
        c: Chrome::new(&ctx, item.id, ctx.tr.s(item.key).to_string()),
        title_key: item.key,
        body_key: format!("coming.{}", item.id),
    };
    Ok(render(&page))
}
