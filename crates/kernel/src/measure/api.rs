//! `/api/v1/measures`: every measure with its definition, and its values for a unit, a
//! period and an as-of date, rolled up to the units one level below and broken down.

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{period, Ask, Cell, Dim, Kind, Measure, MeasureUnit, Measures};
use crate::auth::roles::need;
use crate::auth::Can;
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::Tr;
use crate::state::AppState;

pub fn router(measures: Measures) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_measures))
        .routes(routes!(get_measure))
        .layer(Extension(measures))
}

/// A measure as the API and the pages describe it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeasureInfo {
    pub id: String,
    pub name: String,
    /// What exactly is counted, as shown beside every figure
    pub definition: String,
    pub unit: MeasureUnit,
    /// 人, 人次, 户, 件 …
    pub unit_label: String,
    /// additive | distinct | ratio
    #[schema(pattern = "^(additive|distinct|ratio)$")]
    pub kind: String,
    /// The breakdowns it offers besides the units below
    pub dims: Vec<Dim>,
}

impl MeasureInfo {
    pub fn of(m: &Measure, tr: Tr) -> MeasureInfo {
        MeasureInfo {
            id: m.id.to_string(),
            name: m.name(tr),
            definition: m.definition(tr),
            unit: m.unit,
            unit_label: tr.s(m.unit.key()).to_string(),
            kind: m.kind.name().to_string(),
            dims: m.dims.to_vec(),
        }
    }
}

/// Every measure of the capabilities served, with its definition
#[utoipa::path(get, path = "/api/v1/measures", tag = "measures",
    responses((status = 200, body = [MeasureInfo])))]
pub async fn list_measures(
    Can(ctx, ..): Can<need::ViewOrg>,
    Extension(measures): Extension<Measures>,
) -> Json<Vec<MeasureInfo>> {
    Json(
        measures
            .all()
            .iter()
            .map(|m| MeasureInfo::of(m, ctx.tr))
            .collect(),
    )
}

/// A value: a count, or a ratio with its parts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Value {
    /// The count, or the ratio (4 decimals; none when its denominator is 0)
    pub value: Option<f64>,
    /// A ratio's numerator and denominator, summed from the records
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub den: Option<i64>,
}

impl Value {
    fn count(n: i64) -> Value {
        Value {
            value: Some(n as f64),
            ..Value::default()
        }
    }

    fn ratio(num: i64, den: i64) -> Value {
        Value {
            value: super::ratio(num, den),
            num: Some(num),
            den: Some(den),
        }
    }
}

/// A unit one level below the one asked, or the asked unit's own records (本级).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitValue {
    pub unit_code: String,
    pub unit_name: String,
    #[serde(flatten)]
    pub value: Value,
}

/// One line of a breakdown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GroupValue {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub value: Value,
}

/// A measure's values for a unit and a period.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub measure: MeasureInfo,
    pub unit_code: String,
    pub unit_name: String,
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    #[schema(format = Date)]
    pub as_of: String,
    pub total: Value,
    /// The units one level below, each with its value (the unit's own records first,
    /// when it has any)
    pub units: Vec<UnitValue>,
    /// The breakdown asked for with `by`
    pub groups: Vec<GroupValue>,
}

#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct FiguresQuery {
    /// A unit of the scope (default: the account's own)
    #[param(pattern = r"^$|^0$|^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})(N[0-9]{3})*$")]
    pub unit: Option<String>,
    /// A named period: 2026, 2026-H1, 2026-Q3, 2026-05 (wins over from/to)
    #[param(pattern = r"^$|^[0-9]{4}(-([Hh][12]|[Qq][1-4]|[0-9]{1,2}))?$")]
    pub period: Option<String>,
    /// First day of the period (default: 1 January of the year counted)
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day of the period (default: the date counted as of)
    #[param(format = Date)]
    pub to: Option<String>,
    /// Count as of this date (default: today)
    #[param(format = Date)]
    pub as_of: Option<String>,
    /// A breakdown the measure offers: unit, month, category, type, channel, sex
    #[param(pattern = "^$|^(unit|month|category|type|channel|sex)$")]
    pub by: Option<String>,
}

