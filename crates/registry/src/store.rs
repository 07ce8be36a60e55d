//! SQL of the registry. Every read takes the request's scope and filters on the residence
//! unit's code range.

use std::collections::HashMap;

use kernel::crypto::Cipher;
use kernel::db::{now_ms, Db, WriteTx};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::idcard::Sex;
use kernel::scope::Scope;
use sqlx::Row;

use crate::access::Seer;
use crate::person::{masked, Person, Revealed, ValidPerson};

const COLUMNS: &str = "p.id, p.unit_code, o.name, p.hukou_code, p.name, p.sex, p.birth_date, \
    p.ethnicity, p.id_enc, p.phone_enc, p.address_enc, p.notes, p.restricted, p.version, \
    p.created_at, p.updated_at, \
    COALESCE((SELECT u.display_name FROM users u WHERE u.id = p.created_by), '')";

/// A stored person with her sensitive fields still encrypted.
pub struct PersonRow {
    pub person: Person,
    id_enc: Option<String>,
    phone_enc: Option<String>,
    address_enc: Option<String>,
}

impl PersonRow {
    fn from(r: &sqlx::any::AnyRow, cipher: &Cipher) -> PersonRow {
        let id_enc: Option<String> = r.get(8);
        let phone_enc: Option<String> = r.get(9);
        let address_enc: Option<String> = r.get(10);
        let dec = |v: &Option<String>| v.as_deref().and_then(|e| cipher.decrypt(e));
        let (id_m, phone_m, addr_m) = masked(
            dec(&id_enc).as_deref(),
            dec(&phone_enc).as_deref(),
            dec(&address_enc).as_deref(),
        );
        PersonRow {
            person: Person {
                id: r.get(0),
                unit_code: r.get(1),
                unit_name: r.get(2),
                hukou_code: r.get(3),
                name: r.get(4),
                sex: Sex::parse(&r.get::<String, _>(5)).unwrap_or(Sex::Female),
                birth_date: r.get::<Option<String>, _>(6).unwrap_or_default(),
                ethnicity: r.get(7),
                id_number: id_m,
                phone: phone_m,
                address: addr_m,
                notes: r.get(11),
                restricted: r.get::<i64, _>(12) != 0,
                version: r.get(13),
                created_at: r.get(14),
                updated_at: r.get(15),
                created_by: r.get(16),
            },
            id_enc,
            phone_enc,
            address_enc,
        }
    }

    /// The sensitive fields in clear.
    pub fn reveal(&self, cipher: &Cipher) -> Revealed {
        let dec = |v: &Option<String>| v.as_deref().and_then(|e| cipher.decrypt(e));
        Revealed {
            id_number: dec(&self.id_enc),
            phone: dec(&self.phone_enc),
            address: dec(&self.address_enc),
        }
    }
}

/// One person of the scope.
pub async fn get(db: &Db, cipher: &Cipher, scope: &Scope, id: i64) -> AppResult<PersonRow> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM persons p JOIN org_units o ON o.code = p.unit_code \
         WHERE p.id = $1 AND p.unit_code >= $2 AND p.unit_code < $3 AND p.status = 'active'"
    ))
    .bind(id)
    .bind(scope.lo())
    .bind(scope.hi())
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| PersonRow::from(&r, cipher))
        .ok_or(AppError::NotFound)
}

/// The search of the person list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Filter {
    /// Part of a name (two characters are enough), a resident ID (exact) or a phone (exact)
    pub q: Option<String>,
    /// Only residents of this unit's subtree
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
    /// F or M
    pub sex: Option<String>,
    /// Only current members of this group (category code)
    pub category: Option<String>,
    /// name | birth | newest
    pub sort: Option<String>,
    pub page: Option<i64>,
}

enum Bind {
    S(String),
}

