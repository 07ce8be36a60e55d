//! The rules of a case, with no I/O: channels, states and the moves between them, the
//! deadlines of the 信访工作条例 (2022) and the flags a case carries as of a date, the
//! danger assessment of domestic-violence cases. `CASE-RULES.md` of the domain notes is the
//! source of every rule here.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// How a case came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 来访
    Visit,
    /// 来信
    Letter,
    /// 来电
    Phone,
    /// 12338 热线
    Hotline,
    /// 网上信访
    Online,
    /// 公安、法院或其他单位转介
    Referral,
    /// 家暴投诉受理站
    Station,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Visit,
        Channel::Letter,
        Channel::Phone,
        Channel::Hotline,
        Channel::Online,
        Channel::Referral,
        Channel::Station,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Visit => "visit",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
            Channel::Hotline => "hotline",
            Channel::Online => "online",
            Channel::Referral => "referral",
            Channel::Station => "station",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Channel::Visit => "channel.visit",
            Channel::Letter => "channel.letter",
            Channel::Phone => "channel.phone",
            Channel::Hotline => "channel.hotline",
            Channel::Online => "channel.online",
            Channel::Referral => "channel.referral",
            Channel::Station => "channel.station",
        }
    }
}

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Accepted,
    Declined,
    Assigned,
    InProgress,
    Closed,
    FollowedUp,
    Archived,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Received,
        State::Accepted,
        State::Declined,
        State::Assigned,
        State::InProgress,
        State::Closed,
        State::FollowedUp,
        State::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Assigned => "assigned",
            State::InProgress => "in_progress",
            State::Closed => "closed",
            State::FollowedUp => "followed_up",
            State::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            State::Received => "case_state.received",
            State::Accepted => "case_state.accepted",
            State::Declined => "case_state.declined",
            State::Assigned => "case_state.assigned",
            State::InProgress => "case_state.in_progress",
            State::Closed => "case_state.closed",
            State::FollowedUp => "case_state.followed_up",
            State::Archived => "case_state.archived",
        }
    }

    /// Closed in the figures' sense: closed, followed up or archived.
    pub fn is_closed(self) -> bool {
        matches!(self, State::Closed | State::FollowedUp | State::Archived)
    }

    /// Open: neither declined nor closed (a reopened case is open again).
    pub fn is_open(self) -> bool {
        !self.is_closed() && self != State::Declined
    }

    /// The states of open cases, for SQL lists.
    pub const OPEN: [State; 4] = [
        State::Received,
        State::Accepted,
        State::Assigned,
        State::InProgress,
    ];
}

/// A move, as the state machine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Accept,
    Decline,
    Transfer,
    Assign,
    /// A call, visit, mediation, legal-aid application, instrument or note.
    Step,
    Refer,
    AnswerReferral,
    Extend {
        days: i64,
    },
    Supervise {
        due: NaiveDate,
    },
    Close,
    FollowUp {
        score: i64,
    },
    Reopen,
    Archive,
}

impl Move {
    /// The name of the move in the audit log and the case's timeline.
    pub fn action(self) -> &'static str {
        match self {
            Move::Accept => "accept",
            Move::Decline => "decline",
            Move::Transfer => "transfer",
            Move::Assign => "assign",
            Move::Step => "step",
            Move::Refer => "refer",
            Move::AnswerReferral => "referral_answer",
            Move::Extend { .. } => "extend",
            Move::Supervise { .. } => "supervise",
            Move::Close => "close",
            Move::FollowUp { .. } => "follow_up",
            Move::Reopen => "reopen",
            Move::Archive => "archive",
        }
    }
}

/// What the state machine needs to know of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    /// The date of the latest event: a move may not be dated before it.
    pub since: NaiveDate,
    pub accepted: Option<NaiveDate>,
    pub extension_days: i64,
    pub pending_referrals: i64,
}

/// Why a move is refused, as a catalogue key.
pub type Refusal = &'static str;

