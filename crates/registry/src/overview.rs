//! 台账概况: for a township chair (or a county), per unit below hers, how many people are
//! registered, how many in each group and how many this month, each a link to the list.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Datelike;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use kernel::web::page::{query_string, render, Chrome};
use kernel::web::pick::UnitFilterField;
use sqlx::Row;

pub fn routes() -> Router<AppState> {
    Router::new().route("/registry/overview", get(overview_page))
}

/// One unit's row.
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub persons: i64,
    pub this_month: i64,
    /// Members of each shown group, in the order of the page's columns.
    pub groups: Vec<i64>,
}

#[derive(Template)]
#[template(path = "registry/overview.html")]
struct OverviewPage {
    c: Chrome,
    /// The groups with members anywhere in the scope: `(code, name)`.
    groups: Vec<(String, String)>,
    rows: Vec<UnitRow>,
    total: UnitRow,
    unit: UnitFilterField,
}

#[derive(serde::Deserialize)]
struct OverviewQuery {
    /// A unit of the scope, by name or code
    unit: Option<String>,
}

impl OverviewPage {
    fn link(&self, unit: &str, category: Option<&str>, newest: bool) -> String {
        let q = query_string(&[
            ("unit", Some(unit)),
            ("category", category),
            ("sort", newest.then_some("newest")),
        ]);
        format!("/registry/persons?{q}")
    }

    /// A unit below that has units below it: its own overview.
    fn drill(&self, unit: &str) -> Option<String> {
        child_len(unit).filter(|_| unit.len() < 12).map(|_| {
            format!(
                "/registry/overview?{}",
                query_string(&[("unit", Some(unit))])
            )
        })
    }

    fn group_cells<'a>(&'a self, r: &'a UnitRow) -> Vec<(&'a str, &'a str, i64)> {
        self.groups
            .iter()
            .zip(&r.groups)
            .map(|((code, name), n)| (code.as_str(), name.as_str(), *n))
            .collect()
    }
}

/// The length of the codes one level below a territorial code (villages under a
/// township, townships under a county); persons live in villages, so their codes'
/// prefixes of this length name the unit below that holds them.
fn child_len(code: &str) -> Option<usize> {
    match code.len() {
        0 | 1 => Some(2),
        2 => Some(4),
        4 => Some(6),
        6 => Some(9),
        9 => Some(12),
        _ => None,
    }
}

/// 台账概况
async fn overview_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<OverviewQuery>,
) -> AppResult<Response> {
    let db = state.db();
    // A unit below hers (typed by name too, or tapped in a row): its own overview.
    let picked = kernel::org::pick::filter(db, &ctx.scope, q.unit.as_deref()).await?;
    let (scope, unit_name) = match &picked.unit {
        Some(u) => (kernel::scope::Scope::of_unit(&u.code), u.label()),
        None => (ctx.scope.clone(), ctx.p.unit_name.clone()),
    };
    let unit = UnitFilterField::new(ctx.tr, picked, |code| {
        format!(
            "/registry/overview?{}",
            query_string(&[("unit", Some(code))])
        )
    });
    let scope = &scope;
    let root = if scope.unit() == kernel::org::model::ROOT_CODE {
        ""
    } else {
        scope.unit()
    };
    let len = child_len(root).unwrap_or(root.len());
    let month_start = kernel::time::day_start_ms(
        kernel::time::today()
            .with_day(1)
            .unwrap_or(kernel::time::today()),
    );
    let mut rows: BTreeMap<String, UnitRow> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for u in kernel::org::store::children(db, scope, scope.unit(), 2000, 0).await? {
        names.insert(u.code, u.name);
    }
    // This month's persons are those from the month's first registry number on: a number
    // every index entry holds, where `created_at` made the count read every person row.
    let first = crate::tasks::first_number_since(db, month_start)
        .await?
        .unwrap_or(i64::MAX);
    let counted = sqlx::query(&format!(
        "SELECT substr(unit_code, 1, {len}), COUNT(*), \
         SUM(CASE WHEN id >= $3 THEN 1 ELSE 0 END) FROM persons \
         WHERE unit_code >= $1 AND unit_code < $2 AND status = 'active' GROUP BY 1"
    ))
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(first)
    .fetch_all(db.pool())
    .await?;
    let cats = crate::category::store::list(db).await?;
    let by_group = sqlx::query(&format!(
        "SELECT substr(unit_code, 1, {len}), category_code, COUNT(DISTINCT person_id) \
         FROM person_categories WHERE unit_code >= $1 AND unit_code < $2 AND status = 'active' \
         GROUP BY 1, 2"
    ))
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_all(db.pool())
    .await?;
    let shown: Vec<(String, String)> = cats
        .iter()
        .filter(|c| by_group.iter().any(|r| r.get::<String, _>(1) == c.code))
        .map(|c| (c.code.clone(), c.name(&ctx.tr).to_string()))
        .collect();
    let blank = |code: &str, name: String| UnitRow {
        code: code.to_string(),
        name,
        persons: 0,
        this_month: 0,
        groups: vec![0; shown.len()],
    };
    for (code, name) in &names {
        rows.insert(code.clone(), blank(code, name.clone()));
    }
    for r in &counted {
        let code: String = r.get(0);
        let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
        let row = rows
            .entry(code.clone())
            .or_insert_with(|| blank(&code, name));
        row.persons = r.get(1);
        row.this_month = r.get::<Option<i64>, _>(2).unwrap_or(0);
    }
    for r in &by_group {
        let code: String = r.get(0);
        let cat: String = r.get(1);
        if let (Some(row), Some(i)) = (
            rows.get_mut(&code),
            shown.iter().position(|(c, _)| *c == cat),
        ) {
            row.groups[i] = r.get(2);
        }
    }
    let rows: Vec<UnitRow> = rows.into_values().collect();
    let mut total = blank(scope.unit(), unit_name);
    for r in &rows {
        total.persons += r.persons;
        total.this_month += r.this_month;
        for (t, n) in total.groups.iter_mut().zip(&r.groups) {
            *t += n;
        }
    }
    let page = OverviewPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("overview.title").to_string()),
        groups: shown,
        rows,
        total,
        unit,
    };
    Ok(render(&page))
}
