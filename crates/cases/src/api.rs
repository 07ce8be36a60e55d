//! `/api/v1/cases`, `/api/v1/calls` and the case lists: the same services as the pages,
//! with the same scope, restriction and audit.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kernel::api::Body;
use kernel::auth::roles::need;
use kernel::auth::Can;
use kernel::error::AppResult;
use kernel::state::AppState;
use kernel::web::page::Paging;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Viewer;
use crate::attachments::{self, Attachment};
use crate::calls::{self, Call, CallInput, Logged};
use crate::figures::{self, Report};
use crate::model::RiskLevel;
use crate::service::{self, CaseView, GrantInput, IntakeInput, MoveInput, RiskInput};
use crate::store::{self, Case, CaseRow, CaseType, Filter, Partner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, create_case))
        .routes(routes!(get_case))
        .routes(routes!(move_case))
        .routes(routes!(break_glass))
        .routes(routes!(grant_case))
        .routes(routes!(assess_case))
        .routes(routes!(list_calls, log_call))
        .routes(routes!(call_to_case))
        .routes(routes!(case_types))
        .routes(routes!(case_partners))
        .routes(routes!(case_figures))
        .merge(OpenApiRouter::new().routes(routes!(attach_file)).layer(
            axum::extract::DefaultBodyLimit::max(attachments::UPLOAD_LIMIT),
        ))
        .routes(routes!(attachment_file))
}

/// Attach a file to a case (multipart fields `file` and optional `note`; PDF, Word, Excel,
/// pictures, recordings or video judged by their bytes, at most 20 MB). Stored encrypted.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases",
    params(("id" = i64, Path, description = "case id")),
    request_body(content = String, content_type = "multipart/form-data", description = "fields file and note"),
    responses((status = 201, body = Attachment), (status = 403, description = "restricted case"),
        (status = 422, description = "no file, too large or a type not accepted")))]
pub async fn attach_file(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    form: axum::extract::Multipart,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let up = attachments::receive(form).await?;
    Ok((
        StatusCode::CREATED,
        Json(attachments::attach(&state, &ctx, id, up).await?),
    ))
}

/// Download an attachment (to those who may read the case; every download is audited)
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{aid}", tag = "cases",
    params(("id" = i64, Path, description = "case id"), ("aid" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 403, description = "restricted case"), (status = 404, description = "not in scope")))]
pub async fn attachment_file(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path((id, aid)): Path<(i64, i64)>,
) -> AppResult<axum::response::Response> {
    attachments::download(&state, &ctx, id, aid).await
}

/// Cases of the caller's subtree; restricted ones she may not read show only that they exist
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(Filter),
    responses((status = 200, body = [CaseRow])))]
pub async fn list_cases(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(f): Query<Filter>,
) -> AppResult<Json<Vec<CaseRow>>> {
    let paging = Paging::new(f.page, 100);
    Ok(Json(
        store::list(
            state.db(),
            &ctx.scope,
            &Viewer::of(&ctx),
            service::en(&ctx),
            &f,
            paging.size,
            paging.offset(),
        )
        .await?,
    ))
}

/// The id of a new case.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Register a case (parties found in, or registered into, the registry)
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = IntakeInput,
    responses((status = 201, body = Created), (status = 422, description = "invalid input")))]
pub async fn create_case(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Body(input): Body<IntakeInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = service::intake(&state, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One case: everything if the caller may read it (the view is audited), else that it exists
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseView), (status = 404, description = "not in scope")))]
pub async fn get_case(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
) -> AppResult<Json<CaseView>> {
    Ok(Json(service::view(&state, &ctx, id).await?))
}

/// Move a case: accept, decline, transfer, assign, a step, a referral or its answer,
/// extension, supervision, close, follow-up, reopen, archive
#[utoipa::path(post, path = "/api/v1/cases/{id}/moves", tag = "cases", request_body = MoveInput,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = Case), (status = 409, description = "the case changed meanwhile"),
        (status = 422, description = "refused move or invalid input")))]
pub async fn move_case(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    Body(input): Body<MoveInput>,
) -> AppResult<Json<Case>> {
    Ok(Json(service::act(&state, &ctx, id, &input).await?))
}

