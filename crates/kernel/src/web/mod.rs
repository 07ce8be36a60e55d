//! The HTTP side: the router of every kernel page and API route, the page shell, error
//! rendering, static assets and operations endpoints.

pub mod assets;
pub mod download;
pub mod errors;
pub mod home;
pub mod metrics;
pub mod page;
pub mod pick;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Every route, pages and API, of the kernel and the given capabilities, with the layers
/// that apply to all of them.
pub fn app(state: AppState, capabilities: &[crate::Capability]) -> Router {
    let tasks: Vec<crate::capability::TasksFn> = capabilities.iter().map(|c| c.tasks).collect();
    let measures =
        crate::measure::Measures::new(capabilities.iter().flat_map(|c| c.measures.iter().copied()));
    let mut pages = Router::new()
        .merge(home::routes(tasks))
        .merge(crate::auth::login::routes())
        .merge(crate::accounts::web::routes())
        .merge(crate::org::web::routes())
        .merge(crate::audit::web::routes())
        .merge(crate::measure::web::routes(measures.clone()));
    let mut api = crate::api::router().merge(crate::measure::api::router(measures));
    for c in capabilities {
        pages = pages.merge((c.pages)());
        api = api.merge((c.api)());
    }
    let (api, doc) = api.split_for_parts();
    let doc = std::sync::Arc::new(crate::api::finish(doc));
    let limit = state.settings().max_body_bytes;
    Router::new()
        .merge(pages)
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        // Before `identify`, so that a page that does not exist is shown inside the frame
        // of whoever asked for it.
        .fallback(errors::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::ctx::identify,
        ))
        .route("/healthz", get(metrics::healthz))
        .route("/metrics", get(metrics::export))
        .merge(assets::routes())
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            errors::panicked,
        ))
        .layer(middleware::from_fn(errors::render))
        .layer(middleware::map_response(security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Headers that keep pages with personal data out of frames, caches of other sites and
/// script injection: every page is self-contained, so `'self'` is all it needs.
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}
