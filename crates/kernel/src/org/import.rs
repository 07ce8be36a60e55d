//! `org import`: loads the statistical division codes shipped inside the binary (or a file
//! of the same shape) into the org tree, atomically.
//!
//! The data file is a gzip of `code<TAB>name` lines sorted by code (2023 codes of the
//! National Bureau of Statistics, 665,276 units). Rows go first into a staging table on a
//! native connection (COPY on PostgreSQL, multi-row INSERTs on SQLite), then one audited
//! transaction upserts them into `org_units`, so a failure leaves the tree as it was.

use std::io::Read;

use anyhow::{bail, Context};
use sqlx::{Connection, Executor};

use super::model::{county_of, territorial_level, territorial_parent, DivisionCode, ROOT_CODE};
use crate::audit::{self, Actor, Entry};
use crate::db::{now_ms, Backend, Db};

/// The division codes compiled into the binary.
pub static EMBEDDED: &[u8] = include_bytes!("../../data/divisions.tsv.gz");

/// One division: code and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub name: String,
}

/// Which part of the country to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    All,
    Province(String),
    County(String),
}

impl Selection {
    fn prefix(&self) -> &str {
        match self {
            Selection::All => "",
            Selection::Province(c) | Selection::County(c) => c,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Units in the selection (ancestors included).
    pub units: usize,
    /// Units that were new to the database.
    pub added: i64,
}

/// Reads and checks a division file: every line `code<TAB>name`, codes well formed and
/// strictly increasing, every parent present.
pub fn parse(gz: &[u8]) -> anyhow::Result<Vec<Division>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .context("区划数据文件已损坏或不是 gzip 压缩的文本")?;
    let mut out: Vec<Division> = Vec::with_capacity(text.len() / 30);
    // Only units above village level can be parents.
    let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
    known.insert(ROOT_CODE.to_string());
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let (code, name) = line
            .split_once('\t')
            .with_context(|| format!("区划数据第 {n} 行格式错误: 应为“代码<TAB>名称”"))?;
        DivisionCode::parse(code)
            .ok()
            .filter(|c| c.as_str() == code)
            .with_context(|| format!("区划数据第 {n} 行的代码 {code:?} 无效"))?;
        if name.trim().is_empty() {
            bail!("区划数据第 {n} 行缺少名称");
        }
        if let Some(prev) = out.last() {
            if prev.code.as_str() >= code {
                bail!("区划数据第 {n} 行未按代码排序或代码重复");
            }
        }
        let parent = territorial_parent(code).unwrap_or(ROOT_CODE);
        if !known.contains(parent) {
            bail!("区划数据第 {n} 行的上级单位 {parent} 不存在");
        }
        out.push(Division {
            code: code.to_string(),
            name: name.trim().to_string(),
        });
        if code.len() < 12 {
            known.insert(code.to_string());
        }
    }
    if out.is_empty() {
        bail!("区划数据文件为空");
    }
    Ok(out)
}

/// Picks the selection's units and their ancestors; an unknown code is an error.
pub fn select<'a>(all: &'a [Division], sel: &Selection) -> anyhow::Result<Vec<&'a Division>> {
    let prefix = sel.prefix();
    match sel {
        Selection::Province(c) if c.len() != 2 => bail!("省级区划代码应为 2 位数字: {c}"),
        Selection::County(c) if c.len() != 6 => bail!("县级区划代码应为 6 位数字: {c}"),
        _ => {}
    }
    if !prefix.is_empty()
        && all
            .binary_search_by(|d| d.code.as_str().cmp(prefix))
            .is_err()
    {
        bail!("区划代码 {prefix} 不存在于 2023 年统计用区划代码中");
    }
    let ancestors: Vec<&str> = (1..prefix.len())
        .map(|l| &prefix[..l])
        .filter(|p| territorial_level(p).is_some())
        .collect();
    Ok(all
        .iter()
        .filter(|d| d.code.starts_with(prefix) || ancestors.contains(&d.code.as_str()))
        .collect())
}

/// Imports a selection into the database and audits it; safe to run again.
pub async fn import(
    db: &Db,
    divisions: &[Division],
    sel: &Selection,
    actor: &Actor,
) -> anyhow::Result<Report> {
    let rows = select(divisions, sel)?;
    let batch = format!("{:016x}", rand::random::<u64>());
    let t = std::time::Instant::now();
    stage(db, &batch, &rows).await.context("写入暂存表失败")?;
    tracing::info!(
        rows = rows.len(),
        secs = t.elapsed().as_secs_f64(),
        "org import staged"
    );
    let t = std::time::Instant::now();
    let result = apply(db, &batch, rows.len(), sel, actor).await;
    tracing::info!(secs = t.elapsed().as_secs_f64(), "org import applied");
    // Staging rows are scratch whatever happened.
    let _ = sqlx::query("DELETE FROM org_import_staging WHERE batch = $1")
        .bind(&batch)
        .execute(db.pool())
        .await;
    result
}

