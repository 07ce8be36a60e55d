//! Category definitions and the validation of a membership's attributes against them.

use std::collections::HashMap;

use kernel::error::FieldError;
use kernel::i18n::{Lang, Tr};
use serde::{Deserialize, Serialize};

/// The kind of value a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// A whole number
    Number,
    /// YYYY-MM-DD
    Date,
    /// One of `options`
    Choice,
}

impl FieldKind {
    pub fn parse(s: &str) -> Option<FieldKind> {
        match s.trim() {
            "text" | "文本" => Some(FieldKind::Text),
            "number" | "数字" => Some(FieldKind::Number),
            "date" | "日期" => Some(FieldKind::Date),
            "choice" | "选项" => Some(FieldKind::Choice),
            _ => None,
        }
    }
}

/// One attribute field of a category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldDef {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

impl FieldDef {
    pub fn label(&self, tr: &Tr) -> &str {
        match tr.lang {
            Lang::Zh => &self.label_zh,
            Lang::En => &self.label_en,
        }
    }

    pub fn is_choice(&self) -> bool {
        self.kind == FieldKind::Choice
    }

    pub fn input_type(&self) -> &'static str {
        match self.kind {
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            _ => "text",
        }
    }
}

/// A category and its fields.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub fields: Vec<FieldDef>,
    pub builtin: bool,
    pub active: bool,
}

impl Category {
    pub fn name(&self, tr: &Tr) -> &str {
        match tr.lang {
            Lang::Zh => &self.name_zh,
            Lang::En => &self.name_en,
        }
    }

    /// Checks typed attributes (`key -> text`) against the fields; errors are named
    /// `attr.<key>`. Unknown keys are ignored, empty optional fields left out.
    pub fn check_attrs(
        &self,
        input: &HashMap<String, String>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Vec<FieldError>> {
        let mut out = serde_json::Map::new();
        let mut errs = Vec::new();
        for f in &self.fields {
            let field = format!("attr.{}", f.key);
            let raw = kernel::text::clean_text(input.get(&f.key).map(String::as_str).unwrap_or(""));
            if raw.is_empty() {
                if f.required {
                    errs.push(FieldError::new(&field, "field.required"));
                }
                continue;
            }
            let value = match f.kind {
                FieldKind::Text if raw.chars().count() > 200 => Err("field.too_long"),
                FieldKind::Text => Ok(serde_json::Value::String(raw)),
                FieldKind::Number => kernel::text::normalize_digits(&raw)
                    .replace(',', "")
                    .parse::<i64>()
                    .map(serde_json::Value::from)
                    .map_err(|_| "category.attr_number"),
                FieldKind::Date => kernel::time::parse_date(&raw)
                    .map(|d| serde_json::Value::String(kernel::time::iso_date(d)))
                    .ok_or("field.date_invalid"),
                FieldKind::Choice if f.options.contains(&raw) => Ok(serde_json::Value::String(raw)),
                FieldKind::Choice => Err("category.attr_choice"),
            };
            match value {
                Ok(v) => {
                    out.insert(f.key.clone(), v);
                }
                Err(k) => errs.push(FieldError::new(&field, k)),
            }
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(errs)
        }
    }
}

/// Shows an attribute value as text.
pub fn show_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A new category as an administrator types it: fields one per line,
/// `key|中文名|English name|text/number/date/choice|option;option|required`.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CategoryInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// One field per line: key|label_zh|label_en|type|options separated by ;|required (是/yes)
    #[serde(default)]
    pub fields: String,
}

fn is_key(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a new category; errors name the field (`fields` lines by their number).
pub fn check_category(input: &CategoryInput) -> Result<Category, Vec<FieldError>> {
    let mut errs = Vec::new();
    let code = input.code.trim().to_string();
    if !is_key(&code) {
        errs.push(FieldError::new("code", "category.code_invalid"));
    }
    let name_zh = kernel::text::clean_text(&input.name_zh);
    let name_en = kernel::text::clean_text(&input.name_en);
    for (f, v) in [("name_zh", &name_zh), ("name_en", &name_en)] {
        if v.is_empty() {
            errs.push(FieldError::new(f, "field.required"));
        } else if v.chars().count() > 40 {
            errs.push(FieldError::new(f, "field.too_long"));
        }
    }
    let mut fields: Vec<FieldDef> = Vec::new();
    for (i, line) in input
        .fields
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
        let field = format!("fields.{}", i + 1);
        let def = match parts.as_slice() {
            [key, zh, en, kind, rest @ ..] if rest.len() <= 2 => {
                let kind = FieldKind::parse(kind);
                let options: Vec<String> = rest
                    .first()
                    .map(|o| {
                        o.split([';', '；'])
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                let required = rest
                    .get(1)
                    .is_some_and(|r| matches!(*r, "是" | "yes" | "required" | "必填" | "1"));
                match kind {
                    Some(k)
                        if is_key(key)
                            && !zh.is_empty()
                            && !en.is_empty()
                            && (k != FieldKind::Choice || !options.is_empty()) =>
                    {
                        Some(FieldDef {
                            key: key.to_string(),
                            label_zh: zh.to_string(),
                            label_en: en.to_string(),
                            kind: k,
                            options,
                            required,
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match def {
            Some(d) if fields.iter().any(|f| f.key == d.key) => {
                errs.push(FieldError::new(&field, "category.field_duplicate"))
            }
            Some(d) => fields.push(d),
            None => errs.push(FieldError::new(&field, "category.field_invalid")),
        }
    }
    if errs.is_empty() {
        Ok(Category {
            code,
            name_zh,
            name_en,
            fields,
            builtin: false,
            active: true,
        })
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Category {
        check_category(&CategoryInput {
            code: "widows".into(),
            name_zh: "丧偶妇女".into(),
            name_en: "Widows".into(),
            fields: "since|丧偶时间|Since|date||\nincome|年收入|Income|number||是\nhelp|需求|Need|choice|就业;医疗|".into(),
        })
        .unwrap()
    }

    #[test]
    fn parses_field_lines() {
        let c = cat();
        assert_eq!(c.fields.len(), 3);
        assert!(c.fields[1].required);
        assert_eq!(c.fields[2].options, vec!["就业", "医疗"]);
        let e = check_category(&CategoryInput {
            code: "Bad Code".into(),
            name_zh: "x".into(),
            name_en: "".into(),
            fields: "a|b\nchoice_without|x|y|choice||".into(),
        })
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["code", "name_en", "fields.1", "fields.2"]);
    }

    #[test]
    fn checks_attrs() {
        let c = cat();
        let mut m = HashMap::new();
        m.insert("since".to_string(), "2020.5.1".to_string());
        m.insert("income".to_string(), "１２,０００".to_string());
        m.insert("help".to_string(), "就业".to_string());
        let a = c.check_attrs(&m).unwrap();
        assert_eq!(a["since"], "2020-05-01");
        assert_eq!(a["income"], 12000);
        m.insert("help".to_string(), "别的".to_string());
        m.remove("income");
        let e = c.check_attrs(&m).unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e.contains(&FieldError::new("attr.income", "field.required")));
        assert!(e.contains(&FieldError::new("attr.help", "category.attr_choice")));
    }
}
