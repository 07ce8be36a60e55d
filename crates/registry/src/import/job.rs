//! The import job: validates every row, then writes the valid ones in batches (or all or
//! nothing), updating a person already registered with the same resident ID (or the same
//! name, birth date and village when there is no ID) instead of registering her twice.
//! Each batch commits with the job's counters, so a job cut off by a crash resumes after
//! its last committed batch, and a rerun changes nothing twice.

use std::collections::HashSet;
use std::sync::Arc;

use kernel::audit::{self, Actor, Entry};
use kernel::crypto::Cipher;
use kernel::db::{now_ms, WriteTx};
use kernel::error::{AppError, AppResult};
use kernel::scope::Scope;
use kernel::state::AppState;
use sqlx::Row;

use kernel::org::pick::Directory;

use super::check::{Checker, Ready};
use super::group::{join_rows, Join};
use super::sheet::{self, RowInput};
use crate::access::Seer;
use crate::store::{Bulk, Stored};

/// Rows written per transaction. Each commit writes every page a batch touched, and the
/// keyed-hash and name-pair indexes are touched all over: 500,000 rows a transaction
/// wrote 1.4 GB for a million rows where 200,000 wrote 2.0 GB (import 22.9 s against
/// 26.3 s, medians of 4 alternated runs).
pub const BATCH: usize = 500_000;
/// Rows of the first transaction; the next ones double up to [`BATCH`].
const FIRST_BATCH: usize = 20_000;
/// Rows the reading thread checks and sends on at a time. Small parts keep the database
/// busy from the first moment and let the allocator reuse the same memory part after part
/// (parts of a whole transaction cost a third of the reading thread in zeroing new pages).
const PART: usize = 5_000;
/// Row errors kept for the page and the report (the count is always exact).
pub const MAX_ERRORS_KEPT: usize = 20_000;

pub use super::check::RowError;

/// An import job as pages and API show it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: i64,
    pub unit_code: String,
    pub username: String,
    pub file_name: String,
    /// valid_rows | all_or_nothing
    pub mode: String,
    /// queued | running | done | failed
    pub status: String,
    pub total: i64,
    pub processed: i64,
    pub inserted: i64,
    pub updated: i64,
    pub failed: i64,
    pub errors: Vec<RowError>,
    /// Catalogue key of a file-level failure
    pub message: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    #[serde(skip)]
    pub file_path: String,
    /// The group the rows join (a group's ledger), or empty
    pub category: String,
    /// Rows that joined the group or had their items in it updated
    pub grouped: i64,
}

const COLUMNS: &str =
    "id, unit_code, username, file_name, mode, status, total, processed, inserted, \
    updated, failed, errors, message, created_at, finished_at, file_path, category_code, grouped";

fn job(r: &sqlx::any::AnyRow) -> Job {
    Job {
        id: r.get(0),
        unit_code: r.get(1),
        username: r.get(2),
        file_name: r.get(3),
        mode: r.get(4),
        status: r.get(5),
        total: r.get(6),
        processed: r.get(7),
        inserted: r.get(8),
        updated: r.get(9),
        failed: r.get(10),
        errors: serde_json::from_str(&r.get::<String, _>(11)).unwrap_or_default(),
        message: r.get(12),
        created_at: r.get(13),
        finished_at: r.get(14),
        file_path: r.get(15),
        category: r.get(16),
        grouped: r.get(17),
    }
}

/// A job of the scope.
pub async fn get(state: &AppState, scope: &Scope, id: i64) -> AppResult<Job> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM import_jobs WHERE id = $1 AND unit_code >= $2 AND unit_code < $3"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(state.db().pool())
    .await?;
    row.as_ref().map(job).ok_or(AppError::NotFound)
}

/// Recent jobs of the scope.
pub async fn recent(state: &AppState, scope: &Scope) -> AppResult<Vec<Job>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM import_jobs WHERE unit_code >= $1 AND unit_code < $2 ORDER BY id DESC LIMIT 20"
    ))
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_all(state.db().pool())
    .await?;
    Ok(rows.iter().map(job).collect())
}

