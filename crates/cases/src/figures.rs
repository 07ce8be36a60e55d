//! The case figures of CASE-RULES.md: the cases received in a period, counted as of a date,
//! in total and by type, channel, township, unit and month. The counts are gathered by
//! place (unit, month) and by kind (type, channel), and every grouping is rolled up from
//! those, so each adds up to the total. Today's figures over whole months for a county
//! read the sums kept by triggers (migration 2002); any other question sums the case rows,
//! a past date reading the counted columns as they were then (`case_history`).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use kernel::auth::Ctx;
use kernel::db::Db;
use kernel::error::AppResult;
use kernel::scope::Scope;
use serde::Serialize;
use sqlx::Row;

use crate::model::{self, Channel};
use crate::store;

/// The counts of a group of cases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub received: i64,
    pub accepted: i64,
    pub declined: i64,
    pub pending_decision: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub decided_on_time: i64,
    pub repeats: i64,
    pub followed_up: i64,
    pub score_sum: i64,
    pub satisfied: i64,
    pub extended: i64,
    pub supervised: i64,
    pub reopened: i64,
    pub transferred: i64,
    pub overdue: i64,
    pub soon_due: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.accepted += o.accepted;
        self.declined += o.declined;
        self.pending_decision += o.pending_decision;
        self.closed += o.closed;
        self.closed_on_time += o.closed_on_time;
        self.decided_on_time += o.decided_on_time;
        self.repeats += o.repeats;
        self.followed_up += o.followed_up;
        self.score_sum += o.score_sum;
        self.satisfied += o.satisfied;
        self.extended += o.extended;
        self.supervised += o.supervised;
        self.reopened += o.reopened;
        self.transferred += o.transferred;
        self.overdue += o.overdue;
        self.soon_due += o.soon_due;
    }
}

/// Counts with their rates (rounded half-up to 4 decimals, none when nothing to divide by).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    #[serde(flatten)]
    pub counts: Counts,
    /// 结案率: closed / accepted
    pub closure_rate: Option<f64>,
    /// closed_on_time / closed
    pub on_time_rate: Option<f64>,
    /// decided_on_time / (accepted + declined)
    pub decision_on_time_rate: Option<f64>,
    /// repeats / received
    pub repeat_rate: Option<f64>,
    pub satisfaction_mean: Option<f64>,
    /// scores 4-5 / followed_up
    pub satisfied_share: Option<f64>,
}

impl From<Counts> for Figure {
    fn from(c: Counts) -> Figure {
        Figure {
            closure_rate: model::rate(c.closed, c.accepted),
            on_time_rate: model::rate(c.closed_on_time, c.closed),
            decision_on_time_rate: model::rate(c.decided_on_time, c.accepted + c.declined),
            repeat_rate: model::rate(c.repeats, c.received),
            satisfaction_mean: model::rate(c.score_sum, c.followed_up),
            satisfied_share: model::rate(c.satisfied, c.followed_up),
            counts: c,
        }
    }
}

/// One row of a grouping.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub figure: Figure,
}

/// The figures of a period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub unit_code: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub total: Figure,
    pub by_type: Vec<Group>,
    pub by_channel: Vec<Group>,
    pub by_township: Vec<Group>,
    pub by_unit: Vec<Group>,
    pub by_month: Vec<Group>,
}

/// What the figures are asked for.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Query {
    /// First day of the period (default: 1 January of this year)
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day of the period (default: today)
    #[param(format = Date)]
    pub to: Option<String>,
    /// Count as of this date (default: today)
    #[param(format = Date)]
    pub as_of: Option<String>,
    /// A unit of the scope (default: the account's own)
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
}

/// The township a unit counts under: its first nine digits, or the county's
/// `xxxxxx000000` (县本级) for units at county level.
pub fn township_of(unit: &str) -> String {
    match unit.get(..9) {
        Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => t.to_string(),
        _ => format!("{}000000", kernel::org::model::county_of(unit)),
    }
}

fn date_of(raw: Option<&str>, default: NaiveDate, field: &'static str) -> AppResult<NaiveDate> {
    Ok(kernel::time::date_param(raw, field)?.unwrap_or(default))
}

