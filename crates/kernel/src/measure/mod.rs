//! Measures: every figure Jinguo reports, declared once by the capability that owns its
//! records (a stable id that begins with the capability's name, its unit, how it adds up,
//! the breakdowns it offers and one function that computes it), named and defined in the
//! message catalogue (`[measure."<id>"]`, `name` and `definition`), and read the same way
//! by pages, exports and the API. A capability hands its measures over in its
//! [`crate::Capability`].
//!
//! How a measure adds up decides how the kernel rolls it up the tree: an additive one is
//! computed once and summed by unit; a distinct count (a helper who helps in two villages
//! is one helper of the township) is computed for each unit asked, never summed; a ratio
//! is recomputed from the sums of its two parts, never averaged.

pub mod api;
pub mod period;
pub mod web;

use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::AppResult;
use crate::i18n::Tr;
use crate::state::AppState;

/// What a measure counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasureUnit {
    /// 人: distinct persons
    Persons,
    /// 人次: attendances, visits to persons
    PersonTimes,
    /// 户
    Households,
    /// 件
    Cases,
    /// 对: pairs of helper and helped
    Pairs,
    /// 次
    Times,
    /// 元, kept in fen
    Yuan,
    /// %
    Percent,
}

impl MeasureUnit {
    pub fn key(self) -> &'static str {
        match self {
            MeasureUnit::Persons => "measure_unit.persons",
            MeasureUnit::PersonTimes => "measure_unit.person_times",
            MeasureUnit::Households => "measure_unit.households",
            MeasureUnit::Cases => "measure_unit.cases",
            MeasureUnit::Pairs => "measure_unit.pairs",
            MeasureUnit::Times => "measure_unit.times",
            MeasureUnit::Yuan => "measure_unit.yuan",
            MeasureUnit::Percent => "measure_unit.percent",
        }
    }
}

/// A breakdown a measure offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// The units one level below the one asked (always offered)
    Unit,
    /// Calendar month of the period
    Month,
    /// Group of the registry (留守妇女, 两癌患者 …)
    Category,
    /// Case type
    Type,
    /// Channel a case came in by
    Channel,
    Sex,
}

impl Dim {
    pub fn parse(s: &str) -> Option<Dim> {
        Some(match s.trim() {
            "unit" => Dim::Unit,
            "month" => Dim::Month,
            "category" => Dim::Category,
            "type" => Dim::Type,
            "channel" => Dim::Channel,
            "sex" => Dim::Sex,
            _ => return None,
        })
    }
}

/// The question a measure answers: for the subtree of `unit`, records of the period from
/// `from` to `to` (both included), as they stood at the end of `as_of`, broken down by
/// `by` (none: one total).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    pub unit: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub by: Option<Dim>,
}

/// One value a measure computed: the unit its records belong to (any unit of the subtree
/// asked, the kernel rolls it up), the key of the breakdown and its label (empty without
/// one), and the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub unit: String,
    pub key: String,
    pub label: String,
    pub value: i64,
}

impl Cell {
    pub fn new(unit: impl Into<String>, value: i64) -> Cell {
        Cell {
            unit: unit.into(),
            key: String::new(),
            label: String::new(),
            value,
        }
    }
}

/// Computes a measure's cells for a question, in the asker's language (for the labels).
pub type ComputeFn = for<'a> fn(&'a AppState, &'a Ask, Tr) -> BoxFuture<'a, AppResult<Vec<Cell>>>;

/// How a measure adds up.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Sums up the tree: each record belongs to one unit.
    Additive(ComputeFn),
    /// Counts distinct things that may belong to several units: computed for each unit
    /// asked, never summed. Its cells are the whole subtree's: one without a key (the
    /// total) and one per key of the breakdown asked.
    Distinct(ComputeFn),
    /// `num ÷ den` of two additive measures, recomputed from their sums.
    Ratio {
        num: &'static str,
        den: &'static str,
    },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Additive(_) => "additive",
            Kind::Distinct(_) => "distinct",
            Kind::Ratio { .. } => "ratio",
        }
    }
}

/// A measure as its capability declares it.
#[derive(Clone, Copy)]
pub struct Measure {
    /// `capability.name`, stable: reports and indicators refer to it
    pub id: &'static str,
    pub unit: MeasureUnit,
    pub kind: Kind,
    /// The breakdowns besides the units below (offered by every measure).
    pub dims: &'static [Dim],
    /// The page listing the records behind a unit's value, for a unit code (figures link
    /// to it; the list keeps to the reader's scope).
    pub records: Option<fn(&str) -> String>,
}

impl Measure {
    pub fn name(&self, tr: Tr) -> String {
        tr.s(&format!("measure.{}.name", self.id)).to_string()
    }

    pub fn definition(&self, tr: Tr) -> String {
        tr.s(&format!("measure.{}.definition", self.id)).to_string()
    }

    pub fn offers(&self, by: Dim) -> bool {
        by == Dim::Unit || self.dims.contains(&by)
    }
}

/// The measures of the capabilities an application is built with.
#[derive(Clone, Default)]
pub struct Measures(Vec<Measure>);

impl Measures {
    pub fn new(all: impl IntoIterator<Item = Measure>) -> Measures {
        Measures(all.into_iter().collect())
    }

    pub fn all(&self) -> &[Measure] {
        &self.0
    }

    pub fn get(&self, id: &str) -> Option<&Measure> {
        self.0.iter().find(|m| m.id == id)
    }
}

/// A ratio's value: `num ÷ den` rounded half up to 4 decimals (CASE-RULES.md), none when
/// there is nothing to divide by.
pub fn ratio(num: i64, den: i64) -> Option<f64> {
    if den <= 0 || num < 0 {
        return None;
    }
    let scaled = (num as i128 * 20_000 + den as i128) / (2 * den as i128);
    Some(scaled as f64 / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_half_up() {
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(2, 3), Some(0.6667));
        assert_eq!(ratio(1, 8), Some(0.125));
        assert_eq!(ratio(0, 5), Some(0.0));
        assert_eq!(ratio(5, 0), None);
    }
}
