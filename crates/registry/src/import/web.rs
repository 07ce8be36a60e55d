//! Import pages: the template, the upload (a background job with progress), the job page
//! with every row error, and the error report as .xlsx.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx};
use kernel::error::{AppError, AppResult};
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome};
use sqlx::Row;

use super::job::{self, Job};
use super::sheet::{SheetError, MAX_BYTES};

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

/// 下载导入模板: with the villages of the account's area in the residence drop-down.
async fn template(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Response> {
    let rows = sqlx::query(
        "SELECT code, name FROM org_units WHERE code >= $1 AND code < $2 AND level = 5 AND kind = 'territorial' \
         ORDER BY code LIMIT $3",
    )
    .bind(ctx.scope.lo())
    .bind(ctx.scope.hi())
    .bind(super::template::MAX_VILLAGES_LISTED as i64)
    .fetch_all(state.db().pool())
    .await?;
    let villages: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let bytes = super::template::build(ctx.tr, &villages)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(crate::export::xlsx_response(
        bytes,
        "jinguo-persons-template.xlsx",
    ))
}

#[derive(Template)]
#[template(path = "registry/import.html")]
struct ImportPage {
    c: Chrome,
    jobs: Vec<Job>,
    error: Option<&'static str>,
}

/// 批量导入
async fn import_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
) -> AppResult<Response> {
    Ok(render(&ImportPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("import.title").to_string()),
        jobs: job::recent(&state, &ctx.scope).await?,
        error: None,
    }))
}

async fn refuse(state: &AppState, ctx: &Ctx, key: &'static str) -> AppResult<Response> {
    Ok(render_with(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        &ImportPage {
            c: Chrome::new(ctx, "registry", ctx.tr.s("import.title").to_string()),
            jobs: job::recent(state, &ctx.scope).await?,
            error: Some(key),
        },
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

/// Reads the multipart upload (`file`, `mode`), refuses what is no readable sheet at once,
/// saves the file and starts its job; the job's id, or the catalogue key of the refusal.
pub async fn receive(
    state: &AppState,
    ctx: &Ctx,
    mut form: Multipart,
) -> AppResult<Result<i64, &'static str>> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut mode = "valid_rows".to_string();
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
    let head = bytes.clone();
    let check = tokio::task::spawn_blocking(move || {
        super::sheet::read(&head).and_then(|r| super::sheet::find_header(&r).map(|_| ()))
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
        ctx.scope.unit(),
        ctx.p.user_id,
        &ctx.p.username,
        &kernel::text::clean_text(&name),
        &path.to_string_lossy(),
        &mode,
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
    running: bool,
    percent: i64,
    shown: usize,
}

impl JobPage {
    fn field(&self, f: &str) -> String {
        self.c.tr.s(&format!("person.{f}")).to_string()
    }

    fn reason(&self, k: &str) -> String {
        self.c.tr.s(k).to_string()
    }
}

/// 导入进度与结果
async fn job_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut j = job::get(&state, &ctx.scope, id).await?;
    let running = j.status == "queued" || j.status == "running";
    let percent = if j.total > 0 {
        j.processed * 100 / j.total
    } else {
        0
    };
    let shown = j.errors.len().min(1_000);
    j.errors.truncate(shown);
    Ok(render(&JobPage {
        c: Chrome::new(&ctx, "registry", ctx.tr.s("import.job_title").to_string()),
        j,
        running,
        percent,
        shown,
    }))
}

/// The uploaded sheet's rows with an error column, as .xlsx.
async fn error_report(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let j = job::get(&state, &ctx.scope, id).await?;
    let bytes = tokio::fs::read(&j.file_path)
        .await
        .map_err(anyhow::Error::from)?;
    let tr = ctx.tr;
    let errors = j.errors.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
        let rows = super::sheet::read(&bytes).map_err(|e| AppError::BadRequest(e.key()))?;
        let (h, _) = super::sheet::find_header(&rows).map_err(|e| AppError::BadRequest(e.key()))?;
        let mut by_row: std::collections::HashMap<usize, Vec<String>> =
            std::collections::HashMap::new();
        for e in &errors {
            by_row.entry(e.row).or_default().push(format!(
                "{}: {}",
                tr.s(&format!("person.{}", e.field)),
                tr.s(&e.key)
            ));
        }
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
                format!(
                    "{} {number}: {}",
                    tr.s("import.row"),
                    by_row[&number].join("；")
                )
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
