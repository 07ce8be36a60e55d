//! Duplicate pages: likely duplicates with merge and "not the same person", and the merges
//! with their undo.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use kernel::web::page::{render, see_other, Chrome};

use super::service::{self, Candidate, MergeRecord};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/duplicates", get(list_page))
        .route("/registry/duplicates/merge", post(merge_submit))
        .route("/registry/duplicates/dismiss", post(dismiss_submit))
        .route("/registry/merges/{id}/undo", post(undo_submit))
}

#[derive(Template)]
#[template(path = "registry/duplicates.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Candidate>,
    merges: Vec<MergeRecord>,
}

/// 疑似重复
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Response> {
    Ok(render(&ListPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("duplicate.title").to_string()),
        rows: service::find(&state, &ctx, 100).await?,
        merges: service::merges(&state, &ctx).await?,
    }))
}

#[derive(serde::Deserialize)]
struct MergeForm {
    survivor: i64,
    merged: i64,
}

/// 合并
async fn merge_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Form(f): Form<MergeForm>,
) -> AppResult<Response> {
    service::merge(&state, &ctx, f.survivor, f.merged).await?;
    Ok(see_other("/registry/duplicates"))
}

#[derive(serde::Deserialize)]
struct PairForm {
    a: i64,
    b: i64,
}

/// 不是同一人
async fn dismiss_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Form(f): Form<PairForm>,
) -> AppResult<Response> {
    service::dismiss(&state, &ctx, f.a, f.b).await?;
    Ok(see_other("/registry/duplicates"))
}

/// 撤销合并
async fn undo_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::undo(&state, &ctx, id).await?;
    Ok(see_other("/registry/duplicates"))
}