/// A written reason.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct GlassInput {
    #[schema(min_length = 4, max_length = 1000)]
    pub reason: String,
}

/// Break the glass: read a restricted case for a few hours, with a written reason (audited)
#[utoipa::path(post, path = "/api/v1/cases/{id}/glass", tag = "cases", request_body = GlassInput,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 204, description = "granted"), (status = 422, description = "no reason")))]
pub async fn break_glass(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
    Body(input): Body<GlassInput>,
) -> AppResult<StatusCode> {
    service::break_glass(&state, &ctx, id, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Let another account read a restricted case (its handler or a leader of its unit)
#[utoipa::path(post, path = "/api/v1/cases/{id}/grants", tag = "cases", request_body = GrantInput,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 204, description = "granted"), (status = 422, description = "invalid input")))]
pub async fn grant_case(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    Body(input): Body<GrantInput>,
) -> AppResult<StatusCode> {
    service::grant(&state, &ctx, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Danger assessment of a domestic-violence case; a high level alerts the unit and the one above
#[utoipa::path(post, path = "/api/v1/cases/{id}/risk", tag = "cases", request_body = RiskInput,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = RiskLevel), (status = 422, description = "invalid input")))]
pub async fn assess_case(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    Body(input): Body<RiskInput>,
) -> AppResult<Json<RiskLevel>> {
    Ok(Json(service::assess(&state, &ctx, id, &input).await?))
}

/// Paging of the call log.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct CallsQuery {
    /// Only calls that need follow-up and have no case yet
    pub pending: Option<bool>,
    pub page: Option<i64>,
}

/// Hotline calls of the caller's subtree, newest first
#[utoipa::path(get, path = "/api/v1/calls", tag = "cases", params(CallsQuery),
    responses((status = 200, body = [Call])))]
pub async fn list_calls(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Query(q): Query<CallsQuery>,
) -> AppResult<Json<Vec<Call>>> {
    let paging = Paging::new(q.page, 100);
    Ok(Json(
        calls::list(
            &state,
            &ctx,
            q.pending.unwrap_or(false),
            paging.size,
            paging.offset(),
        )
        .await?,
    ))
}

/// Log a hotline call; with `open_case` its case is registered at once
#[utoipa::path(post, path = "/api/v1/calls", tag = "cases", request_body = CallInput,
    responses((status = 201, body = Logged), (status = 422, description = "invalid input")))]
pub async fn log_call(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Body(input): Body<CallInput>,
) -> AppResult<(StatusCode, Json<Logged>)> {
    Ok((
        StatusCode::CREATED,
        Json(calls::log(&state, &ctx, &input).await?),
    ))
}

/// Register the case of a call that needs follow-up
#[utoipa::path(post, path = "/api/v1/calls/{id}/case", tag = "cases",
    params(("id" = i64, Path, description = "call id")),
    responses((status = 201, body = Created), (status = 409, description = "the call has its case")))]
pub async fn call_to_case(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = calls::to_case(&state, &ctx, id).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The case types
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases",
    responses((status = 200, body = [CaseType])))]
pub async fn case_types(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
) -> AppResult<Json<Vec<CaseType>>> {
    Ok(Json(store::types(state.db(), service::en(&ctx)).await?))
}

/// Partner units of the caller's county that cases are referred to
#[utoipa::path(get, path = "/api/v1/case-partners", tag = "cases",
    responses((status = 200, body = [Partner])))]
pub async fn case_partners(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
) -> AppResult<Json<Vec<Partner>>> {
    Ok(Json(
        store::partners(state.db(), kernel::org::model::county_of(&ctx.p.unit_code)).await?,
    ))
}

/// The case figures of a period, as of a date, rolled up the tree
#[utoipa::path(get, path = "/api/v1/case-figures", tag = "cases", params(figures::Query),
    responses((status = 200, body = Report)))]
pub async fn case_figures(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(q): Query<figures::Query>,
) -> AppResult<Json<Report>> {
    Ok(Json(figures::report(state.db(), &ctx, &q).await?))
}
