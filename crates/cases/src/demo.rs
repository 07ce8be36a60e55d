//! Made-up cases for the demo database: the county's partner units and a few cases at each
//! stage, so that lists, deadlines and figures have something to show. Never used outside
//! `jinguo demo`.

use chrono::Days;
use kernel::audit::Actor;
use kernel::crypto::Cipher;
use kernel::time::iso_date;
use kernel::Db;

use crate::model::{self, Channel, State};
use crate::store::{self, NewCase};

const PARTNERS: &[(&str, &str)] = &[
    ("police", "县公安局"),
    ("court", "县人民法院"),
    ("justice", "县司法局"),
    ("civil_affairs", "县民政局"),
    ("mass_work", "县群众工作中心"),
    ("legal_aid", "县法律援助中心"),
];

const SUMMARIES: &[(&str, &str)] = &[
    (
        "marriage",
        "反映丈夫长期在外务工不归，要求协助调解离婚财产分割。",
    ),
    ("support", "反映子女不履行赡养义务，老人生活无着。"),
    ("land", "反映出嫁后村里收回其承包地，要求保障土地权益。"),
    ("labour", "反映用人单位在孕期将其辞退，要求维护劳动权益。"),
    ("domestic_violence", "反映遭受丈夫殴打，要求制止家庭暴力。"),
    ("inheritance", "反映兄弟不让其继承父母房产。"),
    ("abandonment", "反映丈夫遗弃患病妻子和年幼子女。"),
    ("other", "咨询妇女创业贴息贷款政策。"),
];

/// Adds the partner units of `county` and `n` cases received over the last months at
/// `units`; returns how many cases.
pub async fn seed(
    db: &Db,
    cipher: &Cipher,
    county: &str,
    units: &[String],
    creator: i64,
    n: usize,
) -> anyhow::Result<usize> {
    if units.is_empty() {
        return Ok(0);
    }
    let mut tx = kernel::audit::begin(db).await?;
    for (kind, name) in PARTNERS {
        store::insert_partner(&mut tx, county, kind, name).await?;
    }
    let today = kernel::time::today();
    let actor = Actor::cli();
    for i in 0..n {
        let (kind, summary) = SUMMARIES[i % SUMMARIES.len()];
        let received = today
            .checked_sub_days(Days::new((i as u64 * 7) % 150 + 1))
            .unwrap_or(today);
        let unit = &units[i % units.len()];
        let id = store::insert(
            &mut tx,
            &NewCase {
                unit_code: unit,
                type_code: kind,
                channel: Channel::ALL[i % Channel::ALL.len()],
                received,
                summary_enc: cipher.encrypt(summary),
                request_enc: cipher.encrypt(""),
                restricted: kind == "domestic_violence",
                complainant_hash: None,
                repeat_of: None,
                call_id: None,
                created_by: Some(creator),
            },
        )
        .await?;
        let name = format!("{}女士", ["王", "李", "张", "刘", "陈", "杨"][i % 6]);
        let complainant = store::NewParty {
            role: "complainant",
            person_id: None,
            name: &name,
            relation: "",
            minor: false,
        };
        store::insert_parties(&mut tx, id, &[complainant]).await?;
        store::add_event(
            &mut tx,
            cipher,
            id,
            "receive",
            &iso_date(received),
            "",
            &serde_json::json!({"channel": Channel::ALL[i % 7].as_str(), "type": kind}),
            &actor,
        )
        .await?;
        // Older cases have moved on: accepted after two days, and the oldest closed.
        if i % 4 != 0 && received + Days::new(2) <= today {
            let accepted = received + Days::new(2);
            let closed =
                (i % 3 == 0 && accepted + Days::new(20) <= today).then(|| accepted + Days::new(20));
            let t = store::Tracked {
                unit_code: unit.clone(),
                state: if closed.is_some() {
                    State::Closed
                } else {
                    State::Accepted
                },
                decision: "accepted".into(),
                decided_date: Some(iso_date(accepted)),
                accepted_date: Some(iso_date(accepted)),
                resolution_due: Some(iso_date(model::resolution_due_base(accepted))),
                supervision_due: None,
                supervisor_unit: None,
                closed_date: closed.map(iso_date),
                score: None,
                extension_days: 0,
                reopened: 0,
                transferred: 0,
                since_date: iso_date(closed.unwrap_or(accepted)),
                risk_level: String::new(),
                handler_id: None,
                decline_reason: String::new(),
                result: if closed.is_some() {
                    "经调解，双方达成协议。".into()
                } else {
                    String::new()
                },
                pending_referrals: 0,
                restricted: kind == "domestic_violence",
            };
            store::save(&mut tx, id, 1, &iso_date(received), &t).await?;
            store::add_event(
                &mut tx,
                cipher,
                id,
                "accept",
                &iso_date(accepted),
                "",
                &serde_json::Value::Null,
                &actor,
            )
            .await?;
            if let Some(c) = closed {
                store::add_event(
                    &mut tx,
                    cipher,
                    id,
                    "close",
                    &iso_date(c),
                    "经调解，双方达成协议。",
                    &serde_json::Value::Null,
                    &actor,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(n)
}
