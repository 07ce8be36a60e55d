//! SQL of cases. A case is in scope when its current unit is; what of a restricted case a
//! reader may see is decided by [`crate::access`], whose condition every read here embeds.

use chrono::NaiveDate;
use kernel::crypto::Cipher;
use kernel::db::{now_ms, Db, WriteTx};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::scope::Scope;
use kernel::time::iso_date;
use serde::Serialize;
use sqlx::Row;

use crate::access::Viewer;
use crate::model::{self, Channel, Deadlines, Flags, State};

/// What a move changes of a case: its state, deadlines and handling.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Tracked {
    /// The current unit (after transfers)
    pub unit_code: String,
    pub state: State,
    /// '' (pending) | accepted | declined
    pub decision: String,
    pub decided_date: Option<String>,
    pub accepted_date: Option<String>,
    pub resolution_due: Option<String>,
    pub supervision_due: Option<String>,
    pub supervisor_unit: Option<String>,
    /// The latest closure
    pub closed_date: Option<String>,
    /// The latest follow-up's satisfaction (1-5) while the case stays followed up
    pub score: Option<i64>,
    pub extension_days: i64,
    pub reopened: i64,
    pub transferred: i64,
    /// The date of the latest event
    pub since_date: String,
    /// '' | low | medium | high
    pub risk_level: String,
    pub handler_id: Option<i64>,
    pub decline_reason: String,
    pub result: String,
    pub pending_referrals: i64,
    pub restricted: bool,
}

/// A case with everything its page shows.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    /// 登记编号: county, year of receipt, id
    pub number: String,
    pub unit_name: String,
    pub first_unit_code: String,
    pub type_code: String,
    pub type_name: String,
    pub channel: Channel,
    pub received_date: String,
    pub acceptance_due: String,
    pub repeat_of: Option<i64>,
    pub summary: String,
    /// 诉求
    pub request: String,
    pub handler_name: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub version: i64,
    #[serde(flatten)]
    pub t: Tracked,
    /// As of today
    pub flags: Flags,
}

impl Case {
    pub fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    pub fn deadlines(&self) -> Deadlines {
        deadlines(&self.acceptance_due, &self.t)
    }

    pub fn facts(&self) -> model::Facts {
        model::Facts {
            state: self.t.state,
            since: Case::date(&self.t.since_date),
            accepted: self.t.accepted_date.as_deref().map(Case::date),
            extension_days: self.t.extension_days,
            pending_referrals: self.t.pending_referrals,
        }
    }
}

fn deadlines(acceptance_due: &str, t: &Tracked) -> Deadlines {
    Deadlines {
        acceptance: Some(Case::date(acceptance_due)),
        resolution: t.resolution_due.as_deref().map(Case::date),
        supervision: t.supervision_due.as_deref().map(Case::date),
    }
}

pub fn number(county: &str, received: &str, id: i64) -> String {
    format!("{county}-{}-{id:06}", received.get(..4).unwrap_or(""))
}

const CASE_COLUMNS: &str =
    "c.id, c.county_code, o.name, c.first_unit_code, c.type_code, t.name_zh, \
    t.name_en, c.channel, c.received_date, c.acceptance_due, c.repeat_of, c.summary, c.request, \
    u.display_name, c.created_by, c.created_at, c.version, \
    c.unit_code, c.state, c.decision, c.decided_date, c.accepted_date, c.resolution_due, \
    c.supervision_due, c.supervisor_unit, c.closed_date, c.score, c.extension_days, c.reopened, \
    c.transferred, c.since_date, c.risk_level, c.handler_id, c.decline_reason, c.result, \
    c.pending_referrals, c.restricted";

const CASE_FROM: &str = "FROM cases c JOIN org_units o ON o.code = c.unit_code \
    JOIN case_types t ON t.code = c.type_code LEFT JOIN users u ON u.id = c.handler_id";

