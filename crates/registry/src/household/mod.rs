//! Households (户): members with their relation to the head, and the history of moves.
//! Moving a household moves its current members' residence and keeps where it was.

pub mod api;
pub mod service;
pub mod store;
pub mod web;

use serde::{Deserialize, Serialize};

/// A member's relation to the head of the household (与户主关系).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 户主
    Head,
    /// 配偶
    Spouse,
    /// 子女
    Child,
    /// 父母
    Parent,
    /// 祖父母/外祖父母
    Grandparent,
    /// 孙子女/外孙子女
    Grandchild,
    /// 兄弟姐妹
    Sibling,
    /// 儿媳/女婿
    ChildInLaw,
    /// 监护人
    Guardian,
    /// 其他
    Other,
}

impl Relation {
    pub const ALL: [Relation; 10] = [
        Relation::Head,
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Grandparent,
        Relation::Grandchild,
        Relation::Sibling,
        Relation::ChildInLaw,
        Relation::Guardian,
        Relation::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Grandparent => "grandparent",
            Relation::Grandchild => "grandchild",
            Relation::Sibling => "sibling",
            Relation::ChildInLaw => "child_in_law",
            Relation::Guardian => "guardian",
            Relation::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Relation::Head => "relation.head",
            Relation::Spouse => "relation.spouse",
            Relation::Child => "relation.child",
            Relation::Parent => "relation.parent",
            Relation::Grandparent => "relation.grandparent",
            Relation::Grandchild => "relation.grandchild",
            Relation::Sibling => "relation.sibling",
            Relation::ChildInLaw => "relation.child_in_law",
            Relation::Guardian => "relation.guardian",
            Relation::Other => "relation.other",
        }
    }
}
