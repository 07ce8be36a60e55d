//! The message catalogue: every user-facing string, Simplified Chinese first, English second.
//!
//! Catalogues are flat TOML tables (`key = "text"`) compiled into the binary. Parameters are
//! written `{name}` and filled by [`Tr::f`].

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

/// A language the interface is offered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a stored or submitted language code; anything unknown is Chinese.
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") || s.to_ascii_lowercase().starts_with("en-") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// Both catalogues, parsed once.
pub struct Catalogue {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

pub const ZH_SOURCE: &str = include_str!("zh-CN.toml");
pub const EN_SOURCE: &str = include_str!("en.toml");

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    zh: parse_catalogue(ZH_SOURCE).expect("zh-CN catalogue is valid TOML"),
    en: parse_catalogue(EN_SOURCE).expect("en catalogue is valid TOML"),
});

/// Parses a catalogue file into its flat key -> text map.
pub fn parse_catalogue(src: &str) -> Result<HashMap<String, String>, toml::de::Error> {
    let table: toml::Table = toml::from_str(src)?;
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}

impl Catalogue {
    pub fn get() -> &'static Catalogue {
        &CATALOGUE
    }

    pub fn map(&self, lang: Lang) -> &HashMap<String, String> {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A translator for one language, cheap to copy into every page.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text of `key`; a missing key shows itself (and a test keeps that from shipping).
    pub fn s<'k>(&self, key: &'k str) -> &'k str
    where
        'static: 'k,
    {
        match Catalogue::get().map(self.lang).get(key) {
            Some(v) => v.as_str(),
            None => {
                tracing::warn!(key, "missing catalogue key");
                key
            }
        }
    }

    /// The text of `key` with `{name}` parameters filled in.
    pub fn f(&self, key: &str, args: &[(&str, &dyn Display)]) -> String {
        let mut text = self.s_owned(key);
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), &value.to_string());
        }
        text
    }

    fn s_owned(&self, key: &str) -> String {
        Catalogue::get()
            .map(self.lang)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}
