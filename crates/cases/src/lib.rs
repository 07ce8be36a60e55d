//! Cases (维权、信访、12338): rights cases, letters and visits and hotline calls, from intake
//! to follow-up, with the deadlines of the 信访工作条例, referrals to partner units, danger
//! assessment of domestic violence, restricted access and the figures reported upward.
//! The rules are those of `CASE-RULES.md` in the domain notes.

pub mod access;
pub mod api;
pub mod attachments;
pub mod calls;
pub mod demo;
pub mod figures;
pub mod model;
pub mod service;
pub mod settings;
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
    migration!(2001, "2001_cases"),
    migration!(2002, "2002_case_tallies"),
    migration!(2003, "2003_call_restriction"),
];

/// The actions the cases capability audits.
pub const ACTIONS: &[&str] = &[
    "case.create",
    "call.view",
    "case.view",
    "case.accept",
    "case.decline",
    "case.transfer",
    "case.assign",
    "case.step",
    "case.refer",
    "case.referral_answer",
    "case.extend",
    "case.supervise",
    "case.close",
    "case.follow_up",
    "case.reopen",
    "case.archive",
    "case.glass",
    "case.grant",
    "case.risk",
    "case.alert_ack",
    "case.attach",
    "case.attachment_view",
    "case.type_create",
    "case.partner_create",
    "call.create",
];

pub const CAPABILITY: Capability = Capability {
    name: "cases",
    migrations: MIGRATIONS,
    pages: routes,
    api: api_router,
    start: |_| {},
    tasks: tasks::tasks,
    measures: &[],
};

fn routes() -> axum::Router<kernel::AppState> {
    web::routes().merge(settings::routes())
}

fn api_router() -> utoipa_axum::router::OpenApiRouter<kernel::AppState> {
    api::router()
}
