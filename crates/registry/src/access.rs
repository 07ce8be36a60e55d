//! One gate for every way to reach a person, and one way to show her. A person is reached
//! by her registry number, her resident ID, or inside another record (a household, a
//! pairing, a membership, a merge, a case's party); whichever way, what the reader gets is
//! decided here from her scope and whether she handles restricted persons (domestic-violence
//! victims, minors): the person, her masked name, or only that she is registered
//! elsewhere. Names shown inside other records are a [`ShownName`], which only a [`Seer`]
//! makes, so a new page cannot forget the mask.

use kernel::auth::roles::Role;
use kernel::auth::{Ctx, Perm};
use kernel::crypto::Cipher;
use kernel::error::{AppError, AppResult};
use kernel::idcard::ResidentId;
use kernel::scope::Scope;
use sqlx::Row;

use crate::person::Person;

/// Who is looking: her scope, and whether she may see restricted persons' details.
#[derive(Clone, Debug)]
pub struct Seer {
    scope: Scope,
    handles_restricted: bool,
}

impl Seer {
    pub fn of(ctx: &Ctx) -> Seer {
        Seer::new(ctx.scope.clone(), ctx.p.role)
    }

    /// For work done on an account's behalf without a request (an import job).
    pub fn new(scope: Scope, role: Role) -> Seer {
        Seer {
            scope,
            handles_restricted: role.has(Perm::HandleCases),
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether she handles restricted persons (sees their details inside her scope).
    pub fn handles_restricted(&self) -> bool {
        self.handles_restricted
    }

    /// Whether she sees the details of a person living at `unit`.
    pub fn sees(&self, unit: &str, restricted: bool) -> bool {
        self.scope.contains(unit) && (!restricted || self.handles_restricted)
    }

    /// A person's name as this reader may see it: in full, or `刘**`.
    pub fn name(&self, name: &str, unit: &str, restricted: bool) -> ShownName {
        if self.sees(unit, restricted) {
            ShownName(name.to_string())
        } else {
            ShownName(masked_name(name))
        }
    }

    /// A person of the scope as this reader may see her: a restricted person's details only
    /// for those who handle restricted persons.
    pub fn person(&self, mut p: Person) -> Person {
        if !self.sees(&p.unit_code, p.restricted) {
            p.name = masked_name(&p.name);
            p.id_number = None;
            p.phone = None;
            p.address = None;
            p.hukou_code.clear();
            p.notes.clear();
            p.birth_date.clear();
        }
        p
    }

    /// Whether she may change a person living at `unit`, or attach her to something: not
    /// found outside the scope, forbidden when restricted and she does not handle such.
    pub fn may_change(&self, unit: &str, restricted: bool) -> AppResult<()> {
        if !self.scope.contains(unit) {
            Err(AppError::NotFound)
        } else if restricted && !self.handles_restricted {
            Err(AppError::Forbidden)
        } else {
            Ok(())
        }
    }
}

/// `刘**`: how a person's name shows to those who may not see her details.
pub fn masked_name(name: &str) -> String {
    let first: String = name.chars().take(1).collect();
    format!("{first}**")
}

/// A person's name as one reader may see it (made only by [`Seer::name`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ShownName(String);

impl ShownName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ShownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registered person as a lookup found her.
#[derive(Clone, Debug)]
pub struct Found {
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub restricted: bool,
    pub birth_date: Option<chrono::NaiveDate>,
    /// The keyed hash of her resident ID, if she has one
    pub id_hash: Option<String>,
}

/// What a lookup by a key other than her registry number gives the reader.
#[derive(Clone, Debug)]
pub enum Reach {
    /// In the reader's scope, details visible.
    Person(Found),
    /// In the reader's scope, restricted: her registry number and masked name only.
    Masked { id: i64, name: ShownName },
    /// Registered outside the reader's scope: nothing about her.
    Elsewhere,
    /// Not registered.
    Unknown,
}

const FOUND: &str = "SELECT id, name, unit_code, restricted, birth_date, id_hash FROM persons \
    WHERE status = 'active' AND ";

fn found(r: &sqlx::any::AnyRow) -> Found {
    Found {
        id: r.get(0),
        name: r.get(1),
        unit_code: r.get(2),
        restricted: r.get::<i64, _>(3) != 0,
        birth_date: r
            .get::<Option<String>, _>(4)
            .and_then(|d| kernel::time::parse_date(&d)),
        id_hash: r.get(5),
    }
}

impl Seer {
    fn reach(&self, f: Found) -> Reach {
        if !self.scope.contains(&f.unit_code) {
            Reach::Elsewhere
        } else if f.restricted && !self.handles_restricted {
            Reach::Masked {
                id: f.id,
                name: self.name(&f.name, &f.unit_code, f.restricted),
            }
        } else {
            Reach::Person(f)
        }
    }
}

/// The person registered under a resident ID, as the reader may reach her.
pub async fn by_resident_id<'e, E>(
    ex: E,
    cipher: &Cipher,
    seer: &Seer,
    id: &ResidentId,
) -> AppResult<Reach>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!("{FOUND}id_hash = $1"))
        .bind(cipher.index("id", id.as_str()))
        .fetch_optional(ex)
        .await?;
    Ok(row.map_or(Reach::Unknown, |r| seer.reach(found(&r))))
}

/// The person with registry number `id` in the reader's scope (not found outside it:
/// registry numbers are not a way to learn who is registered elsewhere).
pub async fn by_number<'e, E>(ex: E, seer: &Seer, id: i64) -> AppResult<Reach>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "{FOUND}id = $1 AND unit_code >= $2 AND unit_code < $3"
    ))
    .bind(id)
    .bind(seer.scope.lo())
    .bind(seer.scope.hi())
    .fetch_optional(ex)
    .await?;
    Ok(row.map_or(Reach::Unknown, |r| seer.reach(found(&r))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_changes_follow_scope_and_role() {
        let village = Seer::new(Scope::of_unit("430523100001"), Role::VillageChair);
        let town = Seer::new(Scope::of_unit("430523100"), Role::TownshipChair);
        let other = Seer::new(Scope::of_unit("430523101"), Role::TownshipChair);
        let at = "430523100001";
        assert_eq!(village.name("李秀兰", at, false).as_str(), "李秀兰");
        assert_eq!(village.name("李秀兰", at, true).as_str(), "李**");
        assert_eq!(town.name("李秀兰", at, true).as_str(), "李秀兰");
        assert_eq!(other.name("李秀兰", at, false).as_str(), "李**");
        assert!(matches!(
            village.may_change(at, true),
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            other.may_change(at, false),
            Err(AppError::NotFound)
        ));
        assert!(town.may_change(at, true).is_ok());
    }
}
