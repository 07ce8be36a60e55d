//! Made-up people for the demo database: plausible names, valid resident ID numbers of the
//! demo county, spread over the first villages. Never used outside `jinguo demo`.

use chrono::NaiveDate;
use kernel::audit::{Actor, Entry};
use kernel::crypto::Cipher;
use kernel::idcard::ResidentId;
use kernel::Db;

use crate::person::ValidPerson;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN_F: &[&str] = &[
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "红梅", "丽娟", "春花", "小红", "海燕", "晓燕", "美玲",
    "婷婷", "雪梅", "丽华",
];
const GIVEN_M: &[&str] = &["伟", "强", "军", "磊", "洋", "勇", "杰", "涛", "明", "浩然"];

/// Registers `n` made-up persons in `villages`; returns how many.
pub async fn seed(
    db: &Db,
    cipher: &Cipher,
    villages: &[String],
    n: usize,
) -> anyhow::Result<usize> {
    if villages.is_empty() {
        return Ok(0);
    }
    let mut rng: u64 = 0x5eed_1234_abcd;
    let mut next = move |m: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % m
    };
    let mut tx = db.begin_write().await?;
    let mut made = 0;
    for i in 0..n {
        let female = i % 5 != 4;
        let year = 1950 + next(66) as i32;
        let birth = NaiveDate::from_ymd_opt(year, 1 + next(12) as u32, 1 + next(28) as u32)
            .unwrap_or_default();
        let seq = (next(499) as u16) * 2 + if female { 0 } else { 1 };
        let village = &villages[i % villages.len()];
        let Some(id) = ResidentId::compose(&village[..6], birth, seq) else {
            continue;
        };
        let given = if female {
            GIVEN_F[next(GIVEN_F.len() as u64) as usize]
        } else {
            GIVEN_M[next(GIVEN_M.len() as u64) as usize]
        };
        let p = ValidPerson {
            name: format!(
                "{}{}",
                SURNAMES[next(SURNAMES.len() as u64) as usize],
                given
            ),
            sex: id.sex(),
            birth_date: id.birth_date(),
            ethnicity: if i % 7 == 0 { "06".into() } else { "01".into() },
            phone: Some(format!("13{}{:08}", 5 + next(5), next(100_000_000))),
            id: Some(id),
            unit_code: village.clone(),
            hukou_code: village.clone(),
            address: format!("{}组{}号", 1 + next(12), 1 + next(80)),
            notes: String::new(),
            restricted: false,
        };
        if crate::store::insert(&mut tx, cipher, &p, None)
            .await
            .is_ok()
        {
            made += 1;
        }
    }
    kernel::audit::append(
        &mut tx,
        Entry::new(&Actor::cli(), "person.create", &villages[0][..6], "demo")
            .detail(serde_json::json!({"demo_persons": made})),
    )
    .await?;
    tx.commit().await?;
    Ok(made)
}
