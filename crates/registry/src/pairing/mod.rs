//! Pairing help (结对帮扶): a helper — a cadre's account, a family, a post or a unit — paired
//! with a person or a household; the help card (对象, 家庭情况, 致困原因, 帮扶方向); home visits and
//! periodic checks; the year-end acceptance (年终验收). A cadre who carries more active pairs
//! than the rule allows (a setting, 2 by default) is flagged.

pub mod api;
pub mod service;
pub mod store;
pub mod web;

use serde::{Deserialize, Serialize};

/// Who helps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HelperKind {
    /// A cadre with an account
    Account,
    /// 爱心家庭
    Family,
    /// 岗位 (e.g. 巾帼文明岗)
    Post,
    /// A unit (成员单位, enterprise…)
    Unit,
}

impl HelperKind {
    pub const ALL: [HelperKind; 4] = [
        HelperKind::Account,
        HelperKind::Family,
        HelperKind::Post,
        HelperKind::Unit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HelperKind::Account => "account",
            HelperKind::Family => "family",
            HelperKind::Post => "post",
            HelperKind::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<HelperKind> {
        HelperKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label_key(self) -> &'static str {
        match self {
            HelperKind::Account => "pairing.helper_account",
            HelperKind::Family => "pairing.helper_family",
            HelperKind::Post => "pairing.helper_post",
            HelperKind::Unit => "pairing.helper_unit",
        }
    }
}

/// The setting that limits a cadre's active pairs.
pub const LIMIT_SETTING: &str = "pairing_max_per_cadre";
pub const DEFAULT_LIMIT: i64 = 2;