fn tracked(r: &sqlx::any::AnyRow, at: usize) -> Tracked {
    Tracked {
        unit_code: r.get(at),
        state: State::parse(&r.get::<String, _>(at + 1)).unwrap_or(State::Received),
        decision: r.get(at + 2),
        decided_date: r.get(at + 3),
        accepted_date: r.get(at + 4),
        resolution_due: r.get(at + 5),
        supervision_due: r.get(at + 6),
        supervisor_unit: r.get(at + 7),
        closed_date: r.get(at + 8),
        score: r.get(at + 9),
        extension_days: r.get(at + 10),
        reopened: r.get(at + 11),
        transferred: r.get(at + 12),
        since_date: r.get(at + 13),
        risk_level: r.get(at + 14),
        handler_id: r.get(at + 15),
        decline_reason: r.get(at + 16),
        result: r.get(at + 17),
        pending_referrals: r.get(at + 18),
        restricted: r.get::<i64, _>(at + 19) != 0,
    }
}

fn case(r: &sqlx::any::AnyRow, cipher: &Cipher, en: bool, today: NaiveDate) -> Case {
    let t = tracked(r, 17);
    let county: String = r.get(1);
    let received: String = r.get(8);
    let id: i64 = r.get(0);
    let acceptance_due: String = r.get(9);
    let flags = model::flags(
        t.state,
        !t.decision.is_empty(),
        &deadlines(&acceptance_due, &t),
        today,
    );
    let dec = |s: String| cipher.decrypt(&s).unwrap_or_default();
    Case {
        id,
        number: number(&county, &received, id),
        unit_name: r.get(2),
        first_unit_code: r.get(3),
        type_code: r.get(4),
        type_name: if en { r.get(6) } else { r.get(5) },
        channel: Channel::parse(&r.get::<String, _>(7)).unwrap_or(Channel::Visit),
        received_date: received,
        acceptance_due,
        repeat_of: r.get(10),
        summary: dec(r.get(11)),
        request: dec(r.get(12)),
        handler_name: r.get(13),
        created_by: r.get(14),
        created_at: r.get(15),
        version: r.get(16),
        t,
        flags,
    }
}

/// One case of the scope, whatever the reader may see of it (the caller asks
/// [`crate::access`] before showing it).
pub async fn get(db: &Db, cipher: &Cipher, scope: &Scope, id: i64, en: bool) -> AppResult<Case> {
    let row = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} {CASE_FROM} WHERE c.id = $1 AND c.unit_code >= $2 AND c.unit_code < $3"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| case(&r, cipher, en, kernel::time::today()))
        .ok_or(AppError::NotFound)
}

/// A row of the case list. A restricted case the reader may not read shows only that it
/// exists: its number, unit, date and state.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    pub unit_code: String,
    pub unit_name: String,
    pub received_date: String,
    pub state: State,
    pub restricted: bool,
    /// Whether the reader may see the content
    pub readable: bool,
    pub type_name: Option<String>,
    pub channel: Option<Channel>,
    pub complainant: Option<String>,
    pub handler_name: Option<String>,
    pub due: Option<String>,
    pub flags: Flags,
}

/// Filters of the case list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Filter {
    /// open (default) | closed | declined | all, or one state
    #[param(
        pattern = r"^$|^(open|closed|all|received|accepted|declined|assigned|in_progress|followed_up|archived)$"
    )]
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub type_code: Option<String>,
    pub channel: Option<String>,
    /// A unit of the scope: its subtree only
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
    /// overdue | soon
    #[param(pattern = r"^$|^(overdue|soon)$")]
    pub due: Option<String>,
    /// Only cases handled by the reader
    pub mine: Option<String>,
    /// Received on or after (YYYY-MM-DD)
    #[param(format = Date)]
    pub from: Option<String>,
    /// Received on or before
    #[param(format = Date)]
    pub to: Option<String>,
    /// newest (default) | due
    pub sort: Option<String>,
    pub page: Option<i64>,
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// SQL of the flags as of the date bound at `d` (and `d` + 3 days at `d3`), over a row of
/// `cases` or `case_history` aliased `c`. The same rules as [`model::flags`].
pub fn flag_sql(d: &str, d3: &str) -> (String, String) {
    // Overdue when any deadline that applies has passed, that is when the earliest has;
    // soon when none has and one falls within the days, that is when the earliest does.
    (
        format!("c.due_date < {d}"),
        format!("(c.due_date >= {d} AND c.due_date <= {d3})"),
    )
}

