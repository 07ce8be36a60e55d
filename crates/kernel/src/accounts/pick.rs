//! Colleagues picked by name: a field that takes an account (a pairing's helper) offers
//! the accounts of the reader's subtree by display name and unit (`王红梅（大岭社区）`),
//! never by login name. What the field sends back ends with the account's number
//! (`… #12`); a display name typed by hand is read too, and a login name still works for
//! the API.

use sqlx::Row;

use crate::db::Db;
use crate::error::AppResult;
use crate::scope::Scope;
use crate::text::{clean_text, like_escape};
use crate::web::page::Suggestion;
use crate::web::pick::chosen_number;

/// How many accounts a picker offers at once.
pub const MAX_CHOICES: i64 = 20;

/// An account as a picker shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountChoice {
    pub id: i64,
    pub display_name: String,
    pub unit_name: String,
}

impl AccountChoice {
    /// `王红梅（大岭社区）`
    pub fn label(&self) -> String {
        format!("{}（{}）", self.display_name, self.unit_name)
    }

    /// What the field holds once it is chosen: the label, then the account's number.
    pub fn value(&self) -> String {
        format!("{} #{}", self.label(), self.id)
    }

    pub fn suggestion(&self) -> Suggestion {
        Suggestion {
            value: self.value(),
            label: self.label(),
        }
    }
}

const SELECT: &str = "SELECT u.id, u.display_name, COALESCE(o.name, '') FROM users u \
                      LEFT JOIN org_units o ON o.code = u.unit_code \
                      WHERE u.disabled = 0 AND u.unit_code >= $1 AND u.unit_code < $2";

fn choice(r: &sqlx::any::AnyRow) -> AccountChoice {
    AccountChoice {
        id: r.get(0),
        display_name: r.get(1),
        unit_name: r.get(2),
    }
}

/// The active accounts of the scope whose display name contains `q`.
pub async fn suggest(db: &Db, scope: &Scope, q: &str) -> AppResult<Vec<AccountChoice>> {
    let q = clean_text(q);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "{SELECT} AND u.display_name LIKE $3 ESCAPE '\\' ORDER BY u.unit_code, u.id LIMIT $4"
    ))
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(format!("%{}%", like_escape(&q)))
    .bind(MAX_CHOICES)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(choice).collect())
}

/// The active account of the scope with this number.
pub async fn by_id(db: &Db, scope: &Scope, id: i64) -> AppResult<Option<AccountChoice>> {
    let row = sqlx::query(&format!("{SELECT} AND u.id = $3"))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(choice))
}

/// What a typed account turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountPick {
    Empty,
    One(AccountChoice),
    /// Not one account: the catalogue key and the accounts it could mean.
    Refused(&'static str, Vec<AccountChoice>),
}

/// Reads what was typed or chosen in an account field.
pub async fn resolve(db: &Db, scope: &Scope, typed: &str) -> AppResult<AccountPick> {
    let text = clean_text(typed);
    if text.is_empty() {
        return Ok(AccountPick::Empty);
    }
    if let Some(n) = chosen_number(&text) {
        return Ok(match by_id(db, scope, n).await? {
            Some(a) => AccountPick::One(a),
            None => AccountPick::Refused("pick.account_none", Vec::new()),
        });
    }
    // `王红梅（大岭社区）` typed out, or the name alone.
    let name = match text.strip_suffix('）').and_then(|t| t.rsplit_once('（')) {
        Some((name, _)) => name.trim().to_string(),
        None => text.clone(),
    };
    let found = suggest(db, scope, &name).await?;
    let exact: Vec<AccountChoice> = found
        .iter()
        .filter(|a| a.display_name == name && (a.label() == text || name == text))
        .cloned()
        .collect();
    if let [one] = exact.as_slice() {
        return Ok(AccountPick::One(one.clone()));
    }
    if exact.len() > 1 {
        return Ok(AccountPick::Refused("pick.account_many", exact));
    }
    // A login name, as the API and older forms send it.
    let row = sqlx::query(&format!("{SELECT} AND u.username = $3"))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(text.to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    if let Some(r) = row {
        return Ok(AccountPick::One(choice(&r)));
    }
    Ok(if found.is_empty() {
        AccountPick::Refused("pick.account_none", Vec::new())
    } else {
        AccountPick::Refused("pick.account_partial", found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_account_carries_its_number() {
        let a = AccountChoice {
            id: 12,
            display_name: "王红梅".into(),
            unit_name: "大岭社区".into(),
        };
        assert_eq!(a.value(), "王红梅（大岭社区） #12");
        assert_eq!(chosen_number(&a.value()), Some(12));
        assert_eq!(chosen_number("王红梅"), None);
    }
}
