//! `jinguo bench`: the foundation's figures, measured on this machine: `org import --all`
//! and the authenticated home page under concurrent load, with the server's resident
//! memory afterwards. The server runs as a child process so its memory is its own.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use kernel::audit::Actor;
use kernel::org::import::{self, Selection};

use crate::cli::{open, Global};

#[derive(Args)]
pub struct BenchArgs {
    /// What to measure: `foundation` (org import, home page), `registry` (person import
    /// and search) or `cases` (case intake, open-case list, figures)
    #[arg(default_value = "foundation")]
    pub what: String,
    /// Rows of the person sheet for `registry`
    #[arg(long, default_value_t = 100_000)]
    pub rows: u32,
    /// Cases in the table for `cases` (the first are registered through the API)
    #[arg(long, default_value_t = 200_000)]
    pub cases: u32,
    /// Concurrent clients for the home page load
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Seconds of measured load (after 2 s of warm-up)
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Port for the server under test
    #[arg(long, default_value_t = 18089)]
    pub port: u16,
}

pub async fn run(g: &Global, args: BenchArgs) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("jinguo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let result = match args.what.as_str() {
        "registry" => crate::bench_registry::run(g, args.rows, &tmp).await,
        "cases" => crate::bench_cases::run(g, args.cases, args.clients, &tmp).await,
        "foundation" => run_in(g, &args, &tmp).await,
        other => Err(anyhow::anyhow!(
            "未知的基准测试 {other}：应为 foundation、registry 或 cases"
        )),
    };
    // JINGUO_BENCH_KEEP=1 leaves the database for a look at its query plans.
    if std::env::var_os("JINGUO_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        println!("kept {}", tmp.display());
    }
    result
}

async fn run_in(g: &Global, args: &BenchArgs, tmp: &std::path::Path) -> anyhow::Result<()> {
    let url = match &g.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}?mode=rwc", tmp.join("jinguo.db").display()),
    };
    let backend = kernel::db::backend_of(&url)?;
    println!("== jinguo bench ({backend:?}) ==");
    let db = open(&url).await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    if existing > 0 {
        anyhow::bail!("基准测试需要一个空数据库: {}", kernel::db::redact(&url));
    }
    let divisions = import::parse(import::EMBEDDED)?;
    let start = Instant::now();
    let r = import::import(&db, &divisions, &Selection::All, &Actor::cli()).await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "org import --all: {} units in {secs:.2} s ({:.0} units/s)",
        r.units,
        r.units as f64 / secs
    );
    if let Some(kib) = status_kib(std::process::id(), "VmHWM:") {
        println!("import command peak memory: {:.1} MB", kib as f64 / 1024.0);
    }
    let start = Instant::now();
    let again = import::import(&db, &divisions, &Selection::All, &Actor::cli()).await?;
    println!(
        "org import --all again (no change): {:.2} s, {} added",
        start.elapsed().as_secs_f64(),
        again.added
    );
    let input = kernel::accounts::NewAccount {
        username: "bench".into(),
        display_name: "基准测试".into(),
        unit_code: "430523".into(),
        role: "county_admin".into(),
        phone: String::new(),
    };
    let password = "Load2026xq";
    kernel::accounts::add_from_cli(&db, &input, Some(password)).await?;
    db.close().await;

    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", args.port))
        .arg("--data-dir")
        .arg(tmp)
        .arg("--log")
        .arg("warn")
        .env("JINGUO_DATABASE_URL", &url)
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("无法启动被测服务")?;
    let pid = child.id().unwrap_or(0);
    let base = format!("http://127.0.0.1:{}", args.port);
    let outcome = load(&base, password, args).await;
    let rss = status_kib(pid, "VmRSS:");
    let _ = child.kill().await;
    let (count, elapsed, mut lat) = outcome?;
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "home page, {} clients, {:.0} s: {count} requests, {:.0} req/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        args.clients,
        elapsed,
        count as f64 / elapsed,
        pct(0.50),
        pct(0.95),
        pct(0.99)
    );
    match rss {
        Some(kib) => println!(
            "server resident memory after import and load: {:.1} MB",
            kib as f64 / 1024.0
        ),
        None => println!("server resident memory: unavailable"),
    }
    Ok(())
}

type LoadResult = (usize, f64, Vec<Duration>);

async fn load(base: &str, password: &str, args: &BenchArgs) -> anyhow::Result<LoadResult> {
    let probe = reqwest::Client::new();
    let ready = Instant::now();
    loop {
        if let Ok(r) = probe.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if ready.elapsed() > Duration::from_secs(30) {
            anyhow::bail!("被测服务 30 秒内未就绪");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut clients = Vec::new();
    for _ in 0..args.clients {
        clients.push(login(base, "bench", password).await?);
    }
    let warm = Duration::from_secs(2);
    let measure = Duration::from_secs(args.seconds.max(1));
    let begin = Instant::now();
    let mut tasks = Vec::new();
    for c in clients {
        let url = format!("{base}/");
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let t = Instant::now();
                if t.duration_since(begin) > warm + measure {
                    break;
                }
                let ok = match c.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if !ok {
                    return Err(anyhow::anyhow!("首页请求失败"));
                }
                if t.duration_since(begin) >= warm {
                    lat.push(t.elapsed());
                }
            }
            Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all.len(), measure.as_secs_f64(), all))
}

/// A client with its own cookie jar, logged in.
async fn login(base: &str, user: &str, password: &str) -> anyhow::Result<reqwest::Client> {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .build()?;
    let page = c.get(format!("{base}/login")).send().await?.text().await?;
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("登录页没有 CSRF 令牌")?
        .to_string();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await?;
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        anyhow::bail!("基准账号登录失败: {}", r.status());
    }
    Ok(c)
}

/// A memory figure of a process (`VmRSS:` resident, `VmHWM:` peak), from /proc.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/status"))).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
