//! `jinguo bench registry`: the registry's figures on this machine — an .xlsx of persons
//! imported by the real import job, then two-character name searches and a filtered,
//! paged list over everyone imported, timed through the same store functions the pages use.

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use kernel::audit::Actor;
use kernel::org::import::{self, Selection};
use kernel::scope::Scope;

use crate::cli::{open, Global};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
/// Common given names are a first and a second character from these lists: 100 names,
/// given to half the people, so each is shared by about 0.5% (like 秀英, ~5,000 in a
/// million); the other half get rarer names from a wider pool.
const COMMON_FIRST: &[&str] = &["秀", "桂", "玉", "丽", "红", "春", "海", "美", "雪", "金"];
const COMMON_SECOND: &[&str] = &["英", "兰", "梅", "娟", "花", "燕", "玲", "华", "凤", "珍"];
const RARE: &[&str] = &[
    "思", "雨", "欣", "怡", "佳", "静", "婉", "宁", "晨", "曦", "悦", "琳", "瑶", "菲", "蓉", "萍",
    "芳", "敏", "慧", "颖", "洁", "倩", "璐", "娜", "薇", "蕾", "莉", "婕", "琪", "瑾", "岚", "霞",
    "虹", "月", "星", "云", "冰", "清", "秋", "冬", "夏", "露", "珊", "琴", "笛", "诗", "书", "文",
    "艺", "彤", "妍", "姝", "婷", "嫣", "媛", "妮", "姣", "娇", "翠", "艳",
];

pub(crate) fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

