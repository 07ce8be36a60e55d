//! The organisation tree: territorial units keyed by the statistical division codes, and the
//! non-territorial bodies that hang under them. A subtree is a range on the code.

pub mod api;
pub mod import;
pub mod model;
pub mod pick;
pub mod store;
pub mod web;

pub use model::{DivisionCode, OrgUnit, UnitKind};
