//! Case pages: the list with alerts, intake, the case page with its timeline and the moves
//! open to it, break-the-glass for restricted cases, the hotline call log, the figures.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::audit::{self, Entry};
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome, Paging, SavedQuery};
use kernel::web::pick::{UnitField, UnitFilterField, UnitInputs};
use serde::Deserialize;
use sqlx::Row;

use crate::access::Viewer;
use crate::attachments;
use crate::calls::{self, Call, CallInput};
use crate::figures::{self, Report};
use crate::model::{self, Channel, RISK_ITEMS};
use crate::service::{
    self, flexible_bool, flexible_i64, CaseView, IntakeInput, MoveInput, PartyInput,
};
use crate::store::{self, Alert, CaseRow, CaseType, Filter, Partner};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list_page))
        .route("/cases/new", get(new_page).post(new_submit))
        .route("/cases/calls", get(calls_page).post(call_submit))
        .route("/cases/calls/{id}/case", post(call_case_submit))
        .route("/cases/notes", get(note_page).post(note_submit))
        .route("/cases/alerts/{id}/ack", post(ack_submit))
        .route("/cases/figures", get(figures_page))
        .route("/cases/figures.xlsx", get(figures_xlsx))
        .route("/cases/{id}/sheet", get(sheet_page))
        .route("/cases/{id}", get(show_page))
        .route("/cases/{id}/moves", post(move_submit))
        .route("/cases/{id}/glass", post(glass_submit))
        .route("/cases/{id}/grants", post(grant_submit))
        .route("/cases/{id}/risk", post(risk_submit))
        .route(
            "/cases/{id}/attachments",
            post(attach_submit).layer(DefaultBodyLimit::max(attachments::UPLOAD_LIMIT)),
        )
        .route("/cases/{id}/attachments/{aid}", get(attachment_file))
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    c: Chrome,
    f: Filter,
    unit: UnitFilterField,
    /// How many cases the filter keeps, over every page.
    total: i64,
    rows: Vec<CaseRow>,
    types: Vec<CaseType>,
    channels: [Channel; 7],
    alerts: Vec<Alert>,
    can_handle: bool,
    page: i64,
    more: bool,
    query: String,
}

impl ListPage {
    fn total_text(&self) -> String {
        self.c.tr.f("common.total_cases", &[("n", &self.total)])
    }
}

/// 维权信访
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(mut f): Query<Filter>,
) -> AppResult<Response> {
    kernel::time::normalize_date_param(&mut f.from);
    kernel::time::normalize_date_param(&mut f.to);
    let paging = Paging::new(f.page, 50);
    let en = service::en(&ctx);
    let unit = kernel::org::pick::filter(state.db(), &ctx.scope, f.unit.as_deref()).await?;
    f.unit = unit.code().map(str::to_string);
    let mut rows = store::list(
        state.db(),
        &ctx.scope,
        &Viewer::of(&ctx),
        en,
        &f,
        paging.size + 1,
        paging.offset(),
    )
    .await?;
    let more = rows.len() as i64 > paging.size;
    rows.truncate(paging.size as usize);
    let total = if paging.page == 1 && !more {
        rows.len() as i64
    } else {
        store::count(state.db(), &ctx.scope, &Viewer::of(&ctx), &f).await?
    };
    let query = list_query(&f);
    let unit = UnitFilterField::new(ctx.tr, unit, |code| {
        let f = Filter {
            unit: Some(code.to_string()),
            ..f.clone()
        };
        format!("/cases?{}", list_query(&f))
    });
    Ok(render(&ListPage {
        c: Chrome::new(&ctx, "cases", ctx.tr.s("case.list_title").to_string()),
        types: store::types(state.db(), en).await?,
        channels: Channel::ALL,
        alerts: if ctx.p.role.has(Perm::HandleCases) {
            store::alerts(state.db(), &ctx.p.unit_code).await?
        } else {
            Vec::new()
        },
        can_handle: ctx.p.role.has(Perm::HandleCases),
        f,
        unit,
        total,
        rows,
        page: paging.page,
        more,
        query,
    }))
}

/// The list's filters as a query string.
fn list_query(f: &Filter) -> String {
    kernel::web::page::query_string(&[
        ("status", f.status.as_deref()),
        ("type", f.type_code.as_deref()),
        ("channel", f.channel.as_deref()),
        ("unit", f.unit.as_deref()),
        ("due", f.due.as_deref()),
        ("mine", f.mine.as_deref()),
        ("from", f.from.as_deref()),
        ("to", f.to.as_deref()),
        ("sort", f.sort.as_deref()),
    ])
}

/// Moves most cases never need: the case page keeps them behind a disclosure.
const RARE_MOVES: &[&str] = &["extend", "supervise", "reopen"];

