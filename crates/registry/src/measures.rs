//! The registry's figures as measures (see `kernel::measure`): persons on record, group
//! members, households, pairing help and its visits. Each is counted from the records as
//! they stood at the end of the date asked; the unit of a membership, household or
//! pairing is its own (where it was registered).

use futures_util::future::BoxFuture;
use kernel::error::AppResult;
use kernel::i18n::{Lang, Tr};
use kernel::measure::{Ask, Cell, Dim, Kind, Measure, MeasureUnit};
use kernel::scope::Scope;
use kernel::state::AppState;
use sqlx::Row;

pub const MEASURES: &[Measure] = &[
    Measure {
        id: "registry.persons",
        unit: MeasureUnit::Persons,
        kind: Kind::Additive(persons),
        dims: &[Dim::Sex],
        records: Some(persons_of),
    },
    Measure {
        id: "registry.group_members",
        unit: MeasureUnit::Persons,
        kind: Kind::Additive(group_members),
        dims: &[Dim::Category],
        records: Some(persons_of),
    },
    Measure {
        id: "registry.households",
        unit: MeasureUnit::Households,
        kind: Kind::Additive(households),
        dims: &[],
        records: Some(households_of),
    },
    Measure {
        id: "registry.pairings",
        unit: MeasureUnit::Pairs,
        kind: Kind::Additive(pairings),
        dims: &[],
        records: None,
    },
    Measure {
        id: "registry.pairings_visited",
        unit: MeasureUnit::Pairs,
        kind: Kind::Additive(pairings_visited),
        dims: &[],
        records: None,
    },
    Measure {
        id: "registry.visit_coverage",
        unit: MeasureUnit::Percent,
        kind: Kind::Ratio {
            num: "registry.pairings_visited",
            den: "registry.pairings",
        },
        dims: &[],
        records: None,
    },
    Measure {
        id: "registry.visits",
        unit: MeasureUnit::Times,
        kind: Kind::Additive(visits),
        dims: &[Dim::Month],
        records: None,
    },
    Measure {
        id: "registry.helpers",
        unit: MeasureUnit::Persons,
        kind: Kind::Distinct(helpers),
        dims: &[],
        records: None,
    },
];

fn persons_of(unit: &str) -> String {
    format!("/registry/persons?unit={unit}")
}

fn households_of(unit: &str) -> String {
    format!("/registry/households?unit={unit}")
}

/// The first moment after the day asked, in the stored milliseconds.
fn end_of(ask: &Ask) -> i64 {
    kernel::time::day_start_ms(ask.as_of.succ_opt().unwrap_or(ask.as_of))
}

fn date(d: chrono::NaiveDate) -> String {
    kernel::time::iso_date(d)
}

/// Rows of `(unit, key, label, value)` as cells.
fn cells(rows: Vec<sqlx::any::AnyRow>, label: impl Fn(&str) -> String) -> Vec<Cell> {
    rows.iter()
        .map(|r| {
            let key: String = r.get(1);
            Cell {
                unit: r.get(0),
                label: label(&key),
                key,
                value: r.get(2),
            }
        })
        .collect()
}

/// Persons registered by the end of the day asked and on record today (not removed or
/// merged since), by unit and, if asked, sex.
fn persons<'a>(state: &'a AppState, ask: &'a Ask, tr: Tr) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let key = if ask.by == Some(Dim::Sex) {
            "sex"
        } else {
            "''"
        };
        let rows = sqlx::query(&format!(
            "SELECT unit_code, {key}, COUNT(*) FROM persons WHERE unit_code >= $1 AND unit_code < $2 \
             AND status = 'active' AND created_at < $3 GROUP BY 1, 2 ORDER BY 2, 1"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(end_of(ask))
        .fetch_all(state.db().pool())
        .await?;
        Ok(cells(rows, |k| match kernel::idcard::Sex::parse(k) {
            Some(s) => tr.s(s.label_key()).to_string(),
            None => String::new(),
        }))
    })
}

