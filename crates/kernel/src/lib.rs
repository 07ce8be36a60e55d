//! Jinguo kernel: what every capability plugs into. Configuration, the database and its
//! migrations, the org tree and scope, accounts, sessions and roles, the audit log, the
//! message catalogue and the page shell.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod capability;
pub mod crypto;
pub mod db;
pub mod error;
pub mod i18n;
pub mod idcard;
pub mod measure;
pub mod org;
pub mod phone;
pub mod scope;
pub mod state;
pub mod text;
pub mod time;
pub mod web;

pub use capability::Capability;
pub use db::Db;
pub use error::{AppError, AppResult};
pub use state::{AppState, Settings};
