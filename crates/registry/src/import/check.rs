//! The checks of an import's rows, in file order: the person's field rules, the
//! residence read as a village of the area (by name or code), the group's items, and an ID
//! met twice in the file.

use std::collections::HashSet;

use kernel::org::pick::{Directory, Miss};

use super::sheet::RowInput;
use crate::category::model::Category;
use crate::person::{validate, ValidPerson};
use crate::store::Stored;

/// One problem of one row: the spreadsheet row number, the field and the catalogue key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub key: String,
    /// The name written on the row, to tell the row by ("第 6 行（陈淑珍）")
    #[serde(default)]
    pub name: String,
}

/// A valid row ready to be written.
pub(super) struct Ready {
    pub(super) row: usize,
    pub(super) stored: Stored,
    /// The group's items, when the rows join a group.
    pub(super) attrs: Option<Attrs>,
}

/// A group's items as stored with a membership.
pub(super) type Attrs = serde_json::Map<String, serde_json::Value>;

/// Checks rows in file order, part by part: field rules, the residence read as a village
/// of the area (by name or code), the group's items, an ID twice in the file (remembered
/// across parts).
pub(super) struct Checker {
    villages: Directory,
    /// The group the rows join, whose items each row must fill as it requires.
    pub(super) group: Option<Category>,
    /// The IDs met so far, by [`kernel::idcard::ResidentId::number`].
    seen: HashSet<u64>,
    today: chrono::NaiveDate,
}

/// A row that passed its checks: the person, and the group's items when there is a group.
pub(super) type Checked = (ValidPerson, Option<Attrs>);

impl Checker {
    pub(super) fn new(villages: Directory, group: Option<Category>) -> Checker {
        Checker {
            villages,
            group,
            seen: HashSet::new(),
            today: kernel::time::today(),
        }
    }

    pub(super) fn check(
        &mut self,
        inputs: &mut [(usize, RowInput)],
    ) -> (Vec<Option<Checked>>, Vec<RowError>) {
        let mut errors = Vec::new();
        let valid = inputs
            .iter_mut()
            .map(|(row, input)| {
                let mut errs: Vec<(String, &'static str)> = Vec::new();
                let unit = input.person.unit_code.trim().to_string();
                if !unit.is_empty() {
                    match self.villages.resolve(&unit) {
                        Ok(code) => input.person.unit_code = code,
                        Err(Miss::None) => errs.push(("unit_code".into(), "import.unit_outside")),
                        Err(Miss::Many) => errs.push(("unit_code".into(), "import.unit_ambiguous")),
                    }
                }
                let v = match validate(&input.person, self.today) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        // The residence's own message says more than a required field's.
                        errs.extend(
                            e.into_iter()
                                .filter(|f| f.field != "unit_code" || unit.is_empty())
                                .map(|f| (f.field, f.key)),
                        );
                        None
                    }
                };
                let attrs = match &self.group {
                    Some(g) => match g.check_attrs(&input.attrs) {
                        Ok(a) => Some(a),
                        Err(e) => {
                            errs.extend(e.into_iter().map(|f| (f.field, f.key)));
                            None
                        }
                    },
                    None => None,
                };
                if let Some(id) = v.as_ref().and_then(|v| v.id.as_ref()) {
                    if !self.seen.insert(id.number()) {
                        errs.push(("id_number".into(), "import.duplicate_in_file"));
                    }
                }
                let name: String = kernel::text::clean_text(&input.person.name)
                    .chars()
                    .take(20)
                    .collect();
                for (field, key) in &errs {
                    errors.push(RowError {
                        row: *row,
                        field: field.clone(),
                        key: key.to_string(),
                        name: name.clone(),
                    });
                }
                match v {
                    Some(v) if errs.is_empty() => Some((v, attrs)),
                    _ => None,
                }
            })
            .collect();
        (valid, errors)
    }
}
