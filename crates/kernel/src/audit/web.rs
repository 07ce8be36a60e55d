//! The audit page and API for administrators: filter by who, what, when and unit.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use super::{Filter, Record};
use crate::auth::roles::need;
use crate::auth::Can;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::page::{render, Chrome};
use crate::web::pick::UnitFilterField;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    f: Filter,
    unit: UnitFilterField,
    rows: Vec<Record>,
    next_before: Option<i64>,
    actions: &'static [&'static str],
}

/// 审计日志
async fn audit_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewAudit>,
    Query(mut f): Query<Filter>,
) -> AppResult<Response> {
    crate::time::normalize_date_param(&mut f.from);
    crate::time::normalize_date_param(&mut f.to);
    let unit = crate::org::pick::filter(state.db(), &ctx.scope, f.unit.as_deref()).await?;
    f.unit = unit.code().map(str::to_string);
    let unit = UnitFilterField::new(ctx.tr, unit, |u| {
        audit_link(&Filter {
            unit: Some(u.to_string()),
            before: None,
            ..f.clone()
        })
    });
    let rows = super::list(state.db(), &ctx.scope, &f, PAGE).await?;
    let next_before = if rows.len() as i64 == PAGE {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    let page = AuditPage {
        c: Chrome::new(&ctx, "audit", ctx.tr.s("audit.title").to_string()),
        f,
        unit,
        rows,
        next_before,
        actions: super::ACTIONS,
    };
    Ok(render(&page))
}

impl AuditPage {
    fn next_link(&self, before: &i64) -> String {
        audit_link(&Filter {
            before: Some(*before),
            ..self.f.clone()
        })
    }
}

fn audit_link(f: &Filter) -> String {
    let before = f.before.map(|b| b.to_string());
    let q = crate::web::page::query_string(&[
        ("actor", f.actor.as_deref()),
        ("action", f.action.as_deref()),
        ("unit", f.unit.as_deref()),
        ("from", f.from.as_deref()),
        ("to", f.to.as_deref()),
        ("before", before.as_deref()),
    ]);
    format!("/audit?{q}")
}

/// Audit entries of the caller's subtree, newest first
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Filter),
    responses((status = 200, body = [Record]), (status = 403, description = "no permission")))]
pub async fn list_audit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewAudit>,
    Query(f): Query<Filter>,
) -> AppResult<Json<Vec<Record>>> {
    Ok(Json(super::list(state.db(), &ctx.scope, &f, PAGE).await?))
}