/// `due_date` from a row's columns: the earliest of the deadlines that apply to its state
/// (acceptance while received, resolution once accepted, supervision while it runs), NULL
/// when it does not run. Written in CASE, as SQLite's MIN of a NULL is NULL.
pub const DUE_SQL: &str = "CASE \
    WHEN state = 'received' THEN CASE WHEN supervision_due IS NOT NULL \
        AND supervision_due < acceptance_due THEN supervision_due ELSE acceptance_due END \
    WHEN state IN ('accepted', 'assigned', 'in_progress') THEN CASE \
        WHEN resolution_due IS NULL THEN supervision_due \
        WHEN supervision_due IS NOT NULL AND supervision_due < resolution_due THEN supervision_due \
        ELSE resolution_due END \
    ELSE NULL END";

pub fn plus_days(d: NaiveDate, n: u64) -> String {
    iso_date(d.checked_add_days(chrono::Days::new(n)).unwrap_or(d))
}

/// The cases of the scope the filter keeps: the condition the list and its count share
/// (`c` is `cases`), and the values it binds from `$1`.
fn matching(scope: &Scope, viewer: &Viewer, f: &Filter) -> AppResult<(String, Vec<String>)> {
    let (lo, hi) = scope.filter_range(f.unit.as_deref())?;
    let today = kernel::time::today();
    let mut binds: Vec<String> = vec![lo, hi];
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let mut cond = String::new();
    let status = some(&f.status).unwrap_or("open");
    match status {
        "all" => {}
        "open" => {
            cond.push_str(" AND c.state IN ('received', 'accepted', 'assigned', 'in_progress')")
        }
        "closed" => cond.push_str(" AND c.state IN ('closed', 'followed_up', 'archived')"),
        s => match State::parse(s) {
            Some(s) => cond.push_str(&format!(" AND c.state = {}", bind(s.as_str().into()))),
            None => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "status",
                    "case.filter_invalid",
                )]))
            }
        },
    }
    if let Some(t) = some(&f.type_code) {
        cond.push_str(&format!(" AND c.type_code = {}", bind(t.into())));
    }
    if let Some(ch) = some(&f.channel) {
        cond.push_str(&format!(" AND c.channel = {}", bind(ch.into())));
    }
    if let Some(from) = kernel::time::date_param(f.from.as_deref(), "from")? {
        cond.push_str(&format!(
            " AND c.received_date >= {}",
            bind(from.to_string())
        ));
    }
    if let Some(to) = kernel::time::date_param(f.to.as_deref(), "to")? {
        cond.push_str(&format!(" AND c.received_date <= {}", bind(to.to_string())));
    }
    if some(&f.mine).is_some() {
        cond.push_str(&format!(" AND c.handler_id = {}", viewer.user_id));
    }
    if let Some(due) = some(&f.due) {
        let d = bind(today.to_string());
        let d3 = bind(plus_days(today, model::SOON_DAYS));
        let (overdue, soon) = flag_sql(&d, &d3);
        match due {
            "overdue" => cond.push_str(&format!(" AND {overdue}")),
            "soon" => cond.push_str(&format!(" AND {soon}")),
            _ => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "due",
                    "case.filter_invalid",
                )]))
            }
        }
    }
    Ok((
        format!("c.unit_code >= $1 AND c.unit_code < $2{cond}"),
        binds,
    ))
}

