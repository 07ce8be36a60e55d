//! Excel export of the person list, with the list's filters applied. Sensitive fields are
//! masked unless the account may reveal them and asks to; every export is audited. A list
//! filtered by a group exports that group's ledger: a sheet named after the group, with
//! its items and the date each person joined after the person columns (the group's
//! import template reads it back).

use axum::extract::{Query, State};
use axum::response::Response;
use kernel::audit::{self, Entry};
use kernel::auth::roles::need;
use kernel::auth::{Can, Perm};
use kernel::error::{AppError, AppResult};
use kernel::state::AppState;
use rust_xlsxwriter::{Format, Workbook};
use sqlx::Row;
use std::collections::HashMap;

use crate::access::Seer;
use crate::store::{self, Filter};

/// Rows one export may hold; a larger list must be narrowed by its filters first.
pub const MAX_ROWS: i64 = 100_000;

/// The list's filters (no paging: an export holds every matching row) and `full`.
#[derive(serde::Deserialize)]
pub struct ExportQuery {
    pub q: Option<String>,
    pub unit: Option<String>,
    pub sex: Option<String>,
    pub sort: Option<String>,
    pub category: Option<String>,
    /// `1` for unmasked resident IDs, phones and addresses (needs the reveal permission)
    pub full: Option<String>,
}

/// 导出 Excel
pub async fn export_persons(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let full = q.full.as_deref() == Some("1");
    if full {
        ctx.require(Perm::RevealPersonal)?;
    }
    let filter = Filter {
        q: q.q,
        unit: q.unit,
        sex: q.sex,
        sort: q.sort,
        category: q.category,
        page: None,
    };
    let seer = Seer::of(&ctx);
    let group = match filter
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(code) => crate::category::store::get(state.db(), code).await.ok(),
        None => None,
    };
    let rows = store::search(state.db(), &state.cipher, &seer, &filter, MAX_ROWS + 1, 0).await?;
    if rows.len() as i64 > MAX_ROWS {
        return Err(AppError::BadRequest("person.export_too_many"));
    }
    let tr = ctx.tr;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let xl = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("xlsx: {e}"));
    ws.set_name(match &group {
        Some(g) => crate::import::template::sheet_name(g.name(&tr)),
        None => tr.s("person.list_title").to_string(),
    })
    .map_err(xl)?;
    let joined = match &group {
        Some(g) => memberships(&state, &ctx.scope, &g.code).await?,
        None => HashMap::new(),
    };
    let bold = Format::new().set_bold();
    let headers = [
        "person.number",
        "person.name",
        "person.sex",
        "person.birth_date",
        "person.ethnicity",
        "person.id_number",
        "person.phone",
        "person.unit_code_number",
        "person.unit",
        "person.hukou_code",
        "person.address",
        "person.notes",
        "person.restricted_badge",
    ];
    let mut header: Vec<String> = headers.iter().map(|h| tr.s(h).to_string()).collect();
    if let Some(g) = &group {
        header.extend(g.fields.iter().map(|f| f.label(&tr).to_string()));
        header.push(tr.s("category.start_date").to_string());
    }
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(xl)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        let clear = if full && seer.sees(&row.person.unit_code, row.person.restricted) {
            Some(row.reveal(&state.cipher))
        } else {
            None
        };
        let p = seer.person(row.person.clone());
        let eth = if p.ethnicity.is_empty() {
            String::new()
        } else {
            tr.s(&crate::ethnicity::key(&p.ethnicity)).to_string()
        };
        let pick = |clear: Option<&Option<String>>, masked: &Option<String>| -> String {
            match clear {
                Some(v) => v.clone().unwrap_or_default(),
                None => masked.clone().unwrap_or_default(),
            }
        };
        let mut cells = vec![
            p.id.to_string(),
            p.name.clone(),
            tr.s(p.sex.label_key()).to_string(),
            p.birth_date.clone(),
            eth,
            pick(clear.as_ref().map(|c| &c.id_number), &p.id_number),
            pick(clear.as_ref().map(|c| &c.phone), &p.phone),
            p.unit_code.clone(),
            p.unit_name.clone(),
            p.hukou_code.clone(),
            pick(clear.as_ref().map(|c| &c.address), &p.address),
            p.notes.clone(),
            if p.restricted {
                tr.s("person.restricted_badge").to_string()
            } else {
                String::new()
            },
        ];
        if let Some(g) = &group {
            let (attrs, since) = joined.get(&p.id).cloned().unwrap_or_default();
            cells.extend(g.fields.iter().map(|f| {
                attrs
                    .get(&f.key)
                    .map(crate::category::model::show_value)
                    .unwrap_or_default()
            }));
            cells.push(since);
        }
        for (c, v) in cells.iter().enumerate() {
            // Text cells keep ID numbers and codes exact (Excel would round 18 digits).
            ws.write_string(r, c as u16, v).map_err(xl)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(xl)?;
    for (c, w) in [8, 12, 6, 12, 8, 22, 14, 14, 16, 14, 20, 20, 8]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w).map_err(xl)?;
    }
    let bytes = wb.save_to_buffer().map_err(xl)?;
    let mut tx = state.db().begin_write().await?;
    audit::append(
        &mut tx,
        Entry::new(&ctx.actor(), "person.export", ctx.scope.unit(), "persons").detail(serde_json::json!({
            "rows": rows.len(), "full": full, "q": filter.q, "unit": filter.unit, "sex": filter.sex,
            "category": group.as_ref().map(|g| g.code.clone()),
        })),
    )
    .await?;
    tx.commit().await?;
    let name = match (&group, full) {
        (Some(g), true) => format!("persons-{}-full.xlsx", g.code),
        (Some(g), false) => format!("persons-{}.xlsx", g.code),
        (None, true) => "persons-full.xlsx".into(),
        (None, false) => "persons.xlsx".into(),
    };
    Ok(xlsx_response(bytes, &name))
}

/// The group's items and start date of each active member in the scope, by person.
async fn memberships(
    state: &AppState,
    scope: &kernel::scope::Scope,
    code: &str,
) -> AppResult<HashMap<i64, (serde_json::Map<String, serde_json::Value>, String)>> {
    let rows = sqlx::query(
        "SELECT person_id, attrs, start_date FROM person_categories WHERE category_code = $1 \
         AND status = 'active' AND unit_code >= $2 AND unit_code < $3",
    )
    .bind(code)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_all(state.db().pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let attrs = serde_json::from_str(&r.get::<String, _>(1)).unwrap_or_default();
            (r.get(0), (attrs, r.get(2)))
        })
        .collect())
}

/// An .xlsx file as a download that no cache keeps.
pub fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    kernel::web::download::file(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name,
    )
}