/// The figures for the scope (or one unit of it).
pub async fn report(db: &Db, ctx: &Ctx, q: &Query) -> AppResult<Report> {
    let today = kernel::time::today();
    let from = date_of(
        q.from.as_deref(),
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        "from",
    )?;
    let to = date_of(q.to.as_deref(), today, "to")?;
    let as_of = date_of(q.as_of.as_deref(), today, "as_of")?;
    ctx.scope.filter_range(q.unit.as_deref())?;
    let unit = match q.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => ctx.scope.unit().to_string(),
    };
    let scope = Scope::of_unit(&unit);
    let mut cells = Cells::default();
    for part in parts(&unit, from, to, as_of, today) {
        match part {
            Part::Kept(first, last) => tallied(db, &scope, &first, &last, &mut cells).await?,
            Part::Rows(from, to) => summed(db, &scope, from, to, as_of, &mut cells).await?,
        }
    }
    deadlines(db, &scope, from, to, as_of, &mut cells).await?;
    let en = crate::service::en(ctx);
    let mut total = Counts::default();
    let mut by_type: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_township: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_unit: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_month: BTreeMap<String, Counts> = BTreeMap::new();
    for ((unit_code, month), c) in &cells.place {
        total.add(c);
        by_township
            .entry(township_of(unit_code))
            .or_default()
            .add(c);
        by_unit.entry(unit_code.clone()).or_default().add(c);
        by_month.entry(month.clone()).or_default().add(c);
    }
    for ((type_code, channel), c) in &cells.kind {
        by_type.entry(type_code.clone()).or_default().add(c);
        by_channel.entry(channel.clone()).or_default().add(c);
    }
    // Every type and channel is listed, counted or not.
    let types = store::types(db, en).await?;
    let type_rows = types
        .iter()
        .map(|t| (t.code.clone(), t.name.clone()))
        .chain(
            by_type
                .keys()
                .filter(|k| !types.iter().any(|t| &t.code == *k))
                .map(|k| (k.clone(), k.clone()))
                .collect::<Vec<_>>(),
        )
        .map(|(code, name)| Group {
            figure: by_type.get(&code).copied().unwrap_or_default().into(),
            key: code,
            label: name,
        })
        .collect();
    let channel_rows = Channel::ALL
        .iter()
        .map(|ch| Group {
            key: ch.as_str().into(),
            label: ctx.tr.s(ch.label_key()).into(),
            figure: by_channel
                .get(ch.as_str())
                .copied()
                .unwrap_or_default()
                .into(),
        })
        .collect();
    let names = unit_names(db, &scope).await?;
    let named = |m: BTreeMap<String, Counts>| -> Vec<Group> {
        m.into_iter()
            .map(|(k, c)| Group {
                label: names.get(&k).cloned().unwrap_or_else(|| {
                    if k.ends_with("000000") {
                        ctx.tr.s("figures.county_level").to_string()
                    } else {
                        k.clone()
                    }
                }),
                key: k,
                figure: c.into(),
            })
            .collect()
    };
    Ok(Report {
        unit_code: unit,
        from: from.to_string(),
        to: to.to_string(),
        as_of: as_of.to_string(),
        total: total.into(),
        by_type: type_rows,
        by_channel: channel_rows,
        by_township: named(by_township),
        by_unit: named(by_unit),
        by_month: by_month
            .into_iter()
            .map(|(k, c)| Group {
                label: k.clone(),
                key: k,
                figure: c.into(),
            })
            .collect(),
    })
}

/// The counts by place (unit, month of receipt) and by kind (type, channel): the two
/// sides every grouping of the report is rolled up from.
#[derive(Default)]
struct Cells {
    place: BTreeMap<(String, String), Counts>,
    kind: BTreeMap<(String, String), Counts>,
}

impl Cells {
    /// Adds counts to the cells of a row whose first columns are unit, month, type and
    /// channel.
    fn add(&mut self, r: &sqlx::any::AnyRow, c: &Counts) {
        let (unit, month, type_code, channel): (&str, &str, &str, &str) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        self.place
            .entry((unit.into(), month.into()))
            .or_default()
            .add(c);
        self.kind
            .entry((type_code.into(), channel.into()))
            .or_default()
            .add(c);
    }
}

/// Where the counts of a part of the period come from.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    /// The sums kept by triggers, first to last month (`YYYY-MM`)
    Kept(String, String),
    /// The case rows received between the days
    Rows(NaiveDate, NaiveDate),
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    month_start(d)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(d)
}

