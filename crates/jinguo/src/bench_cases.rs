//! `jinguo bench cases`: the cases' figures on this machine. The real router serves on a
//! local port; 50 clients register cases through the API; the table is then filled to the
//! asked size (a year of cases at every stage, with their history) and the county's
//! open-case list and figures page are timed through HTTP, as a browser would ask them.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate};
use kernel::audit::Actor;
use kernel::db::{value_tuples, Backend, Db};
use kernel::org::import::{self, Selection};

use crate::bench_registry::percentile;
use crate::cli::{open, Global};

const COUNTY: &str = "430523";
const TYPES: &[&str] = &[
    "domestic_violence",
    "marriage",
    "marriage",
    "support",
    "support",
    "inheritance",
    "abandonment",
    "marriage_freedom",
    "land",
    "land",
    "labour",
    "sexual",
    "trafficking",
    "other",
    "other",
];
const CHANNELS: &[&str] = &[
    "visit", "letter", "phone", "hotline", "hotline", "online", "referral", "station",
];
const NAMES: &[&str] = &[
    "王秀英",
    "李桂兰",
    "张丽娟",
    "刘春花",
    "陈美玲",
    "杨海燕",
    "黄雪梅",
    "赵红梅",
    "周玉兰",
    "吴桂英",
];

