//! Units picked by name: what a person types into a unit field or filter ("大岭社区",
//! "大岭社区（塘渡口镇）", "塘渡口镇大岭社区", "大岭", a code) becomes one unit of her scope,
//! or the list of units it could mean. Nobody types a 12-digit code.

use sqlx::Row;

use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::scope::Scope;
use crate::text::{clean_text, like_escape, normalize_digits};

/// How many matches a picker offers at once.
pub const MAX_CHOICES: i64 = 20;

/// A unit as a picker shows it: its name, the unit above it (to tell two 新村 apart) and
/// its code in small print.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UnitChoice {
    pub code: String,
    pub name: String,
    /// The name of the unit above (the township of a village); empty at the top.
    pub parent_name: String,
}

impl UnitChoice {
    /// `大岭社区（塘渡口镇）`: what the field shows and what [`resolve`] reads back.
    pub fn label(&self) -> String {
        if self.parent_name.is_empty() {
            self.name.clone()
        } else {
            format!("{}（{}）", self.name, self.parent_name)
        }
    }
}

/// What a typed unit turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picked {
    /// Nothing was typed.
    Empty,
    One(UnitChoice),
    /// No unit or several: the ones it could mean (none when nothing matches).
    Choices(Vec<UnitChoice>),
}

const SELECT: &str = "SELECT u.code, u.name, COALESCE(p.name, '') FROM org_units u \
                      LEFT JOIN org_units p ON p.code = u.parent_code";

fn choice(r: &sqlx::any::AnyRow) -> UnitChoice {
    UnitChoice {
        code: r.get(0),
        name: r.get(1),
        parent_name: r.get(2),
    }
}

/// Units of the scope whose name contains `q`, or whose code starts with it: the
/// suggestions of a picker, townships before villages.
pub async fn suggest(db: &Db, scope: &Scope, q: &str) -> AppResult<Vec<UnitChoice>> {
    let q = clean_text(q);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let digits = normalize_digits(&q);
    let rows = if digits.bytes().all(|b| b.is_ascii_digit()) {
        let lo = std::cmp::max(digits.clone(), scope.lo().to_string());
        let hi = std::cmp::min(format!("{digits}~"), scope.hi().to_string());
        sqlx::query(&format!(
            "{SELECT} WHERE u.code >= $1 AND u.code < $2 ORDER BY u.code LIMIT $3"
        ))
        .bind(lo)
        .bind(hi)
        .bind(MAX_CHOICES)
        .fetch_all(db.pool())
        .await?
    } else {
        sqlx::query(&format!(
            "{SELECT} WHERE u.code >= $1 AND u.code < $2 AND u.name LIKE $3 ESCAPE '\\' \
             ORDER BY u.level, u.code LIMIT $4"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(format!("%{}%", like_escape(&q)))
        .bind(MAX_CHOICES)
        .fetch_all(db.pool())
        .await?
    };
    Ok(rows.iter().map(choice).collect())
}

/// The unit of the scope with this code, as a picker shows it.
pub async fn by_code(db: &Db, scope: &Scope, code: &str) -> AppResult<Option<UnitChoice>> {
    if !scope.contains(code) {
        return Ok(None);
    }
    let row = sqlx::query(&format!("{SELECT} WHERE u.code = $1"))
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(choice))
}

/// The unit a field shows before anyone types: the account's own unit when nothing lies
/// below it (a village director registers her own villagers).
pub async fn only_unit(db: &Db, scope: &Scope) -> AppResult<Option<UnitChoice>> {
    let below: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM org_units WHERE code > $1 AND code < $2 AND code <> $1",
    )
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_one(db.pool())
    .await?;
    if below > 0 {
        return Ok(None);
    }
    by_code(db, scope, scope.unit()).await
}

/// Text with a name in brackets after it (`大岭社区（塘渡口镇）`): the name and the bracket.
fn split_hint(text: &str) -> (&str, Option<&str>) {
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(inner) = text.strip_suffix(close) {
            if let Some(i) = inner.rfind(open) {
                let name = inner[..i].trim();
                let hint = inner[i + open.len_utf8()..].trim();
                if !name.is_empty() {
                    return (name, Some(hint));
                }
            }
        }
    }
    (text, None)
}

/// A village written with its group after it (`大岭村3组`, `大岭村三组`): the village.
fn without_group(text: &str) -> &str {
    let Some(rest) = text.strip_suffix('组') else {
        return text;
    };
    let head = rest.trim_end_matches(|c: char| {
        c.is_ascii_digit() || ('０'..='９').contains(&c) || "一二三四五六七八九十第".contains(c)
    });
    if head.len() < rest.len() && !head.is_empty() {
        head
    } else {
        text
    }
}