/// Memberships of the groups in force at the end of the day asked (begun by then, not
/// ended by then), by unit and, if asked, group: a person in two groups counts in each.
fn group_members<'a>(
    state: &'a AppState,
    ask: &'a Ask,
    tr: Tr,
) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let by = ask.by == Some(Dim::Category);
        // Constants are not grouped by: PostgreSQL refuses them there.
        let (key, join, group, order) = if by {
            (
                "m.category_code",
                "JOIN categories c ON c.code = m.category_code",
                "1, 2, 4",
                "MIN(c.sort), 2, 1",
            )
        } else {
            ("''", "", "1", "1")
        };
        let name = match tr.lang {
            Lang::Zh => "c.name_zh",
            Lang::En => "c.name_en",
        };
        let label = if by { name } else { "''" };
        let rows = sqlx::query(&format!(
            "SELECT m.unit_code, {key}, COUNT(*), {label} FROM person_categories m {join} \
             WHERE m.unit_code >= $1 AND m.unit_code < $2 AND m.start_date <= $3 \
             AND (m.end_date IS NULL OR m.end_date > $3) AND m.status IN ('active', 'ended') \
             GROUP BY {group} ORDER BY {order}"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(date(ask.as_of))
        .fetch_all(state.db().pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Cell {
                unit: r.get(0),
                key: r.get(1),
                value: r.get(2),
                label: r.get(3),
            })
            .collect())
    })
}

/// Households registered by the end of the day asked, by unit.
fn households<'a>(state: &'a AppState, ask: &'a Ask, _: Tr) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let rows = sqlx::query(
            "SELECT unit_code, '', COUNT(*) FROM households WHERE unit_code >= $1 AND unit_code < $2 \
             AND created_at < $3 GROUP BY unit_code",
        )
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(end_of(ask))
        .fetch_all(state.db().pool())
        .await?;
        Ok(cells(rows, |_| String::new()))
    })
}

/// The pairings in force on a day: begun by then, not ended by then.
const IN_FORCE: &str = "g.unit_code >= $1 AND g.unit_code < $2 AND g.start_date <= $3 \
                        AND (g.end_date IS NULL OR g.end_date > $3)";

/// Pairings in force at the end of the day asked, by unit.
fn pairings<'a>(state: &'a AppState, ask: &'a Ask, _: Tr) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let rows = sqlx::query(&format!(
            "SELECT g.unit_code, '', COUNT(*) FROM pairings g WHERE {IN_FORCE} GROUP BY g.unit_code"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(date(ask.as_of))
        .fetch_all(state.db().pool())
        .await?;
        Ok(cells(rows, |_| String::new()))
    })
}

/// Of the pairings in force at the end of the day asked, those visited or checked at
/// least once in the period, by unit.
fn pairings_visited<'a>(
    state: &'a AppState,
    ask: &'a Ask,
    _: Tr,
) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let rows = sqlx::query(&format!(
            "SELECT g.unit_code, '', COUNT(*) FROM pairings g WHERE {IN_FORCE} AND EXISTS \
             (SELECT 1 FROM pairing_visits v WHERE v.pairing_id = g.id AND v.visit_date >= $4 \
              AND v.visit_date <= $5) GROUP BY g.unit_code"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(date(ask.as_of))
        .bind(date(ask.from))
        .bind(date(ask.to))
        .fetch_all(state.db().pool())
        .await?;
        Ok(cells(rows, |_| String::new()))
    })
}

/// Visits and checks of pairings made in the period, by the pairing's unit and, if
/// asked, month.
fn visits<'a>(state: &'a AppState, ask: &'a Ask, _: Tr) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let key = if ask.by == Some(Dim::Month) {
            "substr(v.visit_date, 1, 7)"
        } else {
            "''"
        };
        let rows = sqlx::query(&format!(
            "SELECT g.unit_code, {key}, COUNT(*) FROM pairing_visits v JOIN pairings g ON g.id = v.pairing_id \
             WHERE g.unit_code >= $1 AND g.unit_code < $2 AND v.visit_date >= $3 AND v.visit_date <= $4 \
             GROUP BY 1, 2 ORDER BY 2, 1"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(date(ask.from))
        .bind(date(ask.to))
        .fetch_all(state.db().pool())
        .await?;
        Ok(cells(rows, |k| k.to_string()))
    })
}

/// Cadres (accounts) helping in pairings in force at the end of the day asked: one who
/// helps in two villages is one helper of the township.
fn helpers<'a>(state: &'a AppState, ask: &'a Ask, _: Tr) -> BoxFuture<'a, AppResult<Vec<Cell>>> {
    Box::pin(async move {
        let scope = Scope::of_unit(&ask.unit);
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(DISTINCT g.helper_user_id) FROM pairings g WHERE {IN_FORCE} \
             AND g.helper_user_id IS NOT NULL"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(date(ask.as_of))
        .fetch_one(state.db().pool())
        .await?;
        Ok(vec![Cell::new(ask.unit.clone(), n)])
    })
}
