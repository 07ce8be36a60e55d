//! The command line. Every setting is a flag with a `JINGUO_*` variable and a documented
//! default; `--help` on each command lists them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kernel::accounts::{self, NewAccount};
use kernel::audit::{self, Actor, BrokenReason};
use kernel::org::import::{self, Selection};
use kernel::{Db, Settings};

#[derive(Parser)]
#[command(
    name = "jinguo",
    version,
    about = "巾帼 Jinguo: 妇联工作平台 (the work platform of a women's federation)"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct Global {
    /// Data directory: the SQLite database (and later attachments) live here
    #[arg(long, env = "JINGUO_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user:pass@host/db); without it, SQLite in the data directory
    #[arg(
        long,
        env = "JINGUO_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Log format
    #[arg(long, env = "JINGUO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Log filter (tracing syntax, e.g. info or jinguo=debug)
    #[arg(long, env = "JINGUO_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Take this day as today (YYYY-MM-DD) for every deadline, flag, list and date check:
    /// for a training installation; every page says so in a banner
    #[arg(long, env = "JINGUO_TODAY", global = true, value_parser = parse_today)]
    pub today: Option<chrono::NaiveDate>,
}

fn parse_today(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期应写作 YYYY-MM-DD，如 2026-11-23：{s}"))
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the pages and the API
    Serve(ServeArgs),
    /// Create (or refresh) a demo database for a real county, print its accounts and serve
    Demo(DemoArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Organisation tree
    #[command(subcommand)]
    Org(OrgCommand),
    /// Accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure import speed and the home page under load
    Bench(crate::bench::BenchArgs),
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "JINGUO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Minutes without a request after which a session ends
    #[arg(long, env = "JINGUO_SESSION_IDLE_MINUTES", default_value_t = 120)]
    pub session_idle_minutes: i64,
    /// Hours after login after which a session ends in any case
    #[arg(long, env = "JINGUO_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: i64,
    /// Failed logins in a row that lock an account
    #[arg(long, env = "JINGUO_LOCKOUT_THRESHOLD", default_value_t = 5)]
    pub lockout_threshold: i64,
    /// Minutes a locked account stays locked
    #[arg(long, env = "JINGUO_LOCKOUT_MINUTES", default_value_t = 15)]
    pub lockout_minutes: i64,
    /// Mark cookies Secure (set this behind HTTPS)
    #[arg(long, env = "JINGUO_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes (uploads have their own limits)
    #[arg(long, env = "JINGUO_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Directory of uploaded files (case attachments, encrypted); default: files in the data directory
    #[arg(long, env = "JINGUO_FILES_DIR")]
    pub files_dir: Option<PathBuf>,
}

impl ServeArgs {
    pub fn settings(&self, data_dir: PathBuf) -> Settings {
        Settings {
            data_dir,
            files_dir: self.files_dir.clone(),
            session_idle_minutes: self.session_idle_minutes.max(1),
            session_max_hours: self.session_max_hours.max(1),
            lockout_threshold: self.lockout_threshold.max(1),
            lockout_minutes: self.lockout_minutes.max(1),
            secure_cookies: self.secure_cookies,
            max_body_bytes: self.max_body_bytes.max(1024),
        }
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// County division code (6 digits) whose org tree the demo holds
    #[arg(long, default_value = "430523")]
    pub county: String,
    /// Only create the demo database, do not serve
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Import territorial units from the division codes shipped in the binary
    Import(ImportArgs),
}

#[derive(Args)]
#[group(skip)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(false)))]
pub struct ImportArgs {
    /// One county (6 digits) with its townships and villages
    #[arg(long, group = "what")]
    pub county: Option<String>,
    /// One province (2 digits)
    #[arg(long, group = "what")]
    pub province: Option<String>,
    /// The whole country (665,276 units)
    #[arg(long, group = "what")]
    pub all: bool,
    /// Read the codes from this file (gzip of `code<TAB>name` lines) instead of the built-in 2023 codes
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account
    Add {
        /// Account name (3-32 of a-z 0-9 _ . -)
        #[arg(long)]
        username: String,
        /// The person's name
        #[arg(long)]
        name: String,
        /// Unit code the account belongs to ("0" for the national root)
        #[arg(long)]
        unit: String,
        /// sys_admin | county_admin | township_chair | village_chair | rights_officer | leader
        #[arg(long)]
        role: String,
        /// Password; without it a random one is printed and must be changed at first login
        #[arg(long, env = "JINGUO_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password (to be changed at next login) and lift a lockout
    Passwd {
        username: String,
        /// New password; without it a random one is printed
        #[arg(long, env = "JINGUO_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Make an API token for an account and print it once
    Token {
        username: String,
        /// What the token is for
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days it stays valid (1-365)
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Disable an account and end its sessions
    Disable { username: String },
    /// Enable a disabled account
    Enable { username: String },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken link
    Verify,
}

pub fn init_logging(g: &Global) {
    let filter = tracing_subscriber::EnvFilter::try_new(&g.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match g.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The database URL: the flag, else SQLite in the data directory (created if missing,
/// and checked for writing before anything else happens).
pub fn database_url(g: &Global, default_dir: &str) -> anyhow::Result<(String, PathBuf)> {
    let dir = g
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_dir));
    if let Some(url) = &g.database_url {
        return Ok((url.clone(), dir));
    }
    ensure_writable(&dir)?;
    let path = dir.join("jinguo.db");
    Ok((format!("sqlite://{}?mode=rwc", path.display()), dir))
}

fn ensure_writable(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建数据目录 {}", dir.display()))?;
    let probe = dir.join(".jinguo-write-test");
    std::fs::write(&probe, b"ok").with_context(|| format!("数据目录 {} 不可写", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

pub use jinguo::open;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    if let Some(d) = g.today {
        kernel::time::set_today(d);
        tracing::warn!(today = %d, "today is configured: deadlines and dates count from this day");
    }
    match cli.command {
        Command::Serve(args) => {
            let (url, dir) = database_url(&g, "./jinguo-data")?;
            let db = open(&url).await?;
            crate::serve::serve(db, args.settings(dir), &args.listen).await
        }
        Command::Demo(args) => crate::demo::run(&g, args).await,
        Command::Migrate => {
            let (url, _) = database_url(&g, "./jinguo-data")?;
            let db = open(&url).await?;
            println!("数据库已是最新结构 ({})", kernel::db::redact(&url));
            db.close().await;
            Ok(())
        }
        Command::Org(OrgCommand::Import(a)) => {
            let divisions = match &a.file {
                Some(f) => import::parse(
                    &std::fs::read(f).with_context(|| format!("无法读取 {}", f.display()))?,
                )?,
                None => import::parse(import::EMBEDDED)?,
            };
            let sel = if a.all {
                Selection::All
            } else if let Some(p) = a.province {
                Selection::Province(p.trim().to_string())
            } else if let Some(c) = a.county {
                Selection::County(c.trim().to_string())
            } else {
                anyhow::bail!("请指定 --county、--province 或 --all");
            };
            // Check the selection before touching the database.
            import::select(&divisions, &sel)?;
            let (url, _) = database_url(&g, "./jinguo-data")?;
            let db = open(&url).await?;
            let start = std::time::Instant::now();
            let r = import::import(&db, &divisions, &sel, &Actor::cli()).await?;
            println!(
                "已导入 {} 个单位（新增 {}），用时 {:.1} 秒",
                r.units,
                r.added,
                start.elapsed().as_secs_f64()
            );
            db.close().await;
            Ok(())
        }
        Command::User(cmd) => {
            let (url, _) = database_url(&g, "./jinguo-data")?;
            let db = open(&url).await?;
            let result = user_command(&db, cmd).await;
            db.close().await;
            result
        }
        Command::Audit(AuditCommand::Verify) => {
            let (url, _) = database_url(&g, "./jinguo-data")?;
            let db = open(&url).await?;
            let report = audit::verify(&db).await?;
            db.close().await;
            match report.broken {
                None => {
                    println!("审计链完整：共 {} 条记录", report.rows);
                    Ok(())
                }
                Some(b) => {
                    let why = match b.reason {
                        BrokenReason::Altered => "内容被修改",
                        BrokenReason::Missing => "前面的记录被删除或插入",
                        BrokenReason::Truncated => "此处及以后的最新记录被删除",
                    };
                    anyhow::bail!("审计链在第 {} 条记录处断开：{}", b.seq, why)
                }
            }
        }
        Command::Bench(args) => crate::bench::run(&g, args).await,
    }
}

async fn user_command(db: &Db, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            name,
            unit,
            role,
            password,
        } => {
            let input = NewAccount {
                username,
                display_name: name,
                unit_code: unit,
                role,
                phone: String::new(),
            };
            let (id, pw) = accounts::add_from_cli(db, &input, password.as_deref()).await?;
            if password.is_some() {
                println!(
                    "已创建账号 {} (id {id})",
                    input.username.trim().to_lowercase()
                );
            } else {
                println!(
                    "已创建账号 {} (id {id})，初始密码: {pw}（首次登录须修改）",
                    input.username.trim().to_lowercase()
                );
            }
            Ok(())
        }
        UserCommand::Passwd { username, password } => {
            let pw = password.unwrap_or_else(kernel::auth::password::generate);
            accounts::admin_from_cli(db, &username, Some(&pw), None).await?;
            println!("已为 {username} 设置新密码: {pw}（下次登录须修改）");
            Ok(())
        }
        UserCommand::Token {
            username,
            name,
            days,
        } => {
            let secret = accounts::token_from_cli(db, &username, &name, days).await?;
            println!("{secret}");
            Ok(())
        }
        UserCommand::Disable { username } => {
            accounts::admin_from_cli(db, &username, None, Some(true)).await?;
            println!("已停用账号 {username}");
            Ok(())
        }
        UserCommand::Enable { username } => {
            accounts::admin_from_cli(db, &username, None, Some(false)).await?;
            println!("已启用账号 {username}");
            Ok(())
        }
    }
}
