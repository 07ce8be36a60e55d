//! The wiring of Jinguo: which capabilities the binary is built with, their migrations and
//! their routes. The command line (`main.rs`) and the tests both start from here.

use kernel::crypto::Cipher;
use kernel::{AppState, Capability, Db, Settings};

/// Every capability, in the order their pages appear.
pub const CAPABILITIES: &[Capability] = &[registry::CAPABILITY, cases::CAPABILITY];

/// Connects and applies every migration.
pub async fn open(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    let ran = kernel::db::migrate::run(&db, CAPABILITIES).await?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    Ok(db)
}

/// The state of a server: the data key comes from the data directory or `JINGUO_DATA_KEY`.
pub fn state(db: Db, settings: Settings) -> anyhow::Result<AppState> {
    let cipher = Cipher::load(&settings.data_dir)?;
    Ok(AppState::new(db, settings, cipher))
}

/// The router of every page and API route.
pub fn app(state: AppState) -> axum::Router {
    kernel::web::app(state, CAPABILITIES)
}
