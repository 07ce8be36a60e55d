//! Text normalisation shared by every parser of user input.

/// Turns full-width digits and letters into ASCII and drops spaces (including the
/// ideographic space), as typed on Chinese input methods.
pub fn normalize_digits(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Trims a name-like field, folding runs of inner whitespace into one space.
pub fn clean_text(input: &str) -> String {
    input
        .split(|c: char| c.is_whitespace() || c == '\u{3000}')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(normalize_digits(" ４３０５\u{3000}２３ "), "430523");
        assert_eq!(clean_text("  邵阳  县 "), "邵阳 县");
        assert_eq!(like_escape("a%b_c"), "a\\%b\\_c");
    }
}
