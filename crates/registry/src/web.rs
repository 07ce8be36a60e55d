//! Registry pages: the person list with search and filters, register, view, edit, reveal.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::auth::roles::need;
use kernel::auth::{Can, Ctx, Perm};
use kernel::error::{AppError, AppResult, FieldError};
use kernel::idcard::Sex;
use kernel::state::AppState;
use kernel::web::page::{render, render_with, see_other, Chrome, Paging, SavedQuery};
use kernel::web::pick::{UnitField, UnitFilterField, UnitInputs};

use crate::access::Seer;
use crate::person::{Person, PersonInput, Revealed};
use crate::service;
use crate::store::{self, Filter};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/persons", get(list_page))
        .route(
            "/registry/persons/export.xlsx",
            get(crate::export::export_persons),
        )
        .route("/registry/persons/new", get(new_page).post(new_submit))
        .route("/registry/persons/{id}", get(show_page))
        .route(
            "/registry/persons/{id}/edit",
            get(edit_page).post(edit_submit),
        )
        .route("/registry/persons/{id}/reveal", post(reveal_submit))
}

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "registry/list.html")]
struct ListPage {
    c: Chrome,
    f: Filter,
    unit: UnitFilterField,
    categories: Vec<crate::category::model::Category>,
    persons: Vec<Person>,
    /// How many persons match, over every page.
    total: i64,
    page: i64,
    more: bool,
    can_edit: bool,
    can_reveal: bool,
}

/// The list's address with these filters.
fn list_link(f: &Filter) -> String {
    let s = kernel::web::page::query_string(&[
        ("q", f.q.as_deref()),
        ("unit", f.unit.as_deref()),
        ("sex", f.sex.as_deref()),
        ("sort", f.sort.as_deref()),
        ("category", f.category.as_deref()),
    ]);
    format!("/registry/persons?{s}")
}

impl ListPage {
    fn link(&self, page: i64) -> String {
        format!("{}&page={page}", list_link(&self.f))
    }

    fn eth(&self, code: &str) -> String {
        self.c.tr.s(&crate::ethnicity::key(code)).to_string()
    }

    fn total_text(&self) -> String {
        self.c.tr.f("common.total_persons", &[("n", &self.total)])
    }

    fn day(&self, ms: &i64) -> String {
        kernel::time::format_ms(*ms).chars().take(10).collect()
    }

    fn export_link(&self, full: bool) -> String {
        let s = kernel::web::page::query_string(&[
            ("q", self.f.q.as_deref()),
            ("unit", self.f.unit.as_deref()),
            ("sex", self.f.sex.as_deref()),
            ("sort", self.f.sort.as_deref()),
            ("category", self.f.category.as_deref()),
            ("full", if full { Some("1") } else { None }),
        ]);
        format!("/registry/persons/export.xlsx?{s}")
    }
}

/// 人员台账
async fn list_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Query(mut f): Query<Filter>,
) -> AppResult<Response> {
    let paging = Paging::new(f.page, PER_PAGE);
    let seer = Seer::of(&ctx);
    let unit = kernel::org::pick::filter(state.db(), &ctx.scope, f.unit.as_deref()).await?;
    f.unit = unit.code().map(str::to_string);
    let unit = UnitFilterField::new(ctx.tr, unit, |code| {
        list_link(&Filter {
            unit: Some(code.to_string()),
            ..f.clone()
        })
    });
    let rows = store::search(
        state.db(),
        &state.cipher,
        &seer,
        &f,
        paging.size + 1,
        paging.offset(),
    )
    .await?;
    let more = rows.len() as i64 > paging.size;
    let persons: Vec<Person> = rows
        .into_iter()
        .take(paging.size as usize)
        .map(|r| seer.person(r.person))
        .collect();
    let total = if paging.page == 1 && !more {
        persons.len() as i64
    } else {
        store::count(state.db(), &state.cipher, &seer, &f).await?
    };
    let page = ListPage {
        total,
        c: Chrome::new(&ctx, "registry", ctx.tr.s("person.list_title").to_string()),
        categories: crate::category::store::list(state.db()).await?,
        f,
        unit,
        persons,
        page: paging.page,
        more,
        can_edit: ctx.p.role.has(Perm::EditRecords),
        can_reveal: ctx.p.role.has(Perm::RevealPersonal),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "registry/form.html")]
struct FormPage {
    c: Chrome,
    action: String,
    form: PersonInput,
    errors: Vec<FieldError>,
    ethnicities: Vec<String>,
    unit: UnitField,
    hukou: UnitField,
}

impl FormPage {
    fn eth(&self, code: &str) -> String {
        self.c.tr.s(&crate::ethnicity::key(code)).to_string()
    }

    /// A form showing its stored (or proposed) units.
    async fn new(
        state: &AppState,
        ctx: &Ctx,
        title: &str,
        action: String,
        form: PersonInput,
    ) -> AppResult<FormPage> {
        let db = state.db();
        let unit =
            UnitField::showing(db, ctx, "unit_code", "person.unit", Some(&form.unit_code)).await?;
        let mut hukou = UnitField::showing(
            db,
            ctx,
            "hukou_code",
            "person.hukou",
            Some(&form.hukou_code),
        )
        .await?;
        hukou.root.clear();
        Ok(FormPage::given_back(
            ctx,
            title,
            action,
            form,
            Vec::new(),
            unit,
            hukou,
        ))
    }