/// The state after `mv` on `date`, or why the move is refused.
pub fn next(f: &Facts, mv: Move, date: NaiveDate) -> Result<State, Refusal> {
    use State::*;
    if date < f.since {
        return Err("case.date_before_last");
    }
    let s = f.state;
    match mv {
        Move::Accept if s == Received => Ok(Accepted),
        Move::Decline if s == Received => Ok(Declined),
        Move::Transfer if matches!(s, Received | Accepted) => Ok(s),
        Move::Assign if s == Accepted => Ok(Assigned),
        // A handler who leaves or falls ill is replaced; the case keeps its state.
        Move::Assign if matches!(s, Assigned | InProgress) => Ok(s),
        Move::Step | Move::Refer if matches!(s, Assigned | InProgress) => Ok(InProgress),
        Move::AnswerReferral if s == InProgress => Ok(s),
        Move::Extend { days } if matches!(s, Accepted | Assigned | InProgress) => {
            if f.extension_days > 0 {
                return Err("case.extension_used");
            }
            if !(1..=30).contains(&days) {
                return Err("case.extension_days_invalid");
            }
            match f.accepted.map(resolution_due_base) {
                Some(base) if date <= base => Ok(s),
                _ => Err("case.extension_late"),
            }
        }
        Move::Supervise { due } if s.is_open() => {
            if due > date {
                Ok(s)
            } else {
                Err("case.supervision_due_invalid")
            }
        }
        Move::Close if s == InProgress => {
            if f.pending_referrals > 0 {
                Err("case.referral_pending")
            } else {
                Ok(Closed)
            }
        }
        Move::FollowUp { score } if s == Closed => {
            if (1..=5).contains(&score) {
                Ok(FollowedUp)
            } else {
                Err("case.score_invalid")
            }
        }
        Move::Reopen if matches!(s, Closed | FollowedUp) => Ok(InProgress),
        Move::Archive if s == FollowedUp => Ok(Archived),
        _ => Err("case.bad_move"),
    }
}

/// The actions open to a case in `state` (their own inputs aside), from [`next`] itself.
pub fn actions_from(state: State) -> Vec<&'static str> {
    let f = Facts {
        state,
        since: NaiveDate::MIN,
        accepted: Some(NaiveDate::MAX),
        extension_days: 0,
        pending_referrals: 0,
    };
    let day = NaiveDate::MAX.pred_opt().unwrap_or(NaiveDate::MAX);
    [
        Move::Accept,
        Move::Decline,
        Move::Transfer,
        Move::Assign,
        Move::Step,
        Move::Refer,
        Move::AnswerReferral,
        Move::Extend { days: 1 },
        Move::Supervise {
            due: NaiveDate::MAX,
        },
        Move::Close,
        Move::FollowUp { score: 3 },
        Move::Reopen,
        Move::Archive,
    ]
    .into_iter()
    .filter(|m| next(&f, *m, day).is_ok())
    .map(Move::action)
    .collect()
}

fn plus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// The day receipt is counted from plus 15: the acceptance decision is on time on or before it.
pub fn acceptance_due(received: NaiveDate) -> NaiveDate {
    plus(received, 15)
}

/// Acceptance plus 60 days, before any extension.
pub fn resolution_due_base(accepted: NaiveDate) -> NaiveDate {
    plus(accepted, 60)
}

pub fn resolution_due(accepted: NaiveDate, extension_days: i64) -> NaiveDate {
    plus(
        resolution_due_base(accepted),
        extension_days.clamp(0, 30) as u64,
    )
}

/// Days of the "soon due" window.
pub const SOON_DAYS: u64 = 3;

/// A case ended this many days ago or less still makes a new one a repeat.
pub const REPEAT_DAYS: u64 = 90;

/// The deadlines a case carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deadlines {
    /// Set while the decision is pending (the acceptance deadline).
    pub acceptance: Option<NaiveDate>,
    /// Set once accepted.
    pub resolution: Option<NaiveDate>,
    pub supervision: Option<NaiveDate>,
}

/// The flags of a case as of a date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Flags {
    pub acceptance_overdue: bool,
    pub resolution_overdue: bool,
    pub supervision_overdue: bool,
    pub overdue: bool,
    pub soon_due: bool,
}

