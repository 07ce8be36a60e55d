//! The one way figures are shown: a capability's measures for a unit and a period as a
//! table rolled up the tree (the unit, then each unit one level below, each a link to go
//! down), a bar chart of one measure across those units, each measure's definition, and
//! the same table as .xlsx.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use super::api::{evaluate, Figures, UnitValue, Value};
use super::{period, Ask, Measure, MeasureUnit, Measures};
use crate::auth::roles::need;
use crate::auth::{Can, Ctx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::page::{query_string, render, Chrome};
use crate::web::pick::UnitFilterField;

pub fn routes(measures: Measures) -> Router<AppState> {
    Router::new()
        .route("/figures", get(figures_page))
        .route("/figures.xlsx", get(figures_xlsx))
        .layer(Extension(measures))
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct FiguresQuery {
    /// The capability whose measures are shown (default: the first that has any)
    pub set: Option<String>,
    pub unit: Option<String>,
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub as_of: Option<String>,
    /// The measure charted (default: the first count of the set)
    pub chart: Option<String>,
}

impl FiguresQuery {
    fn link(&self, path: &str, unit: Option<&str>) -> String {
        let s = query_string(&[
            ("set", self.set.as_deref()),
            ("unit", unit),
            ("period", self.period.as_deref()),
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("as_of", self.as_of.as_deref()),
            ("chart", self.chart.as_deref()),
        ]);
        format!("{path}?{s}")
    }
}

/// The figures of one set of measures for one unit: one column per measure, the unit's
/// total first, then the units below.
pub struct Table {
    pub set: String,
    pub unit_code: String,
    pub unit_name: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub columns: Vec<Column>,
    /// Per row: the unit's code and name, whether it can be gone into, and a value per column.
    pub rows: Vec<TableRow>,
}

pub struct Column {
    /// The list of the records behind a unit's value.
    pub records: Option<fn(&str) -> String>,
    pub id: String,
    pub name: String,
    pub definition: String,
    pub unit: MeasureUnit,
    pub unit_label: String,
}

pub struct TableRow {
    pub unit_code: String,
    pub unit_name: String,
    /// A unit below, which has its own figures page.
    pub below: bool,
    pub values: Vec<Value>,
}

/// Shows a value: a count as a whole number, a ratio as a percentage, `-` for none.
pub fn show(v: &Value, unit: MeasureUnit) -> String {
    match (v.value, unit) {
        (None, _) => "-".into(),
        (Some(x), MeasureUnit::Percent) => format!("{:.1}%", x * 100.0),
        (Some(x), MeasureUnit::Yuan) => format!("{:.2}", x / 100.0),
        (Some(x), _) => format!("{}", x.round() as i64),
    }
}

/// The measures of a set, evaluated for a unit and a period.
pub async fn table(
    state: &AppState,
    ctx: &Ctx,
    measures: &Measures,
    set: &str,
    unit: &str,
    q: &FiguresQuery,
) -> AppResult<Table> {
    let when = period::when(
        q.period.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.as_of.as_deref(),
    )?;
    let ask = Ask {
        unit: unit.to_string(),
        from: when.from,
        to: when.to,
        as_of: when.as_of,
        by: None,
    };
    let of_set: Vec<&Measure> = measures
        .all()
        .iter()
        .filter(|m| m.id.split('.').next() == Some(set))
        .collect();
    if of_set.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut figures: Vec<Figures> = Vec::new();
    for m in &of_set {
        figures.push(evaluate(state, measures, m, &ask, ctx.tr).await?);
    }
    let first = &figures[0];
    let mut rows = vec![TableRow {
        unit_code: first.unit_code.clone(),
        unit_name: first.unit_name.clone(),
        below: false,
        values: figures.iter().map(|f| f.total.clone()).collect(),
    }];
    // Every measure lists the same units below, but for a `本级` row of its own.
    let mut units: Vec<(String, String, bool)> = Vec::new();
    for f in &figures {
        for u in &f.units {
            if !units.iter().any(|(c, ..)| *c == u.unit_code) {
                units.push((
                    u.unit_code.clone(),
                    u.unit_name.clone(),
                    u.unit_code != unit,
                ));
            }
        }
    }
    for (code, name, below) in units {
        let values = figures
            .iter()
            .map(|f| {
                f.units
                    .iter()
                    .find(|u: &&UnitValue| u.unit_code == code)
                    .map(|u| u.value.clone())
                    .unwrap_or_default()
            })
            .collect();
        rows.push(TableRow {
            unit_code: code,
            unit_name: name,
            below,
            values,
        });
    }
    Ok(Table {
        set: set.to_string(),
        unit_code: first.unit_code.clone(),
        unit_name: first.unit_name.clone(),
        from: first.from.clone(),
        to: first.to.clone(),
        as_of: first.as_of.clone(),
        columns: figures
            .iter()
            .zip(&of_set)
            .map(|(f, m)| Column {
                records: m.records,
                id: f.measure.id.clone(),
                name: f.measure.name.clone(),
                definition: f.measure.definition.clone(),
                unit: f.measure.unit,
                unit_label: f.measure.unit_label.clone(),
            })
            .collect(),
        rows,
    })
}

/// One bar of the chart, laid out for the SVG template.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: i64,
    pub width: i64,
}

/// A horizontal bar chart of one column across the units below, drawn by a template so
/// that every text is escaped by the template engine.
#[derive(Template)]
#[template(path = "figures/chart.svg", escape = "html")]
pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
    pub height: i64,
    /// Where the bars begin, after the labels.
    pub bar_x: i64,
}