/// The ids of the persons matching the filter, as SQL and its values: the search and
/// the count of a list read the same rows.
fn matching(cipher: &Cipher, seer: &Seer, f: &Filter) -> AppResult<(String, Vec<Bind>)> {
    let scope = seer.scope();
    let (lo, hi) = scope.filter_range(f.unit.as_deref())?;
    // The page's ids first, from the list index (and the name pairs) alone; then only
    // those rows are read, instead of every row the sort passes over.
    let mut sql = String::from(
        "SELECT p.id FROM persons p WHERE p.unit_code >= $1 AND p.unit_code < $2 \
         AND p.status = 'active'",
    );
    let mut binds = vec![Bind::S(lo), Bind::S(hi)];
    let mut add = |cond: &str, v: String, sql: &mut String| {
        binds.push(Bind::S(v));
        sql.push_str(&cond.replace('?', &format!("${}", binds.len())));
    };
    let q = kernel::text::clean_text(f.q.as_deref().unwrap_or(""));
    if !q.is_empty() {
        if !seer.handles_restricted() {
            sql.push_str(" AND p.restricted = 0");
        }
        let today = kernel::time::today();
        if let Ok(id) = kernel::idcard::ResidentId::parse(&q, today) {
            add(
                " AND p.id_hash = ?",
                cipher.index("id", id.as_str()),
                &mut sql,
            );
        } else if let Ok(phone) = kernel::phone::parse(&q) {
            add(
                " AND p.phone_hash = ?",
                cipher.index("phone", &phone),
                &mut sql,
            );
        } else {
            if let Some(pair) = first_pair(&q) {
                add(
                    " AND p.id IN (SELECT g.person_id FROM person_grams g WHERE g.gram = ? \
                     AND g.unit_code >= $1 AND g.unit_code < $2)",
                    pair,
                    &mut sql,
                );
            }
            add(
                " AND p.name LIKE ? ESCAPE '\\'",
                format!("%{}%", kernel::text::like_escape(&q)),
                &mut sql,
            );
        }
    }
    if let Some(s) = f.sex.as_deref().and_then(Sex::parse) {
        add(" AND p.sex = ?", s.code().to_string(), &mut sql);
    }
    if let Some(c) = f
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        add(
            " AND EXISTS (SELECT 1 FROM person_categories m WHERE m.person_id = p.id \
             AND m.category_code = ? AND m.status = 'active')",
            c.to_string(),
            &mut sql,
        );
    }
    Ok((sql, binds))
}

/// How many persons of the reader's scope match the filter (the list's "共 N 人").
pub async fn count(db: &Db, cipher: &Cipher, seer: &Seer, f: &Filter) -> AppResult<i64> {
    let (sql, binds) = matching(cipher, seer, f)?;
    let sql = sql.replacen("SELECT p.id FROM", "SELECT COUNT(*) FROM", 1);
    let mut query = sqlx::query_scalar(&sql);
    for Bind::S(s) in binds {
        query = query.bind(s);
    }
    Ok(query.fetch_one(db.pool()).await?)
}

/// Persons of the reader's scope matching the filter; `limit` rows from `offset`. A search
/// (by name, ID or phone) finds a restricted person only for those who see her details.
pub async fn search(
    db: &Db,
    cipher: &Cipher,
    seer: &Seer,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<PersonRow>> {
    let (sql, binds) = matching(cipher, seer, f)?;
    let order = match f.sort.as_deref() {
        Some("birth") => " ORDER BY p.birth_date, p.id",
        Some("newest") => " ORDER BY p.id DESC",
        _ => " ORDER BY p.name, p.id",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM persons p JOIN org_units o ON o.code = p.unit_code \
         WHERE p.id IN ({sql}{order} LIMIT {limit} OFFSET {offset}){order}"
    );
    let mut query = sqlx::query(&sql);
    for Bind::S(s) in binds {
        query = query.bind(s);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(rows.iter().map(|r| PersonRow::from(r, cipher)).collect())
}

/// The first two characters of a name pattern, the key of the name-pair table
/// (`person_grams`, see migration 1007); none for a one-character pattern.
fn first_pair(q: &str) -> Option<String> {
    let pair: String = q.chars().take(2).collect();
    (pair.chars().count() == 2).then_some(pair)
}

fn duplicate_id(e: sqlx::Error) -> AppError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            AppError::Invalid(vec![FieldError::new("id_number", "person.id_duplicate")])
        }
        other => other.into(),
    }
}

/// A person's fields as stored, sensitive ones encrypted and indexed, in the order of
/// [`PERSON_FIELDS`]. Built apart from the writing so that a bulk load can encrypt on one
/// core while the database writes on the other.
#[derive(Clone)]
pub struct Stored {
    values: [Option<String>; 13],
    restricted: i64,
}

