//! Persons: the input as typed, its validation field by field, and what pages show.

use chrono::NaiveDate;
use kernel::error::FieldError;
use kernel::idcard::{mask_id, mask_phone, ResidentId, Sex};
use serde::{Deserialize, Deserializer, Serialize};

/// A person as typed in the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PersonInput {
    /// 姓名: Chinese, minority names with `·`
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    /// F or M (女/男); may be left empty when the ID number is given
    #[serde(default)]
    #[schema(pattern = r"^(F|M)?$")]
    pub sex: String,
    /// YYYY-MM-DD; may be left empty when the ID number is given
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: String,
    /// 民族: GB/T 3304 code (01-56) or name
    #[serde(default)]
    #[schema(pattern = r"^([0-9]{2})?$")]
    pub ethnicity: String,
    /// 18-digit resident ID (15-digit old numbers are converted)
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{15}$|^[0-9]{17}[0-9Xx]$")]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    /// 居住地: code of a village or community
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{12}$")]
    pub unit_code: String,
    /// 户籍地: 12-digit code of a village or community (may lie outside the county)
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{12}$")]
    pub hukou_code: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub address: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub notes: String,
    /// Restricted (minors, domestic-violence victims): details only for case handlers
    #[serde(default, deserialize_with = "flexible_bool")]
    pub restricted: bool,
    /// The version the edit started from (for concurrent-edit detection)
    #[serde(default)]
    pub version: Option<i64>,
}

/// Accepts `true`/`false`, or the strings an HTML checkbox sends.
fn flexible_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(s) => matches!(s.as_str(), "on" | "1" | "true" | "yes" | "是"),
    })
}

/// A person that passed validation.
#[derive(Clone, Debug)]
pub struct ValidPerson {
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub ethnicity: String,
    pub id: Option<ResidentId>,
    pub phone: Option<String>,
    pub unit_code: String,
    pub hukou_code: String,
    pub address: String,
    pub notes: String,
    pub restricted: bool,
}

/// No one registered was born before this day (a year 0000 is a typing slip).
fn earliest_birth() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// Names: Chinese characters, the middle dot of minority names, or Latin letters.
pub fn clean_name(input: &str) -> Result<String, &'static str> {
    let s = kernel::text::clean_text(input).replace(['•', '・', '．', '.'], "·");
    let n = s.chars().count();
    if n == 0 {
        return Err("field.required");
    }
    if n > 30 {
        return Err("field.too_long");
    }
    let ok = s.chars().all(|c| {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
            || ('\u{3400}'..='\u{4dbf}').contains(&c)
            || c == '·'
            || c.is_ascii_alphabetic()
            || c == ' '
    });
    if !ok || s.starts_with('·') || s.ends_with('·') {
        return Err("person.name_invalid");
    }
    Ok(s)
}

/// Checks every field; the sex and birth date typed must agree with the ID number.
pub fn validate(input: &PersonInput, today: NaiveDate) -> Result<ValidPerson, Vec<FieldError>> {
    let mut errs = Vec::new();
    let name = clean_name(&input.name)
        .map_err(|k| errs.push(FieldError::new("name", k)))
        .unwrap_or_default();
    let id = match input.id_number.trim() {
        "" => None,
        raw => match ResidentId::parse(raw, today) {
            Ok(id) => Some(id),
            Err(e) => {
                errs.push(FieldError::new("id_number", e.key()));
                None
            }
        },
    };
    let typed_sex = match input.sex.trim() {
        "" => None,
        s => match Sex::parse(s) {
            Some(x) => Some(x),
            None => {
                errs.push(FieldError::new("sex", "person.sex_invalid"));
                None
            }
        },
    };
    let typed_birth = match input.birth_date.trim() {
        "" => None,
        s => match kernel::time::parse_date(s) {
            Some(d) if d <= today && d >= earliest_birth() => Some(d),
            Some(d) if d > today => {
                errs.push(FieldError::new("birth_date", "field.date_future"));
                None
            }
            _ => {
                errs.push(FieldError::new("birth_date", "field.date_invalid"));
                None
            }
        },
    };
    let (sex, birth_date) = match &id {
        Some(id) => {
            if typed_sex.is_some_and(|s| s != id.sex()) {
                errs.push(FieldError::new("sex", "person.sex_mismatch"));
            }
            if typed_birth.is_some_and(|b| b != id.birth_date()) {
                errs.push(FieldError::new("birth_date", "person.birth_mismatch"));
            }
            (Some(id.sex()), Some(id.birth_date()))
        }
        None => {
            if typed_sex.is_none() && !input.sex.trim().is_empty() {
                // already reported
            } else if typed_sex.is_none() && input.id_number.trim().is_empty() {
                errs.push(FieldError::new("sex", "person.sex_required"));
            }
            if typed_birth.is_none()
                && input.birth_date.trim().is_empty()
                && input.id_number.trim().is_empty()
            {
                errs.push(FieldError::new("birth_date", "person.birth_required"));
            }
            (typed_sex, typed_birth)
        }
    };
    let ethnicity = match input.ethnicity.trim() {
        "" => String::new(),
        e => crate::ethnicity::parse(e)
            .ok_or_else(|| errs.push(FieldError::new("ethnicity", "person.ethnicity_invalid")))
            .unwrap_or_default(),
    };
    let phone = match input.phone.trim() {
        "" => None,
        p => kernel::phone::parse(p)
            .map_err(|k| errs.push(FieldError::new("phone", k)))
            .ok(),
    };
    let unit_code = input.unit_code.trim().to_string();
    if unit_code.is_empty() {
        errs.push(FieldError::new("unit_code", "field.required"));
    }
    let hukou_code = kernel::text::normalize_digits(&input.hukou_code);
    if !hukou_code.is_empty()
        && kernel::org::DivisionCode::parse(&hukou_code).map(|c| c.level()) != Ok(5)
    {
        errs.push(FieldError::new("hukou_code", "person.hukou_invalid"));
    }
    let address = kernel::text::clean_text(&input.address);
    if address.chars().count() > 100 {
        errs.push(FieldError::new("address", "field.too_long"));
    }
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > 500 {
        errs.push(FieldError::new("notes", "field.too_long"));
    }
    match (sex, birth_date, errs.is_empty()) {
        (Some(sex), Some(birth_date), true) => Ok(ValidPerson {
            name,
            sex,
            birth_date,
            ethnicity,
            id,
            phone,
            unit_code,
            hukou_code,
            address,
            notes,
            restricted: input.restricted,
        }),
        _ => Err(errs),
    }
}