/// Room for the labels and for the bars, in the chart's own units. The chart is as wide
/// as a phone's page, so that its 14-unit text stays at least 12 px there (it scales up to
/// at most 560 px elsewhere).
const LABEL_WIDTH: i64 = 110;
const BAR_SPACE: i64 = 190;
const ROW: i64 = 28;
/// Characters of a label that fit its room.
const LABEL_CHARS: usize = 7;

impl Chart {
    pub fn of(t: &Table, column: usize) -> Option<Chart> {
        let col = t.columns.get(column)?;
        let rows: Vec<&TableRow> = t.rows.iter().filter(|r| r.below).collect();
        if rows.is_empty() {
            return None;
        }
        let max = rows
            .iter()
            .filter_map(|r| r.values[column].value)
            .fold(0.0_f64, f64::max);
        let bars = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let v = r.values[column].value.unwrap_or(0.0);
                Bar {
                    label: r.unit_name.chars().take(LABEL_CHARS).collect(),
                    value: show(&r.values[column], col.unit),
                    y: i as i64 * ROW,
                    width: if max > 0.0 {
                        ((v / max) * BAR_SPACE as f64).round() as i64
                    } else {
                        0
                    },
                }
            })
            .collect();
        Some(Chart {
            title: col.name.clone(),
            height: rows.len() as i64 * ROW,
            bars,
            bar_x: LABEL_WIDTH,
        })
    }
}

#[derive(Template)]
#[template(path = "figures/page.html")]
struct FiguresPage {
    c: Chrome,
    t: Table,
    q: FiguresQuery,
    unit: UnitFilterField,
    sets: Vec<(String, String)>,
    chart: Option<String>,
}

impl FiguresPage {
    fn heading(&self) -> String {
        self.c.tr.f(
            "figures_page.heading",
            &[
                ("unit", &self.t.unit_name),
                ("from", &self.t.from),
                ("to", &self.t.to),
                ("as_of", &self.t.as_of),
            ],
        )
    }

    fn show(&self, v: &Value, i: &usize) -> String {
        show(v, self.t.columns[*i].unit)
    }

    /// The records behind a value, for a count that is not nothing.
    fn record_link(&self, i: &usize, code: &str, v: &Value) -> Option<String> {
        let records = self.t.columns[*i].records?;
        v.value.filter(|x| *x > 0.0 && v.num.is_none())?;
        Some(records(code))
    }

    fn label(&self, i: &usize) -> &str {
        &self.t.columns[*i].name
    }

    fn unit_note(&self, col: &Column) -> String {
        self.c
            .tr
            .f("figures_page.unit_note", &[("unit", &col.unit_label)])
    }

    fn drill(&self, code: &str) -> String {
        self.q.link("/figures", Some(code))
    }

    fn xlsx(&self) -> String {
        self.q.link("/figures.xlsx", Some(&self.t.unit_code))
    }

    fn chart_link(&self, id: &str) -> String {
        let q = FiguresQuery {
            chart: Some(id.to_string()),
            ..self.q.clone()
        };
        q.link("/figures", Some(&self.t.unit_code))
    }
}

/// The sets of measures there are: each capability with measures, by its name.
fn sets(measures: &Measures, ctx: &Ctx) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for m in measures.all() {
        let set = m.id.split('.').next().unwrap_or_default().to_string();
        if !out.iter().any(|(s, _)| *s == set) {
            let name = ctx.tr.s(&format!("figures_page.set_{set}")).to_string();
            out.push((set, name));
        }
    }
    out
}

