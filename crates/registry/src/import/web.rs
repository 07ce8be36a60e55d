//! Import pages: the template, the upload (a background job with progress), the job page
//! with every row error, and the error report as .xlsx.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx};
use kernel::error::{AppError, AppResult};
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome};

use kernel::i18n::Tr;
use kernel::org::pick::Directory;

use super::job::{self, Job, RowError};
use super::sheet::{SheetError, MAX_BYTES};
use crate::category::model::Category;

/// The largest upload body: the file limit and room for the form around it.
pub const UPLOAD_LIMIT: usize = MAX_BYTES + 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/import/template.xlsx", get(template))
        .route(
            "/registry/import",
            get(import_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)),
        )
        .route("/registry/import/{id}", get(job_page))
        .route("/registry/import/{id}/errors.xlsx", get(error_report))
}

#[derive(serde::Deserialize)]
struct TemplateQuery {
    /// A group's code: its template, named after it, with its items
    group: Option<String>,
}

/// 下载导入模板: with the villages of the account's area in the residence drop-down and
/// on their own sheet; for a group, with the group's items.
async fn template(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Query(q): Query<TemplateQuery>,
) -> AppResult<Response> {
    let group = match q.group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(code) => match crate::category::store::get(state.db(), code).await {
            Ok(c) if c.active => Some(c),
            _ => return Err(AppError::NotFound),
        },
        None => None,
    };
    let villages = Directory::load(state.db(), &ctx.scope, 5).await?;
    let villages = &villages.units()[..villages
        .units()
        .len()
        .min(super::template::MAX_VILLAGES_LISTED)];
    let bytes = super::template::build(ctx.tr, villages, group.as_ref())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let name = match &group {
        Some(g) => format!("jinguo-template-{}.xlsx", g.code),
        None => "jinguo-persons-template.xlsx".into(),
    };
    Ok(crate::export::xlsx_response(bytes, &name))
}

#[derive(Template)]
#[template(path = "registry/import.html")]
struct ImportPage {
    c: Chrome,
    jobs: Vec<Job>,
    groups: Vec<Category>,
    error: Option<&'static str>,
}

async fn import_page_of(
    state: &AppState,
    ctx: &Ctx,
    error: Option<&'static str>,
) -> AppResult<ImportPage> {
    Ok(ImportPage {
        c: Chrome::new(ctx, "registry", ctx.tr.s("import.title").to_string()),
        jobs: job::recent(state, &ctx.scope).await?,
        groups: active_groups(state).await?,
        error,
    })
}

async fn active_groups(state: &AppState) -> AppResult<Vec<Category>> {
    Ok(crate::category::store::list(state.db())
        .await?
        .into_iter()
        .filter(|c| c.active)
        .collect())
}

/// 批量导入
async fn import_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Response> {
    Ok(render(&import_page_of(&state, &ctx, None).await?))
}

async fn refuse(state: &AppState, ctx: &Ctx, key: &'static str) -> AppResult<Response> {
    Ok(render_with(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        &import_page_of(state, ctx, Some(key)).await?,
    ))
}

/// Receives a file and starts its job.
async fn upload(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    form: Multipart,
) -> AppResult<Response> {
    match receive(&state, &ctx, form).await? {
        Ok(id) => Ok(see_other(&format!("/registry/import/{id}"))),
        Err(key) => refuse(&state, &ctx, key).await,
    }
}

/// A multipart body that could not be read: too large is the file's error, anything else
/// a bad request (not "too large").
fn malformed(e: axum::extract::multipart::MultipartError) -> AppResult<Result<i64, &'static str>> {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Ok(Err(SheetError::TooLarge.key()))
    } else {
        Err(kernel::error::AppError::BadRequest("err.bad_multipart"))
    }
}

/// Reads the multipart upload (`file`, `mode`, `group`), refuses what is no readable sheet
/// at once, saves the file and starts its job; the job's id, or the catalogue key of the
/// refusal. `group` is a group's code, `none`, or empty for the group the first sheet is
/// named after (a group's template), if any.
pub async fn receive(
    state: &AppState,
    ctx: &Ctx,
    mut form: Multipart,
) -> AppResult<Result<i64, &'static str>> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut mode = "valid_rows".to_string();
    let mut group = String::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return malformed(e),
        };
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => return malformed(e),
                }
            }
            Some("group") => {
                if let Ok(t) = field.text().await {
                    group = t.trim().to_string();
                }
            }
            Some("mode") => {
                if let Ok(t) = field.text().await {
                    mode = if t == "all_or_nothing" {
                        t
                    } else {
                        "valid_rows".into()
                    };
                }
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(Err("import.no_file"));
    };
    let groups = active_groups(state).await?;
    let group = match group.as_str() {
        "none" => None,
        "" => {
            // A group's template is named after its group.
            let sheet = super::sheet::first_sheet_name(&bytes);
            sheet.and_then(|n| {
                groups
                    .iter()
                    .find(|g| {
                        [&g.name_zh, &g.name_en]
                            .iter()
                            .any(|name| super::template::sheet_name(name) == n)
                    })
                    .cloned()
            })
        }
        code => match groups.iter().find(|g| g.code == code) {
            Some(g) => Some(g.clone()),
            None => return Ok(Err("import.group_unknown")),
        },
    };
    let head = bytes.clone();
    let check = tokio::task::spawn_blocking(move || {
        super::sheet::read(&head).and_then(|r| super::sheet::find_header(&r, &[]).map(|_| ()))
    })
    .await
    .map_err(anyhow::Error::from)?;
    if let Err(e) = check {
        return Ok(Err(e.key()));
    }
    let dir = state.settings().data_dir.join("imports");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(anyhow::Error::from)?;
    let ext = if bytes.starts_with(b"PK") {
        "xlsx"
    } else {
        "csv"
    };
    let token = kernel::auth::session::new_token();
    let path = dir.join(format!("{}-{}.{ext}", kernel::db::now_ms(), &token[..12]));
    tokio::fs::write(&path, &bytes)
        .await
        .map_err(anyhow::Error::from)?;
    let id = job::create(
        state,
        &job::NewJob {
            unit_code: ctx.scope.unit(),
            user_id: ctx.p.user_id,
            username: &ctx.p.username,
            file_name: &kernel::text::clean_text(&name),
            file_path: &path.to_string_lossy(),
            mode: &mode,
            category: group.as_ref().map_or("", |g| g.code.as_str()),
        },
    )
    .await?;
    job::spawn(state.clone(), id);
    Ok(Ok(id))
}

