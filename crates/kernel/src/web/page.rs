//! The page shell: what every page's template gets ([`Chrome`]) and how a template becomes
//! a response.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::auth::session::Principal;
use crate::auth::{Ctx, Perm};
use crate::i18n::Tr;

/// One entry of the navigation, by capability.
pub struct NavItem {
    pub id: &'static str,
    pub href: &'static str,
    pub key: &'static str,
    /// Sections whose capability is not built yet show what is coming.
    pub coming: bool,
    pub perm: Option<Perm>,
}

pub const NAV: &[NavItem] = &[
    NavItem {
        id: "home",
        href: "/",
        key: "nav.home",
        coming: false,
        perm: None,
    },
    NavItem {
        id: "org",
        href: "/org",
        key: "nav.org",
        coming: false,
        perm: Some(Perm::ViewOrg),
    },
    NavItem {
        id: "registry",
        href: "/registry/persons",
        key: "nav.registry",
        coming: false,
        perm: Some(Perm::ViewOrg),
    },
    NavItem {
        id: "cases",
        href: "/cases",
        key: "nav.cases",
        coming: false,
        perm: Some(Perm::ViewOrg),
    },
    NavItem {
        id: "aid",
        href: "/coming/aid",
        key: "nav.aid",
        coming: true,
        perm: None,
    },
    NavItem {
        id: "activities",
        href: "/coming/activities",
        key: "nav.activities",
        coming: true,
        perm: None,
    },
    NavItem {
        id: "honours",
        href: "/coming/honours",
        key: "nav.honours",
        coming: true,
        perm: None,
    },
    // The figures that exist; the year-end report joins them when it is built.
    NavItem {
        id: "reports",
        href: "/cases/figures",
        key: "nav.reports",
        coming: false,
        perm: Some(Perm::ViewOrg),
    },
    NavItem {
        id: "accounts",
        href: "/accounts",
        key: "nav.accounts",
        coming: false,
        perm: Some(Perm::ManageAccounts),
    },
    NavItem {
        id: "audit",
        href: "/audit",
        key: "nav.audit",
        coming: false,
        perm: Some(Perm::ViewAudit),
    },
];

/// The signed-in account as the shell shows it.
pub struct UserChrome {
    pub display_name: String,
    pub unit_name: String,
    pub role_key: &'static str,
    /// Administrators manage API tokens; nobody else is shown them.
    pub admin: bool,
}

/// What the shell of every page needs.
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    pub active: &'static str,
    pub csrf: String,
    pub user: Option<UserChrome>,
    pub nav: Vec<&'static NavItem>,
    /// What the last action saved, shown at the top of the page it led to.
    pub notice: Option<String>,
}

impl Chrome {
    /// The banner of an installation whose today is configured (training): every page
    /// says which day it takes as today.
    pub fn training_banner(&self) -> Option<String> {
        crate::time::configured_today().map(|d| {
            self.tr.f(
                "app.configured_today",
                &[("date", &crate::time::iso_date(d))],
            )
        })
    }

    /// The shell for a signed-in page; `title_key` names the page.
    pub fn new(ctx: &Ctx, active: &'static str, title: String) -> Chrome {
        Chrome::signed_in(&ctx.p, ctx.tr, active, title)
    }

    /// The shell of a signed-in account without a [`Ctx`]: error pages keep the
    /// navigation and the name of whoever met them.
    pub fn signed_in(p: &Principal, tr: Tr, active: &'static str, title: String) -> Chrome {
        let nav = NAV
            .iter()
            .filter(|n| n.perm.is_none_or(|perm| p.role.has(perm)))
            .collect();
        Chrome {
            tr,
            title,
            active,
            csrf: p.csrf.clone().unwrap_or_default(),
            user: Some(UserChrome {
                display_name: p.display_name.clone(),
                unit_name: p.unit_name.clone(),
                role_key: p.role.label_key(),
                admin: p.role.has(Perm::ManageAccounts),
            }),
            nav,
            notice: None,
        }
    }

    /// The shell for pages seen before login (and error pages).
    pub fn anonymous(tr: Tr, title: String, csrf: String) -> Chrome {
        Chrome {
            tr,
            title,
            active: "",
            csrf,
            user: None,
            nav: Vec::new(),
            notice: None,
        }
    }
}

/// Renders a page template into a response with the given status.
pub fn render_with<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn render<T: Template>(page: &T) -> Response {
    render_with(StatusCode::OK, page)
}

/// A "303 See Other" to `to`, the answer to a successful form post.
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}

/// Only a local path may be a redirect target after login.
pub fn safe_next(next: Option<&str>) -> String {
    // Browsers drop tabs and newlines from a URL and read `\` as `/`, so `/\t/host` is
    // `//host`: a path of this site has none of them, nor any other control or space.
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// `a=1&b=2` of the non-empty values, for links that keep a list's filters.
pub fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// `?saved=…` on the page a form led to: which save it was, so the page can say what
/// was saved (a page that is reloaded or bookmarked says it again, which is true).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SavedQuery {
    pub saved: Option<String>,
}

/// One suggestion of a picker field (a unit, a person, a colleague): `value` is what the
/// field takes and the server reads back, `label` what tells two of the same name apart.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub value: String,
    pub label: String,
}

/// The longest text a picker searches for; more is no name anyone types.
pub const PICK_MAX_CHARS: usize = 100;

/// A picker's `q`: what was typed, refused when longer than [`PICK_MAX_CHARS`].
pub fn pick_query(q: Option<&str>) -> crate::error::AppResult<&str> {
    let q = q.unwrap_or("");
    if q.chars().count() > PICK_MAX_CHARS {
        return Err(crate::error::AppError::Invalid(vec![
            crate::error::FieldError::new("q", "field.too_long"),
        ]));
    }
    Ok(q)
}

/// Paging of a list: page number from 1 and page size.
#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    pub fn new(page: Option<i64>, size: i64) -> Paging {
        Paging {
            page: page.unwrap_or(1).clamp(1, 100_000),
            size,
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/org/430523")), "/org/430523");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("http://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        for bad in [
            "/\t/example.org/x",
            "/\n/x",
            "/\x7f",
            "/\\example.org",
            "/ /x",
            "/\u{2028}",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(
            safe_next(Some("/cases?status=all&page=2")),
            "/cases?status=all&page=2"
        );
    }
}
