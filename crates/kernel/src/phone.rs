//! Mainland phone numbers: mobiles (11 digits from 13-19) and landlines (area code 0xx or
//! 0xxx, 7-8 digits, optional extension).

/// A checked phone number in its canonical form (`13812345678`, `0739-1234567`).
pub fn parse(input: &str) -> Result<String, &'static str> {
    let s = crate::text::normalize_digits(input).replace(['(', ')', '（', '）'], "-");
    let s = s.trim_matches('-').to_string();
    let s = s
        .strip_prefix("+86")
        .or_else(|| s.strip_prefix("86-"))
        .unwrap_or(&s)
        .to_string();
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if s.chars().any(|c| !(c.is_ascii_digit() || c == '-')) {
        return Err("field.phone_invalid");
    }
    if digits.len() == 11 && digits.starts_with('1') && !s.contains('-') {
        return match digits.as_bytes()[1] {
            b'3'..=b'9' => Ok(digits),
            _ => Err("field.phone_invalid"),
        };
    }
    if digits.starts_with('0') {
        let parts: Vec<&str> = s.split('-').filter(|p| !p.is_empty()).collect();
        let (area, local, ext) = match parts.as_slice() {
            [a, l] => (a.to_string(), l.to_string(), None),
            [a, l, e] => (a.to_string(), l.to_string(), Some(e.to_string())),
            [all] if all.len() >= 10 => {
                // 07391234567: area codes of 3 digits start 01/02, others have 4.
                let n = if all.starts_with("01") || all.starts_with("02") {
                    3
                } else {
                    4
                };
                (all[..n].to_string(), all[n..].to_string(), None)
            }
            _ => return Err("field.phone_invalid"),
        };
        let ok = (3..=4).contains(&area.len())
            && (7..=8).contains(&local.len())
            && !local.starts_with('0')
            && ext.as_ref().is_none_or(|e| (1..=6).contains(&e.len()));
        if ok {
            return Ok(match ext {
                Some(e) => format!("{area}-{local}-{e}"),
                None => format!("{area}-{local}"),
            });
        }
    }
    Err("field.phone_invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(parse("138 1234 5678").unwrap(), "13812345678");
        assert_eq!(parse("１３８１２３４５６７８").unwrap(), "13812345678");
        assert_eq!(parse("+86 13812345678").unwrap(), "13812345678");
        assert_eq!(parse("0739-1234567").unwrap(), "0739-1234567");
        assert_eq!(parse("07391234567").unwrap(), "0739-1234567");
        assert_eq!(parse("010-12345678-123").unwrap(), "010-12345678-123");
        assert!(parse("12812345678").is_err());
        assert!(parse("1381234567").is_err());
        assert!(parse("abc").is_err());
        assert!(parse("0739-0123456").is_err());
    }
}
