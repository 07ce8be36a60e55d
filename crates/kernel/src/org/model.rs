//! Plain types and rules of the org tree; no I/O.

use serde::{Deserialize, Serialize};

/// The code of the national root unit that every installation has above its provinces.
pub const ROOT_CODE: &str = "0";

/// Depth of the root (0) to villages (5); non-territorial units sit one below their parent.
pub const LEVEL_NAMES: [&str; 6] = [
    "level.root",
    "level.province",
    "level.city",
    "level.county",
    "level.township",
    "level.village",
];

/// What kind of body a unit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 行政区划单位 (县妇联、乡镇妇联、村妇联…)
    Territorial,
    /// 机关妇委会
    Agency,
    /// 两新组织妇联
    TwoNew,
    /// 新居民妇联
    Migrant,
    /// 企业妇委会/女工委
    Enterprise,
}

impl UnitKind {
    pub const NON_TERRITORIAL: [UnitKind; 4] = [
        UnitKind::Agency,
        UnitKind::TwoNew,
        UnitKind::Migrant,
        UnitKind::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Territorial => "territorial",
            UnitKind::Agency => "agency",
            UnitKind::TwoNew => "two_new",
            UnitKind::Migrant => "migrant",
            UnitKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        [UnitKind::Territorial]
            .into_iter()
            .chain(UnitKind::NON_TERRITORIAL)
            .find(|k| k.as_str() == s)
    }

    /// Catalogue key of the kind's name.
    pub fn label_key(self) -> &'static str {
        match self {
            UnitKind::Territorial => "kind.territorial",
            UnitKind::Agency => "kind.agency",
            UnitKind::TwoNew => "kind.two_new",
            UnitKind::Migrant => "kind.migrant",
            UnitKind::Enterprise => "kind.enterprise",
        }
    }
}

/// An org unit and its federation body.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub level: i64,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
    pub county_code: String,
    /// 主席
    pub chair: String,
    /// 副主席 (comma separated)
    pub vice_chairs: String,
    pub phone: String,
    pub address: String,
    /// 本届起始日期 (YYYY-MM-DD)
    pub term_start: Option<String>,
    /// 本届届满日期 (YYYY-MM-DD)
    pub term_end: Option<String>,
}

impl OrgUnit {
    pub fn level_key(&self) -> &'static str {
        level_key(self.level)
    }

    pub fn is_territorial(&self) -> bool {
        self.kind == UnitKind::Territorial
    }
}

/// Catalogue key of a level's name.
pub fn level_key(level: i64) -> &'static str {
    usize::try_from(level)
        .ok()
        .and_then(|l| LEVEL_NAMES.get(l))
        .copied()
        .unwrap_or("level.below")
}

/// The federation body of a unit, as edited on its page.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct BodyInput {
    pub name: Option<String>,
    pub chair: Option<String>,
    pub vice_chairs: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// YYYY-MM-DD
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub term_start: Option<String>,
    /// YYYY-MM-DD
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub term_end: Option<String>,
}

/// A validated change to a unit's federation body.
#[derive(Clone, Debug, Default)]
pub struct BodyChange {
    pub name: String,
    pub chair: String,
    pub vice_chairs: String,
    pub phone: String,
    pub address: String,
    pub term_start: Option<String>,
    pub term_end: Option<String>,
}

fn limited(
    field: &str,
    v: &Option<String>,
    max: usize,
    errs: &mut Vec<crate::error::FieldError>,
) -> String {
    let v = crate::text::clean_text(v.as_deref().unwrap_or(""));
    if v.chars().count() > max {
        errs.push(crate::error::FieldError::new(field, "field.too_long"));
    }
    v
}

impl BodyChange {
    /// Checks the input field by field; `needs_name` for non-territorial units.
    pub fn parse(
        input: &BodyInput,
        needs_name: bool,
    ) -> Result<BodyChange, Vec<crate::error::FieldError>> {
        let mut errs = Vec::new();
        let name = limited("name", &input.name, 60, &mut errs);
        if needs_name && name.is_empty() {
            errs.push(crate::error::FieldError::new("name", "field.required"));
        }
        let chair = limited("chair", &input.chair, 30, &mut errs);
        let vice_chairs = limited("vice_chairs", &input.vice_chairs, 120, &mut errs);
        let address = limited("address", &input.address, 120, &mut errs);
        let phone_raw = input.phone.as_deref().unwrap_or("").trim();
        let phone = if phone_raw.is_empty() {
            String::new()
        } else {
            match crate::phone::parse(phone_raw) {
                Ok(p) => p,
                Err(k) => {
                    errs.push(crate::error::FieldError::new("phone", k));
                    String::new()
                }
            }
        };
        let date = |field: &str, v: &Option<String>, errs: &mut Vec<crate::error::FieldError>| {
            let v = v.as_deref().unwrap_or("").trim();
            if v.is_empty() {
                return None;
            }
            match crate::time::parse_date(v) {
                Some(d) => Some(crate::time::iso_date(d)),
                None => {
                    errs.push(crate::error::FieldError::new(field, "field.date_invalid"));
                    None
                }
            }
        };
        let term_start = date("term_start", &input.term_start, &mut errs);
        let term_end = date("term_end", &input.term_end, &mut errs);
        if let (Some(s), Some(e)) = (&term_start, &term_end) {
            if e <= s {
                errs.push(crate::error::FieldError::new(
                    "term_end",
                    "org.term_end_before_start",
                ));
            }
        }
        if errs.is_empty() {
            Ok(BodyChange {
                name,
                chair,
                vice_chairs,
                phone,
                address,
                term_start,
                term_end,
            })
        } else {
            Err(errs)
        }
    }
}

