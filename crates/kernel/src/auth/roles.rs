//! Roles grant permissions; the rules for who may manage whose account live here.

use serde::{Deserialize, Serialize};

use crate::org::model::in_subtree;

/// An account's role (角色).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员
    SysAdmin,
    /// 县妇联管理员
    CountyAdmin,
    /// 乡镇妇联主席
    TownshipChair,
    /// 村(社区)妇联主席/执委
    VillageChair,
    /// 维权专干/热线接线员
    RightsOfficer,
    /// 领导(只读)
    Leader,
}

/// An action a role may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Perm {
    ViewOrg = 1,
    EditOrg = 2,
    ManageAccounts = 4,
    ViewAudit = 8,
    EditRecords = 16,
    HandleCases = 32,
    ManageSystem = 64,
    /// See resident ID numbers, phones and addresses unmasked (each view is audited).
    RevealPersonal = 128,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::SysAdmin,
        Role::CountyAdmin,
        Role::TownshipChair,
        Role::VillageChair,
        Role::RightsOfficer,
        Role::Leader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SysAdmin => "sys_admin",
            Role::CountyAdmin => "county_admin",
            Role::TownshipChair => "township_chair",
            Role::VillageChair => "village_chair",
            Role::RightsOfficer => "rights_officer",
            Role::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Role::SysAdmin => "role.sys_admin",
            Role::CountyAdmin => "role.county_admin",
            Role::TownshipChair => "role.township_chair",
            Role::VillageChair => "role.village_chair",
            Role::RightsOfficer => "role.rights_officer",
            Role::Leader => "role.leader",
        }
    }

    fn bits(self) -> u32 {
        use Perm::*;
        let p = |ps: &[Perm]| ps.iter().fold(0, |acc, p| acc | *p as u32);
        match self {
            Role::SysAdmin => p(&[
                ViewOrg,
                EditOrg,
                ManageAccounts,
                ViewAudit,
                EditRecords,
                HandleCases,
                ManageSystem,
                RevealPersonal,
            ]),
            Role::CountyAdmin => p(&[
                ViewOrg,
                EditOrg,
                ManageAccounts,
                ViewAudit,
                EditRecords,
                HandleCases,
                RevealPersonal,
            ]),
            Role::TownshipChair => p(&[
                ViewOrg,
                EditOrg,
                ManageAccounts,
                EditRecords,
                HandleCases,
                RevealPersonal,
            ]),
            Role::VillageChair => p(&[ViewOrg, EditRecords]),
            Role::RightsOfficer => p(&[ViewOrg, EditRecords, HandleCases, RevealPersonal]),
            Role::Leader => p(&[ViewOrg, ViewAudit]),
        }
    }

    pub fn has(self, perm: Perm) -> bool {
        self.bits() & perm as u32 != 0
    }

    /// Whether every permission of `other` is also one of this role's.
    pub fn covers(self, other: Role) -> bool {
        other.bits() & !self.bits() == 0
    }

    /// Whether this role holds everything `other` holds and more.
    pub fn strictly_covers(self, other: Role) -> bool {
        self.covers(other) && self.bits() != other.bits()
    }

    /// Roles this role may hand out.
    pub fn grantable(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.covers(*r)).collect()
    }
}

/// Whether an account (role at unit) may create or manage an account `target_role` at
/// `target_unit`: she needs the permission, the target must be in her subtree, the role
/// no more than hers, and at her own unit only a strictly weaker role.
pub fn may_manage(
    actor_role: Role,
    actor_unit: &str,
    target_role: Role,
    target_unit: &str,
) -> bool {
    if !actor_role.has(Perm::ManageAccounts) || !in_subtree(actor_unit, target_unit) {
        return false;
    }
    if actor_unit == target_unit {
        actor_role.strictly_covers(target_role)
    } else {
        actor_role.covers(target_role)
    }
}

/// A permission named in a handler's signature through [`crate::auth::Can`].
pub trait PermMarker: Send + Sync + 'static {
    const PERM: Perm;
}

macro_rules! markers {
    ($($name:ident),*) => {$(
        #[doc = concat!("Marker for [`Perm::", stringify!($name), "`].")]
        pub struct $name;
        impl PermMarker for $name {
            const PERM: Perm = Perm::$name;
        }
    )*};
}

/// Permission markers for handler signatures.
pub mod need {
    use super::{Perm, PermMarker};
    markers!(
        ViewOrg,
        EditOrg,
        ManageAccounts,
        ViewAudit,
        EditRecords,
        HandleCases,
        ManageSystem,
        RevealPersonal
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_never_exceed_own() {
        assert!(!Role::CountyAdmin.covers(Role::SysAdmin));
        assert!(Role::CountyAdmin.covers(Role::TownshipChair));
        assert!(!Role::TownshipChair.covers(Role::CountyAdmin));
        assert!(!Role::VillageChair.has(Perm::ManageAccounts));
        assert!(!Role::Leader.has(Perm::EditRecords));
    }

    #[test]
    fn management_rules() {
        let county = "430523";
        let town = "430523101";
        assert!(may_manage(
            Role::CountyAdmin,
            county,
            Role::VillageChair,
            "430523101001"
        ));
        assert!(may_manage(
            Role::CountyAdmin,
            county,
            Role::RightsOfficer,
            county
        ));
        assert!(!may_manage(
            Role::CountyAdmin,
            county,
            Role::CountyAdmin,
            county
        ));
        assert!(may_manage(
            Role::CountyAdmin,
            county,
            Role::CountyAdmin,
            town
        ));
        assert!(!may_manage(Role::CountyAdmin, county, Role::SysAdmin, town));
        assert!(!may_manage(
            Role::TownshipChair,
            town,
            Role::VillageChair,
            "430523102001"
        ));
        assert!(!may_manage(
            Role::VillageChair,
            "430523101001",
            Role::VillageChair,
            "430523101001"
        ));
        assert!(!may_manage(Role::Leader, county, Role::Leader, town));
    }
}