/// How the period is counted. The sums are kept as of today, by month, and the kinds by
/// county: so for today's figures of a county or a wider area, the whole months of the
/// period come from them and only the days of a month the period cuts from the rows; any
/// other question reads the rows of the whole period.
fn parts(
    unit: &str,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    today: NaiveDate,
) -> Vec<Part> {
    let wide = unit.len() <= 6 && unit.bytes().all(|b| b.is_ascii_digit());
    if as_of != today || !wide || from > to {
        return vec![Part::Rows(from, to)];
    }
    let start = if from.day() == 1 {
        from
    } else {
        next_month(from)
    };
    // Nothing is received after today: a period running to today or later ends with
    // today's month.
    let end = if to >= today {
        next_month(today)
    } else if next_month(to) == to + chrono::Days::new(1) {
        next_month(to)
    } else {
        month_start(to)
    };
    if start >= end {
        return vec![Part::Rows(from, to)];
    }
    let day_before = |d: NaiveDate| d - chrono::Days::new(1);
    let mut out = vec![Part::Kept(
        start.format("%Y-%m").to_string(),
        day_before(end).format("%Y-%m").to_string(),
    )];
    if from < start {
        out.push(Part::Rows(from, day_before(start)));
    }
    if to < today && end <= to {
        out.push(Part::Rows(end, to));
    }
    out
}

/// The bits of `counted` (store::COUNTED_BITS) as counts of `n` cases.
fn of_bits(bits: i64, n: i64, score_sum: i64) -> Counts {
    let has = |bit: i64| if bits & bit != 0 { n } else { 0 };
    Counts {
        received: n,
        accepted: has(1),
        declined: has(2),
        closed: has(4),
        closed_on_time: has(8),
        decided_on_time: has(16),
        repeats: has(32),
        followed_up: has(64),
        satisfied: has(128),
        extended: has(256),
        supervised: has(512),
        reopened: has(1024),
        transferred: has(2048),
        score_sum,
        ..Counts::default()
    }
}