/// Reads what was typed into a unit field as a unit of the scope.
pub async fn resolve(db: &Db, scope: &Scope, typed: &str) -> AppResult<Picked> {
    let text = clean_text(typed);
    if text.is_empty() {
        return Ok(Picked::Empty);
    }
    let digits = normalize_digits(&text);
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        // A code is exact: a wrong one is not guessed at.
        return Ok(match by_code(db, scope, &digits).await? {
            Some(u) => Picked::One(u),
            None => Picked::Choices(Vec::new()),
        });
    }
    let (name, hint) = split_hint(&text);
    let name = without_group(name);
    // The exact name, narrowed by the unit above when one is given.
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE u.code >= $1 AND u.code < $2 AND u.name = $3 ORDER BY u.level, u.code \
         LIMIT $4"
    ))
    .bind(scope.lo())
    .bind(scope.hi())
    .bind(name)
    .bind(MAX_CHOICES)
    .fetch_all(db.pool())
    .await?;
    let mut found: Vec<UnitChoice> = rows.iter().map(choice).collect();
    if let Some(hint) = hint.filter(|h| !h.is_empty()) {
        let narrowed: Vec<UnitChoice> = found
            .iter()
            .filter(|u| u.parent_name.contains(hint) || hint.contains(&u.parent_name))
            .cloned()
            .collect();
        if !narrowed.is_empty() {
            found = narrowed;
        }
    }
    if found.is_empty() {
        // The town written before the village (`塘渡口镇大岭社区`): a unit whose name ends
        // the text and whose parent's name begins it.
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE u.code >= $1 AND u.code < $2 AND u.level > 1 \
             AND $3 LIKE '%' || u.name AND $3 <> u.name ORDER BY u.level, u.code LIMIT $4"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(name)
        .bind(MAX_CHOICES)
        .fetch_all(db.pool())
        .await?;
        found = rows
            .iter()
            .map(choice)
            .filter(|u| {
                let head = &name[..name.len() - u.name.len()];
                !u.parent_name.is_empty()
                    && (u.parent_name.ends_with(head) || head.ends_with(&u.parent_name))
            })
            .collect();
    }
    if found.is_empty() {
        found = suggest(db, scope, name).await?;
    }
    Ok(match found.len() {
        1 => Picked::One(found.remove(0)),
        _ => Picked::Choices(found),
    })
}

/// A unit field of a form: its code, or the message at the field and what it could mean.
pub struct FieldPick {
    pub code: Option<String>,
    pub error: Option<FieldError>,
    pub choices: Vec<UnitChoice>,
}

/// Reads a required or optional unit field named `field`.
pub async fn field(
    db: &Db,
    scope: &Scope,
    field: &str,
    typed: &str,
    required: bool,
) -> AppResult<FieldPick> {
    Ok(match resolve(db, scope, typed).await? {
        Picked::One(u) => FieldPick {
            code: Some(u.code),
            error: None,
            choices: Vec::new(),
        },
        Picked::Empty => FieldPick {
            code: None,
            error: required.then(|| FieldError::new(field, "pick.unit_required")),
            choices: Vec::new(),
        },
        Picked::Choices(c) if c.is_empty() => FieldPick {
            code: None,
            error: Some(FieldError::new(field, "pick.unit_none")),
            choices: c,
        },
        Picked::Choices(c) => FieldPick {
            code: None,
            error: Some(FieldError::new(field, "pick.unit_many")),
            choices: c,
        },
    })
}

/// A unit filter of a list: the unit it stands for, or why the list is not filtered.
#[derive(Clone, Debug, Default)]
pub struct UnitFilter {
    /// What the filter field shows: the unit's label, or what was typed.
    pub text: String,
    pub unit: Option<UnitChoice>,
    /// Typed but not one unit: the units it could mean (empty when none).
    pub unmatched: bool,
    pub choices: Vec<UnitChoice>,
}

impl UnitFilter {
    pub fn code(&self) -> Option<&str> {
        self.unit.as_ref().map(|u| u.code.as_str())
    }
}

/// Reads a list's `unit` parameter, by name or by code.
pub async fn filter(db: &Db, scope: &Scope, typed: Option<&str>) -> AppResult<UnitFilter> {
    let typed = typed.unwrap_or_default();
    Ok(match resolve(db, scope, typed).await? {
        Picked::Empty => UnitFilter::default(),
        Picked::One(u) => UnitFilter {
            text: u.label(),
            unit: Some(u),
            unmatched: false,
            choices: Vec::new(),
        },
        Picked::Choices(c) => UnitFilter {
            text: clean_text(typed),
            unit: None,
            unmatched: true,
            choices: c,
        },
    })
}

/// Why a typed unit is not one unit of a [`Directory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// No unit of the list has this code or name.
    None,
    /// Several have this name: the unit above must be written too.
    Many,
}

/// Units held in memory to read many typed names at once (an import's residence column):
/// the same readings as [`resolve`] (a code, a name, `名称（上级）`, `上级名称`, a village
/// with its group after it) without asking the database for each row.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    /// The units, in the order given (code order when loaded).
    units: Vec<UnitChoice>,
    codes: std::collections::HashSet<String>,
    /// Name -> (code, name of the unit above).
    by_name: std::collections::HashMap<String, Vec<(String, String)>>,
    parents: Vec<String>,
}