    /// A form sent back after a failed save, its unit fields as they were typed.
    fn failed(
        ctx: &Ctx,
        title: &str,
        action: String,
        form: PersonInput,
        mut errors: Vec<FieldError>,
        units: &UnitInputs,
    ) -> FormPage {
        units.merge(&mut errors);
        let unit = units.field(ctx, "unit_code", "person.unit", &errors);
        let mut hukou = units.field(ctx, "hukou_code", "person.hukou", &errors);
        if hukou.value.is_empty() {
            hukou.value = form.hukou_code.clone();
        }
        hukou.root.clear();
        FormPage::given_back(ctx, title, action, form, errors, unit, hukou)
    }

    fn given_back(
        ctx: &Ctx,
        title: &str,
        action: String,
        form: PersonInput,
        errors: Vec<FieldError>,
        unit: UnitField,
        hukou: UnitField,
    ) -> FormPage {
        FormPage {
            c: Chrome::new(ctx, "registry", ctx.tr.s(title).to_string()),
            action,
            form,
            errors,
            ethnicities: crate::ethnicity::codes().collect(),
            unit,
            hukou,
        }
    }
}

/// Reads the residence (required, in the scope) and the household registration (any
/// code, or a unit of the scope by name) as the service takes them: codes.
async fn read_units(state: &AppState, ctx: &Ctx, form: &mut PersonInput) -> AppResult<UnitInputs> {
    let hukou_is_code = kernel::text::normalize_digits(&form.hukou_code)
        .bytes()
        .all(|b| b.is_ascii_digit());
    let mut fields = vec![("unit_code", &mut form.unit_code, true)];
    if !hukou_is_code {
        fields.push(("hukou_code", &mut form.hukou_code, false));
    }
    UnitInputs::read(state.db(), ctx, &mut fields).await
}

#[derive(serde::Deserialize)]
struct UnitQuery {
    unit: Option<String>,
}

/// 登记人员
async fn new_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Query(q): Query<UnitQuery>,
) -> AppResult<Response> {
    let form = PersonInput {
        unit_code: q.unit.unwrap_or_default(),
        ethnicity: "01".into(),
        ..PersonInput::default()
    };
    let page = FormPage::new(
        &state,
        &ctx,
        "person.new_title",
        "/registry/persons/new".into(),
        form,
    )
    .await?;
    Ok(render(&page))
}

async fn new_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Form(mut form): Form<PersonInput>,
) -> AppResult<Response> {
    let typed = form.clone();
    let units = read_units(&state, &ctx, &mut form).await?;
    match service::create(&state, &ctx, &form).await {
        Ok(p) => Ok(see_other(&format!("/registry/persons/{}?saved=new", p.id))),
        Err(AppError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage::failed(
                &ctx,
                "person.new_title",
                "/registry/persons/new".into(),
                typed,
                errors,
                &units,
            ),
        )),
        Err(e) => Err(e),
    }
}

/// A membership as the person's page shows it.
pub struct MembershipView {
    pub m: crate::category::store::Membership,
    pub name: String,
    pub fields: Vec<(String, String)>,
    pub events: Vec<crate::category::store::Event>,
}

