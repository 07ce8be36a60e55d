//! Persons picked by name: a field that takes a person (a household member, a pairing's
//! family, a case party) searches the people the reader may see and shows enough to tell
//! two 张桂兰 apart (village, birth year, the last characters of the ID). What the field
//! sends back ends with the registry number (`… #123`), so the server knows whom she chose;
//! a resident ID, a registry number or a name typed by hand are read too.

use kernel::auth::Ctx;
use kernel::error::{AppError, AppResult, FieldError};
use kernel::i18n::Tr;
use kernel::state::AppState;
use kernel::web::page::Suggestion;

use crate::access::{self, Found, Reach, Seer};
use crate::store::{self, Filter};

/// How many people a picker offers at once.
pub const MAX_CHOICES: i64 = 20;

/// A person as a picker shows her.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonChoice {
    pub id: i64,
    pub name: String,
    pub unit_name: String,
    pub birth_year: String,
    /// The last four characters of her resident ID, when she has one.
    pub id_tail: String,
}

impl PersonChoice {
    /// `陈淑珍 · 大岭社区 · 1980年生 · 身份证尾号002X`
    pub fn label(&self, tr: Tr) -> String {
        let mut parts = vec![self.name.clone(), self.unit_name.clone()];
        if !self.birth_year.is_empty() {
            parts.push(tr.f("pick.born", &[("year", &self.birth_year)]));
        }
        if !self.id_tail.is_empty() {
            parts.push(tr.f("pick.id_tail", &[("tail", &self.id_tail)]));
        }
        parts.join(" · ")
    }

    /// What the field holds once she is chosen: the label, then her registry number.
    pub fn value(&self, tr: Tr) -> String {
        format!("{} #{}", self.label(tr), self.id)
    }

    pub fn suggestion(&self, tr: Tr) -> Suggestion {
        Suggestion {
            value: self.value(tr),
            label: self.label(tr),
        }
    }
}

/// The people of the reader's scope whose name (or ID, or phone) matches, as she may see
/// them: a restricted person only for those who see her details.
pub async fn suggest(state: &AppState, ctx: &Ctx, q: &str) -> AppResult<Vec<PersonChoice>> {
    let q = kernel::text::clean_text(q);
    if q.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let seer = Seer::of(ctx);
    let f = Filter {
        q: Some(q),
        ..Filter::default()
    };
    let rows = store::search(state.db(), &state.cipher, &seer, &f, MAX_CHOICES, 0).await?;
    Ok(rows
        .into_iter()
        .map(|r| seer.person(r.person))
        .map(|p| PersonChoice {
            id: p.id,
            id_tail: p
                .id_number
                .as_deref()
                .map(|s| {
                    let chars: Vec<char> = s.chars().collect();
                    chars[chars.len().saturating_sub(4)..].iter().collect()
                })
                .unwrap_or_default(),
            birth_year: p.birth_date.chars().take(4).collect(),
            name: p.name,
            unit_name: p.unit_name,
        })
        .collect())
}

/// A person field read back: the one she chose, or why not with those it could mean.
pub enum PersonPick {
    Empty,
    One(Found),
    /// Not one person: the message key and the people the text could mean.
    Refused(&'static str, Vec<PersonChoice>),
}

pub use kernel::web::pick::chosen_number;

/// Reads what was typed or chosen in a person field.
pub async fn resolve(state: &AppState, ctx: &Ctx, typed: &str) -> AppResult<PersonPick> {
    let text = kernel::text::clean_text(typed);
    if text.is_empty() {
        return Ok(PersonPick::Empty);
    }
    let seer = Seer::of(ctx);
    let digits = kernel::text::normalize_digits(&text);
    let reach = if let Some(n) = chosen_number(&text) {
        access::by_number(state.db().pool(), &seer, n).await?
    } else if digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == 'X' || c == 'x')
    {
        if digits.len() < 15 {
            match digits.parse::<i64>() {
                Ok(n) => access::by_number(state.db().pool(), &seer, n).await?,
                Err(_) => Reach::Unknown,
            }
        } else {
            match kernel::idcard::ResidentId::parse(&digits, kernel::time::today()) {
                Ok(rid) => {
                    access::by_resident_id(state.db().pool(), &state.cipher, &seer, &rid).await?
                }
                Err(_) => return Ok(PersonPick::Refused("pick.person_id_invalid", Vec::new())),
            }
        }
    } else {
        // A name: the people of that exact name she may see; several are offered.
        let found = suggest(state, ctx, &text).await?;
        let exact: Vec<PersonChoice> = found.iter().filter(|p| p.name == text).cloned().collect();
        return Ok(match exact.len() {
            1 => match access::by_number(state.db().pool(), &seer, exact[0].id).await? {
                Reach::Person(f) => PersonPick::One(f),
                _ => PersonPick::Refused("household.person_restricted", Vec::new()),
            },
            0 if found.is_empty() => PersonPick::Refused("pick.person_none", Vec::new()),
            0 => PersonPick::Refused("pick.person_partial", found),
            _ => PersonPick::Refused("pick.person_many", exact),
        });
    };
    Ok(match reach {
        Reach::Person(f) => PersonPick::One(f),
        Reach::Masked { .. } => PersonPick::Refused("household.person_restricted", Vec::new()),
        Reach::Elsewhere | Reach::Unknown => PersonPick::Refused("pick.person_none", Vec::new()),
    })
}

/// A required person field: the person, or the message at `field` (with the people it
/// could mean, for the form to offer).
pub async fn required(
    state: &AppState,
    ctx: &Ctx,
    field: &str,
    typed: &str,
) -> AppResult<Result<Found, (FieldError, Vec<PersonChoice>)>> {
    Ok(match resolve(state, ctx, typed).await? {
        PersonPick::One(f) => Ok(f),
        PersonPick::Empty => Err((FieldError::new(field, "pick.person_required"), Vec::new())),
        PersonPick::Refused(k, c) => Err((FieldError::new(field, k), c)),
    })
}

/// The error of a person field for the API, which has no choices to offer.
pub fn invalid(e: (FieldError, Vec<PersonChoice>)) -> AppError {
    AppError::Invalid(vec![e.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_suggestion_carries_its_number() {
        assert_eq!(
            chosen_number("陈淑珍 · 大岭社区 · 1980年生 #123"),
            Some(123)
        );
        assert_eq!(chosen_number("陈淑珍 #１２"), Some(12));
        assert_eq!(chosen_number("陈淑珍"), None);
        assert_eq!(chosen_number("#x"), None);
    }
}