pub async fn run(g: &Global, rows: u32, tmp: &std::path::Path) -> anyhow::Result<()> {
    let url = match &g.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}?mode=rwc", tmp.join("jinguo.db").display()),
    };
    println!(
        "== jinguo bench registry ({:?}, {rows} rows) ==",
        kernel::db::backend_of(&url)?
    );
    let db = open(&url).await?;
    let divisions = import::parse(import::EMBEDDED)?;
    import::import(
        &db,
        &divisions,
        &Selection::County("430523".into()),
        &Actor::cli(),
    )
    .await?;
    let villages: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE code LIKE '430523%' AND level = 5 ORDER BY code",
    )
    .fetch_all(db.pool())
    .await?;
    let input = kernel::accounts::NewAccount {
        username: "benchreg".into(),
        display_name: "基准".into(),
        unit_code: "430523".into(),
        role: "county_admin".into(),
        phone: String::new(),
    };
    let (uid, _) = kernel::accounts::add_from_cli(&db, &input, Some("Load2026xq")).await?;

    // The sheet: unique valid IDs, names from common characters, villages round robin.
    let t = Instant::now();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "民族", "手机号码", "居住地代码"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h)?;
    }
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).context("date")?;
    let mut rng: u64 = 42;
    let mut next = move |m: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % m
    };
    for i in 0..rows {
        // Day and sequence make every number unique: 30,000 days x 500 sequences.
        let birth = base + chrono::Days::new(u64::from(i % 30_000));
        let seq = ((i / 30_000) % 500) as u16 * 2;
        let village = &villages[i as usize % villages.len()];
        let id = kernel::idcard::ResidentId::compose(&village[..6], birth, seq).context("id")?;
        let r = i + 1;
        let surname = SURNAMES[next(SURNAMES.len() as u64) as usize];
        let name = if next(2) == 0 {
            format!(
                "{surname}{}{}",
                COMMON_FIRST[next(10) as usize],
                COMMON_SECOND[next(10) as usize]
            )
        } else {
            format!(
                "{surname}{}{}",
                RARE[next(RARE.len() as u64) as usize],
                RARE[next(RARE.len() as u64) as usize]
            )
        };
        ws.write_string(r, 0, &name)?;
        ws.write_string(r, 1, id.as_str())?;
        ws.write_string(r, 2, "汉族")?;
        ws.write_string(r, 3, format!("13{}{:08}", 5 + next(5), i))?;
        ws.write_string(r, 4, village)?;
    }
    let path = tmp.join("persons.xlsx");
    wb.save(&path)?;
    // The workbook in memory (a gigabyte and more) is not the import's.
    drop(wb);
    println!(
        "sheet of {rows} rows written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let settings = kernel::Settings {
        data_dir: tmp.to_path_buf(),
        ..kernel::Settings::default()
    };
    let state = jinguo::state(db.clone(), settings)?;
    let id = registry::import::job::create(
        &state,
        &registry::import::job::NewJob {
            unit_code: "430523",
            user_id: uid,
            username: "benchreg",
            file_name: "persons.xlsx",
            file_path: &path.to_string_lossy(),
            mode: "valid_rows",
            category: "",
        },
    )
    .await?;
    let t = Instant::now();
    registry::import::job::run(&state, id).await?;
    let secs = t.elapsed().as_secs_f64();
    let (inserted, failed): (i64, i64) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT inserted, failed FROM import_jobs WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
        (r.get(0), r.get(1))
    };
    println!("import of {rows} rows (read, validate, write): {secs:.1} s, {:.0} rows/s; {inserted} added, {failed} failed", f64::from(rows) / secs);

    let scope = Scope::of_unit("430523");
    let seer = registry::access::Seer::new(scope.clone(), kernel::auth::Role::CountyAdmin);
    let mut times = Vec::new();
    let mut hits = 0;
    for i in 0..200 {
        // Common names (the most rows to sort) and rare ones (the most to pass over).
        let q = if i % 2 == 0 {
            format!("{}{}", COMMON_FIRST[i / 2 % 10], COMMON_SECOND[i / 20 % 10])
        } else {
            format!("{}{}", RARE[i % RARE.len()], RARE[(i / 7) % RARE.len()])
        };
        let f = registry::store::Filter {
            q: Some(q),
            ..Default::default()
        };
        let t = Instant::now();
        hits += registry::store::search(&db, &state.cipher, &seer, &f, 50, 0)
            .await?
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "two-character name search, county scope, first page of 50 ({hits} rows returned in 200 searches): p50 {:.1} ms, p95 {:.1} ms",
        percentile(times.clone(), 0.5),
        percentile(times, 0.95)
    );
    let mut times = Vec::new();
    for i in 0..200 {
        let village = &villages[(i * 7) % villages.len()];
        let f = registry::store::Filter {
            unit: Some(village[..9].to_string()),
            sex: Some("F".into()),
            sort: Some("name".into()),
            ..Default::default()
        };
        let t = Instant::now();
        registry::store::search(&db, &state.cipher, &seer, &f, 50, 100).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "filtered paged list (township, female, by name, page 3 of 50): p50 {:.1} ms, p95 {:.1} ms",
        percentile(times.clone(), 0.5),
        percentile(times, 0.95)
    );
    let ctx = kernel::auth::Ctx {
        p: kernel::auth::session::Principal {
            user_id: uid,
            username: "benchreg".into(),
            display_name: "基准".into(),
            unit_code: "430523".into(),
            unit_name: String::new(),
            role: kernel::auth::roles::Role::parse("county_admin").context("role")?,
            lang: kernel::i18n::Lang::Zh,
            must_change_password: false,
            csrf: None,
            session: None,
        },
        scope: scope.clone(),
        tr: kernel::i18n::Tr::new(kernel::i18n::Lang::Zh),
        ip: String::new(),
    };
    // What every list and home page adds since the lists say their totals and the homes
    // start with their tasks: the count of a whole county's list, of a name search, and
    // the registry's home tasks (pairings due, persons registered this month).
    for (what, f) in [
        (
            "list total, county scope, no filter",
            registry::store::Filter::default(),
        ),
        (
            "list total, two-character name search, county scope",
            registry::store::Filter {
                q: Some(format!("{}{}", COMMON_FIRST[0], COMMON_SECOND[0])),
                ..Default::default()
            },
        ),
    ] {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..20 {
            let t = Instant::now();
            n = registry::store::count(&db, &state.cipher, &seer, &f).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "{what} ({n}): p50 {:.1} ms, p95 {:.1} ms",
            percentile(times.clone(), 0.5),
            percentile(times, 0.95)
        );
    }
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        registry::tasks::tasks(&state, &ctx).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "home page tasks of the registry, county scope: p50 {:.1} ms, p95 {:.1} ms",
        percentile(times.clone(), 0.5),
        percentile(times, 0.95)
    );
    // A village's count among a million registered this month elsewhere.
    let village = Scope::of_unit(&villages[villages.len() / 2]);
    let month = kernel::time::day_start_ms(
        chrono::Datelike::with_day(&kernel::time::today(), 1).context("month")?,
    );
    let mut times = Vec::new();
    let mut n = (0, false);
    for _ in 0..20 {
        let t = Instant::now();
        n = registry::tasks::registered_since(
            &db,
            &village,
            month,
            registry::tasks::REGISTERED_COUNTED,
        )
        .await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "registered this month, one village ({}): p50 {:.1} ms, p95 {:.1} ms",
        n.0,
        percentile(times.clone(), 0.5),
        percentile(times, 0.95)
    );
    let t = Instant::now();
    let found = registry::duplicate::service::find(&state, &ctx, 50)
        .await?
        .len();
    println!(
        "likely duplicates, county scope, first 50 ({found} found): {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    db.close().await;
    Ok(())
}
