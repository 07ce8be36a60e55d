//! The application state every handler receives.

use std::path::PathBuf;
use std::sync::Arc;

use crate::auth::throttle::Throttle;
use crate::db::Db;
use crate::org::store::CountsCache;
use crate::web::metrics::Metrics;

/// Run-time settings the handlers need (the command line fills them).
#[derive(Clone, Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// Where uploaded files (case attachments) are kept; `files` in the data directory
    /// when not given.
    pub files_dir: Option<PathBuf>,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// A session ends this many hours after login, active or not.
    pub session_max_hours: i64,
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: i64,
    /// How long a lockout lasts.
    pub lockout_minutes: i64,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Settings {
    /// The directory of uploaded files.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./jinguo-data"),
            files_dir: None,
            session_idle_minutes: 120,
            session_max_hours: 12,
            lockout_threshold: 5,
            lockout_minutes: 15,
            secure_cookies: false,
            max_body_bytes: 2 * 1024 * 1024,
        }
    }
}

pub struct Inner {
    pub db: Db,
    /// Encrypts and indexes sensitive personal fields.
    pub cipher: crate::crypto::Cipher,
    pub settings: Settings,
    pub metrics: Metrics,
    pub counts: CountsCache,
    pub throttle: Throttle,
}

/// Cheap to clone; shared by every request.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    pub fn new(db: Db, settings: Settings, cipher: crate::crypto::Cipher) -> AppState {
        AppState(Arc::new(Inner {
            db,
            cipher,
            settings,
            metrics: Metrics::new(),
            counts: CountsCache::default(),
            throttle: Throttle::default(),
        }))
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