/// The course of a case as its page shows it.
const FLOW: &[&str] = &[
    "case.flow_accept",
    "case.flow_assign",
    "case.flow_handle",
    "case.flow_close",
    "case.flow_follow_up",
];

/// The intake form, flat: one complainant, and a victim, respondent and child as known.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    channel: String,
    #[serde(default, rename = "type")]
    type_code: String,
    #[serde(default)]
    received_date: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    request: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    restricted: bool,
    #[serde(default, deserialize_with = "flexible_i64")]
    complainant_person_id: Option<i64>,
    #[serde(default)]
    complainant_name: String,
    #[serde(default)]
    complainant_id_number: String,
    #[serde(default)]
    complainant_phone: String,
    #[serde(default)]
    complainant_unit_code: String,
    #[serde(default)]
    victim_name: String,
    #[serde(default)]
    victim_id_number: String,
    #[serde(default)]
    victim_unit_code: String,
    #[serde(default)]
    respondent_name: String,
    #[serde(default)]
    respondent_relation: String,
    #[serde(default)]
    child_name: String,
    #[serde(default)]
    child_birth_date: String,
}

/// A party's name field: a person chosen from the registry's suggestions (`… #12`) is
/// linked by her number; anything else is a name as typed.
fn chosen(name: &str) -> (Option<i64>, String) {
    match registry::pick::chosen_number(name) {
        Some(n) => (Some(n), String::new()),
        None => (None, name.to_string()),
    }
}

impl IntakeForm {
    fn input(&self) -> IntakeInput {
        let (picked, complainant_name) = chosen(&self.complainant_name);
        let mut parties = vec![PartyInput {
            role: "complainant".into(),
            person_id: self.complainant_person_id.or(picked),
            name: complainant_name,
            id_number: self.complainant_id_number.clone(),
            phone: self.complainant_phone.clone(),
            unit_code: self.complainant_unit_code.clone(),
            ..PartyInput::default()
        }];
        if !self.victim_name.trim().is_empty() || !self.victim_id_number.trim().is_empty() {
            let (person_id, name) = chosen(&self.victim_name);
            parties.push(PartyInput {
                role: "victim".into(),
                person_id,
                name,
                id_number: self.victim_id_number.clone(),
                unit_code: self.victim_unit_code.clone(),
                ..PartyInput::default()
            });
        }
        if !self.respondent_name.trim().is_empty() {
            parties.push(PartyInput {
                role: "respondent".into(),
                name: self.respondent_name.clone(),
                relation: self.respondent_relation.clone(),
                ..PartyInput::default()
            });
        }
        if !self.child_name.trim().is_empty() {
            let (person_id, name) = chosen(&self.child_name);
            parties.push(PartyInput {
                role: "child".into(),
                person_id,
                name,
                birth_date: self.child_birth_date.clone(),
                ..PartyInput::default()
            });
        }
        IntakeInput {
            channel: self.channel.clone(),
            type_code: self.type_code.clone(),
            received_date: self.received_date.clone(),
            unit_code: self.unit_code.clone(),
            summary: self.summary.clone(),
            request: self.request.clone(),
            restricted: self.restricted,
            parties,
            call_id: None,
        }
    }
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    c: Chrome,
    form: IntakeForm,
    types: Vec<CaseType>,
    channels: [Channel; 7],
    errors: Vec<FieldError>,
    unit: UnitField,
    complainant_unit: UnitField,
    victim_unit: UnitField,
}

/// The intake form; its unit fields as typed when a save failed, else the case's unit
/// showing the officer's own.
async fn new_view(
    state: &AppState,
    ctx: &Ctx,
    form: IntakeForm,
    mut errors: Vec<FieldError>,
    units: Option<&UnitInputs>,
) -> AppResult<NewPage> {
    let (unit, complainant_unit, victim_unit) = match units {
        Some(u) => {
            u.merge(&mut errors);
            (
                u.field(ctx, "unit_code", "case.unit_code", &errors),
                u.field(ctx, "complainant_unit_code", "case.party_unit", &errors),
                u.field(ctx, "victim_unit_code", "case.party_unit", &errors),
            )
        }
        None => (
            UnitField::showing(
                state.db(),
                ctx,
                "unit_code",
                "case.unit_code",
                Some(&form.unit_code),
            )
            .await?,
            UnitField::typed(ctx, "complainant_unit_code", "case.party_unit", "", None),
            UnitField::typed(ctx, "victim_unit_code", "case.party_unit", "", None),
        ),
    };
    Ok(NewPage {
        unit,
        complainant_unit,
        victim_unit,
        c: Chrome::new(ctx, "cases", ctx.tr.s("case.new_title").to_string()),
        types: active_types(state, ctx).await?,
        channels: Channel::ALL,
        form,
        errors,
    })
}