/// The flags as of `d` of a case in `state` (at `d`) whose decision is `decided`.
pub fn flags(state: State, decided: bool, dl: &Deadlines, d: NaiveDate) -> Flags {
    let soon = |due: NaiveDate| due >= d && due <= plus(d, SOON_DAYS);
    let pending = !decided && state == State::Received;
    let running = state != State::Declined && !state.is_closed();
    let acceptance = dl.acceptance.filter(|_| pending);
    let resolution = dl
        .resolution
        .filter(|_| running && state != State::Received);
    let supervision = dl.supervision.filter(|_| running);
    let acceptance_overdue = acceptance.is_some_and(|due| d > due);
    let resolution_overdue = resolution.is_some_and(|due| d > due);
    let supervision_overdue = supervision.is_some_and(|due| d > due);
    let overdue = acceptance_overdue || resolution_overdue || supervision_overdue;
    let soon_due = !overdue
        && [acceptance, resolution, supervision]
            .into_iter()
            .flatten()
            .any(soon);
    Flags {
        acceptance_overdue,
        resolution_overdue,
        supervision_overdue,
        overdue,
        soon_due,
    }
}

/// A rate `num / den` rounded half-up to 4 decimals, `None` when `den` is 0.
pub fn rate(num: i64, den: i64) -> Option<f64> {
    kernel::measure::ratio(num, den)
}

/// One question of the danger assessment of a domestic-violence case, with its weight.
pub struct RiskItem {
    pub key: &'static str,
    pub weight: i64,
    /// A "yes" to a critical item makes the risk high whatever the score.
    pub critical: bool,
}

/// The checklist (after the Campbell Danger Assessment as used by Chinese federations'
/// 家庭暴力风险评估表): weights add up to a score, critical items make the level high.
pub const RISK_ITEMS: &[RiskItem] = &[
    RiskItem {
        key: "risk.escalating",
        weight: 2,
        critical: false,
    },
    RiskItem {
        key: "risk.weapon",
        weight: 3,
        critical: true,
    },
    RiskItem {
        key: "risk.strangled",
        weight: 3,
        critical: true,
    },
    RiskItem {
        key: "risk.threat_to_kill",
        weight: 3,
        critical: true,
    },
    RiskItem {
        key: "risk.pregnant",
        weight: 2,
        critical: false,
    },
    RiskItem {
        key: "risk.substance",
        weight: 1,
        critical: false,
    },
    RiskItem {
        key: "risk.control",
        weight: 1,
        critical: false,
    },
    RiskItem {
        key: "risk.separation",
        weight: 1,
        critical: false,
    },
    RiskItem {
        key: "risk.suicide",
        weight: 2,
        critical: false,
    },
    RiskItem {
        key: "risk.children",
        weight: 2,
        critical: false,
    },
    RiskItem {
        key: "risk.order_violated",
        weight: 2,
        critical: false,
    },
    RiskItem {
        key: "risk.fears_death",
        weight: 3,
        critical: true,
    },
];

/// A danger level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<RiskLevel> {
        [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            RiskLevel::Low => "risk.level_low",
            RiskLevel::Medium => "risk.level_medium",
            RiskLevel::High => "risk.level_high",
        }
    }
}