pub async fn run(
    g: &Global,
    total: u32,
    clients: usize,
    tmp: &std::path::Path,
) -> anyhow::Result<()> {
    let url = match &g.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}?mode=rwc", tmp.join("jinguo.db").display()),
    };
    println!(
        "== jinguo bench cases ({:?}, {total} cases) ==",
        kernel::db::backend_of(&url)?
    );
    let db = open(&url).await?;
    let divisions = import::parse(import::EMBEDDED)?;
    import::import(
        &db,
        &divisions,
        &Selection::County(COUNTY.into()),
        &Actor::cli(),
    )
    .await?;
    let input = kernel::accounts::NewAccount {
        username: "benchcase".into(),
        display_name: "基准".into(),
        unit_code: COUNTY.into(),
        role: "county_admin".into(),
        phone: String::new(),
    };
    let (uid, _) = kernel::accounts::add_from_cli(&db, &input, Some("Load2026xq")).await?;
    let mut tx = db.begin_write().await?;
    let (_, token) = kernel::auth::tokens::create(&mut tx, uid, "bench", 30).await?;
    tx.commit().await?;
    let townships: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE code LIKE '430523%' AND level = 4 ORDER BY code",
    )
    .fetch_all(db.pool())
    .await?;
    let villages: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE code LIKE '430523%' AND level = 5 ORDER BY code",
    )
    .fetch_all(db.pool())
    .await?;

    let settings = kernel::Settings {
        data_dir: tmp.to_path_buf(),
        ..kernel::Settings::default()
    };
    let state = jinguo::state(db.clone(), settings)?;
    let app = jinguo::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let auth = format!("Bearer {token}");

    // 1. Intake through the API, 50 clients at once.
    let per_client = (total as usize / 20 / clients).clamp(20, 200);
    let today = kernel::time::today();
    let begin = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let url = format!("{base}/api/v1/cases");
        let auth = auth.clone();
        let townships = townships.clone();
        let villages = villages.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let n = c * per_client + i;
                let mut complainant = serde_json::json!({"role": "complainant", "name": NAMES[n % NAMES.len()]});
                // One in four gives her resident ID: found in, or registered into, the registry.
                if n.is_multiple_of(4) {
                    complainant["id_number"] = resident_id(n as u32 / 4 % 1000, n as u32 / 4000).into();
                    complainant["unit_code"] = villages[n % villages.len()].clone().into();
                }
                let body = serde_json::json!({
                    "channel": CHANNELS[n % CHANNELS.len()],
                    "type": TYPES[n % TYPES.len()],
                    "unit_code": townships[n % townships.len()],
                    "summary": "反映家庭矛盾，要求妇联协调处理。",
                    "parties": [complainant, {"role": "respondent", "name": "周强", "relation": "丈夫"}],
                });
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .header("authorization", &auth)
                    .json(&body)
                    .send()
                    .await?;
                let status = r.status();
                let text = r.text().await?;
                if status != reqwest::StatusCode::CREATED {
                    anyhow::bail!("登记案件失败: {status} {text}");
                }
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let secs = begin.elapsed().as_secs_f64();
    let made = lat.len();
    println!(
        "case creation through the API, {clients} clients: {made} cases in {secs:.2} s, {:.0} cases/s, p50 {:.1} ms, p95 {:.1} ms",
        made as f64 / secs,
        percentile(lat.clone(), 0.50),
        percentile(lat, 0.95)
    );

    // 2. A year of cases at every stage.
    let t = Instant::now();
    let filled = fill(&db, total as usize - made, &townships, &villages, today).await?;
    println!(
        "filled to {} cases (with {} history rows) in {:.1} s",
        made + filled.0,
        filled.1,
        t.elapsed().as_secs_f64()
    );
    if db.backend() == Backend::Postgres {
        sqlx::query("VACUUM ANALYZE").execute(db.pool()).await?;
    } else {
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }

    // 3. The county's open-case list with filters.
    let filters: Vec<String> = (0..200)
        .map(|i| {
            let mut q = String::from("status=open");
            match i % 5 {
                0 => {}
                1 => q.push_str(&format!("&type={}", TYPES[i % TYPES.len()])),
                2 => q.push_str("&due=overdue&sort=due"),
                3 => q.push_str(&format!(
                    "&channel={}&due=soon",
                    CHANNELS[i % CHANNELS.len()]
                )),
                _ => q.push_str(&format!("&unit={}&page=2", townships[i % townships.len()])),
            }
            q
        })
        .collect();
    let mut lat = Vec::new();
    let mut by_kind: Vec<Vec<f64>> = vec![Vec::new(); 5];
    let mut rows = 0;
    for (i, q) in filters.iter().enumerate() {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/api/v1/cases?{q}"))
            .header("authorization", &auth)
            .send()
            .await?;
        let v: serde_json::Value = r.json().await.context("list")?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        by_kind[i % 5].push(t.elapsed().as_secs_f64() * 1000.0);
        rows += v.as_array().map(|a| a.len()).unwrap_or(0);
    }
    let kinds = [
        "open",
        "type",
        "overdue by due",
        "channel soon",
        "township page 2",
    ];
    println!(
        "county open-case list with filters, first pages of 100 ({rows} rows in {} requests): p50 {:.1} ms, p95 {:.1} ms",
        filters.len(),
        percentile(lat.clone(), 0.50),
        percentile(lat, 0.95)
    );
    let each: Vec<String> = kinds
        .iter()
        .zip(by_kind)
        .map(|(k, l)| format!("{k} {:.1}", percentile(l, 0.95)))
        .collect();
    println!("  p95 by filter (ms): {}", each.join(", "));

    // 4. The figures page of the county for the last year, as of today and as of a past date.
    // The last twelve whole months (today's figures read the sums kept by triggers); the
    // last 365 days from a day that is not the first of a month, and a past date (both
    // sum the case rows).
    let months_ago = |n: u32| {
        today
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(n)))
            .unwrap_or(today)
    };
    let mut days_ago = today - Days::new(365);
    if days_ago.day() == 1 {
        days_ago = days_ago + Days::new(1);
    }
    let day = kernel::time::iso_date;
    let to = day(today);
    for (label, query) in [
        (
            "twelve whole months, as of today",
            format!("from={}&to={to}", day(months_ago(11))),
        ),
        (
            "365 days from mid-month, as of today",
            format!("from={}&to={to}", day(days_ago)),
        ),
        (
            "twelve whole months, as of 6 months ago",
            format!(
                "from={}&to={to}&as_of={}",
                day(months_ago(11)),
                day(today - Days::new(182))
            ),
        ),
    ] {
        let mut lat = Vec::new();
        let mut received = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/cases/figures?{query}"))
                .header("authorization", &auth)
                .send()
                .await?;
            if !r.status().is_success() {
                anyhow::bail!("统计页失败: {}", r.status());
            }
            let body = r.text().await?;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            received = body.len();
        }
        println!(
            "figures page, county, {label}: p50 {:.1} ms, p95 {:.1} ms ({} KB page)",
            percentile(lat.clone(), 0.50),
            percentile(lat, 0.95),
            received / 1024
        );
    }
    db.close().await;
    Ok(())
}