const PERSON_FIELDS: [&str; 14] = [
    "county_code",
    "unit_code",
    "hukou_code",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_hash",
    "id_enc",
    "phone_hash",
    "phone_enc",
    "address_enc",
    "notes",
    "restricted",
];

impl Stored {
    pub fn of(p: &ValidPerson, cipher: &Cipher) -> Stored {
        let enc = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(|s| cipher.encrypt(s));
        let id = p.id.as_ref().map(|i| i.as_str());
        Stored {
            values: [
                Some(kernel::org::model::county_of(&p.unit_code).to_string()),
                Some(p.unit_code.clone()),
                Some(p.hukou_code.clone()),
                Some(p.name.clone()),
                Some(p.sex.code().to_string()),
                Some(kernel::time::iso_date(p.birth_date)),
                Some(p.ethnicity.clone()),
                id.map(|i| cipher.index("id", i)),
                enc(id),
                p.phone.as_ref().map(|ph| cipher.index("phone", ph)),
                enc(p.phone.as_deref()),
                enc(Some(p.address.as_str())),
                Some(p.notes.clone()),
            ],
            restricted: i64::from(p.restricted),
        }
    }

    pub fn unit_code(&self) -> &str {
        self.values[1].as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.values[3].as_deref().unwrap_or_default()
    }

    pub fn birth_date(&self) -> &str {
        self.values[5].as_deref().unwrap_or_default()
    }

    /// The keyed hash of the resident ID, if she has one.
    pub fn id_hash(&self) -> Option<&str> {
        self.values[7].as_deref()
    }

    /// Keeps the restriction mark a stored person already has (an import does not lift it).
    pub fn with_restricted(mut self, restricted: bool) -> Stored {
        self.restricted = i64::from(restricted);
        self
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for v in &self.values {
            q = q.bind(v.as_deref());
        }
        q.bind(self.restricted)
    }
}

fn insert_sql(backend: kernel::db::Backend, rows: usize, with_id: bool, returning: bool) -> String {
    format!(
        "INSERT INTO persons ({}{}, created_by, created_at, updated_at) VALUES {}{}",
        if with_id { "id, " } else { "" },
        PERSON_FIELDS.join(", "),
        kernel::db::value_tuples(
            backend,
            rows,
            PERSON_FIELDS.len() + 3 + usize::from(with_id)
        ),
        if returning { " RETURNING id" } else { "" }
    )
}

/// Inserts a person; a resident ID already registered is refused at its field.
pub async fn insert(
    tx: &mut WriteTx,
    cipher: &Cipher,
    p: &ValidPerson,
    created_by: Option<i64>,
) -> AppResult<i64> {
    let now = now_ms();
    let sql = insert_sql(tx.backend(), 1, false, true);
    let row = Stored::of(p, cipher)
        .bind(sqlx::query(&sql))
        .bind(created_by)
        .bind(now)
        .bind(now)
        .fetch_one(&mut ***tx)
        .await
        .map_err(duplicate_id)?;
    let id = row.get(0);
    add_name_pairs(tx, id).await?;
    Ok(id)
}

/// Adds the name pairs (`person_grams`) of the persons just inserted, those from id
/// `since` on. SQLite only: PostgreSQL adds them by a statement trigger, and SQLite keeps
/// them by triggers for every later change. CROSS JOIN keeps the new persons the outer
/// loop (SQLite's planner otherwise walks all of them once per character position). A
/// pair a name repeats is ignored by the insert: a DISTINCT would put every pair in a
/// temporary B-tree first, where the sort for the key order is cheaper.
async fn add_name_pairs(tx: &mut WriteTx, since: i64) -> AppResult<()> {
    if tx.backend() == kernel::db::Backend::Sqlite {
        sqlx::query(
            "INSERT OR IGNORE INTO person_grams (gram, unit_code, person_id) \
             SELECT substr(p.name, k.i, 2), p.unit_code, p.id \
             FROM persons p CROSS JOIN name_positions k ON k.i < length(p.name) \
             WHERE p.id >= $1 AND p.status = 'active' ORDER BY 1, 2, 3",
        )
        .bind(since)
        .execute(&mut ***tx)
        .await?;
    }
    Ok(())
}

/// Persons of one insert statement in bulk.
const ROWS_PER_INSERT: usize = 500;