async fn apply(
    db: &Db,
    batch: &str,
    units: usize,
    sel: &Selection,
    actor: &Actor,
) -> anyhow::Result<Report> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let root_name = "全国";
    sqlx::query(
        "INSERT INTO org_units (code, name, level, kind, parent_code, county_code, updated_at) \
         VALUES ($1, $2, 0, 'territorial', NULL, '', $3) ON CONFLICT (code) DO NOTHING",
    )
    .bind(ROOT_CODE)
    .bind(root_name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO org_units (code, name, level, kind, parent_code, county_code, updated_at) \
         SELECT code, name, level, 'territorial', parent_code, county_code, $2 \
         FROM org_import_staging WHERE batch = $1 ORDER BY code \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at \
         WHERE org_units.name <> excluded.name",
    )
    .bind(batch)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(&mut **tx)
        .await?;
    let scope = match sel {
        Selection::All => ROOT_CODE.to_string(),
        Selection::Province(c) | Selection::County(c) => c.clone(),
    };
    let report = Report {
        units,
        added: after - before,
    };
    audit::append(
        &mut tx,
        Entry::new(actor, "org.import", &scope, &scope).detail(serde_json::json!({
            "units": units, "added": report.added,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// Writes the rows into the staging table over a native connection, as fast as the
/// engine allows.
async fn stage(db: &Db, batch: &str, rows: &[&Division]) -> anyhow::Result<()> {
    match db.backend() {
        Backend::Sqlite => {
            let _writer = db.exclusive().await;
            let opts: sqlx::sqlite::SqliteConnectOptions = db.url().parse()?;
            let mut conn = sqlx::SqliteConnection::connect_with(
                &opts.busy_timeout(std::time::Duration::from_secs(10)),
            )
            .await?;
            let mut tx = conn.begin().await?;
            const CHUNK: usize = 500;
            for chunk in rows.chunks(CHUNK) {
                let mut sql = String::from(
                    "INSERT INTO org_import_staging \
                     (batch, code, name, level, parent_code, county_code) VALUES ",
                );
                // Positional `?` parameters: SQLite looks up named ones (`$n`) by a linear
                // scan, which makes a 2,500-parameter statement quadratic. The batch id is
                // our own hex string, safe to inline.
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!("('{batch}',?,?,?,?,?)"));
                }
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q
                        .bind(d.code.as_str())
                        .bind(d.name.as_str())
                        .bind(territorial_level(&d.code).unwrap_or(0))
                        .bind(territorial_parent(&d.code))
                        .bind(county_of(&d.code));
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            conn.close().await?;
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(db.url()).await?;
            let mut copy = conn
                .copy_in_raw(
                    "COPY org_import_staging (batch, code, name, level, parent_code, county_code) \
                     FROM STDIN",
                )
                .await?;
            let mut buf = String::with_capacity(1 << 20);
            for d in rows {
                let parent = territorial_parent(&d.code).unwrap_or(ROOT_CODE);
                buf.push_str(&format!(
                    "{batch}\t{}\t{}\t{}\t{parent}\t{}\n",
                    d.code,
                    copy_escape(&d.name),
                    territorial_level(&d.code).unwrap_or(0),
                    county_of(&d.code)
                ));
                if buf.len() > (1 << 20) {
                    copy.send(buf.as_bytes()).await?;
                    buf.clear();
                }
            }
            copy.send(buf.as_bytes()).await?;
            copy.finish().await?;
            conn.execute("ANALYZE org_import_staging").await?;
            conn.close().await?;
        }
    }
    Ok(())
}

/// Escapes a value for PostgreSQL's COPY text format.
fn copy_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn embedded_data_is_complete() {
        let all = parse(EMBEDDED).unwrap();
        assert_eq!(all.len(), 665_276);
        let county = select(&all, &Selection::County("430523".into())).unwrap();
        assert_eq!(county[0].code, "43");
        assert_eq!(county[2].name, "邵阳县");
        assert_eq!(county.len(), 3 + 23 + 436);
    }

    #[test]
    fn refuses_bad_files() {
        assert!(parse(b"not gzip").is_err());
        assert!(parse(&gz("43\t湖南省\n4305\n")).is_err());
        let e = parse(&gz("43\t湖南省\n430523\t邵阳县\n")).unwrap_err();
        assert!(e.to_string().contains("上级单位 4305"), "{e}");
        let e = parse(&gz("43\t湖南省\n11\t北京市\n")).unwrap_err();
        assert!(e.to_string().contains("排序"), "{e}");
    }

    #[test]
    fn refuses_unknown_selection() {
        let all = parse(&gz("43\t湖南省\n4305\t邵阳市\n430523\t邵阳县\n")).unwrap();
        assert!(select(&all, &Selection::County("430599".into())).is_err());
        assert!(select(&all, &Selection::County("4305".into())).is_err());
        assert_eq!(select(&all, &Selection::All).unwrap().len(), 3);
    }
}