/// A measure's values for a unit of the caller's scope, a period and an as-of date,
/// rolled up to the units one level below, and broken down by `by`
#[utoipa::path(get, path = "/api/v1/measures/{id}", tag = "measures",
    params(("id" = String, Path, description = "measure id, e.g. registry.persons"), FiguresQuery),
    responses((status = 200, body = Figures)))]
pub async fn get_measure(
    State(state): State<AppState>,
    Can(ctx, ..): Can<need::ViewOrg>,
    Extension(measures): Extension<Measures>,
    Path(id): Path<String>,
    Query(q): Query<FiguresQuery>,
) -> AppResult<Json<Figures>> {
    let m = *measures.get(&id).ok_or(AppError::NotFound)?;
    ctx.scope.filter_range(q.unit.as_deref())?;
    let unit = match q.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => ctx.scope.unit().to_string(),
    };
    let when = period::when(
        q.period.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.as_of.as_deref(),
    )?;
    let by = match q.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => match Dim::parse(b).filter(|d| m.offers(*d)) {
            Some(d) => Some(d),
            None => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "by",
                    "measure.by_unknown",
                )]))
            }
        },
        None => None,
    };
    let ask = Ask {
        unit,
        from: when.from,
        to: when.to,
        as_of: when.as_of,
        by,
    };
    Ok(Json(evaluate(&state, &measures, &m, &ask, ctx.tr).await?))
}

/// Units one level below a unit, at most (more is no table anyone reads).
const MAX_UNITS_BELOW: i64 = 10_000;

/// A unit and the units one level below it, with their names.
async fn unit_and_children(
    state: &AppState,
    unit: &str,
) -> AppResult<(String, Vec<(String, String)>)> {
    let scope = crate::scope::Scope::of_unit(unit);
    let name = match crate::org::store::get(state.db(), &scope, unit).await {
        Ok(u) => u.name,
        // The root of the tree is no unit of its own.
        Err(AppError::NotFound) => String::new(),
        Err(e) => return Err(e),
    };
    let children = crate::org::store::children(state.db(), &scope, unit, MAX_UNITS_BELOW, 0)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok((name, children))
}

/// Sums of an additive measure: the total, by unit below, by breakdown key.
#[derive(Default)]
struct Sums {
    total: i64,
    own: i64,
    units: Vec<i64>,
    groups: Vec<(String, String, i64)>,
}

fn sum(cells: &[Cell], unit: &str, children: &[(String, String)]) -> Sums {
    let mut s = Sums {
        units: vec![0; children.len()],
        ..Sums::default()
    };
    for c in cells {
        s.total += c.value;
        if c.unit == unit {
            s.own += c.value;
        } else if let Some(i) = children
            .iter()
            .position(|(code, _)| crate::org::model::in_subtree(code, &c.unit))
        {
            s.units[i] += c.value;
        }
        if !c.key.is_empty() {
            match s.groups.iter_mut().find(|g| g.0 == c.key) {
                Some(g) => g.2 += c.value,
                None => s.groups.push((c.key.clone(), c.label.clone(), c.value)),
            }
        }
    }
    s
}

async fn additive(
    state: &AppState,
    measures: &Measures,
    id: &str,
    ask: &Ask,
    tr: Tr,
    children: &[(String, String)],
) -> AppResult<Sums> {
    match measures.get(id).map(|m| m.kind) {
        Some(Kind::Additive(f)) => Ok(sum(&f(state, ask, tr).await?, &ask.unit, children)),
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "a ratio's part {id} is not an additive measure"
        ))),
    }
}