/// A job to record: who imports which saved file into which area, how, into which group.
pub struct NewJob<'a> {
    pub unit_code: &'a str,
    pub user_id: i64,
    pub username: &'a str,
    pub file_name: &'a str,
    pub file_path: &'a str,
    /// valid_rows | all_or_nothing
    pub mode: &'a str,
    /// The group's code, or empty
    pub category: &'a str,
}

/// Records a new job for a file already saved; it runs when [`spawn`]ed.
pub async fn create(state: &AppState, n: &NewJob<'_>) -> AppResult<i64> {
    let mut tx = state.db().begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO import_jobs (unit_code, user_id, username, file_name, file_path, mode, status, created_at, \
         category_code) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8) RETURNING id",
    )
    .bind(n.unit_code)
    .bind(n.user_id)
    .bind(n.username)
    .bind(n.file_name)
    .bind(n.file_path)
    .bind(n.mode)
    .bind(now_ms())
    .bind(n.category)
    .fetch_one(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Runs a job in the background.
pub fn spawn(state: AppState, id: i64) {
    tokio::spawn(async move {
        if let Err(e) = run(&state, id).await {
            tracing::error!(job = id, error = ?e, "import job failed");
            let _ = finish(&state, id, "failed", "err.internal", &[]).await;
        }
    });
}

/// Restarts the jobs a stopped server left queued or running.
pub fn resume_all(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let ids: Vec<i64> = match sqlx::query_scalar(
            "SELECT id FROM import_jobs WHERE status IN ('queued', 'running')",
        )
        .fetch_all(state.db().pool())
        .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "cannot list import jobs to resume");
                return;
            }
        };
        for id in ids {
            tracing::info!(job = id, "resuming import job");
            spawn(state.clone(), id);
        }
    });
}