async fn read(
    state: &AppState,
    ctx: &Ctx,
    measures: &Measures,
    q: &mut FiguresQuery,
) -> AppResult<(Table, crate::org::pick::UnitFilter)> {
    for d in [&mut q.from, &mut q.to, &mut q.as_of] {
        crate::time::normalize_date_param(d);
    }
    let set = match q.set.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => sets(measures, ctx)
            .into_iter()
            .next()
            .map(|(s, _)| s)
            .ok_or(AppError::NotFound)?,
    };
    q.set = Some(set.clone());
    let unit = crate::org::pick::filter(state.db(), &ctx.scope, q.unit.as_deref()).await?;
    let code = unit.code().unwrap_or(ctx.scope.unit()).to_string();
    q.unit = unit.code().map(str::to_string);
    Ok((table(state, ctx, measures, &set, &code, q).await?, unit))
}

/// 统计：一类指标，按下级单位
async fn figures_page(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Extension(measures): Extension<Measures>,
    Query(mut q): Query<FiguresQuery>,
) -> AppResult<Response> {
    let (t, unit) = read(&state, &ctx, &measures, &mut q).await?;
    let column = q
        .chart
        .as_deref()
        .and_then(|id| t.columns.iter().position(|c| c.id == id))
        .unwrap_or(0);
    let chart = match Chart::of(&t, column) {
        Some(c) => Some(
            c.render()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("chart: {e}")))?,
        ),
        None => None,
    };
    let base = q.clone();
    let unit = UnitFilterField::new(ctx.tr, unit, |code| base.link("/figures", Some(code)));
    let title = ctx.tr.s("figures_page.title").to_string();
    Ok(render(&FiguresPage {
        c: Chrome::new(&ctx, "reports", title),
        sets: sets(&measures, &ctx),
        t,
        q,
        unit,
        chart,
    }))
}

/// The same table as .xlsx: the figures, then each measure's definition.
async fn figures_xlsx(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Extension(measures): Extension<Measures>,
    Query(mut q): Query<FiguresQuery>,
) -> AppResult<Response> {
    let (t, _) = read(&state, &ctx, &measures, &mut q).await?;
    let bytes =
        workbook(&t, ctx.tr).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok(crate::web::download::file(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("figures-{}-{}.xlsx", t.set, t.unit_code),
    ))
}

/// The table as a workbook: numbers as numbers (a ratio as a percentage format), the
/// heading above, the definitions on a second sheet.
pub fn workbook(t: &Table, tr: crate::i18n::Tr) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr.s("figures_page.sheet_figures"))?;
        let heading = tr.f(
            "figures_page.heading",
            &[
                ("unit", &t.unit_name),
                ("from", &t.from),
                ("to", &t.to),
                ("as_of", &t.as_of),
            ],
        );
        ws.write_string_with_format(0, 0, &heading, &bold)?;
        ws.write_string_with_format(1, 0, tr.s("figures_page.unit"), &bold)?;
        ws.set_column_width(0, 22)?;
        for (i, c) in t.columns.iter().enumerate() {
            let col = i as u16 + 1;
            let head = format!(
                "{} {}",
                c.name,
                tr.f("figures_page.unit_note", &[("unit", &c.unit_label)])
            );
            ws.write_string_with_format(1, col, &head, &bold)?;
            ws.set_column_width(col, 16)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let at = r as u32 + 2;
            ws.write_string(at, 0, &row.unit_name)?;
            for (i, v) in row.values.iter().enumerate() {
                let col = i as u16 + 1;
                match (v.value, t.columns[i].unit) {
                    (None, _) => {
                        ws.write_string(at, col, "-")?;
                    }
                    (Some(x), MeasureUnit::Percent) => {
                        ws.write_number_with_format(at, col, x, &pct)?;
                    }
                    (Some(x), MeasureUnit::Yuan) => {
                        ws.write_number(at, col, x / 100.0)?;
                    }
                    (Some(x), _) => {
                        ws.write_number(at, col, x)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(2, 1)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr.s("figures_page.sheet_definitions"))?;
        ws.set_column_width(0, 24)?;
        ws.set_column_width(1, 100)?;
        for (i, c) in t.columns.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, &c.name, &bold)?;
            ws.write_string(i as u32, 1, &c.definition)?;
        }
    }
    wb.save_to_buffer()
}