/// How many cases of the scope the filter keeps (the list's "共 N 件").
pub async fn count(db: &Db, scope: &Scope, viewer: &Viewer, f: &Filter) -> AppResult<i64> {
    let (cond, binds) = matching(scope, viewer, f)?;
    let sql = format!("SELECT COUNT(*) FROM cases c WHERE {cond}");
    let mut q = sqlx::query_scalar(&sql);
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// Cases of the scope matching the filter, `limit` rows from `offset`.
pub async fn list(
    db: &Db,
    scope: &Scope,
    viewer: &Viewer,
    en: bool,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<CaseRow>> {
    let (cond, mut binds) = matching(scope, viewer, f)?;
    let status = some(&f.status).unwrap_or("open");
    let today = kernel::time::today();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let order = match some(&f.sort) {
        // Only running cases have a due date: their lists sort on it as the index holds it.
        Some("due") if status == "open" || f.due.is_some() => " ORDER BY c.due_date, c.id",
        Some("due") => " ORDER BY CASE WHEN c.due_date IS NULL THEN 1 ELSE 0 END, c.due_date, c.id",
        _ => " ORDER BY c.received_date DESC, c.id DESC",
    };
    let readable = viewer.readable_sql(&mut bind);
    let sql = format!(
        "SELECT c.id, c.county_code, c.unit_code, o.name, c.received_date, c.state, c.restricted, \
         {readable}, t.name_zh, t.name_en, c.channel, \
         (SELECT MIN(p.name) FROM case_parties p WHERE p.case_id = c.id AND p.role = 'complainant'), \
         u.display_name, c.acceptance_due, c.decision, c.resolution_due, c.supervision_due \
         FROM (SELECT c.id AS page_id FROM cases c WHERE {cond}\
         {order} LIMIT {limit} OFFSET {offset}) page JOIN cases c ON c.id = page.page_id \
         JOIN org_units o ON o.code = c.unit_code JOIN case_types t ON t.code = c.type_code \
         LEFT JOIN users u ON u.id = c.handler_id{order}"
    );
    // The page is chosen first, from the index alone; only its rows are then joined and
    // have their complainant and access worked out (doing so before the sort did it for
    // every open case of the county).
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let county: String = r.get(1);
            let received: String = r.get(4);
            let state = State::parse(&r.get::<String, _>(5)).unwrap_or(State::Received);
            let readable = r.get::<i64, _>(7) != 0;
            let acceptance: String = r.get(13);
            let decision: String = r.get(14);
            let dl = Deadlines {
                acceptance: Some(Case::date(&acceptance)),
                resolution: r.get::<Option<String>, _>(15).as_deref().map(Case::date),
                supervision: r.get::<Option<String>, _>(16).as_deref().map(Case::date),
            };
            let flags = model::flags(state, !decision.is_empty(), &dl, today);
            let due = if state == State::Received {
                Some(acceptance)
            } else {
                r.get(15)
            };
            CaseRow {
                id,
                number: number(&county, &received, id),
                unit_code: r.get(2),
                unit_name: r.get(3),
                received_date: received,
                state,
                restricted: r.get::<i64, _>(6) != 0,
                readable,
                type_name: readable.then(|| if en { r.get(9) } else { r.get(8) }),
                channel: readable
                    .then(|| Channel::parse(&r.get::<String, _>(10)))
                    .flatten(),
                complainant: if readable { r.get(11) } else { None },
                handler_name: if readable { r.get(12) } else { None },
                due: if state.is_open() { due } else { None },
                flags,
            }
        })
        .collect())
}

/// Whether the reader may see the content of one case (see [`crate::access`]).
pub async fn readable(db: &Db, viewer: &Viewer, id: i64) -> AppResult<bool> {
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len() + 1)
    };
    let readable = viewer.readable_sql(&mut bind);
    let sql = format!("SELECT {readable} FROM cases c WHERE c.id = $1");
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(id);
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.fetch_optional(db.pool()).await?.unwrap_or(0) != 0)
}

/// A new case as stored.
pub struct NewCase<'a> {
    pub unit_code: &'a str,
    pub type_code: &'a str,
    pub channel: Channel,
    pub received: NaiveDate,
    pub summary_enc: String,
    pub request_enc: String,
    pub restricted: bool,
    pub complainant_hash: Option<String>,
    pub repeat_of: Option<i64>,
    pub call_id: Option<i64>,
    pub created_by: Option<i64>,
}