async fn membership_views(
    state: &AppState,
    ctx: &Ctx,
    person_id: i64,
) -> AppResult<Vec<MembershipView>> {
    use crate::category::{model::show_value, store as cs};
    let cats = cs::list(state.db()).await?;
    let mut out = Vec::new();
    for m in cs::of_person(state.db(), &Seer::of(ctx), person_id).await? {
        let Some(cat) = cats.iter().find(|c| c.code == m.category_code) else {
            continue;
        };
        let fields = cat
            .fields
            .iter()
            .map(|f| {
                (
                    f.label(&ctx.tr).to_string(),
                    m.attrs.get(&f.key).map(show_value).unwrap_or_default(),
                )
            })
            .collect();
        out.push(MembershipView {
            name: cat.name(&ctx.tr).to_string(),
            fields,
            events: cs::events(state.db(), m.id).await?,
            m,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "registry/show.html")]
struct ShowPage {
    c: Chrome,
    p: Person,
    memberships: Vec<MembershipView>,
    household: Option<i64>,
    revealed: Option<Revealed>,
    can_edit: bool,
    can_reveal: bool,
    hidden: bool,
    age: i32,
}

impl ShowPage {
    fn new(
        ctx: &Ctx,
        p: Person,
        revealed: Option<Revealed>,
        memberships: Vec<MembershipView>,
    ) -> ShowPage {
        let seer = Seer::of(ctx);
        let hidden = !seer.sees(&p.unit_code, p.restricted);
        let age = chrono::NaiveDate::parse_from_str(&p.birth_date, "%Y-%m-%d")
            .map(|b| crate::person::age(b, kernel::time::today()))
            .unwrap_or(-1);
        let p = seer.person(p);
        let memberships = if hidden { Vec::new() } else { memberships };
        ShowPage {
            memberships,
            household: None,
            c: Chrome::new(ctx, "registry", p.name.clone()),
            can_edit: ctx.p.role.has(Perm::EditRecords) && !hidden,
            can_reveal: ctx.p.role.has(Perm::RevealPersonal) && !hidden && revealed.is_none(),
            hidden,
            age,
            revealed,
            p,
        }
    }

    /// `退出该人群（不再是留守妇女）`: what ending a membership does, in the group's name.
    fn end_label(&self, group: &str) -> String {
        self.c.tr.f("category.end_named", &[("group", &group)])
    }

    fn end_confirm(&self, group: &str) -> String {
        self.c.tr.f(
            "category.end_confirm",
            &[("group", &group), ("name", &self.p.name)],
        )
    }

    fn eth(&self, code: &str) -> String {
        if code.is_empty() {
            String::new()
        } else {
            self.c.tr.s(&crate::ethnicity::key(code)).to_string()
        }
    }
}

/// 人员详情
async fn show_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Path(id): Path<i64>,
    Query(saved): Query<SavedQuery>,
) -> AppResult<Response> {
    let row = store::get(state.db(), &state.cipher, &ctx.scope, id).await?;
    let ms = membership_views(&state, &ctx, id).await?;
    let mut page = ShowPage::new(&ctx, row.person, None, ms);
    let key = match saved.saved.as_deref() {
        Some("new") => Some("person.saved_new"),
        Some("edit") => Some("person.saved_edit"),
        _ => None,
    };
    if let (Some(key), false) = (key, page.hidden) {
        let text = ctx
            .tr
            .f(key, &[("name", &page.p.name), ("unit", &page.p.unit_name)]);
        page.c.notice = Some(text);
    }
    page.household = crate::household::store::of_person(state.db(), id).await?;
    Ok(render(&page))
}

/// 查看完整信息 (audited)
async fn reveal_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::RevealPersonal>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (row, revealed) = service::reveal(&state, &ctx, id).await?;
    let ms = membership_views(&state, &ctx, id).await?;
    let mut page = ShowPage::new(&ctx, row.person, Some(revealed), ms);
    page.household = crate::household::store::of_person(state.db(), id).await?;
    Ok(render(&page))
}

fn input_of(p: &Person) -> PersonInput {
    PersonInput {
        name: p.name.clone(),
        sex: p.sex.code().to_string(),
        birth_date: p.birth_date.clone(),
        ethnicity: p.ethnicity.clone(),
        unit_code: p.unit_code.clone(),
        hukou_code: p.hukou_code.clone(),
        notes: p.notes.clone(),
        restricted: p.restricted,
        version: Some(p.version),
        ..PersonInput::default()
    }
}

/// 编辑人员: sensitive fields are re-entered only when they change; left empty, they stay.
async fn edit_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let row = store::get(state.db(), &state.cipher, &ctx.scope, id).await?;
    Seer::of(&ctx).may_change(&row.person.unit_code, row.person.restricted)?;
    let form = input_of(&row.person);
    let page = FormPage::new(
        &state,
        &ctx,
        "person.edit_title",
        format!("/registry/persons/{id}/edit"),
        form,
    )
    .await?;
    Ok(render(&page))
}

async fn edit_submit(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::EditRecords>,
    Path(id): Path<i64>,
    Form(mut form): Form<PersonInput>,
) -> AppResult<Response> {
    // Empty sensitive fields on the edit form mean "unchanged".
    let row = store::get(state.db(), &state.cipher, &ctx.scope, id).await?;
    let old = row.reveal(&state.cipher);
    for (typed, stored) in [
        (&mut form.id_number, old.id_number),
        (&mut form.phone, old.phone),
        (&mut form.address, old.address),
    ] {
        if typed.trim().is_empty() {
            *typed = stored.unwrap_or_default();
        }
    }
    let typed = form.clone();
    let units = read_units(&state, &ctx, &mut form).await?;
    match service::update(&state, &ctx, id, &form).await {
        Ok(p) => Ok(see_other(&format!("/registry/persons/{}?saved=edit", p.id))),
        Err(AppError::Invalid(errors)) => {
            let page = FormPage::failed(
                &ctx,
                "person.edit_title",
                format!("/registry/persons/{id}/edit"),
                blank_sensitive(typed),
                errors,
                &units,
            );
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Conflict(k)) => {
            let page = FormPage::failed(
                &ctx,
                "person.edit_title",
                format!("/registry/persons/{id}/edit"),
                blank_sensitive(typed),
                vec![FieldError::new("version", k)],
                &units,
            );
            Ok(render_with(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e),
    }
}

/// Sensitive values never travel back into a page unasked.
fn blank_sensitive(mut f: PersonInput) -> PersonInput {
    f.id_number.clear();
    f.phone.clear();
    f.address.clear();
    f
}

/// The sex options of forms and filters.
pub fn sexes() -> [Sex; 2] {
    [Sex::Female, Sex::Male]
}
