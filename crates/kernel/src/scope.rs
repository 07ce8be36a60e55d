//! The request's scope: the subtree of the org tree its account may see. Computed once per
//! request from the session and passed into every store function that reads scoped data.

use crate::error::{AppError, AppResult, FieldError};
use crate::org::model::{in_subtree, strictly_below, subtree_range, ROOT_CODE};

/// Whether `code` has the form of a unit code: the root, or a division code of 2 to 12
/// digits with the numbers of non-territorial units after it (the pattern the API
/// document gives every `unit` parameter).
pub fn is_unit_code(code: &str) -> bool {
    if code == ROOT_CODE {
        return true;
    }
    let mut parts = code.split('N');
    let head = parts.next().unwrap_or("");
    matches!(head.len(), 2 | 4 | 6 | 9 | 12)
        && head.bytes().all(|b| b.is_ascii_digit())
        && parts.all(|p| p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A subtree of the org tree, as the code range every scoped query filters on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    unit: String,
    lo: String,
    hi: String,
}

impl Scope {
    /// The subtree under (and including) `unit`.
    pub fn of_unit(unit: &str) -> Scope {
        let (lo, hi) = subtree_range(unit);
        Scope {
            unit: unit.to_string(),
            lo,
            hi,
        }
    }

    /// The unit at the top of the scope.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// Lower bound (inclusive) of the code range.
    pub fn lo(&self) -> &str {
        &self.lo
    }

    /// Upper bound (exclusive) of the code range.
    pub fn hi(&self) -> &str {
        &self.hi
    }

    pub fn contains(&self, code: &str) -> bool {
        in_subtree(&self.unit, code)
    }

    /// The code range a list's `unit` filter stands for: the whole scope without one;
    /// invalid input (422) for what is no unit code; not found (404) for a unit outside.
    pub fn filter_range(&self, unit: Option<&str>) -> AppResult<(String, String)> {
        match unit.filter(|u| !u.is_empty()) {
            None => Ok((self.lo.clone(), self.hi.clone())),
            Some(u) if !is_unit_code(u) => Err(AppError::Invalid(vec![FieldError::new(
                "unit",
                "pick.unit_none",
            )])),
            Some(u) if self.contains(u) => Ok(subtree_range(u)),
            Some(_) => Err(AppError::NotFound),
        }
    }

    /// Whether `code` is inside the scope and not its top unit.
    pub fn strictly_contains(&self, code: &str) -> bool {
        strictly_below(&self.unit, code)
    }
}