/// 登记案件
async fn new_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
) -> AppResult<Response> {
    let form = IntakeForm {
        channel: "visit".into(),
        unit_code: ctx.p.unit_code.clone(),
        ..IntakeForm::default()
    };
    Ok(render(
        &new_view(&state, &ctx, form, Vec::new(), None).await?,
    ))
}

async fn new_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Form(form): Form<IntakeForm>,
) -> AppResult<Response> {
    let mut coded = form.clone();
    let units = UnitInputs::read(
        state.db(),
        &ctx,
        &mut [
            ("unit_code", &mut coded.unit_code, true),
            (
                "complainant_unit_code",
                &mut coded.complainant_unit_code,
                false,
            ),
            ("victim_unit_code", &mut coded.victim_unit_code, false),
        ],
    )
    .await?;
    let result = if units.ok() {
        service::intake(&state, &ctx, &coded.input()).await
    } else {
        Err(AppError::Invalid(Vec::new()))
    };
    match result {
        Ok(id) => Ok(see_other(&format!("/cases/{id}?saved=new"))),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_view(&state, &ctx, form, errors, Some(&units)).await?,
        )),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    c: Chrome,
    v: CaseView,
    actions: Vec<&'static str>,
    /// The moves of the usual course, in the order of the work.
    main_actions: Vec<&'static str>,
    /// Moves most cases never need, kept behind a disclosure.
    rare_actions: Vec<&'static str>,
    can_handle: bool,
    handlers: Vec<(String, String)>,
    /// Accounts a restricted case may be opened to: login name, and how the page names them.
    colleagues: Vec<(String, String)>,
    partners: Vec<Partner>,
    risk_items: Vec<&'static str>,
    is_dv: bool,
    errors: Vec<FieldError>,
    /// The action whose form the errors belong to
    failed: String,
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
    failed: String,
) -> AppResult<ShowPage> {
    let v = service::view(state, ctx, id).await?;
    let db = state.db();
    let can_handle = ctx.p.role.has(Perm::HandleCases) && v.case.is_some();
    let colleagues = if can_handle && v.restricted {
        let (lo, hi) = kernel::org::model::subtree_range(&v.unit_code);
        sqlx::query(
            "SELECT u.username, u.display_name, o.name FROM users u JOIN org_units o ON o.code = u.unit_code \
             WHERE u.unit_code >= $1 AND u.unit_code < $2 AND u.disabled = 0 AND u.id <> $3 \
             ORDER BY u.unit_code, u.display_name LIMIT 500",
        )
        .bind(lo)
        .bind(hi)
        .bind(ctx.p.user_id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let (name, unit): (String, String) = (r.get(1), r.get(2));
            (r.get(0), format!("{name}（{unit}）"))
        })
        .collect()
    } else {
        Vec::new()
    };
    let (handlers, partners) = if can_handle {
        let rows = sqlx::query(
            "SELECT username, display_name, role FROM users WHERE unit_code = $1 AND disabled = 0 ORDER BY username",
        )
        .bind(&v.unit_code)
        .fetch_all(db.pool())
        .await?;
        let handlers = rows
            .iter()
            .filter(|r| {
                kernel::auth::roles::Role::parse(&r.get::<String, _>(2))
                    .is_some_and(|role| role.has(Perm::HandleCases))
            })
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let partners = store::partners(db, kernel::org::model::county_of(&v.unit_code))
            .await?
            .into_iter()
            .filter(|p| p.active)
            .collect();
        (handlers, partners)
    } else {
        (Vec::new(), Vec::new())
    };
    let is_dv = v
        .case
        .as_ref()
        .is_some_and(|c| c.type_code == "domestic_violence");
    let actions = if can_handle {
        model::actions_from(v.state)
    } else {
        Vec::new()
    };
    let (rare_actions, main_actions): (Vec<&'static str>, Vec<&'static str>) = actions
        .iter()
        .filter(|a| **a != "referral_answer")
        .partition(|a| RARE_MOVES.contains(a));
    Ok(ShowPage {
        c: Chrome::new(
            ctx,
            "cases",
            format!("{} {}", ctx.tr.s("case.title"), v.number),
        ),
        actions,
        main_actions,
        rare_actions,
        v,
        can_handle,
        handlers,
        colleagues,
        partners,
        risk_items: RISK_ITEMS.iter().map(|i| i.key).collect(),
        is_dv,
        errors,
        failed,
    })
}

