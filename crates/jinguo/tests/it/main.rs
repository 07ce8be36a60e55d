//! The story suite: the real router on a fresh database per test, SQLite and PostgreSQL.

mod support;

mod api;
mod audit;
mod auth;
mod browser;
mod cases;
mod categories;
mod households;
mod import;
mod leaks;
mod measures;

mod catalogue;
mod cli;
mod duplicates;
mod export;
mod org;
mod pages;
mod pairings;
mod registry;
mod schema;
mod scope;
mod writes;
