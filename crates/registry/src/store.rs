//! SQL of the registry. Every read takes the request's scope and filters on the residence
//! unit's code range.

use std::collections::HashMap;

use kernel::crypto::Cipher;
use kernel::db::{now_ms, Db, WriteTx};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::idcard::Sex;
use kernel::scope::Scope;
use sqlx::Row;

use crate::person::{masked, Person, Revealed, ValidPerson};

const COLUMNS: &str = "p.id, p.unit_code, o.name, p.hukou_code, p.name, p.sex, p.birth_date, \
    p.ethnicity, p.id_enc, p.phone_enc, p.address_enc, p.notes, p.restricted, p.version, \
    p.created_at, p.updated_at";

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

/// Persons of the scope matching the filter; `limit` rows from `offset`.
pub async fn search(
    db: &Db,
    cipher: &Cipher,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<PersonRow>> {
    let (lo, hi) = match f.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if scope.contains(u) => kernel::org::model::subtree_range(u),
        Some(_) => return Err(AppError::NotFound),
        None => (scope.lo().to_string(), scope.hi().to_string()),
    };
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
        let today = chrono::Utc::now()
            .with_timezone(&kernel::time::china())
            .date_naive();
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
                Some(p.birth_date.format("%Y-%m-%d").to_string()),
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
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for v in &self.values {
            q = q.bind(v.clone());
        }
        q.bind(self.restricted)
    }
}

fn insert_sql(backend: kernel::db::Backend, rows: usize, returning: bool) -> String {
    format!(
        "INSERT INTO persons ({}, created_by, created_at, updated_at) VALUES {}{}",
        PERSON_FIELDS.join(", "),
        kernel::db::value_tuples(backend, rows, PERSON_FIELDS.len() + 3),
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
    let sql = insert_sql(tx.backend(), 1, true);
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

/// Persons inserted in bulk within one transaction, in one statement per 500 (import).
/// On SQLite their name pairs are added once for all of them, at [`Bulk::finish`], in key
/// order (PostgreSQL adds them by a statement trigger).
pub struct Bulk {
    /// SQLite: the first id of the persons inserted since [`Bulk::start`].
    since: Option<i64>,
}

impl Bulk {
    pub async fn start(tx: &mut WriteTx) -> AppResult<Bulk> {
        let mut since = None;
        // SQLite's writer lock is held: the new rows are those after the largest id.
        if tx.backend() == kernel::db::Backend::Sqlite {
            since = Some(
                sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) + 1 FROM persons")
                    .fetch_one(&mut ***tx)
                    .await?,
            );
        }
        Ok(Bulk { since })
    }

    /// Inserts the persons whose resident ID (if any) is not registered yet, and returns
    /// the others, left as they are: their index in `rows` and the person registered with
    /// their ID. The insert itself asks the ID index: a lookup of every ID before it cost
    /// a tenth of a fresh import's database time.
    pub async fn insert(
        &self,
        tx: &mut WriteTx,
        rows: &[&Stored],
        created_by: Option<i64>,
    ) -> AppResult<Vec<(usize, Registered)>> {
        let now = now_ms();
        let backend = tx.backend();
        // A multi-row insert that may abort halfway makes SQLite copy every page it touches
        // to a statement journal first. The whole transaction is given up on any error
        // anyway, so a failing row may fail the statement instead of undoing it.
        // PostgreSQL says which rows it inserted; SQLite how many.
        let sql = |n: usize| {
            let sql = format!(
                "{} ON CONFLICT (id_hash) DO NOTHING",
                insert_sql(backend, n, false)
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
        let query = |chunk: &[&Stored]| {
            let sql = if chunk.len() == ROWS_PER_INSERT {
                &full
            } else {
                &last
            };
            let mut q = sqlx::query(sql);
            for p in chunk {
                q = p.bind(q).bind(created_by).bind(now).bind(now);
            }
            q
        };
        let mut skipped = Vec::new();
        let mut known = HashMap::new();
        let mut next = chunks.first().map(|c| query(c));
        for (c, chunk) in chunks.iter().enumerate() {
            let Some(q) = next.take() else { break };
            // The next statement's values are bound while the database runs this one.
            let following = async { chunks.get(c + 1).map(|c| query(c)) };
            let inserted: std::collections::HashSet<String> = match backend {
                kernel::db::Backend::Postgres => {
                    let (rows, following) = tokio::join!(q.fetch_all(&mut ***tx), following);
                    next = following;
                    rows?
                        .iter()
                        .filter_map(|r| r.get::<Option<String>, _>(0))
                        .collect()
                }
                kernel::db::Backend::Sqlite => {
                    let (done, following) = tokio::join!(q.execute(&mut ***tx), following);
                    next = following;
                    if done?.rows_affected() as usize == chunk.len() {
                        continue;
                    }
                    // The chunk's IDs registered before this bulk began were skipped.
                    let hashes: Vec<String> = chunk
                        .iter()
                        .filter_map(|p| p.id_hash().map(str::to_string))
                        .collect();
                    let since = self.since.unwrap_or(i64::MAX);
                    let (new, old): (HashMap<_, _>, HashMap<_, _>) = by_id_hashes(tx, &hashes)
                        .await?
                        .into_iter()
                        .partition(|(_, found)| found.0 >= since);
                    known.extend(old);
                    new.into_keys().collect()
                }
            };
            skipped.extend(chunk.iter().enumerate().filter_map(|(i, p)| {
                p.id_hash()
                    .filter(|h| !inserted.contains(*h))
                    .map(|_| c * ROWS_PER_INSERT + i)
            }));
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
                    .and_then(|h| known.remove(h))
                    .map(|p| (i, p))
                    .ok_or_else(|| anyhow::anyhow!("resident ID skipped but not found").into())
            })
            .collect()
    }

    /// Completes the inserts before the transaction commits.
    pub async fn finish(self, tx: &mut WriteTx) -> AppResult<()> {
        if let Some(since) = self.since {
            add_name_pairs(tx, since).await?;
        }
        Ok(())
    }
}

/// A person registered already: `(id, unit, version, restricted)`.
pub type Registered = (i64, String, i64, bool);

/// For each resident ID's keyed hash, the person registered with it.
async fn by_id_hashes(
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
