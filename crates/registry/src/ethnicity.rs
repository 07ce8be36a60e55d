//! The 56 nationalities (民族) by their GB/T 3304 codes; names come from the catalogue
//! (`eth.01` … `eth.56`).

/// Codes `01`..`56`.
pub fn codes() -> impl Iterator<Item = String> {
    (1..=56).map(|n| format!("{n:02}"))
}

/// Catalogue key of a code's name.
pub fn key(code: &str) -> String {
    format!("eth.{code}")
}

/// Accepts a code (`1`, `01`) or a name in Chinese (`汉族`, `汉`) and returns the code.
pub fn parse(input: &str) -> Option<String> {
    let s = kernel::text::clean_text(input);
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<u32>() {
        return (1..=56).contains(&n).then(|| format!("{n:02}"));
    }
    let tr = kernel::i18n::Tr::new(kernel::i18n::Lang::Zh);
    codes().find(|c| {
        let name = tr.s(&key(c)).to_string();
        name == s || name.trim_end_matches('族') == s.trim_end_matches('族')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_names() {
        assert_eq!(parse("1").as_deref(), Some("01"));
        assert_eq!(parse("汉族").as_deref(), Some("01"));
        assert_eq!(parse("苗").as_deref(), Some("06"));
        assert_eq!(parse("维吾尔族").as_deref(), Some("05"));
        assert_eq!(parse("57"), None);
        assert_eq!(parse("火星族"), None);
        assert_eq!(codes().count(), 56);
    }
}
