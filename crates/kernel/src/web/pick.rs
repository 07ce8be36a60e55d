//! The picker fields every form and list shares: a unit typed by name (with suggestions,
//! the matches when it is not one unit, and the tree), rendered by one template each.

use askama::Template;

use crate::auth::Ctx;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::i18n::Tr;
use crate::org::pick::{self, FieldPick, UnitChoice, UnitFilter};

/// A unit field of a form; its template is written into the page with `|safe`.
#[derive(Template)]
#[template(path = "pick/unit.html")]
pub struct UnitField {
    pub tr: Tr,
    pub name: &'static str,
    pub label_key: &'static str,
    pub value: String,
    pub error: Option<&'static str>,
    pub choices: Vec<UnitChoice>,
    /// The top of the tree the field offers (the account's unit); empty for none.
    pub root: String,
    pub root_name: String,
}

impl UnitField {
    fn blank(ctx: &Ctx, name: &'static str, label_key: &'static str) -> UnitField {
        UnitField {
            tr: ctx.tr,
            name,
            label_key,
            value: String::new(),
            error: None,
            choices: Vec::new(),
            root: ctx.scope.unit().to_string(),
            root_name: ctx.p.unit_name.clone(),
        }
    }

    /// A field showing the unit of `code`; without one, the account's own unit when
    /// nothing lies below it (a village director's villagers live in her village).
    pub async fn showing(
        db: &Db,
        ctx: &Ctx,
        name: &'static str,
        label_key: &'static str,
        code: Option<&str>,
    ) -> AppResult<UnitField> {
        let mut f = UnitField::blank(ctx, name, label_key);
        let unit = match code.filter(|c| !c.is_empty()) {
            Some(c) => pick::by_code(db, &ctx.scope, c).await?,
            None => pick::only_unit(db, &ctx.scope).await?,
        };
        if let Some(u) = unit {
            f.value = u.label();
        } else if let Some(c) = code {
            f.value = c.to_string();
        }
        Ok(f)
    }

    /// The field given back after a save that failed: what was typed, the message at the
    /// field, and the units it could mean.
    pub fn typed(
        ctx: &Ctx,
        name: &'static str,
        label_key: &'static str,
        typed: &str,
        pick: Option<&FieldPick>,
    ) -> UnitField {
        let mut f = UnitField::blank(ctx, name, label_key);
        f.value = typed.to_string();
        if let Some(p) = pick {
            f.error = p.error.as_ref().map(|e| e.key);
            f.choices = p.choices.clone();
        }
        f
    }
}

/// A unit filter of a list, with the matches when what was typed is not one unit.
#[derive(Template)]
#[template(path = "pick/filter.html")]
pub struct UnitFilterField {
    pub tr: Tr,
    pub name: &'static str,
    pub f: UnitFilter,
    pub message: String,
    /// Each unit it could mean, with the list filtered by it.
    pub links: Vec<(UnitChoice, String)>,
}

impl UnitFilterField {
    /// `link` makes the list's address with the unit filter set to a code (the other
    /// filters kept).
    pub fn new(tr: Tr, f: UnitFilter, link: impl Fn(&str) -> String) -> UnitFilterField {
        let message = if f.choices.is_empty() {
            tr.f("pick.unit_filter_none", &[("text", &f.text)])
        } else {
            tr.f("pick.unit_filter_unmatched", &[("text", &f.text)])
        };
        let links = f
            .choices
            .iter()
            .map(|u| (u.clone(), link(&u.code)))
            .collect();
        UnitFilterField {
            tr,
            name: "unit",
            f,
            message,
            links,
        }
    }
}

/// The unit fields of one submitted form, read by name: each typed value is replaced by
/// its unit's code for the service, and kept to be shown back if the save fails.
pub struct UnitInputs {
    read: Vec<(&'static str, String, FieldPick)>,
}

impl UnitInputs {
    /// Reads each `(field, value, required)`; a value that is one unit of the scope becomes
    /// its code.
    pub async fn read(
        db: &Db,
        ctx: &Ctx,
        fields: &mut [(&'static str, &mut String, bool)],
    ) -> AppResult<UnitInputs> {
        let mut read = Vec::new();
        for (name, value, required) in fields.iter_mut() {
            let p = pick::field(db, &ctx.scope, name, value, *required).await?;
            let typed = value.clone();
            if let Some(code) = &p.code {
                **value = code.clone();
            }
            read.push((*name, typed, p));
        }
        Ok(UnitInputs { read })
    }

    /// Whether every unit field was read as one unit (or left empty where optional).
    pub fn ok(&self) -> bool {
        self.read.iter().all(|(_, _, p)| p.error.is_none())
    }

    /// The messages of the unit fields in place of the service's own for those fields
    /// (which saw only the text that was typed).
    pub fn merge(&self, errors: &mut Vec<FieldError>) {
        for (name, _, p) in &self.read {
            if let Some(e) = &p.error {
                errors.retain(|x| x.field != *name);
                errors.push(e.clone());
            }
        }
    }

    /// The field `name` as it goes back into the form, with its message: its own, or
    /// the service's among `errors` (a unit that is not a village, say).
    pub fn field(
        &self,
        ctx: &Ctx,
        name: &'static str,
        label_key: &'static str,
        errors: &[FieldError],
    ) -> UnitField {
        let mut f = match self.read.iter().find(|(n, _, _)| *n == name) {
            Some((_, typed, p)) => UnitField::typed(ctx, name, label_key, typed, Some(p)),
            None => UnitField::typed(ctx, name, label_key, "", None),
        };
        if f.error.is_none() {
            f.error = crate::error::field_error(errors, name);
        }
        f
    }
}

/// `… #123`: the number a chosen suggestion of a person or account picker carries at its
/// end, so that the server knows which of two 王红梅 was chosen.
pub fn chosen_number(text: &str) -> Option<i64> {
    let (_, n) = text.rsplit_once('#')?;
    crate::text::normalize_digits(n.trim()).parse().ok()
}
