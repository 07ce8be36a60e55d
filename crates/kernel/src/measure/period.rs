//! The period a figure is asked for: a year (`2026`), a half (`2026-H1`), a quarter
//! (`2026-Q3`), a month (`2026-05`), or any two dates; and the date it is counted as of.

use chrono::{Datelike, NaiveDate};

use crate::error::{AppError, AppResult, FieldError};

/// The first and last day of a named period.
pub fn parse(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let t = crate::text::normalize_digits(text.trim()).to_uppercase();
    let (year, rest) = match t.split_once('-') {
        Some((y, r)) => (y, Some(r)),
        None => (t.as_str(), None),
    };
    if year.len() != 4 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let (first_month, months) = match rest {
        None => (1, 12),
        Some("H1") => (1, 6),
        Some("H2") => (7, 6),
        Some(q) if q.len() == 2 && q.starts_with('Q') => {
            let n: u32 = q[1..].parse().ok().filter(|n| (1..=4).contains(n))?;
            (3 * n - 2, 3)
        }
        Some(m) if (1..=2).contains(&m.len()) => {
            let n: u32 = m.parse().ok().filter(|n| (1..=12).contains(n))?;
            (n, 1)
        }
        _ => return None,
    };
    let from = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let to = from
        .checked_add_months(chrono::Months::new(months))?
        .pred_opt()?;
    Some((from, to))
}

/// A figure's question in time: the period and the date it is counted as of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
}

/// Reads `period` or `from`/`to` (a period named wins) and `as_of`. Without them: the
/// year of the date counted as of, up to that date. A period ending after the date counted as of is cut
/// there: nothing is counted before it happened.
pub fn when(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    as_of: Option<&str>,
) -> AppResult<When> {
    let today = crate::time::today();
    let as_of = crate::time::date_param(as_of, "as_of")?.unwrap_or(today);
    let (from, to) = match period.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => parse(p).ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new("period", "measure.period_invalid")])
        })?,
        None => {
            let to = crate::time::date_param(to, "to")?.unwrap_or(as_of);
            // Without a start, the year of the end: `to=2025-06-30` is the first half of 2025.
            let from = crate::time::date_param(from, "from")?
                .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
            (from, to)
        }
    };
    if from > to {
        return Err(AppError::Invalid(vec![FieldError::new(
            "to",
            "measure.period_reversed",
        )]));
    }
    Ok(When {
        from,
        to: to.min(as_of),
        as_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn named_periods() {
        assert_eq!(parse("2026"), Some((d("2026-01-01"), d("2026-12-31"))));
        assert_eq!(parse("2026-h1"), Some((d("2026-01-01"), d("2026-06-30"))));
        assert_eq!(parse("2026-H2"), Some((d("2026-07-01"), d("2026-12-31"))));
        assert_eq!(parse("2026-Q1"), Some((d("2026-01-01"), d("2026-03-31"))));
        assert_eq!(parse("2024-02"), Some((d("2024-02-01"), d("2024-02-29"))));
        assert_eq!(parse("2026-5"), Some((d("2026-05-01"), d("2026-05-31"))));
        for bad in ["", "26", "2026-Q5", "2026-13", "2026-H3", "x"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_period_is_cut_at_the_date_counted() {
        let w = when(Some("2026"), None, None, Some("2026-03-31")).unwrap();
        assert_eq!((w.from, w.to), (d("2026-01-01"), d("2026-03-31")));
        assert!(when(Some("2026-Q9"), None, None, None).is_err());
        let w = when(None, None, Some("2025-06-30"), Some("2026-03-31")).unwrap();
        assert_eq!((w.from, w.to), (d("2025-01-01"), d("2025-06-30")));
        assert!(when(
            None,
            Some("2026-05-01"),
            Some("2026-04-01"),
            Some("2026-06-01")
        )
        .is_err());
    }
}
