//! Duplicates: likely duplicate persons found on demand (same name and birth date, same
//! phone, same name or a one-character-different name in the same village), merged into
//! one with both histories kept, and a merge undone from its record of what moved.

pub mod api;
pub mod service;
pub mod web;

/// Why two persons look like one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    SameNameBirth,
    SamePhone,
    SameNameVillage,
    SimilarNameVillage,
}

impl Reason {
    pub fn label_key(self) -> &'static str {
        match self {
            Reason::SameNameBirth => "duplicate.same_name_birth",
            Reason::SamePhone => "duplicate.same_phone",
            Reason::SameNameVillage => "duplicate.same_name_village",
            Reason::SimilarNameVillage => "duplicate.similar_name_village",
        }
    }
}

/// Whether two names differ in exactly one character (same length).
pub fn one_char_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    a.len() == b.len() && a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names() {
        assert!(one_char_apart("王秀英", "王秀瑛"));
        assert!(!one_char_apart("王秀英", "王秀英"));
        assert!(!one_char_apart("王秀英", "李秀瑛"));
        assert!(!one_char_apart("王秀英", "王秀"));
    }
}
