//! Who may read a restricted case (domestic violence, minors): its handler, whoever
//! registered it, the leaders of its current unit, and accounts with a live grant or broken
//! glass. Everyone else in scope sees that the case exists, not what it holds. Reads of
//! case content go through this one rule, in SQL ([`Viewer::readable_sql`]) and in the
//! break-the-glass and grant services. A hotline call follows the case it became; before
//! that, a call restricted by its type is read by whoever logged it and the leaders of its
//! unit ([`Viewer::call_readable_sql`]).

use kernel::auth::roles::Role;
use kernel::auth::Ctx;

/// Hours a broken glass lasts.
pub const GLASS_HOURS: i64 = 8;

/// The reader of a case, as the restriction rule needs her.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: i64,
    pub unit_code: String,
    /// Holds a leading role (chair, county administrator, leader)
    pub leader: bool,
    pub now_ms: i64,
}

/// Roles that lead a unit and so read its restricted cases.
pub fn leads(role: Role) -> bool {
    matches!(
        role,
        Role::SysAdmin | Role::CountyAdmin | Role::TownshipChair | Role::Leader
    )
}

impl Viewer {
    pub fn of(ctx: &Ctx) -> Viewer {
        Viewer {
            user_id: ctx.p.user_id,
            unit_code: ctx.p.unit_code.clone(),
            leader: leads(ctx.p.role),
            now_ms: kernel::db::now_ms(),
        }
    }

    /// An SQL expression, 1 or 0, over a `cases` row aliased `c`: whether this reader may
    /// see its content. `bind` adds a parameter and returns its placeholder.
    pub fn readable_sql(&self, bind: &mut dyn FnMut(String) -> String) -> String {
        let leader = if self.leader {
            format!(" OR c.unit_code = {}", bind(self.unit_code.clone()))
        } else {
            String::new()
        };
        let me = self.user_id;
        let now = self.now_ms;
        format!(
            "(CASE WHEN c.restricted = 0 OR c.handler_id = {me} OR c.created_by = {me}{leader} \
             OR EXISTS (SELECT 1 FROM case_grants g WHERE g.case_id = c.id AND g.user_id = {me} \
             AND (g.expires_at IS NULL OR g.expires_at > {now})) THEN 1 ELSE 0 END)"
        )
    }

    /// An SQL expression, 1 or 0, over a `hotline_calls` row aliased `h` left-joined to the
    /// `cases` row `c` it became: whether this reader may see the call's caller and story.
    pub fn call_readable_sql(&self, bind: &mut dyn FnMut(String) -> String) -> String {
        let case = self.readable_sql(bind);
        let leader = if self.leader {
            format!(
                " WHEN h.unit_code = {} THEN 1",
                bind(self.unit_code.clone())
            )
        } else {
            String::new()
        };
        let me = self.user_id;
        format!(
            "(CASE WHEN h.actor_id = {me} THEN 1 WHEN c.id IS NOT NULL THEN {case} \
             WHEN h.restricted = 0 THEN 1{leader} ELSE 0 END)"
        )
    }
}
