//! Registry (台账): the people a federation works for — persons with their resident IDs,
//! encrypted at rest and masked on screen. Households, categories, pairing help and Excel
//! import come next (see the note).

pub mod api;
pub mod category;
pub mod demo;
pub mod duplicate;
pub mod ethnicity;
pub mod export;
pub mod household;
pub mod import;
pub mod pairing;
pub mod person;
pub mod service;
pub mod store;
pub mod web;

use kernel::db::migrate::Migration;
use kernel::Capability;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1001,
        name: "1001_persons",
        sqlite: include_str!("../migrations/sqlite/1001_persons.sql"),
        postgres: include_str!("../migrations/postgres/1001_persons.sql"),
    },
    Migration {
        version: 1002,
        name: "1002_categories",
        sqlite: include_str!("../migrations/sqlite/1002_categories.sql"),
        postgres: include_str!("../migrations/postgres/1002_categories.sql"),
    },
    Migration {
        version: 1003,
        name: "1003_households",
        sqlite: include_str!("../migrations/sqlite/1003_households.sql"),
        postgres: include_str!("../migrations/postgres/1003_households.sql"),
    },
    Migration {
        version: 1004,
        name: "1004_pairings",
        sqlite: include_str!("../migrations/sqlite/1004_pairings.sql"),
        postgres: include_str!("../migrations/postgres/1004_pairings.sql"),
    },
    Migration {
        version: 1005,
        name: "1005_merges",
        sqlite: include_str!("../migrations/sqlite/1005_merges.sql"),
        postgres: include_str!("../migrations/postgres/1005_merges.sql"),
    },
    Migration {
        version: 1006,
        name: "1006_imports",
        sqlite: include_str!("../migrations/sqlite/1006_imports.sql"),
        postgres: include_str!("../migrations/postgres/1006_imports.sql"),
    },
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
};

fn routes() -> axum::Router<kernel::AppState> {
    web::routes()
        .merge(category::web::routes())
        .merge(household::web::routes())
        .merge(pairing::web::routes())
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
