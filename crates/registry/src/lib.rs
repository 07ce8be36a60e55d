//! Registry (台账): the people a federation works for — persons with their resident IDs,
//! encrypted at rest and masked on screen; their groups (重点人群) with each group's own
//! items, households, pairing help, likely duplicates, import of ledgers and export, and
//! the registry's figures as measures.

pub mod access;
pub mod api;
pub mod category;
pub mod demo;
pub mod duplicate;
pub mod ethnicity;
pub mod export;
pub mod household;
pub mod import;
pub mod measures;
pub mod overview;
pub mod pairing;
pub mod person;
pub mod pick;
pub mod service;
pub mod store;
pub mod tasks;
pub mod web;

use kernel::db::migrate::Migration;
use kernel::Capability;

macro_rules! migration {
    ($version:expr, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $file, ".sql")),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1001, "1001_persons"),
    migration!(1002, "1002_categories"),
    migration!(1003, "1003_households"),
    migration!(1004, "1004_pairings"),
    migration!(1005, "1005_merges"),
    migration!(1006, "1006_imports"),
    migration!(1007, "1007_name_search"),
    migration!(1008, "1008_short_hashes"),
    migration!(1009, "1009_unchanged_names"),
    migration!(1010, "1010_group_imports"),
];

/// The actions the registry audits.
pub const ACTIONS: &[&str] = &[
    "person.create",
    "person.update",
    "person.reveal",
    "category.create",
    "category.assign",
    "category.update",
    "category.end",
    "category.reopen",
    "household.create",
    "household.join",
    "household.leave",
    "household.move",
    "pairing.create",
    "pairing.visit",
    "pairing.accept",
    "pairing.end",
    "pairing.limit",
    "person.merge",
    "person.unmerge",
    "person.not_duplicate",
    "person.export",
    "person.import",
];

pub const CAPABILITY: Capability = Capability {
    name: "registry",
    migrations: MIGRATIONS,
    pages: routes,
    api: api_router,
    start: import::job::resume_all,
    tasks: tasks::tasks,
    measures: measures::MEASURES,
};

fn routes() -> axum::Router<kernel::AppState> {
    web::routes()
        .merge(category::web::routes())
        .merge(household::web::routes())
        .merge(pairing::web::routes())
        .merge(overview::routes())
        .merge(duplicate::web::routes())
        .merge(import::web::routes())
}

fn api_router() -> utoipa_axum::router::OpenApiRouter<kernel::AppState> {
    api::router()
        .merge(category::api::router())
        .merge(household::api::router())
        .merge(pairing::api::router())
        .merge(duplicate::api::router())
        .merge(import::api::router())
}