pub async fn insert(tx: &mut WriteTx, c: &NewCase<'_>) -> AppResult<i64> {
    let now = now_ms();
    let received = iso_date(c.received);
    let id = sqlx::query_scalar(
        "INSERT INTO cases (county_code, unit_code, first_unit_code, type_code, channel, received_date, \
         received_month, state, acceptance_due, since_date, summary, request, restricted, \
         complainant_hash, repeat_of, call_id, created_by, created_at, updated_at, counted, due_date) \
         VALUES ($1, $2, $2, $3, $4, $5, $15, 'received', $6, $5, $7, $8, $9, $10, $11, $12, $13, $14, $14, $16, $6) \
         RETURNING id",
    )
    .bind(kernel::org::model::county_of(c.unit_code))
    .bind(c.unit_code)
    .bind(c.type_code)
    .bind(c.channel.as_str())
    .bind(&received)
    .bind(iso_date(model::acceptance_due(c.received)))
    .bind(&c.summary_enc)
    .bind(&c.request_enc)
    .bind(c.restricted as i64)
    .bind(&c.complainant_hash)
    .bind(c.repeat_of)
    .bind(c.call_id)
    .bind(c.created_by)
    .bind(now)
    .bind(received.get(..7).unwrap_or(""))
    // What refresh_derived would write, known here without a second statement: a new case
    // is undecided, so of the counted bits only the repeat can be set, and its earliest
    // deadline is the acceptance's ($6).
    .bind(if c.repeat_of.is_some() { REPEAT_BIT } else { 0 })
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// The figures' columns, in `cases` and `case_history` alike.
pub const COUNTED: &str = "unit_code, type_code, channel, received_date, received_month, state, \
    decision, decided_date, acceptance_due, accepted_date, resolution_due, supervision_due, \
    closed_date, score, extension_days, reopened, transferred, repeat_of, counted, due_date";

/// What the figures count of a case that does not depend on the date asked, one bit each,
/// from the row's own columns (CASE-RULES.md). Kept in `counted` so that the figures sum
/// bits instead of evaluating every rule on every row.
pub const COUNTED_BITS: [(i64, &str); 12] = [
    (1, "decision = 'accepted'"),
    (2, "decision = 'declined'"),
    (
        4,
        "decision = 'accepted' AND state IN ('closed', 'followed_up', 'archived')",
    ),
    (
        8,
        "state IN ('closed', 'followed_up', 'archived') AND closed_date <= resolution_due",
    ),
    (16, "decision <> '' AND decided_date <= acceptance_due"),
    (REPEAT_BIT, "repeat_of IS NOT NULL"),
    (64, "state IN ('followed_up', 'archived')"),
    (128, "state IN ('followed_up', 'archived') AND score >= 4"),
    (256, "extension_days > 0"),
    (512, "supervision_due IS NOT NULL"),
    (1024, "reopened > 0"),
    (2048, "transferred > 0"),
];

const REPEAT_BIT: i64 = 32;

/// The SQL expression of `counted` over a row's columns.
pub fn counted_sql() -> String {
    COUNTED_BITS
        .iter()
        .map(|(bit, cond)| format!("(CASE WHEN {cond} THEN {bit} ELSE 0 END)"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// What the store derives from a row's columns on every write.
pub fn derived_sql() -> String {
    format!("counted = {}, due_date = {DUE_SQL}", counted_sql())
}

/// Writes `counted` and `due_date` of one case from its columns.
pub async fn refresh_derived(tx: &mut WriteTx, id: i64) -> AppResult<()> {
    sqlx::query(&format!("UPDATE cases SET {} WHERE id = $1", derived_sql()))
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Saves a move made from `version`: the counted columns as they were go to the history
/// when the move is dated after the case's latest event. `false` when someone else saved
/// the case in between.
pub async fn save(
    tx: &mut WriteTx,
    id: i64,
    version: i64,
    old_since: &str,
    t: &Tracked,
) -> AppResult<bool> {
    if old_since < t.since_date.as_str() {
        sqlx::query(&format!(
            "INSERT INTO case_history (case_id, {COUNTED}, from_date, to_date) \
             SELECT id, {COUNTED}, since_date, $1 FROM cases WHERE id = $2 AND version = $3"
        ))
        .bind(&t.since_date)
        .bind(id)
        .bind(version)
        .execute(&mut ***tx)
        .await?;
    }
    let n = sqlx::query(
        "UPDATE cases SET unit_code = $1, state = $2, decision = $3, decided_date = $4, \
         accepted_date = $5, resolution_due = $6, supervision_due = $7, supervisor_unit = $8, \
         closed_date = $9, score = $10, extension_days = $11, reopened = $12, transferred = $13, \
         since_date = $14, risk_level = $15, handler_id = $16, decline_reason = $17, result = $18, \
         pending_referrals = $19, restricted = $20, version = version + 1, updated_at = $21 \
         WHERE id = $22 AND version = $23",
    )
    .bind(&t.unit_code)
    .bind(t.state.as_str())
    .bind(&t.decision)
    .bind(&t.decided_date)
    .bind(&t.accepted_date)
    .bind(&t.resolution_due)
    .bind(&t.supervision_due)
    .bind(&t.supervisor_unit)
    .bind(&t.closed_date)
    .bind(t.score)
    .bind(t.extension_days)
    .bind(t.reopened)
    .bind(t.transferred)
    .bind(&t.since_date)
    .bind(&t.risk_level)
    .bind(t.handler_id)
    .bind(&t.decline_reason)
    .bind(&t.result)
    .bind(t.pending_referrals)
    .bind(t.restricted as i64)
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .execute(&mut ***tx)
    .await?;
    if n.rows_affected() != 1 {
        return Ok(false);
    }
    refresh_derived(tx, id).await?;
    Ok(true)
}

/// A party to a case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Party {
    pub id: i64,
    /// complainant | victim | respondent | child
    pub role: String,
    pub person_id: Option<i64>,
    pub name: String,
    pub relation: String,
    pub minor: bool,
}

/// A party as written with a new case.
pub struct NewParty<'a> {
    pub role: &'a str,
    pub person_id: Option<i64>,
    pub name: &'a str,
    pub relation: &'a str,
    pub minor: bool,
}

/// Writes the parties of a case in one statement.
pub async fn insert_parties(
    tx: &mut WriteTx,
    case_id: i64,
    parties: &[NewParty<'_>],
) -> AppResult<()> {
    if parties.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO case_parties (case_id, role, person_id, name, relation, minor) VALUES {}",
        kernel::db::value_tuples(tx.backend(), parties.len(), 6)
    );
    let mut q = sqlx::query(&sql);
    for p in parties {
        q = q
            .bind(case_id)
            .bind(p.role)
            .bind(p.person_id)
            .bind(p.name)
            .bind(p.relation)
            .bind(p.minor as i64);
    }
    q.execute(&mut ***tx).await?;
    Ok(())
}

pub async fn parties(db: &Db, case_id: i64) -> AppResult<Vec<Party>> {
    let rows = sqlx::query(
        "SELECT id, role, person_id, name, relation, minor FROM case_parties WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Party {
            id: r.get(0),
            role: r.get(1),
            person_id: r.get(2),
            name: r.get(3),
            relation: r.get(4),
            minor: r.get::<i64, _>(5) != 0,
        })
        .collect())
}

/// One entry of a case's timeline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    /// The move (accept, close…) or step (call, visit, mediation, legal_aid, instrument, note)
    pub kind: String,
    pub event_date: String,
    pub content: String,
    /// Structured facts of the entry (JSON)
    pub detail: serde_json::Value,
    pub actor: String,
    pub created_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn add_event(
    tx: &mut WriteTx,
    cipher: &Cipher,
    case_id: i64,
    kind: &str,
    date: &str,
    content: &str,
    detail: &serde_json::Value,
    actor: &kernel::audit::Actor,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO case_events (case_id, kind, event_date, content, detail, actor_id, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(case_id)
    .bind(kind)
    .bind(date)
    .bind(if content.is_empty() {
        String::new()
    } else {
        cipher.encrypt(content)
    })
    .bind(if detail.is_null() {
        String::new()
    } else {
        detail.to_string()
    })
    .bind(actor.id)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut ***tx)
    .await?)
}