impl Directory {
    pub fn new(units: impl IntoIterator<Item = UnitChoice>) -> Directory {
        let mut d = Directory::default();
        for u in units {
            d.units.push(u.clone());
            d.codes.insert(u.code.clone());
            if !u.parent_name.is_empty() && !d.parents.contains(&u.parent_name) {
                d.parents.push(u.parent_name.clone());
            }
            d.by_name
                .entry(u.name)
                .or_default()
                .push((u.code, u.parent_name));
        }
        // The longest parent first, so that `白仓镇新村` is not read with `白仓` alone.
        d.parents.sort_by_key(|p| std::cmp::Reverse(p.len()));
        d
    }

    /// The units of the scope at one level (villages are 5), with the names above them.
    pub async fn load(db: &Db, scope: &Scope, level: i64) -> AppResult<Directory> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE u.code >= $1 AND u.code < $2 AND u.level = $3 AND u.kind = 'territorial' \
             ORDER BY u.code"
        ))
        .bind(scope.lo())
        .bind(scope.hi())
        .bind(level)
        .fetch_all(db.pool())
        .await?;
        Ok(Directory::new(rows.iter().map(choice)))
    }

    pub fn units(&self) -> &[UnitChoice] {
        &self.units
    }

    pub fn contains(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    /// The code of the unit a cell names.
    pub fn resolve(&self, typed: &str) -> Result<String, Miss> {
        // A code as the template's older sheets and exports hold it: no cleaning needed.
        let trimmed = typed.trim();
        if self.codes.contains(trimmed) {
            return Ok(trimmed.to_string());
        }
        let text = clean_text(typed);
        let digits = normalize_digits(&text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return if self.codes.contains(&digits) {
                Ok(digits)
            } else {
                Err(Miss::None)
            };
        }
        let (name, hint) = split_hint(&text);
        let name = without_group(name);
        let pick = |found: Vec<&(String, String)>| match found.as_slice() {
            [one] => Ok(one.0.clone()),
            [] => Err(Miss::None),
            _ => Err(Miss::Many),
        };
        if let Some(all) = self.by_name.get(name) {
            let narrowed: Vec<&(String, String)> = match hint.filter(|h| !h.is_empty()) {
                Some(h) => all
                    .iter()
                    .filter(|(_, p)| p.contains(h) || h.contains(p.as_str()))
                    .collect(),
                None => all.iter().collect(),
            };
            return pick(if narrowed.is_empty() {
                all.iter().collect()
            } else {
                narrowed
            });
        }
        // The unit above written first: `塘渡口镇大岭社区`.
        for parent in &self.parents {
            if let Some(rest) = name.strip_prefix(parent.as_str()) {
                if let Some(all) = self.by_name.get(rest) {
                    return pick(all.iter().filter(|(_, p)| p == parent).collect());
                }
            }
        }
        Err(Miss::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_brackets_and_groups() {
        assert_eq!(
            split_hint("大岭社区（塘渡口镇）"),
            ("大岭社区", Some("塘渡口镇"))
        );
        assert_eq!(split_hint("新村(白仓镇)"), ("新村", Some("白仓镇")));
        assert_eq!(split_hint("大岭社区"), ("大岭社区", None));
        assert_eq!(split_hint("（x）"), ("（x）", None));
        assert_eq!(without_group("大岭村3组"), "大岭村");
        assert_eq!(without_group("大岭村十二组"), "大岭村");
        assert_eq!(without_group("大岭村第３组"), "大岭村");
        assert_eq!(without_group("三组"), "三组");
        assert_eq!(without_group("大岭村"), "大岭村");
    }

    #[test]
    fn a_directory_reads_names_as_people_write_them() {
        let u = |code: &str, name: &str, parent: &str| UnitChoice {
            code: code.into(),
            name: name.into(),
            parent_name: parent.into(),
        };
        let d = Directory::new([
            u("430523100001", "大岭社区", "塘渡口镇"),
            u("430523100002", "新村", "塘渡口镇"),
            u("430523101001", "新村", "白仓镇"),
        ]);
        assert_eq!(d.resolve("430523100001"), Ok("430523100001".into()));
        assert_eq!(
            d.resolve("４３０５２３１００００１"),
            Ok("430523100001".into())
        );
        assert_eq!(d.resolve("430523999999"), Err(Miss::None));
        assert_eq!(d.resolve(" 大岭社区 "), Ok("430523100001".into()));
        assert_eq!(d.resolve("大岭社区3组"), Ok("430523100001".into()));
        assert_eq!(d.resolve("新村"), Err(Miss::Many));
        assert_eq!(d.resolve("新村（白仓镇）"), Ok("430523101001".into()));
        assert_eq!(d.resolve("塘渡口镇新村"), Ok("430523100002".into()));
        assert_eq!(d.resolve("塘渡口镇大岭社区"), Ok("430523100001".into()));
        assert_eq!(d.resolve("大岭"), Err(Miss::None));
        assert_eq!(d.resolve(""), Err(Miss::None));
    }
}
