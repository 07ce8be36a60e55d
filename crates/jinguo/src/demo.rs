//! `jinguo demo`: a working Jinguo for a real county in one command: its whole org tree,
//! demo accounts at county, township and village level, then the server.

use anyhow::Context;
use kernel::accounts::{self, NewAccount};
use kernel::audit::Actor;
use kernel::db::Backend;
use kernel::org::import::{self, Selection};
use kernel::Db;

use crate::cli::{database_url, open, DemoArgs, Global};

/// The password of every demo account (demo data only; printed at start).
pub const DEMO_PASSWORD: &str = "Jinguo2026";

const MARKER: &str = "demo_county";

pub async fn run(g: &Global, args: DemoArgs) -> anyhow::Result<()> {
    let county = args.county.trim().to_string();
    let divisions = import::parse(import::EMBEDDED)?;
    let units = import::select(&divisions, &Selection::County(county.clone()))?;
    let county_name = units
        .iter()
        .find(|d| d.code == county)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let township = units
        .iter()
        .find(|d| d.code.len() == 9)
        .context("该县没有乡镇级单位")?;
    let village = units
        .iter()
        .find(|d| d.code.len() == 12 && d.code.starts_with(&township.code))
        .context("该乡镇没有村级单位")?;
    let (url, dir) = database_url(g, "./jinguo-demo")?;
    let db = prepare(&url, &dir).await?;
    let report = import::import(
        &db,
        &divisions,
        &Selection::County(county.clone()),
        &Actor::cli(),
    )
    .await?;
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(MARKER)
        .execute(db.pool())
        .await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
        .bind(MARKER)
        .bind(&county)
        .execute(db.pool())
        .await?;
    let accounts = [
        (
            "admin",
            "系统管理员",
            kernel::org::model::ROOT_CODE,
            "sys_admin",
        ),
        ("county", "县妇联管理员", county.as_str(), "county_admin"),
        ("hotline", "维权专干", county.as_str(), "rights_officer"),
        ("leader", "县妇联领导", county.as_str(), "leader"),
        (
            "town",
            "乡镇妇联主席",
            township.code.as_str(),
            "township_chair",
        ),
        (
            "village",
            "村妇联主席",
            village.code.as_str(),
            "village_chair",
        ),
    ];
    for (username, name, unit, role) in accounts {
        ensure_account(&db, username, name, unit, role).await?;
    }
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons")
        .fetch_one(db.pool())
        .await?;
    if existing == 0 {
        let villages: Vec<String> = units
            .iter()
            .filter(|d| d.code.len() == 12 && d.code.starts_with(&township.code))
            .map(|d| d.code.clone())
            .collect();
        let cipher = kernel::crypto::Cipher::load(&dir)?;
        let n = registry::demo::seed(&db, &cipher, &villages, 200).await?;
        println!(
            "演示人员: {n} 人（虚构），居住在{}的各村(社区)",
            township.name
        );
    }
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(db.pool())
        .await?;
    if cases == 0 {
        let cipher = kernel::crypto::Cipher::load(&dir)?;
        let hotline: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'hotline'")
            .fetch_one(db.pool())
            .await?;
        let units = [county.clone(), township.code.clone()];
        let n = cases::demo::seed(&db, &cipher, &county, &units, hotline, 24).await?;
        println!(
            "演示案件: {n} 件（虚构），县妇联和{}各有一部分",
            township.name
        );
    }
    println!(
        "演示数据已就绪: {county_name} ({county})，共 {} 个单位",
        report.units
    );
    println!("数据库: {}", kernel::db::redact(&url));
    println!("演示账号（密码均为 {DEMO_PASSWORD}）:");
    for (username, name, unit, _) in accounts {
        let unit_name = units
            .iter()
            .find(|d| d.code == unit)
            .map(|d| d.name.as_str())
            .unwrap_or("全国");
        println!("  {username:<8} {name}  @ {unit_name} ({unit})");
    }
    if args.no_serve {
        db.close().await;
        return Ok(());
    }
    crate::serve::serve(db, args.serve.settings(dir), &args.serve.listen).await
}

/// Opens the demo database, starting afresh on SQLite; refuses to touch a database that
/// holds anything but a demo.
async fn prepare(url: &str, dir: &std::path::Path) -> anyhow::Result<Db> {
    let backend = kernel::db::backend_of(url)?;
    let file = dir.join("jinguo.db");
    if backend == Backend::Sqlite && file.exists() {
        let db = Db::connect(url).await?;
        let demo = is_demo_or_empty(&db).await;
        db.close().await;
        if !demo {
            anyhow::bail!(
                "{} 中已有非演示数据，演示不会覆盖它；请用 --data-dir 指定另一个目录",
                file.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let f = dir.join(format!("jinguo.db{suffix}"));
            if f.exists() {
                std::fs::remove_file(&f).with_context(|| format!("无法删除 {}", f.display()))?;
            }
        }
    }
    let db = open(url).await?;
    if !is_demo_or_empty(&db).await {
        anyhow::bail!("该数据库中已有非演示数据，演示不会覆盖它");
    }
    Ok(db)
}

async fn is_demo_or_empty(db: &Db) -> bool {
    let marked: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(MARKER)
        .fetch_optional(db.pool())
        .await
        .ok()
        .flatten();
    if marked.is_some() {
        return true;
    }
    // A database without our tables, or without accounts, holds nothing to lose.
    match sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await
    {
        Ok(n) => n == 0,
        Err(_) => true,
    }
}

async fn ensure_account(
    db: &Db,
    username: &str,
    name: &str,
    unit: &str,
    role: &str,
) -> anyhow::Result<()> {
    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(db.pool())
        .await?;
    if exists > 0 {
        accounts::admin_from_cli(db, username, Some(DEMO_PASSWORD), Some(false)).await?;
    } else {
        let input = NewAccount {
            username: username.into(),
            display_name: name.into(),
            unit_code: unit.into(),
            role: role.into(),
            phone: String::new(),
        };
        accounts::add_from_cli(db, &input, Some(DEMO_PASSWORD)).await?;
    }
    // Demo accounts skip the first-login change so that a visitor can look around at once.
    sqlx::query("UPDATE users SET must_change_password = 0 WHERE username = $1")
        .bind(username)
        .execute(db.pool())
        .await?;
    Ok(())
}
