//! A test app per test: the real router on a fresh SQLite file or a fresh PostgreSQL
//! database (on the cluster `scripts/test` starts), with the county 430523's org tree and
//! helpers to act as an account of any role at any unit.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use kernel::audit::Actor;
use kernel::auth::session;
use kernel::org::import::{self, Division, Selection};
use kernel::{AppState, Db, Settings};
use tower::ServiceExt;

pub const COUNTY: &str = "430523";
pub const PASSWORD: &str = "Test2026pass";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The embedded division codes, parsed once per test binary.
pub static DIVISIONS: LazyLock<Vec<Division>> =
    LazyLock::new(|| import::parse(import::EMBEDDED).expect("embedded divisions parse"));

static HASH: LazyLock<String> =
    LazyLock::new(|| kernel::auth::password::hash(PASSWORD).expect("hash"));

/// Runs a test body once on SQLite and once on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn body($app: $crate::support::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::support::TestApp::new($crate::support::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::postgres().await {
                    body(app).await
                }
            }
        }
    };
}

pub struct TestApp {
    pub db: Db,
    state: AppState,
    pub router: Router,
    pub backend: Backend,
    _tmp: tempfile::TempDir,
}

/// The PostgreSQL cluster of the test script; CI must have one.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("JINGUO_TEST_PG") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must run the PostgreSQL tests: run scripts/test"
            );
            eprintln!("JINGUO_TEST_PG not set: PostgreSQL variant skipped (scripts/test sets it)");
            None
        }
    }
}

