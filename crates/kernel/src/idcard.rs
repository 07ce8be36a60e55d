//! Resident identity card numbers (居民身份证号码, GB 11643-1999): 6-digit region code,
//! 8-digit birth date, 3-digit sequence (odd for men, even for women) and a check digit
//! (ISO 7064 MOD 11-2). Old 15-digit numbers (two-digit year, no check digit) are
//! converted to 18 digits.

use chrono::NaiveDate;

/// A checked 18-digit resident ID number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// Sex as the ID number encodes it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum Sex {
    #[serde(rename = "F")]
    Female,
    #[serde(rename = "M")]
    Male,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "F" | "f" | "女" | "2" => Some(Sex::Female),
            "M" | "m" | "男" | "1" => Some(Sex::Male),
            _ => None,
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Sex::Female => "sex.female",
            Sex::Male => "sex.male",
        }
    }
}

/// Why an ID number was refused; each is a catalogue key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdError {
    /// Wrong length or characters.
    Format,
    /// The first two digits are no province.
    Region,
    /// The birth date does not exist or lies in the future.
    Date,
    /// The last character does not match the others.
    CheckDigit,
}

impl IdError {
    pub fn key(self) -> &'static str {
        match self {
            IdError::Format => "id.format",
            IdError::Region => "id.region",
            IdError::Date => "id.date",
            IdError::CheckDigit => "id.check_digit",
        }
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Province codes in use (GB/T 2260), plus 71 台湾, 81 香港, 82 澳门.
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

fn check_digit(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl ResidentId {
    /// Parses a typed ID number: full-width characters and spaces are normalised, a
    /// lower-case `x` is accepted, 15-digit numbers are converted. `today` bounds the
    /// birth date.
    pub fn parse(input: &str, today: NaiveDate) -> Result<ResidentId, IdError> {
        let s = crate::text::normalize_digits(input).to_ascii_uppercase();
        let b = s.as_bytes();
        let full = match b.len() {
            18 if b[..17].iter().all(u8::is_ascii_digit)
                && (b[17].is_ascii_digit() || b[17] == b'X') =>
            {
                s.clone()
            }
            15 if b.iter().all(u8::is_ascii_digit) => {
                let mut v = format!("{}19{}", &s[..6], &s[6..]).into_bytes();
                let c = check_digit(&v);
                v.push(c);
                String::from_utf8(v).map_err(|_| IdError::Format)?
            }
            _ => return Err(IdError::Format),
        };
        let province: u32 = full[..2].parse().map_err(|_| IdError::Format)?;
        if !PROVINCES.contains(&province) {
            return Err(IdError::Region);
        }
        let birth = crate::time::from_yyyymmdd(&full[6..14]).ok_or(IdError::Date)?;
        if birth > today || birth < NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(birth) {
            return Err(IdError::Date);
        }
        if check_digit(&full.as_bytes()[..17]) != full.as_bytes()[17] {
            return Err(IdError::CheckDigit);
        }
        Ok(ResidentId(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 17 digits as a number. The check digit follows from them, so two IDs
    /// are the same exactly when their numbers are: a set of a million IDs (an import's
    /// check for repeats) then needs no string of its own for each.
    pub fn number(&self) -> u64 {
        self.0.as_bytes()[..17]
            .iter()
            .fold(0, |n, d| n * 10 + u64::from(d - b'0'))
    }

    /// Builds the number of a region, birth date and 3-digit sequence, with its check
    /// digit (for demo data and benchmarks).
    pub fn compose(region: &str, birth: NaiveDate, seq: u16) -> Option<ResidentId> {
        let first17 = format!("{region}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let c = check_digit(first17.as_bytes()) as char;
        Some(ResidentId(format!("{first17}{c}")))
    }

    pub fn birth_date(&self) -> NaiveDate {
        crate::time::from_yyyymmdd(&self.0[6..14]).unwrap_or_default()
    }

    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The region code of issue (6 digits).
    pub fn region(&self) -> &str {
        &self.0[..6]
    }
}

/// `4305**********1234`: what pages show unless the role may reveal the number.
pub fn mask_id(id: &str) -> String {
    let n = id.chars().count();
    if n <= 8 {
        return "*".repeat(n);
    }
    let head: String = id.chars().take(4).collect();
    let tail: String = id.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 8))
}

/// `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let n = phone.chars().count();
    if n <= 7 {
        return "*".repeat(n);
    }
    let head: String = phone.chars().take(3).collect();
    let tail: String = phone.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn valid_number() {
        // The GB 11643 example number.
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(
            ResidentId::parse("11010519491231002x", today()).unwrap(),
            id
        );
        assert_eq!(
            ResidentId::parse(" １１０１０５ １９４９１２３１００２Ｘ", today()).unwrap(),
            id
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            ResidentId::parse("110105194912310021", today()),
            Err(IdError::CheckDigit)
        );
        assert_eq!(
            ResidentId::parse("110105194902300021", today()),
            Err(IdError::Date)
        );
        assert_eq!(
            ResidentId::parse("110105203012310021", today()),
            Err(IdError::Date)
        );
        assert_eq!(
            ResidentId::parse("990105194912310021", today()),
            Err(IdError::Region)
        );
        assert_eq!(
            ResidentId::parse("1101051949", today()),
            Err(IdError::Format)
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y", today()),
            Err(IdError::Format)
        );
    }

    #[test]
    fn converts_fifteen_digits() {
        let id = ResidentId::parse("430523800101002", today()).unwrap();
        assert_eq!(id.as_str().len(), 18);
        assert!(id.as_str().starts_with("43052319800101002"));
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        // The converted number passes its own check.
        assert_eq!(ResidentId::parse(id.as_str(), today()).unwrap(), id);
    }

    #[test]
    fn composes() {
        let b = NaiveDate::from_ymd_opt(1982, 3, 15).unwrap();
        let id = ResidentId::compose("430523", b, 2).unwrap();
        assert_eq!(id.as_str(), "430523198203150024");
        assert_eq!(ResidentId::parse(id.as_str(), today()).unwrap(), id);
    }

    #[test]
    fn numbers_tell_ids_apart() {
        let b = NaiveDate::from_ymd_opt(1982, 3, 15).unwrap();
        let id = ResidentId::compose("430523", b, 2).unwrap();
        assert_eq!(id.number(), 43052319820315002);
        let other = ResidentId::compose("430523", b, 3).unwrap();
        assert_ne!(id.number(), other.number());
        // The same person typed with the old 15 digits and the new 18.
        let old = ResidentId::parse("430523800101002", today()).unwrap();
        let new = ResidentId::parse(old.as_str(), today()).unwrap();
        assert_eq!(old.number(), new.number());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }
}