pub async fn events(db: &Db, cipher: &Cipher, case_id: i64) -> AppResult<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, kind, event_date, content, detail, \
         COALESCE((SELECT u.display_name FROM users u WHERE u.id = actor_id), actor), created_at \
         FROM case_events WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let content: String = r.get(3);
            let detail: String = r.get(4);
            Event {
                id: r.get(0),
                kind: r.get(1),
                event_date: r.get(2),
                content: if content.is_empty() {
                    content
                } else {
                    cipher.decrypt(&content).unwrap_or_default()
                },
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                actor: r.get(5),
                created_at: r.get(6),
            }
        })
        .collect())
}

/// A referral to a partner unit and its answer.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: i64,
    pub partner_id: i64,
    pub partner_name: String,
    pub sent_date: String,
    pub note: String,
    /// pending | accepted | returned
    pub status: String,
    pub answer_date: Option<String>,
    pub answer_note: String,
}

pub async fn referrals(db: &Db, case_id: i64) -> AppResult<Vec<Referral>> {
    let rows = sqlx::query(
        "SELECT r.id, r.partner_id, p.name, r.sent_date, r.note, r.status, r.answer_date, r.answer_note \
         FROM case_referrals r JOIN case_partners p ON p.id = r.partner_id WHERE r.case_id = $1 ORDER BY r.id",
    )
    .bind(case_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Referral {
            id: r.get(0),
            partner_id: r.get(1),
            partner_name: r.get(2),
            sent_date: r.get(3),
            note: r.get(4),
            status: r.get(5),
            answer_date: r.get(6),
            answer_note: r.get(7),
        })
        .collect())
}