/// 案件
async fn show_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
    Query(saved): Query<SavedQuery>,
) -> AppResult<Response> {
    let mut page = show(&state, &ctx, id, Vec::new(), String::new()).await?;
    page.c.notice = saved.saved.as_deref().map(|s| {
        let what = match s {
            "new" => ctx.tr.s("case.saved_new"),
            "glass" => ctx.tr.s("case.break_glass"),
            "grant" => ctx.tr.s("case.grant"),
            "risk" => ctx.tr.s("risk.assess"),
            "attach" => ctx.tr.s("attachment.upload"),
            action => ctx.tr.s(event_key(action)),
        };
        ctx.tr
            .f("case.saved", &[("what", &what), ("number", &page.v.number)])
    });
    Ok(render(&page))
}

async fn after<T>(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    failed: &str,
    r: AppResult<T>,
) -> AppResult<Response> {
    match r {
        Ok(_) => Ok(see_other(&format!("/cases/{id}?saved={failed}"))),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &show(state, ctx, id, errors, failed.to_string()).await?,
        )),
        Err(AppError::Conflict(k)) => Ok(render_with(
            StatusCode::CONFLICT,
            &show(
                state,
                ctx,
                id,
                vec![FieldError::new("version", k)],
                failed.to_string(),
            )
            .await?,
        )),
        Err(e) => Err(e),
    }
}

/// 办理: one move
async fn move_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    Form(mut f): Form<MoveInput>,
) -> AppResult<Response> {
    if f.action == "transfer" {
        // The unit it goes to, picked by name like every unit field.
        let p = kernel::org::pick::field(state.db(), &ctx.scope, "unit_code", &f.unit_code, true)
            .await?;
        match (p.code, p.error) {
            (Some(code), _) => f.unit_code = code,
            (None, Some(e)) => {
                return after(
                    &state,
                    &ctx,
                    id,
                    "transfer",
                    Err::<(), _>(AppError::Invalid(vec![e])),
                )
                .await
            }
            (None, None) => {}
        }
    }
    let r = service::act(&state, &ctx, id, &f).await;
    after(&state, &ctx, id, &f.action, r).await
}

#[derive(Deserialize)]
struct GlassForm {
    #[serde(default)]
    reason: String,
}

/// 紧急查阅 (break the glass)
async fn glass_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
    Form(f): Form<GlassForm>,
) -> AppResult<Response> {
    let r = service::break_glass(&state, &ctx, id, &f.reason).await;
    after(&state, &ctx, id, "glass", r).await
}

async fn grant_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    Form(f): Form<service::GrantInput>,
) -> AppResult<Response> {
    let r = service::grant(&state, &ctx, id, &f).await;
    after(&state, &ctx, id, "grant", r).await
}

/// The checklist arrives as `yes=risk.weapon&yes=risk.strangled…`.
async fn risk_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let mut input = service::RiskInput::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "yes" => input.yes.push(v.into_owned()),
            "version" => input.version = v.parse().ok(),
            _ => {}
        }
    }
    let r = service::assess(&state, &ctx, id, &input).await;
    after(&state, &ctx, id, "risk", r).await
}

/// 上传附件 (multipart: file, note)
async fn attach_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
    form: Multipart,
) -> AppResult<Response> {
    let r = match attachments::receive(form).await {
        Ok(up) => attachments::attach(&state, &ctx, id, up).await,
        Err(e) => Err(e),
    };
    after(&state, &ctx, id, "attach", r).await
}

/// 下载附件
async fn attachment_file(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path((id, aid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    attachments::download(&state, &ctx, id, aid).await
}

#[derive(Template)]
#[template(path = "cases/calls.html")]
struct CallsPage {
    c: Chrome,
    rows: Vec<Call>,
    types: Vec<CaseType>,
    form: CallForm,
    errors: Vec<FieldError>,
    pending: bool,
    page: i64,
    more: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct CallForm {
    #[serde(default)]
    call_date: String,
    #[serde(default)]
    caller_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default, rename = "type")]
    type_code: String,
    #[serde(default)]
    summary: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    needs_follow_up: bool,
    #[serde(default, deserialize_with = "flexible_bool")]
    open_case: bool,
    #[serde(default, deserialize_with = "flexible_bool")]
    restricted: bool,
}

impl CallForm {
    fn input(&self) -> CallInput {
        CallInput {
            call_date: self.call_date.clone(),
            caller_name: self.caller_name.clone(),
            phone: self.phone.clone(),
            type_code: self.type_code.clone(),
            summary: self.summary.clone(),
            needs_follow_up: self.needs_follow_up,
            open_case: self.open_case,
            restricted: self.restricted,
        }
    }
}

/// The case types a form offers: the active ones, in the reader's language.
async fn active_types(state: &AppState, ctx: &Ctx) -> AppResult<Vec<CaseType>> {
    Ok(store::types(state.db(), service::en(ctx))
        .await?
        .into_iter()
        .filter(|t| t.active)
        .collect())
}

#[derive(Deserialize)]
struct CallsQuery {
    pending: Option<String>,
    page: Option<i64>,
}

async fn calls_view(
    state: &AppState,
    ctx: &Ctx,
    q: &CallsQuery,
    form: CallForm,
    errors: Vec<FieldError>,
) -> AppResult<CallsPage> {
    let paging = Paging::new(q.page, 50);
    let pending = q.pending.is_some();
    let mut rows = calls::list(state, ctx, pending, paging.size + 1, paging.offset()).await?;
    let more = rows.len() as i64 > paging.size;
    rows.truncate(paging.size as usize);
    Ok(CallsPage {
        c: Chrome::new(ctx, "cases", ctx.tr.s("call.title").to_string()),
        types: store::types(state.db(), service::en(ctx)).await?,
        rows,
        form,
        errors,
        pending,
        page: paging.page,
        more,
    })
}

/// 12338 来电登记
async fn calls_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Query(q): Query<CallsQuery>,
) -> AppResult<Response> {
    Ok(render(
        &calls_view(&state, &ctx, &q, CallForm::default(), Vec::new()).await?,
    ))
}