/// A valid resident ID of the county: woman number `seq` born in the year `1960 + y`.
fn resident_id(seq: u32, y: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1960 + (y % 40) as i32, 1 + seq % 12, 1 + seq % 28)
        .unwrap_or_default();
    kernel::idcard::ResidentId::compose("430523", birth, ((seq / 12 * 2) % 1000) as u16)
        .map(|r| r.as_str().to_string())
        .unwrap_or_default()
}

/// One bound value of the bulk insert.
enum V {
    S(Option<String>),
    I(Option<i64>),
}

const CASE_COLS: &[&str] = &[
    "id",
    "county_code",
    "unit_code",
    "first_unit_code",
    "type_code",
    "channel",
    "received_date",
    "received_month",
    "state",
    "decision",
    "decided_date",
    "acceptance_due",
    "accepted_date",
    "resolution_due",
    "supervision_due",
    "closed_date",
    "score",
    "extension_days",
    "reopened",
    "transferred",
    "since_date",
    "summary",
    "restricted",
    "created_at",
    "updated_at",
];

/// Adds `n` cases received over the last year, each at the stage its age makes likely,
/// with its complainant and its history rows; returns (cases, history rows).
async fn fill(
    db: &Db,
    n: usize,
    townships: &[String],
    villages: &[String],
    today: NaiveDate,
) -> anyhow::Result<(usize, usize)> {
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
        .fetch_one(db.pool())
        .await?;
    let summary = {
        let cipher = kernel::crypto::Cipher::new(&[7; 32]);
        cipher.encrypt("反映家庭矛盾，要求妇联协调处理。")
    };
    let day = |d: NaiveDate| Some(kernel::time::iso_date(d));
    let mut history = 0;
    let chunk = 400;
    let mut done = 0;
    while done < n {
        let rows = chunk.min(n - done);
        let mut vals: Vec<V> = Vec::with_capacity(rows * CASE_COLS.len());
        let mut parties: Vec<V> = Vec::new();
        let mut hist: Vec<V> = Vec::new();
        for k in 0..rows {
            let i = done + k;
            let id = first + i as i64;
            let age = (i * 7919 % 365) as u64;
            let received = today - Days::new(age);
            let unit = match i % 10 {
                0 => COUNTY.to_string(),
                1 => villages[i % villages.len()].clone(),
                _ => townships[i % townships.len()].clone(),
            };
            let kind = TYPES[i % TYPES.len()];
            let r = i % 20;
            // Stages by age: old cases are mostly closed; recent ones spread over the way.
            let (state, decided, accepted, closed, score) = if r == 0 {
                ("declined", Some(received + Days::new(3)), None, None, None)
            } else if age < 5 && r % 3 == 0 {
                ("received", None, None, None, None)
            } else if age < 30 {
                let s = ["accepted", "assigned", "in_progress"][r % 3];
                (
                    s,
                    Some(received + Days::new(2)),
                    Some(received + Days::new(2)),
                    None,
                    None,
                )
            } else if r == 1 || r == 2 {
                (
                    "in_progress",
                    Some(received + Days::new(5)),
                    Some(received + Days::new(5)),
                    None,
                    None,
                )
            } else {
                let acc = received + Days::new(1 + (r as u64 % 14));
                let close = (acc + Days::new(10 + (i as u64 * 31 % 70))).min(today);
                match r % 4 {
                    0 => ("closed", Some(acc), Some(acc), Some(close), None),
                    1 => (
                        "followed_up",
                        Some(acc),
                        Some(acc),
                        Some(close),
                        Some(3 + (i % 3) as i64),
                    ),
                    _ => (
                        "archived",
                        Some(acc),
                        Some(acc),
                        Some(close),
                        Some(4 + (i % 2) as i64),
                    ),
                }
            };
            let since = closed.or(decided).unwrap_or(received);
            let resolution = accepted.map(cases::model::resolution_due_base);
            vals.extend([
                V::I(Some(id)),
                V::S(Some(COUNTY.into())),
                V::S(Some(unit.clone())),
                V::S(Some(unit.clone())),
                V::S(Some(kind.into())),
                V::S(Some(CHANNELS[i % CHANNELS.len()].into())),
                V::S(day(received)),
                V::S(Some(received.format("%Y-%m").to_string())),
                V::S(Some(state.into())),
                V::S(Some(
                    match state {
                        "received" => "",
                        "declined" => "declined",
                        _ => "accepted",
                    }
                    .into(),
                )),
                V::S(decided.and_then(day)),
                V::S(day(cases::model::acceptance_due(received))),
                V::S(accepted.and_then(day)),
                V::S(resolution.and_then(day)),
                V::S(None),
                V::S(closed.and_then(day)),
                V::I(score),
                V::I(Some(0)),
                V::I(Some(0)),
                V::I(Some(0)),
                V::S(day(since)),
                V::S(Some(summary.clone())),
                V::I(Some((kind == "domestic_violence") as i64)),
                V::I(Some(0)),
                V::I(Some(0)),
            ]);
            parties.extend([
                V::I(Some(id)),
                V::S(Some("complainant".into())),
                V::S(Some(NAMES[i % NAMES.len()].into())),
            ]);
            // What the case looked like before each later stage.
            let mut from = received;
            for (to, st, dec) in [
                (decided, "received", ""),
                (closed, "in_progress", "accepted"),
            ] {
                if let Some(to) = to.filter(|t| *t > from) {
                    if st == "in_progress" && decided.is_none() {
                        continue;
                    }
                    hist.extend([
                        V::I(Some(id)),
                        V::S(Some(unit.clone())),
                        V::S(Some(kind.into())),
                        V::S(Some(CHANNELS[i % CHANNELS.len()].into())),
                        V::S(day(received)),
                        V::S(Some(received.format("%Y-%m").to_string())),
                        V::S(Some(st.into())),
                        V::S(Some(dec.into())),
                        V::S(if dec.is_empty() {
                            None
                        } else {
                            decided.and_then(day)
                        }),
                        V::S(day(cases::model::acceptance_due(received))),
                        V::S(if dec.is_empty() {
                            None
                        } else {
                            accepted.and_then(day)
                        }),
                        V::S(if dec.is_empty() {
                            None
                        } else {
                            resolution.and_then(day)
                        }),
                        V::I(Some(0)),
                        V::I(Some(0)),
                        V::I(Some(0)),
                        V::S(day(from)),
                        V::S(day(to)),
                    ]);
                    history += 1;
                    from = to;
                }
            }
        }
        let mut tx = db.begin_write().await?;
        let backend = tx.backend();
        insert(&mut tx, backend, "cases", CASE_COLS, vals).await?;
        insert(
            &mut tx,
            backend,
            "case_parties",
            &["case_id", "role", "name"],
            parties,
        )
        .await?;
        insert(
            &mut tx,
            backend,
            "case_history",
            &[
                "case_id",
                "unit_code",
                "type_code",
                "channel",
                "received_date",
                "received_month",
                "state",
                "decision",
                "decided_date",
                "acceptance_due",
                "accepted_date",
                "resolution_due",
                "extension_days",
                "reopened",
                "transferred",
                "from_date",
                "to_date",
            ],
            hist,
        )
        .await?;
        tx.commit().await?;
        done += rows;
    }
    // What the store keeps on every write, set once for the rows written here.
    for table in ["cases", "case_history"] {
        sqlx::query(&format!(
            "UPDATE {table} SET {}",
            cases::store::derived_sql()
        ))
        .execute(db.pool())
        .await?;
    }
    if db.backend() == Backend::Postgres {
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))",
        )
        .execute(db.pool())
        .await?;
    }
    Ok((n, history))
}

async fn insert(
    tx: &mut kernel::db::WriteTx,
    backend: Backend,
    table: &str,
    cols: &[&str],
    vals: Vec<V>,
) -> anyhow::Result<()> {
    if vals.is_empty() {
        return Ok(());
    }
    let rows = vals.len() / cols.len();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {}",
        cols.join(", "),
        value_tuples(backend, rows, cols.len())
    );
    let mut q = sqlx::query(&sql);
    for v in vals {
        q = match v {
            V::S(s) => q.bind(s),
            V::I(i) => q.bind(i),
        };
    }
    q.execute(&mut ***tx).await?;
    Ok(())
}