pub async fn insert_referral(
    tx: &mut WriteTx,
    case_id: i64,
    partner_id: i64,
    date: &str,
    note: &str,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO case_referrals (case_id, partner_id, sent_date, note) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(case_id)
    .bind(partner_id)
    .bind(date)
    .bind(note)
    .fetch_one(&mut ***tx)
    .await?)
}

/// Records the partner's answer to a pending referral; `false` if it was answered already.
pub async fn answer_referral(
    tx: &mut WriteTx,
    case_id: i64,
    referral_id: i64,
    status: &str,
    date: &str,
    note: &str,
) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE case_referrals SET status = $1, answer_date = $2, answer_note = $3 \
         WHERE id = $4 AND case_id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(date)
    .bind(note)
    .bind(referral_id)
    .bind(case_id)
    .execute(&mut ***tx)
    .await?;
    Ok(n.rows_affected() == 1)
}

/// A configurable case type.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseType {
    pub code: String,
    pub name: String,
    pub restricted: bool,
    pub active: bool,
}

pub async fn types(db: &Db, en: bool) -> AppResult<Vec<CaseType>> {
    let rows = sqlx::query(
        "SELECT code, name_zh, name_en, restricted, active FROM case_types ORDER BY sort, code",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| CaseType {
            code: r.get(0),
            name: if en { r.get(2) } else { r.get(1) },
            restricted: r.get::<i64, _>(3) != 0,
            active: r.get::<i64, _>(4) != 0,
        })
        .collect())
}

pub async fn insert_type(
    tx: &mut WriteTx,
    code: &str,
    name_zh: &str,
    name_en: &str,
    restricted: bool,
) -> AppResult<bool> {
    let exists: Option<String> = sqlx::query_scalar("SELECT code FROM case_types WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut ***tx)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO case_types (code, name_zh, name_en, restricted, sort) VALUES ($1, $2, $3, $4, \
         (SELECT COALESCE(MAX(sort), 0) + 10 FROM case_types))",
    )
    .bind(code)
    .bind(name_zh)
    .bind(name_en)
    .bind(restricted as i64)
    .execute(&mut ***tx)
    .await?;
    Ok(true)
}

/// A partner unit cases are referred to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Partner {
    pub id: i64,
    pub county_code: String,
    /// police | court | procuratorate | justice | civil_affairs | mass_work | legal_aid | health | education | other
    pub kind: String,
    pub name: String,
    pub active: bool,
}

pub async fn partners(db: &Db, county: &str) -> AppResult<Vec<Partner>> {
    let rows = sqlx::query(
        "SELECT id, county_code, kind, name, active FROM case_partners WHERE county_code = $1 ORDER BY kind, name",
    )
    .bind(county)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Partner {
            id: r.get(0),
            county_code: r.get(1),
            kind: r.get(2),
            name: r.get(3),
            active: r.get::<i64, _>(4) != 0,
        })
        .collect())
}

pub async fn insert_partner(
    tx: &mut WriteTx,
    county: &str,
    kind: &str,
    name: &str,
) -> AppResult<Option<i64>> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM case_partners WHERE county_code = $1 AND name = $2")
            .bind(county)
            .bind(name)
            .fetch_optional(&mut ***tx)
            .await?;
    if exists.is_some() {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_scalar(
            "INSERT INTO case_partners (county_code, kind, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(county)
        .bind(kind)
        .bind(name)
        .bind(now_ms())
        .fetch_one(&mut ***tx)
        .await?,
    ))
}