async fn call_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Form(f): Form<CallForm>,
) -> AppResult<Response> {
    let input = f.input();
    match calls::log(&state, &ctx, &input).await {
        Ok(l) => Ok(match l.case {
            Some(c) => see_other(&format!("/cases/{c}")),
            None => see_other("/cases/calls"),
        }),
        Err(AppError::Invalid(errors)) => {
            let q = CallsQuery {
                pending: None,
                page: None,
            };
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &calls_view(&state, &ctx, &q, f, errors).await?,
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/note.html")]
struct NotePage {
    c: Chrome,
    types: Vec<CaseType>,
    form: CallForm,
    errors: Vec<FieldError>,
    /// The unit the note reaches, by name.
    to: String,
}

impl NotePage {
    fn err(&self, field: &str) -> &'static str {
        error_of(&self.errors, self.c.tr, field)
    }
}

async fn note_view(
    state: &AppState,
    ctx: &Ctx,
    form: CallForm,
    errors: Vec<FieldError>,
) -> AppResult<NotePage> {
    let to_code = calls::note_unit(&ctx.p.unit_code);
    let to = sqlx::query_scalar::<_, String>("SELECT name FROM org_units WHERE code = $1")
        .bind(&to_code)
        .fetch_optional(state.db().pool())
        .await?
        .unwrap_or(to_code);
    Ok(NotePage {
        c: Chrome::new(ctx, "cases", ctx.tr.s("note.title").to_string()),
        types: active_types(state, ctx).await?,
        form,
        errors,
        to,
    })
}

/// 转报线索: what a woman told her village director, passed on to the township.
async fn note_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Query(saved): Query<SavedQuery>,
) -> AppResult<Response> {
    let mut page = note_view(&state, &ctx, CallForm::default(), Vec::new()).await?;
    if saved.saved.is_some() {
        page.c.notice = Some(ctx.tr.f("note.saved", &[("to", &page.to)]));
    }
    Ok(render(&page))
}

async fn note_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Form(f): Form<CallForm>,
) -> AppResult<Response> {
    match calls::pass_on(&state, &ctx, &f.input()).await {
        Ok(_) => Ok(see_other("/cases/notes?saved=1")),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &note_view(&state, &ctx, f, errors).await?,
        )),
        Err(e) => Err(e),
    }
}

/// 转为案件
async fn call_case_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let case = calls::to_case(&state, &ctx, id).await?;
    Ok(see_other(&format!("/cases/{case}")))
}

