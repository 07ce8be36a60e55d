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

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    f: Filter,
    rows: Vec<Record>,
    next_before: Option<i64>,
    actions: &'static [&'static str],
}

/// 审计日志
async fn audit_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewAudit>,
    Query(f): Query<Filter>,
) -> AppResult<Response> {
    let rows = super::list(state.db(), &ctx.scope, &f, PAGE).await?;
    let next_before = if rows.len() as i64 == PAGE {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    let page = AuditPage {
        c: Chrome::new(&ctx, "audit", ctx.tr.s("audit.title").to_string()),
        f,
        rows,
        next_before,
        actions: super::ACTIONS,
    };
    Ok(render(&page))
}

impl AuditPage {
    fn time(&self, ms: &i64) -> String {
        crate::time::format_ms(*ms)
    }

    fn next_link(&self, before: &i64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.f.actor),
            ("action", &self.f.action),
            ("unit", &self.f.unit),
            ("from", &self.f.from),
            ("to", &self.f.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("before", &before.to_string());
        format!("/audit?{}", s.finish())
    }
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