async fn set(state: &AppState, id: i64, sql: &str, v: i64) -> AppResult<()> {
    let mut tx = state.db().begin_write().await?;
    sqlx::query(sql).bind(v).bind(id).execute(&mut **tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Row errors as kept with the job (at most [`MAX_ERRORS_KEPT`]).
fn errors_json(errors: &[RowError]) -> String {
    let kept: Vec<&RowError> = errors.iter().take(MAX_ERRORS_KEPT).collect();
    serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into())
}

async fn finish(
    state: &AppState,
    id: i64,
    status: &str,
    message: &str,
    errors: &[RowError],
) -> AppResult<()> {
    let mut tx = state.db().begin_write().await?;
    sqlx::query("UPDATE import_jobs SET status = $1, message = $2, errors = $3, finished_at = $4 WHERE id = $5")
        .bind(status)
        .bind(message)
        .bind(errors_json(errors))
        .bind(now_ms())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let j = sqlx::query("SELECT unit_code, username, user_id, inserted, updated, failed, total, category_code, grouped \
                         FROM import_jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let actor = Actor {
        id: Some(j.get(2)),
        name: j.get(1),
        ip: String::new(),
    };
    audit::append(
        &mut tx,
        Entry::new(&actor, "person.import", &j.get::<String, _>(0), &format!("import:{id}")).detail(serde_json::json!({
            "status": status, "message": message, "total": j.get::<i64, _>(6),
            "inserted": j.get::<i64, _>(3), "updated": j.get::<i64, _>(4), "failed": j.get::<i64, _>(5),
            "category": j.get::<String, _>(7), "grouped": j.get::<i64, _>(8),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A part of the file, checked and encrypted.
struct Part {
    /// Index in the file's rows after the part's last row.
    end: usize,
    ready: Vec<Ready>,
    errors: Vec<RowError>,
    /// Rows of the part with at least one error.
    invalid: i64,
    /// Rows an earlier run wrote: checked again for their errors and IDs, not written.
    replay: bool,
}

fn prepare(
    checker: &mut Checker,
    cipher: &Cipher,
    inputs: &mut [(usize, RowInput)],
    end: usize,
    replay: bool,
) -> Part {
    let (mut valid, errors) = checker.check(inputs);
    if replay {
        valid.clear();
    }
    let invalid = errors
        .iter()
        .map(|e| e.row)
        .collect::<HashSet<usize>>()
        .len() as i64;
    let mut ready: Vec<Ready> = Vec::with_capacity(inputs.len());
    ready.extend(inputs.iter().zip(valid).filter_map(|((row, _), v)| {
        v.map(|(person, attrs)| Ready {
            row: *row,
            stored: Stored::of(&person, cipher),
            attrs,
        })
    }));
    // Written village by village, a part's rows fill the list index (which leads with
    // the unit) page by page instead of at random places.
    ready.sort_by(|a, b| a.stored.unit_code().cmp(b.stored.unit_code()));
    Part {
        end,
        ready,
        errors,
        invalid,
        replay,
    }
}

/// Reads the file row by row on a thread of its own and sends it on in parts of `part`
/// data rows, checked and encrypted, while the database writes the parts before; rows an
/// earlier run wrote (the first `start`) are only checked again. Returns the number of
/// data rows, or why the file cannot be read.
fn produce(
    bytes: &[u8],
    mut checker: Checker,
    cipher: &Cipher,
    part: usize,
    start: usize,
    hint: &std::sync::atomic::AtomicUsize,
    out: tokio::sync::mpsc::Sender<Part>,
) -> Result<usize, sheet::SheetError> {
    let mut head: Vec<Vec<String>> = Vec::new();
    let mut cols = None;
    let mut pending: Vec<(usize, RowInput)> = Vec::with_capacity(part);
    let mut rows = 0usize;
    let mut closed = false;
    // One buffer for every part: a new one grown by doubling each time made the kernel
    // zero fresh pages for it, a tenth of the reading thread's time.
    let fields = checker
        .group
        .as_ref()
        .map(|g| g.fields.clone())
        .unwrap_or_default();
    let mut send = |pending: &mut Vec<(usize, RowInput)>, end: usize| {
        let part = prepare(&mut checker, cipher, pending, end, end <= start);
        pending.clear();
        out.blocking_send(part).is_ok()
    };
    let rows_hint =
        |n: usize| hint.store(n.saturating_sub(1), std::sync::atomic::Ordering::Relaxed);
    sheet::each_row(bytes, rows_hint, |n, row| {
        let Some(cols) = &cols else {
            // The header is the first of the top rows that names its columns.
            head.push(row);
            if let Ok(found) = sheet::find_header(&head[head.len() - 1..], &fields) {
                cols = Some(found);
            }
            return head.len() < 20 || cols.is_some();
        };
        if let Some(input) = sheet::input_of(row, cols) {
            pending.push((n, input));
            rows += 1;
            if pending.len() >= part || rows == start {
                closed = !send(&mut pending, rows);
            }
        }
        !closed
    })?;
    if cols.is_none() {
        return Err(sheet::SheetError::NoHeader);
    }
    if !pending.is_empty() && !closed {
        send(&mut pending, rows);
    }
    Ok(rows)
}

/// What writing a batch did.
#[derive(Default)]
struct Written {
    inserted: i64,
    updated: i64,
    /// Rows that joined the group or had their items in it changed.
    grouped: i64,
    errors: Vec<RowError>,
}

/// Writes valid rows: a person already registered (same resident ID, or same name, birth
/// date and village when there is no ID) is updated, the others inserted together. An update
/// passes the registry's one permission check ([`Seer::may_change`], as an edit does): an ID
/// registered outside the area, or a restricted person the importer does not handle, is an
/// error of its row.
async fn write_batch(
    tx: &mut WriteTx,
    bulk: &mut Bulk,
    seer: &Seer,
    rows: &[Ready],
    user: i64,
    join: Option<&Join>,
) -> AppResult<Written> {
    let mut w = Written::default();
    // Persons without resident ID are the same person by name, birth date and village.
    let mut fresh: Vec<&Ready> = Vec::with_capacity(rows.len());
    let mut found = Vec::new();
    for r in rows {
        if r.stored.id_hash().is_some() {
            fresh.push(r);
            continue;
        }
        let same = sqlx::query(
            "SELECT id, unit_code, version, restricted FROM persons WHERE name = $1 AND birth_date = $2 \
             AND unit_code = $3 AND status = 'active' AND id_hash IS NULL",
        )
        .bind(r.stored.name())
        .bind(r.stored.birth_date())
        .bind(r.stored.unit_code())
        .fetch_optional(&mut ***tx)
        .await?;
        match same {
            Some(p) => found.push((r, (p.get(0), p.get(1), p.get(2), p.get::<i64, _>(3) != 0))),
            None => fresh.push(r),
        }
    }
    // The others are inserted, but for those whose ID is registered already.
    let stored: Vec<&Stored> = fresh.iter().map(|r| &r.stored).collect();
    let skipped = bulk.insert(tx, &stored, Some(user)).await?;
    w.inserted = (fresh.len() - skipped.len()) as i64;
    found.extend(skipped.into_iter().map(|(i, p)| (fresh[i], p)));
    for (r, (pid, unit, version, restricted)) in found {
        if seer.may_change(&unit, restricted).is_ok() {
            let stored = r.stored.clone().with_restricted(restricted);
            crate::store::update_stored(tx, pid, version, &stored).await?;
            w.updated += 1;
        } else {
            // One message for both refusals: the importer learns neither where she is
            // registered nor that she is restricted.
            w.errors.push(RowError {
                row: r.row,
                field: "id_number".into(),
                key: "import.id_elsewhere".into(),
                name: r.stored.name().to_string(),
            });
        }
    }
    if let Some(join) = join {
        w.grouped = join_rows(tx, join, rows, &w.errors).await?;
    }
    Ok(w)
}

/// A transaction of an import job, open across the parts it writes.
struct Batch {
    tx: WriteTx,
    bulk: Bulk,
    written: Written,
    /// Rows of its parts with an error, found before or while writing.
    bad: i64,
    /// Rows of its parts.
    rows: usize,
    /// Index in the file's rows after its last part.
    end: usize,
}

impl Batch {
    async fn start(db: &kernel::db::Db) -> AppResult<Batch> {
        let mut tx = db.begin_write().await?;
        let bulk = Bulk::start(&mut tx).await?;
        Ok(Batch {
            tx,
            bulk,
            written: Written::default(),
            bad: 0,
            rows: 0,
            end: 0,
        })
    }

    /// Commits the rows with the job's counters (`total` as the reader now guesses it),
    /// so that a job cut off resumes after them. Returns the errors met while writing;
    /// `write_errors` keeps all of them with the job.
    async fn commit(
        mut self,
        db: &kernel::db::Db,
        id: i64,
        write_errors: &mut Vec<RowError>,
        total: usize,
    ) -> AppResult<Vec<RowError>> {
        self.bulk.finish(&mut self.tx).await?;
        write_errors.extend(self.written.errors.iter().cloned());
        sqlx::query(
            "UPDATE import_jobs SET processed = $1, inserted = inserted + $2, updated = updated + $3, \
             failed = failed + $4, errors = $5, total = $6, grouped = grouped + $8 WHERE id = $7",
        )
        .bind(self.end as i64)
        .bind(self.written.inserted)
        .bind(self.written.updated)
        .bind(self.bad)
        .bind(errors_json(write_errors))
        .bind(total.max(self.end) as i64)
        .bind(id)
        .bind(self.written.grouped)
        .execute(&mut **self.tx)
        .await?;
        self.tx.commit().await?;
        refresh_statistics(db, false).await?;
        Ok(self.written.errors)
    }
}

/// On PostgreSQL, after a batch: the planner still counts the rows the table had before
/// the job (an empty table becomes a million), and without fresh statistics it looks each
/// batch's IDs up by reading the whole table. After the last batch also a VACUUM, which
/// marks the new pages all-visible, so that name searches read the name-pair index alone
/// (17 instead of 47 ms at a million persons).
async fn refresh_statistics(db: &kernel::db::Db, vacuum: bool) -> AppResult<()> {
    if db.backend() == kernel::db::Backend::Postgres {
        let sql = if vacuum {
            "VACUUM (ANALYZE) persons, person_grams"
        } else {
            "ANALYZE persons, person_grams"
        };
        sqlx::query(sql).execute(db.pool()).await?;
    }
    Ok(())
}

/// Runs (or resumes) a job.
pub async fn run(state: &AppState, id: i64) -> AppResult<()> {
    run_with(state, id, BATCH, None).await
}

/// [`run`] with `batch` rows per transaction, stopping after `stop_after` batches (tests
/// cut a job off midway with it).
pub async fn run_with(
    state: &AppState,
    id: i64,
    batch: usize,
    stop_after: Option<usize>,
) -> AppResult<()> {
    let j = sqlx::query(&format!("SELECT {COLUMNS} FROM import_jobs WHERE id = $1"))
        .bind(id)
        .fetch_one(state.db().pool())
        .await
        .map(|r| job(&r))?;
    if j.status == "done" || j.status == "failed" {
        return Ok(());
    }
    let mut tx = state.db().begin_write().await?;
    sqlx::query("UPDATE import_jobs SET status = 'running' WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    tx.commit().await?;
    let started = std::time::Instant::now();
    let bytes = match tokio::fs::read(&j.file_path).await {
        Ok(b) => b,
        Err(_) => return finish(state, id, "failed", "import.corrupt", &[]).await,
    };
    let scope = Scope::of_unit(&j.unit_code);
    let villages = Directory::load(state.db(), &scope, 5).await?;
    let group = if j.category.is_empty() {
        None
    } else {
        match crate::category::store::get(state.db(), &j.category).await {
            Ok(c) if c.active => Some(c),
            _ => return finish(state, id, "failed", "import.group_unknown", &[]).await,
        }
    };
    let join = group.as_ref().map(|g| Join {
        code: g.code.clone(),
        actor: j.username.clone(),
        today: kernel::time::iso_date(kernel::time::today()),
    });
    let mut checker = Checker::new(villages, group);
    let (user, role): (i64, String) = sqlx::query_as(
        "SELECT j.user_id, u.role FROM import_jobs j JOIN users u ON u.id = j.user_id WHERE j.id = $1",
    )
    .bind(id)
    .fetch_one(state.db().pool())
    .await?;
    // The importer's rights as they are now, as an edit by her would be checked.
    let seer = match kernel::auth::Role::parse(&role) {
        Some(role) => Seer::new(scope.clone(), role),
        None => return finish(state, id, "failed", "err.forbidden", &[]).await,
    };
    let db = state.db().bulk_writer().await?;
    let cipher = Arc::new(state.cipher.clone());
    if j.mode == "all_or_nothing" {
        // Every row is checked before anything is written, so the file is read whole.
        let checker_cipher = cipher.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            let rows = sheet::read(&bytes)?;
            let fields = checker
                .group
                .as_ref()
                .map(|g| g.fields.clone())
                .unwrap_or_default();
            let layout = sheet::find_header(&rows, &fields)?;
            let mut all = sheet::inputs(rows, &layout);
            let end = all.len();
            Ok::<_, sheet::SheetError>(prepare(&mut checker, &checker_cipher, &mut all, end, false))
        })
        .await
        .map_err(anyhow::Error::from)?;
        let part = match parsed {
            Ok(p) => p,
            Err(e) => return finish(state, id, "failed", e.key(), &[]).await,
        };
        set(
            state,
            id,
            "UPDATE import_jobs SET total = $1 WHERE id = $2",
            part.end as i64,
        )
        .await?;
        if !part.errors.is_empty() {
            set(
                state,
                id,
                "UPDATE import_jobs SET failed = $1 WHERE id = $2",
                part.invalid,
            )
            .await?;
            return finish(state, id, "done", "import.nothing_written", &part.errors).await;
        }
        let mut tx = db.begin_write().await?;
        let mut bulk = Bulk::start(&mut tx).await?;
        let w = write_batch(&mut tx, &mut bulk, &seer, &part.ready, user, join.as_ref()).await?;
        if !w.errors.is_empty() {
            drop(tx);
            // The summary counts the rows the list names.
            let rows = w.errors.iter().map(|e| e.row).collect::<HashSet<usize>>();
            set(
                state,
                id,
                "UPDATE import_jobs SET failed = $1 WHERE id = $2",
                rows.len() as i64,
            )
            .await?;
            return finish(state, id, "done", "import.nothing_written", &w.errors).await;
        }
        bulk.finish(&mut tx).await?;
        sqlx::query(
            "UPDATE import_jobs SET processed = $1, inserted = $2, updated = $3, grouped = $5 WHERE id = $4",
        )
        .bind(part.end as i64)
        .bind(w.inserted)
        .bind(w.updated)
        .bind(id)
        .bind(w.grouped)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        refresh_statistics(&db, true).await?;
        return finish(state, id, "done", "", &[]).await;
    }
    // Valid rows, batch by batch, from where a previous run stopped; the errors met while
    // writing the batches before that point were kept with the job.
    let start = j.processed.max(0) as usize;
    let mut write_errors = if start > 0 { j.errors } else { Vec::new() };
    let mut errors = write_errors.clone();
    let (parts, mut incoming) = tokio::sync::mpsc::channel(4);
    let hint = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = {
        let (cipher, hint) = (cipher.clone(), hint.clone());
        tokio::task::spawn_blocking(move || {
            produce(
                &bytes,
                checker,
                &cipher,
                batch.min(PART),
                start,
                &hint,
                parts,
            )
        })
    };
    // Parts are written into one transaction until it holds enough rows. The first
    // transactions are small and double up to `batch`, so that the progress shown moves
    // at once.
    let mut batches = 0u32;
    let mut open: Option<Batch> = None;
    while let Some(part) = incoming.recv().await {
        if part.replay {
            errors.extend(part.errors);
            continue;
        }
        let mut b = match open.take() {
            Some(b) => b,
            None => Batch::start(&db).await?,
        };
        let w = write_batch(
            &mut b.tx,
            &mut b.bulk,
            &seer,
            &part.ready,
            user,
            join.as_ref(),
        )
        .await?;
        b.bad += part.invalid + w.errors.len() as i64;
        b.written.inserted += w.inserted;
        b.written.updated += w.updated;
        b.written.grouped += w.grouped;
        b.written.errors.extend(w.errors);
        b.rows += part.ready.len() + part.invalid as usize;
        b.end = part.end;
        errors.extend(part.errors);
        if b.rows < batch.min(FIRST_BATCH << batches.min(20)) {
            open = Some(b);
            continue;
        }
        let total = hint.load(std::sync::atomic::Ordering::Relaxed);
        errors.extend(b.commit(&db, id, &mut write_errors, total).await?);
        batches += 1;
        tracing::debug!(
            job = id,
            rows = part.end,
            secs = started.elapsed().as_secs_f64(),
            "import batch written"
        );
        if stop_after.is_some_and(|n| batches as usize >= n) {
            // Dropping the receiver stops the reader.
            drop(incoming);
            let _ = reader.await;
            return Ok(());
        }
    }
    if let Some(b) = open {
        let total = hint.load(std::sync::atomic::Ordering::Relaxed);
        errors.extend(b.commit(&db, id, &mut write_errors, total).await?);
    }
    let total = match reader.await.map_err(anyhow::Error::from)? {
        Ok(total) => total,
        Err(e) => return finish(state, id, "failed", e.key(), &errors).await,
    };
    set(
        state,
        id,
        "UPDATE import_jobs SET total = $1, processed = $1 WHERE id = $2",
        total as i64,
    )
    .await?;
    refresh_statistics(&db, true).await?;
    tracing::info!(
        job = id,
        rows = total,
        secs = started.elapsed().as_secs_f64(),
        "import rows written"
    );
    errors.sort_by_key(|e| e.row);
    finish(state, id, "done", "", &errors).await
}