async fn ack_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::HandleCases>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = kernel::audit::begin(state.db()).await?;
    let case = store::ack_alert(&mut tx, id, &ctx.p.unit_code, ctx.p.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::append(
        &mut tx,
        Entry::new(
            &ctx.actor(),
            "case.alert_ack",
            &ctx.p.unit_code,
            &format!("case:{case}"),
        )
        .detail(serde_json::json!({ "alert": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other("/cases"))
}

#[derive(Template)]
#[template(path = "cases/figures.html")]
struct FiguresPage {
    c: Chrome,
    r: Report,
    q: figures::Query,
    unit: UnitFilterField,
    unit_label: String,
}

/// 维权信访统计
async fn figures_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(mut q): Query<figures::Query>,
) -> AppResult<Response> {
    for d in [&mut q.from, &mut q.to, &mut q.as_of] {
        kernel::time::normalize_date_param(d);
    }
    let unit = kernel::org::pick::filter(state.db(), &ctx.scope, q.unit.as_deref()).await?;
    q.unit = unit.code().map(str::to_string);
    let r = figures::report(state.db(), &ctx, &q).await?;
    let unit_label = match &unit.unit {
        Some(u) => u.label(),
        None => ctx.p.unit_name.clone(),
    };
    let link_base = q.clone();
    let unit = UnitFilterField::new(ctx.tr, unit, |code| {
        figures_link(&figures::Query {
            unit: Some(code.to_string()),
            ..link_base.clone()
        })
    });
    Ok(render(&FiguresPage {
        c: Chrome::new(&ctx, "reports", ctx.tr.s("figures.title").to_string()),
        r,
        q,
        unit,
        unit_label,
    }))
}

fn figures_link(q: &figures::Query) -> String {
    let s = kernel::web::page::query_string(&[
        ("from", q.from.as_deref()),
        ("to", q.to.as_deref()),
        ("as_of", q.as_of.as_deref()),
        ("unit", q.unit.as_deref()),
    ]);
    format!("/cases/figures?{s}")
}

/// A rate as a percentage for the page (`98.5%`), a dash when there is none.
pub fn percent(r: &Option<f64>) -> String {
    match r {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "-".into(),
    }
}

/// A stored time for pages (templates hand functions references).
pub fn when(ms: &i64) -> String {
    kernel::time::format_ms(*ms)
}

fn error_of(errors: &[FieldError], tr: kernel::i18n::Tr, field: &str) -> &'static str {
    kernel::error::field_error(errors, field)
        .map(|k| tr.s(k))
        .unwrap_or("")
}

impl NewPage {
    fn err(&self, field: &str) -> &'static str {
        error_of(&self.errors, self.c.tr, field)
    }
}

impl CallsPage {
    fn err(&self, field: &str) -> &'static str {
        error_of(&self.errors, self.c.tr, field)
    }

    fn type_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.types
            .iter()
            .find(|t| t.code == code)
            .map_or(code, |t| t.name.as_str())
    }
}

impl ShowPage {
    fn err(&self, field: &str) -> &'static str {
        error_of(&self.errors, self.c.tr, field)
    }

    fn size(&self, bytes: &i64) -> String {
        if *bytes >= 1024 * 1024 {
            format!("{:.1} MB", *bytes as f64 / 1048576.0)
        } else {
            format!("{} KB", (*bytes + 1023) / 1024)
        }
    }

    fn risk_key(&self, level: &str) -> &'static str {
        model::RiskLevel::parse(level)
            .map(|l| l.label_key())
            .unwrap_or("risk.level")
    }

    fn party_key(&self, role: &str) -> &'static str {
        party_key(role)
    }

    fn referral_key(&self, status: &str) -> &'static str {
        match status {
            "accepted" => "case.referral_accepted",
            "returned" => "case.referral_returned",
            _ => "case.referral_pending_label",
        }
    }

    fn event_key(&self, kind: &str) -> &'static str {
        event_key(kind)
    }

    fn action_key(&self, action: &str) -> &'static str {
        event_key(action)
    }

    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    /// 受理 → 交办 → 办理/转介 → 结案 → 回访, each done, current or ahead.
    fn flow(&self) -> Vec<(&'static str, &'static str)> {
        use model::State as S;
        let at = match self.v.state {
            S::Received => 0,
            S::Declined => 0,
            S::Accepted => 1,
            S::Assigned | S::InProgress => 2,
            S::Closed => 4,
            S::FollowedUp | S::Archived => 5,
        };
        FLOW.iter()
            .enumerate()
            .map(|(i, k)| {
                let class = match i.cmp(&at) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "now",
                    std::cmp::Ordering::Greater => "ahead",
                };
                (*k, class)
            })
            .collect()
    }

    fn steps(&self) -> [&'static str; 6] {
        service::STEPS
    }

    /// The structured facts of a timeline entry, in words.
    fn detail_text(&self, e: &store::Event) -> String {
        let tr = self.c.tr;
        let d = &e.detail;
        let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        match e.kind.as_str() {
            "assign" => s("name"),
            "transfer" => format!("{} → {}", s("from"), s("to")),
            "refer" => s("partner"),
            "referral_answer" => tr.s(self.referral_key(&s("answer"))).to_string(),
            "extend" => format!(
                "{} {}",
                d.get("days").and_then(|v| v.as_i64()).unwrap_or(0),
                tr.s("case.days")
            ),
            "supervise" => format!("{} {}", tr.s("case.supervision_due"), s("due")),
            "attach" => s("file_name"),
            "follow_up" => format!(
                "{} {}",
                tr.s("case.score"),
                d.get("score").and_then(|v| v.as_i64()).unwrap_or(0)
            ),
            "mediation" => match s("outcome").as_str() {
                "success" => tr.s("case.outcome_success").to_string(),
                "failed" => tr.s("case.outcome_failed").to_string(),
                _ => tr.s("case.outcome_ongoing").to_string(),
            },
            "instrument" => format!(
                "{} {} {} {}",
                if s("instrument") == "warning" {
                    tr.s("case.instrument_warning")
                } else {
                    tr.s("case.instrument_order")
                },
                s("issuer"),
                s("number"),
                s("valid_until")
            ),
            "risk" => format!(
                "{} {}",
                tr.s(self.risk_key(&s("level"))),
                d.get("score").and_then(|v| v.as_i64()).unwrap_or(0)
            ),
            _ => String::new(),
        }
    }
}