/// A person as pages and the API show her: sensitive fields masked.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub hukou_code: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: String,
    pub ethnicity: String,
    /// Masked: `4305**********1234`
    pub id_number: Option<String>,
    /// Masked: `138****5678`
    pub phone: Option<String>,
    /// Masked
    pub address: Option<String>,
    pub notes: String,
    pub restricted: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// 登记人: the display name of the account that registered her (empty for imports
    /// made before accounts were recorded).
    pub created_by: String,
}

/// The sensitive fields in clear, after an audited reveal.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

pub fn mask_address(a: &str) -> String {
    let head: String = a.chars().take(3).collect();
    format!("{head}****")
}

/// Masks the decrypted fields for display.
pub fn masked(
    id: Option<&str>,
    phone: Option<&str>,
    address: Option<&str>,
) -> (Option<String>, Option<String>, Option<String>) {
    (
        id.map(mask_id),
        phone.map(mask_phone),
        address.filter(|a| !a.is_empty()).map(mask_address),
    )
}

/// Age in whole years on `today`.
pub fn age(birth: NaiveDate, today: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn input() -> PersonInput {
        PersonInput {
            name: "王秀英".into(),
            id_number: "11010519491231002X".into(),
            unit_code: "430523100001".into(),
            ..PersonInput::default()
        }
    }

    #[test]
    fn derives_sex_and_birth() {
        let v = validate(&input(), today()).unwrap();
        assert_eq!(v.sex, Sex::Female);
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
    }

    #[test]
    fn mismatch_is_an_error_at_its_field() {
        let mut i = input();
        i.sex = "男".into();
        i.birth_date = "1950-01-01".into();
        let errs = validate(&i, today()).unwrap_err();
        assert!(errs.contains(&FieldError::new("sex", "person.sex_mismatch")));
        assert!(errs.contains(&FieldError::new("birth_date", "person.birth_mismatch")));
    }

    #[test]
    fn names() {
        assert_eq!(clean_name(" 阿依古丽•买买提 ").unwrap(), "阿依古丽·买买提");
        assert_eq!(clean_name("王1"), Err("person.name_invalid"));
        assert_eq!(clean_name("·王"), Err("person.name_invalid"));
        assert_eq!(clean_name(""), Err("field.required"));
    }

    #[test]
    fn without_id_sex_and_birth_are_required() {
        let mut i = input();
        i.id_number.clear();
        let errs = validate(&i, today()).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "sex"));
        assert!(errs.iter().any(|e| e.field == "birth_date"));
        i.sex = "女".into();
        i.birth_date = "2015.3.8".into();
        assert!(validate(&i, today()).is_ok());
    }

    #[test]
    fn a_birth_date_of_year_zero_is_refused() {
        let mut i = input();
        i.id_number.clear();
        i.sex = "女".into();
        i.birth_date = "0000-01-01".into();
        let errs = validate(&i, today()).unwrap_err();
        assert!(errs.contains(&FieldError::new("birth_date", "field.date_invalid")));
    }

    #[test]
    fn ages() {
        let b = NaiveDate::from_ymd_opt(2010, 11, 24).unwrap();
        assert_eq!(age(b, today()), 15);
    }
}
