//! Times are stored as UTC Unix milliseconds and shown in China Standard Time (UTC+8, no
//! daylight saving), so a fixed offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

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

/// A `YYYY-MM-DD` date (also `YYYY/M/D` and `YYYY.M.D`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = crate::text::normalize_digits(s).replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
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
        assert_eq!(parse_date("2026-13-01"), None);
    }
}