/// Score and level of the answers (`yes[i]` answers `RISK_ITEMS[i]`).
pub fn assess(yes: &[bool]) -> (i64, RiskLevel) {
    let mut score = 0;
    let mut critical = false;
    for (item, &y) in RISK_ITEMS.iter().zip(yes) {
        if y {
            score += item.weight;
            critical |= item.critical;
        }
    }
    let level = if critical || score >= 8 {
        RiskLevel::High
    } else if score >= 4 {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    };
    (score, level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts(state: State) -> Facts {
        Facts {
            state,
            since: d("2026-03-01"),
            accepted: Some(d("2026-03-01")),
            extension_days: 0,
            pending_referrals: 0,
        }
    }

    #[test]
    fn deadlines_count_from_the_next_day() {
        assert_eq!(acceptance_due(d("2026-01-31")), d("2026-02-15"));
        assert_eq!(resolution_due_base(d("2026-03-01")), d("2026-04-30"));
        assert_eq!(resolution_due(d("2026-03-01"), 30), d("2026-05-30"));
    }

    #[test]
    fn moves_follow_the_rules() {
        let day = d("2026-03-02");
        assert_eq!(
            next(&facts(State::Received), Move::Accept, day),
            Ok(State::Accepted)
        );
        assert_eq!(
            next(&facts(State::Accepted), Move::Close, day),
            Err("case.bad_move")
        );
        assert_eq!(
            next(&facts(State::Declined), Move::Reopen, day),
            Err("case.bad_move")
        );
        let mut f = facts(State::InProgress);
        f.pending_referrals = 1;
        assert_eq!(next(&f, Move::Close, day), Err("case.referral_pending"));
        assert_eq!(
            next(&facts(State::InProgress), Move::Close, d("2026-02-28")),
            Err("case.date_before_last")
        );
        // The extension: once, 1-30 days, approved on or before the base due date.
        let f = facts(State::InProgress);
        assert_eq!(
            next(&f, Move::Extend { days: 30 }, d("2026-04-30")),
            Ok(State::InProgress)
        );
        assert_eq!(
            next(&f, Move::Extend { days: 30 }, d("2026-05-01")),
            Err("case.extension_late")
        );
        assert_eq!(
            next(&f, Move::Extend { days: 31 }, day),
            Err("case.extension_days_invalid")
        );
        let mut f2 = f;
        f2.extension_days = 10;
        assert_eq!(
            next(&f2, Move::Extend { days: 5 }, day),
            Err("case.extension_used")
        );
        assert_eq!(
            next(&facts(State::Closed), Move::Reopen, day),
            Ok(State::InProgress)
        );
        assert_eq!(
            next(&facts(State::Closed), Move::FollowUp { score: 6 }, day),
            Err("case.score_invalid")
        );
        assert_eq!(
            next(&facts(State::Archived), Move::Reopen, day),
            Err("case.bad_move")
        );
        assert_eq!(
            next(&facts(State::Received), Move::Supervise { due: day }, day),
            Err("case.supervision_due_invalid")
        );
    }

    #[test]
    fn flags_as_of_a_date() {
        let dl = Deadlines {
            acceptance: Some(d("2026-03-16")),
            resolution: None,
            supervision: None,
        };
        // Due today is soon due, not overdue; the day after is overdue.
        let f = flags(State::Received, false, &dl, d("2026-03-16"));
        assert!(f.soon_due && !f.overdue);
        let f = flags(State::Received, false, &dl, d("2026-03-17"));
        assert!(f.acceptance_overdue && f.overdue && !f.soon_due);
        assert!(!flags(State::Received, false, &dl, d("2026-03-12")).soon_due);
        // A declined case is never overdue.
        assert_eq!(
            flags(State::Declined, true, &dl, d("2026-05-01")),
            Flags::default()
        );
        let dl = Deadlines {
            acceptance: None,
            resolution: Some(d("2026-04-30")),
            supervision: Some(d("2026-04-01")),
        };
        let f = flags(State::InProgress, true, &dl, d("2026-04-02"));
        assert!(f.supervision_overdue && f.overdue && !f.resolution_overdue && !f.soon_due);
        assert_eq!(
            flags(State::Closed, true, &dl, d("2026-06-01")),
            Flags::default()
        );
    }

    #[test]
    fn rates_round_half_up() {
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(1, 8), Some(0.125));
        assert_eq!(rate(1, 20_000), Some(0.0001));
        assert_eq!(rate(1, 20_001), Some(0.0));
        assert_eq!(rate(0, 0), None);
    }

    #[test]
    fn danger_levels() {
        let mut yes = vec![false; RISK_ITEMS.len()];
        assert_eq!(assess(&yes), (0, RiskLevel::Low));
        yes[0] = true;
        yes[4] = true;
        assert_eq!(assess(&yes).1, RiskLevel::Medium);
        yes[1] = true;
        assert_eq!(assess(&yes).1, RiskLevel::High);
    }
}
