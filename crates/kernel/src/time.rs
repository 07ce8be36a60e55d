//! Times are stored as UTC Unix milliseconds and shown in China Standard Time (UTC+8, no
//! daylight saving), so a fixed offset is exact.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};

pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `2026-11-23 16:05` in China time.
pub fn format_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t
            .with_timezone(&china())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => String::new(),
    }
}

/// A date as people type it: `2023-05-01`, `2023/5/1`, `2023.5.1`, `2023年5月1日`,
/// `20230501` (full-width digits too).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = crate::text::normalize_digits(s);
    if let Some(d) = from_yyyymmdd(&s) {
        return Some(d);
    }
    let s = s
        .trim_end_matches('日')
        .trim_end_matches('号')
        .replace(['/', '.', '年', '月'], "-");
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
}

/// A date written as 8 ASCII digits, `YYYYMMDD` (as in a resident ID), read by hand:
/// chrono's format parser and formatter took 2–3% of a million-row import's CPU.
pub fn from_yyyymmdd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| b[r].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    NaiveDate::from_ymd_opt(n(0..4) as i32, n(4..6), n(6..8))
}

/// `YYYY-MM-DD`, the stored form of a date.
pub fn iso_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// The day a training installation (or a test) takes as today, set once for the process.
static CONFIGURED_TODAY: std::sync::OnceLock<NaiveDate> = std::sync::OnceLock::new();

/// Makes `d` today for every deadline, flag, list and date check of this process (a
/// training installation shows a fixed day; timestamps of records and the audit keep the
/// real time). Once per process: false if today was set already to another day.
pub fn set_today(d: NaiveDate) -> bool {
    CONFIGURED_TODAY.get_or_init(|| d) == &d
}

/// The configured today, when there is one (pages say so in a banner).
pub fn configured_today() -> Option<NaiveDate> {
    CONFIGURED_TODAY.get().copied()
}

/// Today in China, or the configured day.
pub fn today() -> NaiveDate {
    configured_today().unwrap_or_else(|| Utc::now().with_timezone(&china()).date_naive())
}

/// A typed date that must not lie in the future, as `YYYY-MM-DD`; empty means today.
/// The error is the catalogue key of the field message.
pub fn past_or_today(raw: &str) -> Result<String, &'static str> {
    match raw.trim() {
        "" => Ok(iso_date(today())),
        s => match parse_date(s) {
            Some(d) if d <= today() => Ok(iso_date(d)),
            Some(_) => Err("field.date_future"),
            None => Err("field.date_invalid"),
        },
    }
}

/// The date of an Excel serial number (days since 1899-12-30, the 1900 date system).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.floor() as u64))
}

/// A date parameter of the API, as the document states it (`format: date`, `YYYY-MM-DD`):
/// absent is none; anything else that is no such date is invalid input at `field`.
pub fn date_param(raw: Option<&str>, field: &str) -> crate::error::AppResult<Option<NaiveDate>> {
    match raw {
        None => Ok(None),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 => Ok(Some(d)),
            _ => Err(crate::error::AppError::Invalid(vec![
                crate::error::FieldError::new(field, "field.date_invalid"),
            ])),
        },
    }
}

/// A date typed into a page's filter, made what the API takes: blank is none, any form
/// [`parse_date`] reads becomes `YYYY-MM-DD`, anything else is left to be refused.
pub fn normalize_date_param(v: &mut Option<String>) {
    match v.as_deref().map(str::trim) {
        None => {}
        Some("") => *v = None,
        Some(s) => {
            if let Some(d) = parse_date(s) {
                *v = Some(iso_date(d));
            }
        }
    }
}

/// The first millisecond of a China calendar day.
pub fn day_start_ms(d: NaiveDate) -> i64 {
    china()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_days() {
        let d = parse_date("2026-06-01").unwrap();
        // 2026-06-01T00:00+08:00 is 2026-05-31T16:00Z.
        assert_eq!(format_ms(day_start_ms(d)), "2026-06-01 00:00:00");
        assert_eq!(parse_date("2026.6.1"), Some(d));
        assert_eq!(parse_date("2026年6月1日"), Some(d));
        assert_eq!(parse_date("20260601"), Some(d));
        assert_eq!(parse_date("２０２６／６／１"), Some(d));
        assert_eq!(
            from_excel_serial(45078.0),
            NaiveDate::from_ymd_opt(2023, 6, 1)
        );
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("20261301"), None);
    }

    #[test]
    fn eight_digit_dates_and_their_iso_form() {
        let d = NaiveDate::from_ymd_opt(1940, 2, 29).unwrap();
        assert_eq!(from_yyyymmdd("19400229"), Some(d));
        assert_eq!(iso_date(d), "1940-02-29");
        assert_eq!(
            iso_date(NaiveDate::from_ymd_opt(987, 1, 5).unwrap()),
            "0987-01-05"
        );
        for bad in [
            "19410229",
            "19401301",
            "19400100",
            "1940010",
            "194001011",
            "1940-1-1",
            "１９４００１０１",
            "",
        ] {
            assert_eq!(from_yyyymmdd(bad), None, "{bad}");
        }
    }
}