/// Name pairs of one insert statement in bulk.
const PAIRS_PER_INSERT: usize = 1_000;

/// A name pair of a person inserted in bulk: `(pair, unit number, person id)`.
type NamePair = ((char, char), u32, i64);

/// Persons inserted in bulk within one transaction, in one statement per 500 (import).
/// On SQLite their name pairs are added once for all of them, at [`Bulk::finish`], in key
/// order (PostgreSQL adds them by a statement trigger).
pub struct Bulk {
    /// SQLite: the id the next person inserted gets.
    next_id: Option<i64>,
    /// SQLite: the name pairs of the persons inserted, `(pair, unit, person id)`, the unit
    /// by its number in `units`: a few bytes each instead of two strings (a million
    /// persons give two million pairs).
    pairs: Vec<NamePair>,
    /// SQLite: the units of the persons inserted, by their numbers.
    units: HashMap<String, u32>,
}

impl Bulk {
    pub async fn start(tx: &mut WriteTx) -> AppResult<Bulk> {
        let mut next_id = None;
        // SQLite's writer lock is held: the ids after the largest one ever given (as
        // AUTOINCREMENT would, never one of a person deleted) are free. Rows get theirs
        // from the bulk, so that it knows whose name pairs to add without reading the
        // rows back (and a row skipped for its ID leaves a gap, as a rollback would).
        if tx.backend() == kernel::db::Backend::Sqlite {
            let first = sqlx::query_scalar::<_, i64>(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM persons), 0), \
                 COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'persons'), 0)) + 1",
            )
            .fetch_one(&mut ***tx)
            .await?;
            next_id = Some(first);
        }
        Ok(Bulk {
            next_id,
            pairs: Vec::new(),
            units: HashMap::new(),
        })
    }

    /// Inserts the persons whose resident ID (if any) is not registered yet, and returns
    /// the others, left as they are: their index in `rows` and the person registered with
    /// their ID. The insert itself asks the ID index: a lookup of every ID before it cost
    /// a tenth of a fresh import's database time.
    pub async fn insert(
        &mut self,
        tx: &mut WriteTx,
        rows: &[&Stored],
        created_by: Option<i64>,
    ) -> AppResult<Vec<(usize, Registered)>> {
        let now = now_ms();
        let backend = tx.backend();
        let base = self.next_id;
        // A multi-row insert that may abort halfway makes SQLite copy every page it touches
        // to a statement journal first. The whole transaction is given up on any error
        // anyway, so a failing row may fail the statement instead of undoing it.
        // PostgreSQL says which rows it inserted; SQLite how many.
        let sql = |n: usize| {
            let sql = format!(
                "{} ON CONFLICT (id_hash) DO NOTHING",
                insert_sql(backend, n, base.is_some(), false)
            );
            match backend {
                kernel::db::Backend::Sqlite => {
                    sql.replacen("INSERT INTO", "INSERT OR FAIL INTO", 1)
                }
                kernel::db::Backend::Postgres => format!("{sql} RETURNING id_hash"),
            }
        };
        let chunks: Vec<&[&Stored]> = rows.chunks(ROWS_PER_INSERT).collect();
        let full = sql(ROWS_PER_INSERT);
        let last = sql(chunks.last().map_or(0, |c| c.len()));
        let query = |c: usize| {
            let chunk = chunks[c];
            let sql = if chunk.len() == ROWS_PER_INSERT {
                &full
            } else {
                &last
            };
            let mut q = sqlx::query(sql);
            for (i, p) in chunk.iter().enumerate() {
                if let Some(base) = base {
                    q = q.bind(base + (c * ROWS_PER_INSERT + i) as i64);
                }
                q = p.bind(q).bind(created_by).bind(now).bind(now);
            }
            q
        };
        let mut skipped = Vec::new();
        let mut known = HashMap::new();
        let mut next = (!chunks.is_empty()).then(|| query(0));
        for (c, chunk) in chunks.iter().enumerate() {
            let Some(q) = next.take() else { break };
            // The next statement's values are bound while the database runs this one.
            let following = async { (c + 1 < chunks.len()).then(|| query(c + 1)) };
            let at = c * ROWS_PER_INSERT;
            match base {
                None => {
                    let (rows, following) = tokio::join!(q.fetch_all(&mut ***tx), following);
                    next = following;
                    let inserted: std::collections::HashSet<String> = rows?
                        .iter()
                        .filter_map(|r| r.get::<Option<String>, _>(0))
                        .collect();
                    skipped.extend(chunk.iter().enumerate().filter_map(|(i, p)| {
                        p.id_hash()
                            .filter(|h| !inserted.contains(*h))
                            .map(|_| at + i)
                    }));
                }
                Some(base) => {
                    let (done, following) = tokio::join!(q.execute(&mut ***tx), following);
                    next = following;
                    let all = done?.rows_affected() as usize == chunk.len();
                    // A row whose ID is registered under another id than its own was skipped.
                    let found = if all {
                        HashMap::new()
                    } else {
                        let hashes: Vec<String> = chunk
                            .iter()
                            .filter_map(|p| p.id_hash().map(str::to_string))
                            .collect();
                        by_id_hashes(tx, &hashes).await?
                    };
                    for (i, p) in chunk.iter().enumerate() {
                        let id = base + (at + i) as i64;
                        match p.id_hash().and_then(|h| found.get(h).map(|f| (h, f))) {
                            Some((h, f)) if f.0 != id => {
                                skipped.push(at + i);
                                known.insert(h.to_string(), f.clone());
                            }
                            _ => {
                                let unit = self.unit_number(p.unit_code());
                                self.pairs
                                    .extend(name_pairs(p.name()).map(|pair| (pair, unit, id)));
                            }
                        }
                    }
                }
            }
        }
        if let Some(next) = &mut self.next_id {
            *next += rows.len() as i64;
        }
        let unknown: Vec<String> = skipped
            .iter()
            .filter_map(|&i| rows[i].id_hash().filter(|h| !known.contains_key(*h)))
            .map(str::to_string)
            .collect();
        if !unknown.is_empty() {
            known.extend(by_id_hashes(tx, &unknown).await?);
        }
        skipped
            .into_iter()
            .map(|i| {
                rows[i]
                    .id_hash()
                    .and_then(|h| known.get(h).cloned())
                    .map(|p| (i, p))
                    .ok_or_else(|| anyhow::anyhow!("resident ID skipped but not found").into())
            })
            .collect()
    }

    /// The number of a unit among those of the persons inserted (one string per unit, not
    /// per person).
    fn unit_number(&mut self, unit: &str) -> u32 {
        if let Some(&n) = self.units.get(unit) {
            return n;
        }
        let n = self.units.len() as u32;
        self.units.insert(unit.to_string(), n);
        n
    }

    /// Completes the inserts before the transaction commits: on SQLite, the name pairs of
    /// the persons inserted, in key order (sorted here, they cost SQLite a third of what
    /// reading the new rows back and sorting them did).
    pub async fn finish(mut self, tx: &mut WriteTx) -> AppResult<()> {
        // PostgreSQL's trigger has added them: the bulk kept none.
        if self.pairs.is_empty() {
            return Ok(());
        }
        // Units renumbered in their text's order, so that the pairs sort in key order:
        // characters compare as their UTF-8 text does.
        let mut units: Vec<(&str, u32)> =
            self.units.iter().map(|(u, &n)| (u.as_str(), n)).collect();
        units.sort_unstable();
        let mut rank = vec![0u32; units.len()];
        for (r, &(_, n)) in units.iter().enumerate() {
            rank[n as usize] = r as u32;
        }
        for pair in &mut self.pairs {
            pair.1 = rank[pair.1 as usize];
        }
        self.pairs.sort_unstable();
        self.pairs.dedup();
        let backend = tx.backend();
        let sql = |n: usize| {
            format!(
                "INSERT OR IGNORE INTO person_grams (gram, unit_code, person_id) VALUES {}",
                kernel::db::value_tuples(backend, n, 3)
            )
        };
        let chunks: Vec<&[NamePair]> = self.pairs.chunks(PAIRS_PER_INSERT).collect();
        let full = sql(PAIRS_PER_INSERT);
        let last = sql(chunks.last().map_or(0, |c| c.len()));
        let query = |c: usize| {
            let chunk = chunks[c];
            let mut q = sqlx::query(if chunk.len() == PAIRS_PER_INSERT {
                &full
            } else {
                &last
            });
            for ((a, b), unit, id) in chunk {
                q = q
                    .bind(String::from_iter([*a, *b]))
                    .bind(units[*unit as usize].0)
                    .bind(*id);
            }
            q
        };
        let mut next = Some(query(0));
        for c in 0..chunks.len() {
            let Some(q) = next.take() else { break };
            let following = async { (c + 1 < chunks.len()).then(|| query(c + 1)) };
            let (done, following) = tokio::join!(q.execute(&mut ***tx), following);
            done?;
            next = following;
        }
        Ok(())
    }
}