pub fn party_key(role: &str) -> &'static str {
    match role {
        "complainant" => "party.complainant",
        "victim" => "party.victim",
        "respondent" => "party.respondent",
        _ => "party.child",
    }
}

/// The catalogue key of a timeline entry's kind (a move or a step).
pub fn event_key(kind: &str) -> &'static str {
    match kind {
        "receive" => "event.receive",
        "accept" => "event.accept",
        "decline" => "event.decline",
        "transfer" => "event.transfer",
        "assign" => "event.assign",
        "step" => "event.step",
        "call" => "event.call",
        "visit" => "event.visit",
        "mediation" => "event.mediation",
        "legal_aid" => "event.legal_aid",
        "instrument" => "event.instrument",
        "note" => "event.note",
        "refer" => "event.refer",
        "referral_answer" => "event.referral_answer",
        "extend" => "event.extend",
        "supervise" => "event.supervise",
        "close" => "event.close",
        "follow_up" => "event.follow_up",
        "reopen" => "event.reopen",
        "archive" => "event.archive",
        "risk" => "event.risk",
        "attach" => "event.attach",
        _ => "event.other",
    }
}

impl FiguresPage {
    fn query(&self) -> String {
        kernel::web::page::query_string(&[
            ("from", Some(self.r.from.as_str())),
            ("to", Some(self.r.to.as_str())),
            ("as_of", Some(self.r.as_of.as_str())),
            ("unit", self.q.unit.as_deref()),
        ])
    }

    /// Whose figures, for which days: `邵阳县 · 2026-01-01 至 2026-12-07（统计时点 …）`.
    fn heading(&self) -> String {
        self.c.tr.f(
            "figures.heading",
            &[
                ("unit", &self.unit_label),
                ("from", &self.r.from),
                ("to", &self.r.to),
                ("as_of", &self.r.as_of),
            ],
        )
    }

    /// A row of a grouping by unit leads to that unit's own figures, for the same days.
    fn drill(&self, grouping: &str, key: &str) -> Option<String> {
        let by_unit = grouping == "figures.by_township" || grouping == "figures.by_unit";
        // The county's own level is a row of its own, not a unit to drill into.
        if !by_unit || key == self.r.unit_code || key.ends_with("000000") {
            return None;
        }
        Some(figures_link(&figures::Query {
            unit: Some(key.to_string()),
            ..self.q.clone()
        }))
    }

    fn groupings(&self) -> Vec<(&'static str, &Vec<figures::Group>, bool)> {
        groupings(&self.r)
            .into_iter()
            .map(|(k, g)| (k, g, k != "figures.by_unit"))
            .collect()
    }

    fn chart(&self, groups: &[figures::Group]) -> String {
        bar_chart(self.c.tr, groups)
    }
}

