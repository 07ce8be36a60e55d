//! The request's scope: the subtree of the org tree its account may see. Computed once per
//! request from the session and passed into every store function that reads scoped data.

use crate::org::model::{in_subtree, strictly_below, subtree_range};

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

    /// Whether `code` is inside the scope and not its top unit.
    pub fn strictly_contains(&self, code: &str) -> bool {
        strictly_below(&self.unit, code)
    }
}