/// The pairs of adjacent characters of a name, as `substr(name, i, 2)` gives them.
fn name_pairs(name: &str) -> impl Iterator<Item = (char, char)> + '_ {
    name.chars().zip(name.chars().skip(1))
}

/// A person registered already: `(id, unit, version, restricted)`.
pub type Registered = (i64, String, i64, bool);

/// For each resident ID's keyed hash, the person registered with it.
pub(crate) async fn by_id_hashes(
    tx: &mut WriteTx,
    hashes: &[String],
) -> AppResult<HashMap<String, Registered>> {
    let mut out = HashMap::new();
    for chunk in hashes.chunks(500) {
        let sql = format!(
            "SELECT id_hash, id, unit_code, version, restricted FROM persons WHERE id_hash IN {}",
            kernel::db::value_tuples(tx.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for h in chunk {
            q = q.bind(h);
        }
        for r in q.fetch_all(&mut ***tx).await? {
            out.insert(
                r.get(0),
                (r.get(1), r.get(2), r.get(3), r.get::<i64, _>(4) != 0),
            );
        }
    }
    Ok(out)
}

/// Replaces a person's fields if she is still at `version`; false if someone saved first.
pub async fn update(
    tx: &mut WriteTx,
    cipher: &Cipher,
    id: i64,
    version: i64,
    p: &ValidPerson,
) -> AppResult<bool> {
    update_stored(tx, id, version, &Stored::of(p, cipher)).await
}

/// [`update`] with the fields already prepared.
pub async fn update_stored(tx: &mut WriteTx, id: i64, version: i64, p: &Stored) -> AppResult<bool> {
    let sets: Vec<String> = PERSON_FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{f} = ${}", i + 1))
        .collect();
    let n = PERSON_FIELDS.len();
    let sql = format!(
        "UPDATE persons SET {}, updated_at = ${}, version = version + 1 WHERE id = ${} AND version = ${}",
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3
    );
    let done = p
        .bind(sqlx::query(&sql))
        .bind(now_ms())
        .bind(id)
        .bind(version)
        .execute(&mut ***tx)
        .await
        .map_err(duplicate_id)?
        .rows_affected();
    Ok(done == 1)
}

#[cfg(test)]
mod tests {
    use super::name_pairs;

    #[test]
    fn name_pairs_are_adjacent_characters() {
        let pairs = |n: &str| {
            name_pairs(n)
                .map(|(a, b)| String::from_iter([a, b]))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs("王秀英"), ["王秀", "秀英"]);
        assert_eq!(pairs("阿依·买买提"), ["阿依", "依·", "·买", "买买", "买提"]);
        // A repeated pair is given twice; the bulk insert drops the repeat.
        assert_eq!(pairs("娜娜娜"), ["娜娜", "娜娜"]);
        assert!(pairs("英").is_empty());
        assert!(pairs("").is_empty());
    }

    #[test]
    fn pairs_sort_as_their_text_does() {
        // The bulk sorts pairs as characters and inserts them in the key order of their text.
        let names = [
            "王秀英",
            "阿依·买买提",
            "Anna",
            "𠮷田",
            "李·A",
            "a·𠮷",
            "娜娜娜",
            "秀王",
        ];
        let mut chars: Vec<(char, char)> = names.iter().flat_map(|n| name_pairs(n)).collect();
        let mut texts: Vec<String> = chars
            .iter()
            .map(|&(a, b)| String::from_iter([a, b]))
            .collect();
        chars.sort_unstable();
        texts.sort_unstable();
        let sorted: Vec<String> = chars
            .iter()
            .map(|&(a, b)| String::from_iter([a, b]))
            .collect();
        assert_eq!(sorted, texts);
    }
}
