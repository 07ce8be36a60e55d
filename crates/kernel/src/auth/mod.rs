//! Accounts' credentials and the request's identity: roles and permissions, password
//! hashing, sessions, API tokens, CSRF and the extractors handlers take.

pub mod csrf;
pub mod ctx;
pub mod login;
pub mod password;
pub mod roles;
pub mod session;
pub mod throttle;
pub mod tokens;

pub use ctx::{Can, Ctx};
pub use roles::{Perm, Role};