/// A fresh, empty database URL for one test.
pub async fn fresh_url(backend: Backend, tmp: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", tmp.join("jinguo.db").display()),
        Backend::Postgres => {
            let admin = pg_admin_url().expect("postgres url");
            let name = format!("t_{:016x}", rand::random::<u64>());
            let db = Db::connect(&admin).await.expect("connect to test cluster");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(db.pool())
                .await
                .expect("create test database");
            db.close().await;
            admin.replacen("/postgres?", &format!("/{name}?"), 1)
        }
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        Self::with_settings(backend, Settings::default()).await
    }

    pub async fn postgres() -> Option<TestApp> {
        pg_admin_url()?;
        Some(Self::new(Backend::Postgres).await)
    }

    pub async fn with_settings(backend: Backend, mut settings: Settings) -> TestApp {
        let tmp = tempfile::tempdir().expect("tempdir");
        let url = fresh_url(backend, tmp.path()).await;
        let db = Db::connect(&url).await.expect("connect");
        kernel::db::migrate::run(&db, jinguo::CAPABILITIES)
            .await
            .expect("migrate");
        import::import(
            &db,
            &DIVISIONS,
            &Selection::County(COUNTY.into()),
            &Actor::cli(),
        )
        .await
        .expect("import county");
        settings.data_dir = tmp.path().to_path_buf();
        let cipher = kernel::crypto::Cipher::new(&rand::random::<[u8; 32]>());
        let state = AppState::new(db.clone(), settings, cipher);
        let router = jinguo::app(state.clone());
        TestApp {
            db,
            state,
            router,
            backend,
            _tmp: tmp,
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.state.settings().data_dir.clone()
    }

    /// Creates an account directly (password [`PASSWORD`], no forced change).
    pub async fn user(&self, username: &str, unit: &str, role: &str) -> i64 {
        let now = kernel::db::now_ms();
        sqlx::query_scalar(
            "INSERT INTO users (username, display_name, unit_code, role, password_hash, \
             must_change_password, created_at, updated_at) VALUES ($1, $1, $2, $3, $4, 0, $5, $5) \
             RETURNING id",
        )
        .bind(username)
        .bind(unit)
        .bind(role)
        .bind(HASH.as_str())
        .bind(now)
        .fetch_one(self.db.pool())
        .await
        .expect("insert user")
    }

    /// A session for an account, as a login would open it.
    pub async fn session_for(&self, user_id: i64) -> Session {
        let mut tx = self.db.begin_write().await.expect("tx");
        let (token, csrf) = session::create(&mut tx, user_id, "", 120)
            .await
            .expect("session");
        tx.commit().await.expect("commit");
        Session {
            cookie: format!("{}={token}", session::SESSION_COOKIE),
            csrf,
        }
    }

    /// Creates an account and opens a session for it.
    pub async fn as_user(&self, username: &str, unit: &str, role: &str) -> Session {
        let id = self.user(username, unit, role).await;
        self.session_for(id).await
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            raw: bytes.to_vec(),
        }
    }

    pub async fn get(&self, s: Option<&Session>, path: &str) -> Resp {
        let mut b = Request::builder().uri(path);
        if let Some(s) = s {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    /// A form post with the session's CSRF token.
    pub async fn post(&self, s: &Session, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(Some(&s.cookie), path, &all).await
    }

    pub async fn post_raw(
        &self,
        cookie: Option<&str>,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Resp {
        let body = form_encode(fields);
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).expect("request")).await
    }

    /// A file upload (multipart form: the fields, then `file`) with the session's CSRF
    /// token in the query string, as the upload forms send it.
    pub async fn post_multipart(
        &self,
        s: &Session,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> Resp {
        const BOUNDARY: &str = "----jinguo-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let sep = if path.contains('?') { '&' } else { '?' };
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("{path}{sep}_csrf={}", s.csrf))
            .header(header::COOKIE, &s.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// A JSON API call with the session cookie and CSRF header.
    pub async fn api(
        &self,
        s: &Session,
        method: Method,
        path: &str,
        json: Option<serde_json::Value>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf);
        let body = match json {
            Some(j) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(j.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }

    /// Logs in through the login form, as a browser would; returns the session or the page.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session, Resp> {
        let page = self.get(None, "/login").await;
        let pre = cookie_value(&page, kernel::auth::csrf::PRE_COOKIE).expect("pre-login cookie");
        let token = hidden_csrf(&page.body).expect("csrf field");
        let cookie = format!("{}={pre}", kernel::auth::csrf::PRE_COOKIE);
        let res = self
            .post_raw(
                Some(&cookie),
                "/login",
                &[
                    ("_csrf", &token),
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        if res.status != StatusCode::SEE_OTHER {
            return Err(res);
        }
        let sid = cookie_value(&res, session::SESSION_COOKIE).expect("session cookie");
        let cookie = format!("{}={sid}", session::SESSION_COOKIE);
        let home = self
            .get(
                Some(&Session {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                }),
                "/account/password",
            )
            .await;
        let csrf = hidden_csrf(&home.body).unwrap_or_default();
        Ok(Session { cookie, csrf })
    }

    pub async fn audit_count(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(self.db.pool())
            .await
            .expect("count")
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (for spreadsheets and other binary files).
    pub raw: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The id a redirect leads to: the last segment of its path (`/x/7?saved=new` is 7).
    pub fn location_id(&self) -> i64 {
        let path = self.location().split('?').next().unwrap_or("");
        path.rsplit('/')
            .next()
            .unwrap_or("")
            .parse()
            .expect("an id in the location")
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

pub fn cookie_value(res: &Resp, name: &str) -> Option<String> {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
}

pub fn hidden_csrf(html: &str) -> Option<String> {
    html.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_string)
}

/// A township and a village of the county, and a village of another township.
pub const TOWN_A: &str = "430523100";
pub const VILLAGE_A: &str = "430523100001";
pub const TOWN_B: &str = "430523101";

/// The first sheet of an .xlsx as text cells, read back with calamine.
pub fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("a real xlsx");
    let name = calamine::Reader::sheet_names(&wb)[0].clone();
    let range = calamine::Reader::worksheet_range(&mut wb, &name).expect("sheet");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    calamine::Data::String(s) => s.clone(),
                    calamine::Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}