/// The latest earlier case of the same complainant and type that makes one received on
/// `received` a repeat: still open, or ended (closed or declined) 90 days before or less.
pub async fn repeat_of(
    tx: &mut WriteTx,
    complainant_hash: &str,
    type_code: &str,
    received: NaiveDate,
) -> AppResult<Option<i64>> {
    let day = iso_date(received);
    let window = iso_date(
        received
            .checked_sub_days(chrono::Days::new(model::REPEAT_DAYS))
            .unwrap_or(received),
    );
    Ok(sqlx::query_scalar(
        "SELECT id FROM cases WHERE complainant_hash = $1 AND type_code = $2 AND received_date <= $3 \
         AND (state IN ('received', 'accepted', 'assigned', 'in_progress') \
              OR (state = 'declined' AND decided_date >= $4) \
              OR (state IN ('closed', 'followed_up', 'archived') AND closed_date >= $4)) \
         ORDER BY received_date DESC, id DESC LIMIT 1",
    )
    .bind(complainant_hash)
    .bind(type_code)
    .bind(&day)
    .bind(&window)
    .fetch_optional(&mut ***tx)
    .await?)
}

/// Grants and broken glass of a case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub user_id: i64,
    pub username: String,
    /// How pages show the account (王红梅), never by its login name.
    pub display_name: String,
    /// grant | glass
    pub kind: String,
    pub reason: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub async fn insert_grant(
    tx: &mut WriteTx,
    case_id: i64,
    user_id: i64,
    kind: &str,
    reason: &str,
    granted_by: i64,
    expires_at: Option<i64>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO case_grants (case_id, user_id, kind, reason, granted_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(case_id)
    .bind(user_id)
    .bind(kind)
    .bind(reason)
    .bind(granted_by)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

pub async fn grants(db: &Db, case_id: i64) -> AppResult<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT g.user_id, u.username, g.kind, g.reason, g.created_at, g.expires_at, u.display_name \
         FROM case_grants g \
         JOIN users u ON u.id = g.user_id WHERE g.case_id = $1 ORDER BY g.id",
    )
    .bind(case_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Grant {
            user_id: r.get(0),
            username: r.get(1),
            display_name: r.get(6),
            kind: r.get(2),
            reason: r.get(3),
            created_at: r.get(4),
            expires_at: r.get(5),
        })
        .collect())
}

/// Raises an alert to a unit.
pub async fn insert_alert(tx: &mut WriteTx, case_id: i64, unit: &str, kind: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO case_alerts (case_id, unit_code, kind, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(case_id)
    .bind(unit)
    .bind(kind)
    .bind(now_ms())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// An alert not yet acknowledged.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: i64,
    pub case_id: i64,
    pub number: String,
    pub unit_code: String,
    /// risk_high
    pub kind: String,
    pub created_at: i64,
}

/// Open alerts to the reader's own unit.
pub async fn alerts(db: &Db, unit: &str) -> AppResult<Vec<Alert>> {
    let rows = sqlx::query(
        "SELECT a.id, a.case_id, c.county_code, c.received_date, a.unit_code, a.kind, a.created_at \
         FROM case_alerts a JOIN cases c ON c.id = a.case_id WHERE a.unit_code = $1 AND a.acked_at IS NULL \
         ORDER BY a.id DESC LIMIT 100",
    )
    .bind(unit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Alert {
            id: r.get(0),
            case_id: r.get(1),
            number: number(&r.get::<String, _>(2), &r.get::<String, _>(3), r.get(1)),
            unit_code: r.get(4),
            kind: r.get(5),
            created_at: r.get(6),
        })
        .collect())
}

/// Acknowledges an alert of the reader's unit; `false` if there is none such.
pub async fn ack_alert(tx: &mut WriteTx, id: i64, unit: &str, user: i64) -> AppResult<Option<i64>> {
    let case: Option<i64> = sqlx::query_scalar(
        "SELECT case_id FROM case_alerts WHERE id = $1 AND unit_code = $2 AND acked_at IS NULL",
    )
    .bind(id)
    .bind(unit)
    .fetch_optional(&mut ***tx)
    .await?;
    if case.is_some() {
        sqlx::query("UPDATE case_alerts SET acked_by = $1, acked_at = $2 WHERE id = $3")
            .bind(user)
            .bind(now_ms())
            .bind(id)
            .execute(&mut ***tx)
            .await?;
    }
    Ok(case)
}