/// The values of a measure for a question, rolled up as the measure adds up.
pub async fn evaluate(
    state: &AppState,
    measures: &Measures,
    m: &Measure,
    ask: &Ask,
    tr: Tr,
) -> AppResult<Figures> {
    let (unit_name, children) = unit_and_children(state, &ask.unit).await?;
    let own_name = tr.s("measure.own_unit").to_string();
    let mut units = Vec::new();
    let (total, groups) = match m.kind {
        Kind::Additive(f) => {
            let s = sum(&f(state, ask, tr).await?, &ask.unit, &children);
            if s.own != 0 {
                units.push(UnitValue {
                    unit_code: ask.unit.clone(),
                    unit_name: own_name,
                    value: Value::count(s.own),
                });
            }
            units.extend(
                children
                    .iter()
                    .zip(&s.units)
                    .map(|((code, name), v)| UnitValue {
                        unit_code: code.clone(),
                        unit_name: name.clone(),
                        value: Value::count(*v),
                    }),
            );
            let groups = s
                .groups
                .into_iter()
                .map(|(key, label, v)| GroupValue {
                    key,
                    label,
                    value: Value::count(v),
                })
                .collect();
            (Value::count(s.total), groups)
        }
        Kind::Distinct(f) => {
            // Each unit counted by itself: one thing in two villages is one in the township.
            let cells = f(state, ask, tr).await?;
            let total: i64 = cells
                .iter()
                .filter(|c| c.key.is_empty())
                .map(|c| c.value)
                .sum();
            let groups: Vec<GroupValue> = cells
                .iter()
                .filter(|c| !c.key.is_empty())
                .map(|c| GroupValue {
                    key: c.key.clone(),
                    label: c.label.clone(),
                    value: Value::count(c.value),
                })
                .collect();
            for (code, name) in &children {
                let below = Ask {
                    unit: code.clone(),
                    by: None,
                    ..ask.clone()
                };
                let n: i64 = f(state, &below, tr).await?.iter().map(|c| c.value).sum();
                units.push(UnitValue {
                    unit_code: code.clone(),
                    unit_name: name.clone(),
                    value: Value::count(n),
                });
            }
            (Value::count(total), groups)
        }
        Kind::Ratio { num, den } => {
            let n = additive(state, measures, num, ask, tr, &children).await?;
            let d = additive(state, measures, den, ask, tr, &children).await?;
            if n.own != 0 || d.own != 0 {
                units.push(UnitValue {
                    unit_code: ask.unit.clone(),
                    unit_name: own_name,
                    value: Value::ratio(n.own, d.own),
                });
            }
            units.extend(
                children
                    .iter()
                    .enumerate()
                    .map(|(i, (code, name))| UnitValue {
                        unit_code: code.clone(),
                        unit_name: name.clone(),
                        value: Value::ratio(n.units[i], d.units[i]),
                    }),
            );
            let mut groups: Vec<GroupValue> = d
                .groups
                .iter()
                .map(|(key, label, dv)| {
                    let nv = n.groups.iter().find(|g| &g.0 == key).map_or(0, |g| g.2);
                    GroupValue {
                        key: key.clone(),
                        label: label.clone(),
                        value: Value::ratio(nv, *dv),
                    }
                })
                .collect();
            groups.extend(
                n.groups
                    .iter()
                    .filter(|(key, ..)| !d.groups.iter().any(|g| &g.0 == key))
                    .map(|(key, label, nv)| GroupValue {
                        key: key.clone(),
                        label: label.clone(),
                        value: Value::ratio(*nv, 0),
                    }),
            );
            (Value::ratio(n.total, d.total), groups)
        }
    };
    Ok(Figures {
        measure: MeasureInfo::of(m, tr),
        unit_code: ask.unit.clone(),
        unit_name,
        from: crate::time::iso_date(ask.from),
        to: crate::time::iso_date(ask.to),
        as_of: crate::time::iso_date(ask.as_of),
        total,
        units,
        groups,
    })
}