/// A territorial division code that has been checked for shape: 2, 4, 6, 9 or 12 digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivisionCode(String);

/// Why a division code was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("区划代码只能由数字组成")]
    NotDigits,
    #[error("区划代码应为 2、4、6、9 或 12 位数字")]
    BadLength,
    #[error("区划代码的省级部分无效")]
    BadProvince,
}

impl DivisionCode {
    /// Checks the shape of a code (full-width digits and spaces are normalised first).
    pub fn parse(input: &str) -> Result<DivisionCode, CodeError> {
        let s = crate::text::normalize_digits(input);
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        if ![2, 4, 6, 9, 12].contains(&s.len()) {
            return Err(CodeError::BadLength);
        }
        let province: u32 = s[..2].parse().map_err(|_| CodeError::BadProvince)?;
        if !(11..=82).contains(&province) {
            return Err(CodeError::BadProvince);
        }
        Ok(DivisionCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Depth in the tree: province 1 .. village 5.
    pub fn level(&self) -> i64 {
        territorial_level(&self.0).unwrap_or(0)
    }
}

/// Level of a territorial code from its length.
pub fn territorial_level(code: &str) -> Option<i64> {
    match code.len() {
        2 => Some(1),
        4 => Some(2),
        6 => Some(3),
        9 => Some(4),
        12 => Some(5),
        _ => None,
    }
}

/// Parent of a territorial code; provinces hang under the root.
pub fn territorial_parent(code: &str) -> Option<&str> {
    match code.len() {
        2 => Some(ROOT_CODE),
        4 => Some(&code[..2]),
        6 => Some(&code[..4]),
        9 => Some(&code[..6]),
        12 => Some(&code[..9]),
        _ => None,
    }
}

/// The county a code belongs to ("" above county level).
pub fn county_of(code: &str) -> &str {
    if code.len() >= 6 && code.as_bytes()[..6].iter().all(u8::is_ascii_digit) {
        &code[..6]
    } else {
        ""
    }
}

/// The code of the `n`-th non-territorial unit under `parent`: the parent's code, `N` and
/// a number, so that it sorts inside the parent's subtree range.
pub fn non_territorial_code(parent: &str, n: u32) -> String {
    format!("{parent}N{n:03}")
}

/// The range of codes `[lo, hi)` that make up the subtree of `code`, itself included.
pub fn subtree_range(code: &str) -> (String, String) {
    if code == ROOT_CODE {
        (String::new(), "~".to_string())
    } else {
        (code.to_string(), format!("{code}~"))
    }
}

/// Whether `code` lies in the subtree of `root`.
pub fn in_subtree(root: &str, code: &str) -> bool {
    root == ROOT_CODE || code.starts_with(root)
}

/// Whether `code` lies strictly below `root`.
pub fn strictly_below(root: &str, code: &str) -> bool {
    in_subtree(root, code) && root != code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(DivisionCode::parse("430523").unwrap().level(), 3);
        assert_eq!(
            DivisionCode::parse("４３０５２３").unwrap().as_str(),
            "430523"
        );
        assert_eq!(DivisionCode::parse("43052"), Err(CodeError::BadLength));
        assert_eq!(DivisionCode::parse("43x523"), Err(CodeError::NotDigits));
        assert_eq!(DivisionCode::parse("990523"), Err(CodeError::BadProvince));
    }

    #[test]
    fn subtree_is_a_range() {
        let (lo, hi) = subtree_range("430523");
        for inside in ["430523", "430523101", "430523101001", "430523N001"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
            assert!(in_subtree("430523", inside));
        }
        for outside in ["430524", "43052", "430522999999", "4305"] {
            assert!(
                !(outside >= lo.as_str() && outside < hi.as_str()),
                "{outside}"
            );
            assert!(!in_subtree("430523", outside));
        }
        let (lo, hi) = subtree_range(ROOT_CODE);
        assert!("110101" >= lo.as_str() && "659999" < hi.as_str());
    }

    #[test]
    fn parents() {
        assert_eq!(territorial_parent("430523101001"), Some("430523101"));
        assert_eq!(territorial_parent("43"), Some(ROOT_CODE));
        assert_eq!(county_of("430523101001"), "430523");
        assert_eq!(county_of("4305"), "");
        assert_eq!(non_territorial_code("430523", 7), "430523N007");
    }
}