#[derive(Template)]
#[template(path = "registry/import_job.html")]
struct JobPage {
    c: Chrome,
    j: Job,
    group: Option<Category>,
    running: bool,
    percent: i64,
    /// The rows in error, each with all its reasons, as many as the page shows.
    rows: Vec<ErrorRow>,
}

/// A row in error as the page and the report name it: "第 6 行（陈淑珍）" and its reasons
/// ("身份证号：…").
struct ErrorRow {
    row: usize,
    label: String,
    reasons: Vec<String>,
}

/// Rows in error the page lists; the report holds all of them.
const ROWS_SHOWN: usize = 1_000;

/// The errors of a job by row, in row order, each reason with its column's name.
fn error_rows(tr: Tr, group: Option<&Category>, errors: &[RowError], max: usize) -> Vec<ErrorRow> {
    let mut rows: Vec<ErrorRow> = Vec::new();
    let mut at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for e in errors {
        let column = match e.field.strip_prefix("attr.") {
            Some(key) => group
                .and_then(|g| g.fields.iter().find(|f| f.key == key))
                .map_or(key.to_string(), |f| f.label(&tr).to_string()),
            None => tr.s(&format!("person.{}", e.field)).to_string(),
        };
        let reason = format!("{column}：{}", tr.s(&e.key));
        if let Some(&i) = at.get(&e.row) {
            rows[i].reasons.push(reason);
        } else if rows.len() < max {
            at.insert(e.row, rows.len());
            rows.push(ErrorRow {
                row: e.row,
                label: if e.name.is_empty() {
                    tr.f("import.row_at", &[("row", &e.row)])
                } else {
                    tr.f("import.row_of", &[("row", &e.row), ("name", &e.name)])
                },
                reasons: vec![reason],
            });
        }
    }
    rows.sort_by_key(|r| r.row);
    rows
}

impl JobPage {
    fn reason(&self, k: &str) -> String {
        self.c.tr.s(k).to_string()
    }

    fn grouped_label(&self, g: &Category) -> String {
        self.c
            .tr
            .f("import.grouped_in", &[("group", &g.name(&self.c.tr))])
    }

    fn errors_title(&self) -> String {
        self.c.tr.f("import.errors_count", &[("n", &self.j.failed)])
    }

    fn shown_note(&self) -> String {
        self.c.tr.f(
            "import.errors_shown",
            &[("rows", &self.j.failed), ("shown", &self.rows.len())],
        )
    }
}

/// 导入进度与结果
async fn job_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let j = job::get(&state, &ctx.scope, id).await?;
    let group = group_of(&state, &j).await?;
    let running = j.status == "queued" || j.status == "running";
    let percent = if j.total > 0 {
        j.processed * 100 / j.total
    } else {
        0
    };
    let rows = error_rows(ctx.tr, group.as_ref(), &j.errors, ROWS_SHOWN);
    Ok(render(&JobPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("import.job_title").to_string()),
        j,
        group,
        running,
        percent,
        rows,
    }))
}

async fn group_of(state: &AppState, j: &Job) -> AppResult<Option<Category>> {
    if j.category.is_empty() {
        return Ok(None);
    }
    Ok(crate::category::store::get(state.db(), &j.category)
        .await
        .ok())
}

/// The uploaded sheet's rows with an error column, as .xlsx.
async fn error_report(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let j = job::get(&state, &ctx.scope, id).await?;
    let group = group_of(&state, &j).await?;
    let bytes = tokio::fs::read(&j.file_path)
        .await
        .map_err(anyhow::Error::from)?;
    let tr = ctx.tr;
    let errors = j.errors.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
        let rows = super::sheet::read(&bytes).map_err(|e| AppError::BadRequest(e.key()))?;
        let h = super::sheet::find_header(&rows, &[])
            .map_err(|e| AppError::BadRequest(e.key()))?
            .header;
        let by_row: std::collections::HashMap<usize, ErrorRow> =
            error_rows(tr, group.as_ref(), &errors, usize::MAX)
                .into_iter()
                .map(|r| (r.row, r))
                .collect();
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let xl = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("xlsx: {e}"));
        let width = rows.get(h).map_or(0, Vec::len);
        let mut out_row = 0u32;
        for (i, row) in rows.iter().enumerate().skip(h) {
            let number = i + 1;
            let is_header = i == h;
            if !is_header && !by_row.contains_key(&number) {
                continue;
            }
            for (c, v) in row.iter().enumerate() {
                ws.write_string(out_row, c as u16, v).map_err(xl)?;
            }
            let note = if is_header {
                tr.s("import.error_column").to_string()
            } else {
                let r = &by_row[&number];
                format!("{}：{}", r.label, r.reasons.join("；"))
            };
            ws.write_string(out_row, width as u16, &note).map_err(xl)?;
            out_row += 1;
        }
        wb.save_to_buffer().map_err(xl)
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(crate::export::xlsx_response(
        out,
        &format!("import-{id}-errors.xlsx"),
    ))
}
