//! The JSON API under `/api/v1`. Routes are mounted through utoipa-axum's `routes!`, so
//! mounting a route documents it; the document is served at `/api/v1/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Jinguo API", version = "1", description = "巾帼 妇联工作平台 JSON API. \
        Authenticate with a session cookie (state changes also need the X-CSRF-Token header) \
        or a personal token: `Authorization: Bearer jgt_…`. Every call sees only the caller's \
        subtree of the org tree and is audited like the pages."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("jinguo_sid"))),
        );
    }
}

/// Every `/api/v1` route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    use crate::{accounts::api as acc, audit::web as aud, org::api as org};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(acc::me))
        .routes(routes!(acc::list_accounts, acc::create_account))
        .routes(routes!(acc::get_account, acc::update_account))
        .routes(routes!(org::list_units, org::create_org_unit))
        .routes(routes!(org::get_unit, org::update_unit))
        .routes(routes!(org::list_children))
        .routes(routes!(org::pick_units))
        .routes(routes!(aud::list_audit))
}