/// The kept sums of the months (see migration 2002).
async fn tallied(
    db: &Db,
    scope: &Scope,
    first: &str,
    last: &str,
    cells: &mut Cells,
) -> AppResult<()> {
    let sums = "n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, \
        followed_up, satisfied, extended, supervised, reopened, transferred, score_sum";
    let counts = |r: &sqlx::any::AnyRow| {
        let g = |i: usize| r.get::<i64, _>(i + 2);
        Counts {
            received: g(0),
            accepted: g(1),
            declined: g(2),
            closed: g(3),
            closed_on_time: g(4),
            decided_on_time: g(5),
            repeats: g(6),
            followed_up: g(7),
            satisfied: g(8),
            extended: g(9),
            supervised: g(10),
            reopened: g(11),
            transferred: g(12),
            score_sum: g(13),
            ..Counts::default()
        }
    };
    for (table, keys, unit, side) in [
        (
            "case_tally_units",
            "unit_code, received_month",
            "unit_code",
            &mut cells.place,
        ),
        (
            "case_tally_kinds",
            "type_code, channel",
            "county_code",
            &mut cells.kind,
        ),
    ] {
        let rows = sqlx::query(&format!(
            "SELECT {keys}, {sums} FROM {table} WHERE {unit} >= $1 AND {unit} < $2 \
             AND received_month >= $3 AND received_month <= $4 AND n <> 0"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(first)
        .bind(last)
        .fetch_all(db.pool())
        .await?;
        for r in &rows {
            side.entry((r.get(0), r.get(1)))
                .or_default()
                .add(&counts(r));
        }
    }
    Ok(())
}

/// The rows as they stood at the date: the case itself when nothing happened to it since,
/// else the history row covering the date. `$1` the date, `$2`/`$3` the scope, `$4`/`$5`
/// the period.
fn sources() -> [String; 2] {
    let period =
        "unit_code >= $2 AND unit_code < $3 AND received_date >= $4 AND received_date <= $5";
    [
        format!("FROM cases c WHERE since_date <= $1 AND {period}"),
        format!("FROM case_history c WHERE from_date <= $1 AND to_date > $1 AND {period}"),
    ]
}

/// A query over [`sources`] with the date, scope and period bound.
fn at<'q>(
    sql: &'q str,
    as_of: NaiveDate,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(as_of.to_string())
        .bind(scope.lo().to_string())
        .bind(scope.hi().to_string())
        .bind(from.to_string())
        .bind(to.to_string())
}

/// The sums over the case rows of the period as they stood at the date.
async fn summed(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    cells: &mut Cells,
) -> AppResult<()> {
    for from_where in &sources() {
        // The bits of `counted`, summed per cell: a row per cell and combination of bits.
        let sql = format!(
            "SELECT c.unit_code, c.received_month, c.type_code, c.channel, c.counted, COUNT(*), \
             CAST(COALESCE(SUM(c.score), 0) AS BIGINT) {from_where} \
             GROUP BY c.unit_code, c.received_month, c.type_code, c.channel, c.counted"
        );
        let rows = at(&sql, as_of, scope, from, to)
            .fetch_all(db.pool())
            .await?;
        for r in &rows {
            let c = of_bits(r.get(4), r.get(5), r.get(6));
            cells.add(r, &c);
        }
    }
    Ok(())
}

/// The overdue and soon-due cases at the date, and the cases pending decision.
async fn deadlines(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    cells: &mut Cells,
) -> AppResult<()> {
    let d3 = store::plus_days(as_of, model::SOON_DAYS);
    let (overdue, soon) = store::flag_sql("$1", "$6");
    for from_where in &sources() {
        // Of the running cases, those due by the third day from the date.
        let sql = format!(
            "SELECT c.unit_code, c.received_month, c.type_code, c.channel, \
             CAST(SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN {soon} THEN 1 ELSE 0 END) AS BIGINT) \
             {from_where} AND c.state IN ('received', 'accepted', 'assigned', 'in_progress') \
             AND c.due_date <= $6 \
             GROUP BY c.state, c.unit_code, c.received_month, c.type_code, c.channel"
        );
        let rows = at(&sql, as_of, scope, from, to)
            .bind(&d3)
            .fetch_all(db.pool())
            .await?;
        for r in &rows {
            let c = Counts {
                overdue: r.get::<Option<i64>, _>(4).unwrap_or(0),
                soon_due: r.get::<Option<i64>, _>(5).unwrap_or(0),
                ..Counts::default()
            };
            cells.add(r, &c);
        }
    }
    for c in cells.place.values_mut().chain(cells.kind.values_mut()) {
        c.pending_decision = c.received - c.accepted - c.declined;
    }
    Ok(())
}

/// Names of the units of the scope (one read: a county holds some hundreds).
async fn unit_names(db: &Db, scope: &Scope) -> AppResult<BTreeMap<String, String>> {
    let rows = sqlx::query("SELECT code, name FROM org_units WHERE code >= $1 AND code < $2")
        .bind(scope.lo())
        .bind(scope.hi())
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_split_into_kept_months_and_cut_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-01");
        let kept = |a: &str, b: &str| Part::Kept(a.into(), b.into());
        // This year to date: all kept.
        assert_eq!(
            parts("430523", d("2026-01-01"), today, today, today),
            vec![kept("2026-01", "2026-12")]
        );
        // 365 days from mid-month: the days of the first month from the rows.
        assert_eq!(
            parts("430523", d("2025-12-02"), today, today, today),
            vec![
                kept("2026-01", "2026-12"),
                Part::Rows(d("2025-12-02"), d("2025-12-31"))
            ]
        );
        // Cut at both ends.
        assert_eq!(
            parts("43", d("2026-03-15"), d("2026-06-10"), today, today),
            vec![
                kept("2026-04", "2026-05"),
                Part::Rows(d("2026-03-15"), d("2026-03-31")),
                Part::Rows(d("2026-06-01"), d("2026-06-10"))
            ]
        );
        // Ends with a month: nothing after it.
        assert_eq!(
            parts("430523", d("2026-02-01"), d("2026-02-28"), today, today),
            vec![kept("2026-02", "2026-02")]
        );
        // Within one month, a township, or a past date: the rows.
        for (unit, from, to, as_of) in [
            ("430523", "2026-03-02", "2026-03-20", "2026-12-01"),
            ("430523101", "2026-01-01", "2026-12-01", "2026-12-01"),
            ("430523", "2026-01-01", "2026-12-01", "2026-06-01"),
        ] {
            assert_eq!(
                parts(unit, d(from), d(to), d(as_of), today),
                vec![Part::Rows(d(from), d(to))]
            );
        }
    }

    #[test]
    fn townships() {
        assert_eq!(township_of("430523101203"), "430523101");
        assert_eq!(township_of("430523101"), "430523101");
        assert_eq!(township_of("430523101N001"), "430523101");
        assert_eq!(township_of("430523"), "430523000000");
        assert_eq!(township_of("430523N002"), "430523000000");
    }
}