fn groupings(r: &Report) -> Vec<(&'static str, &Vec<figures::Group>)> {
    vec![
        ("figures.by_type", &r.by_type),
        ("figures.by_channel", &r.by_channel),
        ("figures.by_township", &r.by_township),
        ("figures.by_month", &r.by_month),
        ("figures.by_unit", &r.by_unit),
    ]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart (SVG, drawn here: no script, nothing fetched): received cases per
/// group, with the closed ones over them.
pub fn bar_chart(tr: kernel::i18n::Tr, groups: &[figures::Group]) -> String {
    let max = groups
        .iter()
        .map(|g| g.figure.counts.received)
        .max()
        .unwrap_or(0)
        .max(1);
    // As wide as a phone's page, so that 14-unit text stays at least 12 px there.
    let row = 24;
    let height = row * groups.len() as i64 + 24;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 360 {height}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"110\" y=\"4\" width=\"12\" height=\"12\" fill=\"#c9d6e8\"/><text x=\"126\" y=\"15\" font-size=\"14\">{}</text>\
         <rect x=\"210\" y=\"4\" width=\"12\" height=\"12\" fill=\"#b03a48\"/><text x=\"226\" y=\"15\" font-size=\"14\">{}</text>",
        xml_escape(tr.s("figures.received")),
        xml_escape(tr.s("figures.closed"))
    );
    for (i, g) in groups.iter().enumerate() {
        let y = 24 + row * i as i64;
        let w = |n: i64| n * 190 / max;
        svg.push_str(&format!(
            "<text x=\"104\" y=\"{}\" font-size=\"14\" text-anchor=\"end\">{}</text>\
             <rect x=\"110\" y=\"{y}\" width=\"{}\" height=\"18\" fill=\"#c9d6e8\"/>\
             <rect x=\"110\" y=\"{}\" width=\"{}\" height=\"9\" fill=\"#b03a48\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"14\">{}</text>",
            y + 14,
            xml_escape(&g.label.chars().take(7).collect::<String>()),
            w(g.figure.counts.received),
            y + 5,
            w(g.figure.counts.closed),
            116 + w(g.figure.counts.received),
            y + 14,
            g.figure.counts.received
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The figures as a workbook: the total and one sheet per grouping.
async fn figures_xlsx(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(mut q): Query<figures::Query>,
) -> AppResult<Response> {
    for d in [&mut q.from, &mut q.to, &mut q.as_of] {
        kernel::time::normalize_date_param(d);
    }
    let r = figures::report(state.db(), &ctx, &q).await?;
    let bytes = figures_workbook(ctx.tr, &r).map_err(|e| AppError::Internal(e.into()))?;
    Ok(registry::export::xlsx_response(
        bytes,
        &format!("case-figures-{}-{}.xlsx", r.from, r.to),
    ))
}

fn figures_workbook(
    tr: kernel::i18n::Tr,
    r: &Report,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let heads = [
        "figures.received",
        "figures.accepted",
        "figures.declined",
        "figures.pending",
        "figures.closed",
        "figures.closure_rate",
        "figures.closed_on_time",
        "figures.on_time_rate",
        "figures.repeats",
        "figures.repeat_rate",
        "figures.followed_up",
        "figures.satisfaction_mean",
        "figures.satisfied_share",
        "figures.extended",
        "figures.supervised",
        "figures.reopened",
        "figures.transferred",
        "figures.overdue",
        "figures.soon_due",
    ];
    let total = figures::Group {
        key: "total".into(),
        label: tr.s("figures.total").into(),
        figure: r.total.clone(),
    };
    let total_rows = vec![total];
    let mut sheets = vec![("figures.total", &total_rows)];
    sheets.extend(groupings(r));
    for (title, groups) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(tr.s(title))?;
        ws.write_string(
            0,
            0,
            format!(
                "{} {} – {} ({} {})",
                tr.s("figures.title"),
                r.from,
                r.to,
                tr.s("figures.as_of"),
                r.as_of
            ),
        )?;
        for (i, h) in heads.iter().enumerate() {
            ws.write_string(1, i as u16 + 1, tr.s(h))?;
        }
        for (n, g) in groups.iter().enumerate() {
            let row = n as u32 + 2;
            let f = &g.figure;
            let c = &f.counts;
            ws.write_string(row, 0, &g.label)?;
            let cells: [Option<f64>; 19] = [
                Some(c.received as f64),
                Some(c.accepted as f64),
                Some(c.declined as f64),
                Some(c.pending_decision as f64),
                Some(c.closed as f64),
                f.closure_rate,
                Some(c.closed_on_time as f64),
                f.on_time_rate,
                Some(c.repeats as f64),
                f.repeat_rate,
                Some(c.followed_up as f64),
                f.satisfaction_mean,
                f.satisfied_share,
                Some(c.extended as f64),
                Some(c.supervised as f64),
                Some(c.reopened as f64),
                Some(c.transferred as f64),
                Some(c.overdue as f64),
                Some(c.soon_due as f64),
            ];
            for (i, v) in cells.iter().enumerate() {
                if let Some(v) = v {
                    ws.write_number(row, i as u16 + 1, *v)?;
                }
            }
        }
    }
    wb.save_to_buffer()
}

#[derive(Template)]
#[template(path = "cases/sheet.html")]
struct SheetPage {
    tr: kernel::i18n::Tr,
    v: CaseView,
    unit: String,
}

impl SheetPage {
    fn party_key(&self, role: &str) -> &'static str {
        party_key(role)
    }

    fn event_key(&self, kind: &str) -> &'static str {
        event_key(kind)
    }
}

/// 案件登记表, for printing
async fn sheet_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let v = service::view(&state, &ctx, id).await?;
    if v.case.is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(render(&SheetPage {
        tr: ctx.tr,
        unit: ctx.p.unit_name.clone(),
        v,
    }))
}
