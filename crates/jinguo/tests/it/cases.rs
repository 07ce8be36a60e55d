//! Rights cases: intake to archive, the state machine, deadlines, repeats, restriction and
//! break-the-glass, concurrent edits and the figures against hand-computed values.

use axum::http::{Method, StatusCode};
use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

use crate::on_both;
use crate::support::*;

fn today() -> NaiveDate {
    kernel::time::today()
}

/// `n` days before today, as the API takes dates.
fn ago(n: u64) -> String {
    (today() - Days::new(n)).format("%Y-%m-%d").to_string()
}

/// A valid resident ID of the county born on `birth` (sequence `seq`).
fn resident_id(birth: &str, seq: u16) -> String {
    let birth = NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
    kernel::idcard::ResidentId::compose("430523", birth, seq)
        .unwrap()
        .as_str()
        .to_string()
}

async fn intake(app: &TestApp, s: &Session, body: Value) -> i64 {
    let r = app.api(s, Method::POST, "/api/v1/cases", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// A marriage case at the account's unit from a complainant known by name only.
async fn simple_case(app: &TestApp, s: &Session, received: &str) -> i64 {
    intake(
        app,
        s,
        json!({"channel": "visit", "type": "marriage", "received_date": received,
            "summary": "反映婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]}),
    )
    .await
}

async fn mv(app: &TestApp, s: &Session, id: i64, body: Value) -> Resp {
    app.api(
        s,
        Method::POST,
        &format!("/api/v1/cases/{id}/moves"),
        Some(body),
    )
    .await
}

async fn ok_move(app: &TestApp, s: &Session, id: i64, body: Value) -> Value {
    let r = mv(app, s, id, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
    r.json()
}

async fn case_json(app: &TestApp, s: &Session, id: i64) -> Value {
    let r = app
        .api(s, Method::GET, &format!("/api/v1/cases/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn partner(app: &TestApp, name: &str) -> i64 {
    let s = app
        .as_user(&format!("adm{}", name.len()), COUNTY, "county_admin")
        .await;
    let r = app
        .post(
            &s,
            "/cases/settings/partners",
            &[("kind", "police"), ("name", name)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    sqlx::query_scalar("SELECT id FROM case_partners WHERE name = $1")
        .bind(name)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

fn key(k: &str) -> &'static str {
    kernel::i18n::Tr::default().s(Box::leak(k.to_string().into_boxed_str()))
}

on_both!(hotline_call_to_follow_up_and_archive, |app| {
    let s = app.as_user("hot", COUNTY, "rights_officer").await;
    let police = partner(&app, "县公安局").await;
    // A call that needs follow-up becomes a case in one step.
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/calls",
            Some(json!({
            "caller_name": "刘春花", "phone": "13907391234", "type": "abandonment",
            "summary": "丈夫离家不归，不给抚养费", "open_case": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["case"].as_i64().unwrap();
    let v = case_json(&app, &s, id).await;
    assert_eq!(v["access"], "full");
    assert_eq!(v["case"]["channel"], "hotline");
    assert_eq!(v["case"]["state"], "received");
    assert_eq!(v["parties"][0]["name"], "刘春花");
    // The call list links its case.
    let calls = app.api(&s, Method::GET, "/api/v1/calls", None).await.json();
    assert_eq!(calls[0]["case_id"].as_i64(), Some(id));
    assert_eq!(calls[0]["phone"], "139****1234");

    // Closing too early is refused and changes nothing.
    let r = mv(&app, &s, id, json!({"action": "close", "content": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.bad_move")
    );
    ok_move(&app, &s, id, json!({"action": "accept"})).await;
    ok_move(&app, &s, id, json!({"action": "assign", "handler": "hot"})).await;
    let c = ok_move(
        &app,
        &s,
        id,
        json!({"action": "step", "step": "call", "content": "电话联系当事人"}),
    )
    .await;
    assert_eq!(c["state"], "in_progress");
    ok_move(
        &app,
        &s,
        id,
        json!({"action": "step", "step": "mediation", "outcome": "failed", "content": "调解不成"}),
    )
    .await;
    ok_move(&app, &s, id, json!({"action": "step", "step": "instrument", "instrument": "warning",
        "issuer": "县公安局", "instrument_number": "邵公告字〔2026〕12号", "content": "出具告诫书"})).await;
    ok_move(
        &app,
        &s,
        id,
        json!({"action": "refer", "partner_id": police, "content": "请派出所协助"}),
    )
    .await;
    // A referral awaiting its answer blocks closing; a partner that does not exist is refused.
    let r = mv(
        &app,
        &s,
        id,
        json!({"action": "close", "content": "已解决"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(key("case.referral_pending")), "{}", r.body);
    let r = mv(&app, &s, id, json!({"action": "refer", "partner_id": 9999})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(key("case.partner_unknown")));
    let rid = case_json(&app, &s, id).await["referrals"][0]["id"]
        .as_i64()
        .unwrap();
    ok_move(
        &app,
        &s,
        id,
        json!({"action": "referral_answer", "referral_id": rid, "answer": "accepted"}),
    )
    .await;
    // Answered once only.
    let r = mv(
        &app,
        &s,
        id,
        json!({"action": "referral_answer", "referral_id": rid, "answer": "returned"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Closing needs a result.
    let r = mv(&app, &s, id, json!({"action": "close", "content": "  "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "content");
    ok_move(
        &app,
        &s,
        id,
        json!({"action": "close", "content": "男方承诺按月支付抚养费"}),
    )
    .await;
    let r = mv(&app, &s, id, json!({"action": "follow_up", "score": 6})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A score that is no whole number is refused at its field, on the page and the API.
    let r = mv(&app, &s, id, json!({"action": "follow_up", "score": 3.5})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["fields"][0]["field"],
        "score",
        "{}",
        r.body
    );
    let r = app
        .post(
            &s,
            &format!("/cases/{id}/moves"),
            &[("action", "follow_up"), ("score", "3.5")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("满意度应为 1 至 5 分"), "{}", r.body);
    ok_move(
        &app,
        &s,
        id,
        json!({"action": "follow_up", "score": 5, "content": "满意"}),
    )
    .await;
    let c = ok_move(&app, &s, id, json!({"action": "archive"})).await;
    assert_eq!(c["state"], "archived");
    // An archived case takes no more files.
    let r = app
        .post_multipart(
            &s,
            &format!("/api/v1/cases/{id}/attachments"),
            &[],
            "a.pdf",
            PDF,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "attachment.archived"
    );
    let r = mv(
        &app,
        &s,
        id,
        json!({"action": "reopen", "reason": "又来反映"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let v = case_json(&app, &s, id).await;
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "receive",
            "accept",
            "assign",
            "call",
            "mediation",
            "instrument",
            "refer",
            "referral_answer",
            "close",
            "follow_up",
            "archive"
        ]
    );
    assert_eq!(v["events"][5]["detail"]["number"], "邵公告字〔2026〕12号");
    // Content is encrypted at rest.
    let stored: String = sqlx::query_scalar("SELECT summary FROM cases WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(!stored.contains("抚养费"));
    // Every move and every view is audited.
    assert_eq!(app.audit_count("case.close").await, 1);
    assert!(app.audit_count("case.view").await >= 3);
    // The pages show the case and its printable sheet.
    let page = app.get(Some(&s), &format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("邵公告字〔2026〕12号")
            && page.body.contains(key("case_state.archived"))
    );
    let sheet = app.get(Some(&s), &format!("/cases/{id}/sheet")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.body.contains("丈夫离家不归"));
});

/// The reference machine of the rules, written apart from the product's.
fn expected(state: &str, action: &str, pending: i64, extended: bool) -> Option<&'static str> {
    let open = ["received", "accepted", "assigned", "in_progress"];
    Some(match (state, action) {
        ("received", "accept") => "accepted",
        ("received", "decline") => "declined",
        ("received", "transfer") => "received",
        ("accepted", "transfer") => "accepted",
        ("accepted", "assign") => "assigned",
        ("assigned", "assign") => "assigned",
        ("in_progress", "assign") => "in_progress",
        ("assigned" | "in_progress", "step" | "refer") => "in_progress",
        ("in_progress", "referral_answer") if pending > 0 => "in_progress",
        ("accepted", "extend") if !extended => "accepted",
        ("assigned", "extend") if !extended => "assigned",
        ("in_progress", "extend") if !extended => "in_progress",
        (s, "supervise") if open.contains(&s) => match s {
            "received" => "received",
            "accepted" => "accepted",
            "assigned" => "assigned",
            _ => "in_progress",
        },
        ("in_progress", "close") if pending == 0 => "closed",
        ("closed", "follow_up") => "followed_up",
        ("closed" | "followed_up", "reopen") => "in_progress",
        ("followed_up", "archive") => "archived",
        _ => return None,
    })
}

const MOVES: [&str; 13] = cases::service::ACTIONS;

on_both!(state_machine_follows_the_rules_over_random_moves, |app| {
    let s = app.as_user("chair", TOWN_A, "township_chair").await;
    app.user("clerk", TOWN_B, "township_chair").await;
    let boss = app.as_user("boss", COUNTY, "county_admin").await;
    let police = partner(&app, "县公安局").await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 8,
        failure_persistence: None,
        ..Config::default()
    });
    let moves = proptest::collection::vec(proptest::sample::select(MOVES.to_vec()), 4..16);
    let result = tokio::task::block_in_place(|| {
        runner.run(&moves, |seq| {
            handle.block_on(async {
                let id = simple_case(&app, &s, "").await;
                let mut state = "received".to_string();
                let mut unit = TOWN_A.to_string();
                let mut pending = 0;
                let mut extended = false;
                for action in &seq {
                    let before = case_json(&app, &boss, id).await;
                    let referral = before["referrals"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["status"] == "pending")
                        .map(|r| r["id"].as_i64().unwrap());
                    let body = match *action {
                        "decline" | "reopen" => json!({"action": action, "reason": "理由"}),
                        "transfer" => json!({"action": action,
                            "unit_code": if unit == TOWN_A { TOWN_B } else { TOWN_A }}),
                        "assign" => json!({"action": action,
                            "handler": if unit == TOWN_A { "chair" } else { "clerk" }}),
                        "step" => json!({"action": action, "step": "visit", "content": "走访"}),
                        "refer" => json!({"action": action, "partner_id": police}),
                        "referral_answer" => {
                            json!({"action": action, "referral_id": referral, "answer": "returned"})
                        }
                        "extend" => json!({"action": action, "days": 10}),
                        "supervise" => json!({"action": action,
                            "due": (today() + Days::new(365)).format("%Y-%m-%d").to_string()}),
                        "close" => json!({"action": action, "content": "办结"}),
                        "follow_up" => json!({"action": action, "score": 4}),
                        _ => json!({"action": action}),
                    };
                    // The county administrator acts: she leads, and is above both townships.
                    let r = mv(&app, &boss, id, body).await;
                    let after = case_json(&app, &boss, id).await;
                    match expected(&state, action, pending, extended) {
                        Some(next) => {
                            prop_assert_eq!(
                                r.status,
                                StatusCode::OK,
                                "{} from {}: {}",
                                action,
                                state,
                                r.body
                            );
                            prop_assert_eq!(after["state"].as_str().unwrap(), next);
                            prop_assert_eq!(
                                after["case"]["version"].as_i64().unwrap(),
                                before["case"]["version"].as_i64().unwrap() + 1
                            );
                            state = next.to_string();
                            match *action {
                                "refer" => pending += 1,
                                "referral_answer" => pending -= 1,
                                "extend" => extended = true,
                                "transfer" => {
                                    unit = after["unit_code"].as_str().unwrap().to_string()
                                }
                                _ => {}
                            }
                        }
                        None => {
                            prop_assert_eq!(
                                r.status,
                                StatusCode::UNPROCESSABLE_ENTITY,
                                "{} from {}: {}",
                                action,
                                state,
                                r.body
                            );
                            prop_assert_eq!(
                                &after["case"],
                                &before["case"],
                                "a refused {} changed the case",
                                action
                            );
                            prop_assert_eq!(&after["events"], &before["events"]);
                        }
                    }
                }
                Ok(())
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    tallies_agree(&app).await;
});

on_both!(deadlines_extension_and_supervision, |app| {
    let hot = app.as_user("hot", TOWN_A, "rights_officer").await;
    let chair = app.as_user("chair", TOWN_A, "township_chair").await;
    let county = app.as_user("county", COUNTY, "county_admin").await;
    // Received 20 days ago and undecided: the 15 days are over.
    let late = simple_case(&app, &hot, &ago(20)).await;
    let v = case_json(&app, &hot, late).await;
    assert_eq!(v["case"]["acceptance_due"], ago(5));
    assert_eq!(v["case"]["flags"]["acceptance_overdue"], true);
    // Received 13 days ago: due in two days, soon due.
    let soon = simple_case(&app, &hot, &ago(13)).await;
    let list = app
        .api(&hot, Method::GET, "/api/v1/cases?due=overdue", None)
        .await
        .json();
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [late]);
    let list = app
        .api(&hot, Method::GET, "/api/v1/cases?due=soon", None)
        .await
        .json();
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [soon]);
    // A move may not predate the case or its latest step, nor lie in the future.
    let r = mv(
        &app,
        &hot,
        late,
        json!({"action": "accept", "date": ago(21)}),
    )
    .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.date_before_received")
    );
    let tomorrow = (today() + Days::new(1)).format("%Y-%m-%d").to_string();
    let r = mv(
        &app,
        &hot,
        late,
        json!({"action": "accept", "date": tomorrow}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Accepted 10 days ago: resolution due 60 days later.
    let c = ok_move(
        &app,
        &hot,
        late,
        json!({"action": "accept", "date": ago(10)}),
    )
    .await;
    let base = (today() - Days::new(10) + Days::new(60))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(c["resolution_due"], base);
    let r = mv(
        &app,
        &hot,
        late,
        json!({"action": "assign", "handler": "hot", "date": ago(11)}),
    )
    .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.date_before_last")
    );
    // The extension needs a leader, at most 30 days, once.
    let r = mv(&app, &hot, late, json!({"action": "extend", "days": 30})).await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.extension_needs_leader")
    );
    let r = mv(&app, &chair, late, json!({"action": "extend", "days": 31})).await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.extension_days_invalid")
    );
    let c = ok_move(&app, &chair, late, json!({"action": "extend", "days": 30})).await;
    let extended = (today() - Days::new(10) + Days::new(90))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(c["resolution_due"], extended);
    let r = mv(&app, &chair, late, json!({"action": "extend", "days": 5})).await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.extension_used")
    );
    // Supervision comes from above, with a due date after today.
    let r = mv(
        &app,
        &chair,
        late,
        json!({"action": "supervise", "due": tomorrow}),
    )
    .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.supervisor_not_above")
    );
    let r = mv(
        &app,
        &county,
        late,
        json!({"action": "supervise", "due": ago(0)}),
    )
    .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.supervision_due_invalid")
    );
    let in_two = (today() + Days::new(2)).format("%Y-%m-%d").to_string();
    let c = ok_move(
        &app,
        &county,
        late,
        json!({"action": "supervise", "due": in_two}),
    )
    .await;
    assert_eq!(c["supervision_due"], in_two);
    assert_eq!(c["flags"]["soon_due"], true);
    assert_eq!(c["flags"]["overdue"], false);
    // Transfers keep the 15 days; the upper unit's list shows the supervised case as soon due.
    let list = app
        .api(
            &county,
            Method::GET,
            "/api/v1/cases?due=soon&sort=due",
            None,
        )
        .await
        .json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"].as_i64() == Some(late)));
    let r = mv(
        &app,
        &hot,
        soon,
        json!({"action": "transfer", "unit_code": "430523999"}),
    )
    .await;
    assert_eq!(
        r.json()["error"]["fields"][0]["message"],
        key("case.unit_unknown")
    );
    let c = ok_move(
        &app,
        &county,
        soon,
        json!({"action": "transfer", "unit_code": TOWN_B}),
    )
    .await;
    assert_eq!(
        c["acceptance_due"],
        (today() - Days::new(13) + Days::new(15))
            .format("%Y-%m-%d")
            .to_string()
    );
    assert_eq!(c["unit_code"], TOWN_B);
    // The township that gave it away no longer sees it.
    let r = app
        .api(&hot, Method::GET, &format!("/api/v1/cases/{soon}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    tallies_agree(&app).await;
});

/// The figures the API gives for a query path.
async fn figures(app: &TestApp, s: &Session, path: &str) -> Resp {
    app.api(s, Method::GET, path, None).await
}

/// The sums the triggers keep (migration 2002) are those of the case rows.
async fn tallies_agree(app: &TestApp) {
    let bits: String = (0..12)
        .map(|i| format!(", CAST(SUM((counted >> {i}) & 1) AS BIGINT)"))
        .collect();
    let columns = "n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, \
        followed_up, satisfied, extended, supervised, reopened, transferred, score_sum";
    for keys in [
        "unit_code, received_month",
        "county_code, received_month, type_code, channel",
    ] {
        let table = if keys.starts_with("unit") {
            "case_tally_units"
        } else {
            "case_tally_kinds"
        };
        let read = |sql: String| async move {
            let rows = sqlx::query(&sql).fetch_all(app.db.pool()).await.unwrap();
            rows.iter()
                .map(|r| {
                    use sqlx::Row;
                    (0..r.len())
                        .map(|i| {
                            r.try_get::<String, _>(i)
                                .unwrap_or_else(|_| r.get::<i64, _>(i).to_string())
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        };
        let kept = read(format!(
            "SELECT {keys}, {columns} FROM {table} WHERE n <> 0 ORDER BY {keys}"
        ))
        .await;
        let summed = read(format!(
            "SELECT {keys}, COUNT(*){bits}, CAST(COALESCE(SUM(score), 0) AS BIGINT) FROM cases \
             GROUP BY {keys} ORDER BY {keys}"
        ))
        .await;
        assert!(!kept.is_empty());
        assert_eq!(kept, summed, "{table}");
    }
}

on_both!(repeat_petitions_are_linked, |app| {
    let s = app.as_user("hot", COUNTY, "rights_officer").await;
    let id = resident_id("1980-05-06", 123);
    let complainant =
        json!({"role": "complainant", "name": "赵桂兰", "id_number": id, "unit_code": VILLAGE_A});
    let first = intake(
        &app,
        &s,
        json!({"channel": "visit", "type": "land", "received_date": ago(200),
        "summary": "土地被收回", "parties": [complainant]}),
    )
    .await;
    // The complainant was registered in the registry on the spot.
    let persons: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE name = '赵桂兰'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(persons, 1);
    // Still open: a new case on the same matter is a repeat; another matter is not.
    let second = intake(
        &app,
        &s,
        json!({"channel": "phone", "type": "land", "received_date": ago(190),
        "summary": "再次反映", "parties": [complainant]}),
    )
    .await;
    assert_eq!(
        case_json(&app, &s, second).await["case"]["repeat_of"].as_i64(),
        Some(first)
    );
    let other = intake(
        &app,
        &s,
        json!({"channel": "phone", "type": "labour", "received_date": ago(190),
        "summary": "工资", "parties": [complainant]}),
    )
    .await;
    assert!(case_json(&app, &s, other).await["case"]["repeat_of"].is_null());
    // The registry knows her once: the second intake linked the same person.
    let persons: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE name = '赵桂兰'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(persons, 1);
    // Both land cases end 150 days ago.
    for c in [first, second] {
        ok_move(&app, &s, c, json!({"action": "accept", "date": ago(180)})).await;
        ok_move(
            &app,
            &s,
            c,
            json!({"action": "assign", "handler": "hot", "date": ago(180)}),
        )
        .await;
        ok_move(
            &app,
            &s,
            c,
            json!({"action": "step", "step": "visit", "content": "走访", "date": ago(170)}),
        )
        .await;
        ok_move(
            &app,
            &s,
            c,
            json!({"action": "close", "content": "已解决", "date": ago(150)}),
        )
        .await;
    }
    // 90 days after the end is still a repeat (of the latest received); 91 is not.
    let third = intake(
        &app,
        &s,
        json!({"channel": "visit", "type": "land", "received_date": ago(60),
        "summary": "第三次", "parties": [complainant]}),
    )
    .await;
    assert_eq!(
        case_json(&app, &s, third).await["case"]["repeat_of"].as_i64(),
        Some(second)
    );
    ok_move(
        &app,
        &s,
        third,
        json!({"action": "decline", "reason": "已处理完毕", "date": ago(59)}),
    )
    .await;
    let fourth = intake(
        &app,
        &s,
        json!({"channel": "visit", "type": "land", "received_date": ago(0),
        "summary": "第四次", "parties": [complainant]}),
    )
    .await;
    // The declined third ended 59 days ago: a repeat of it.
    assert_eq!(
        case_json(&app, &s, fourth).await["case"]["repeat_of"].as_i64(),
        Some(third)
    );
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/cases",
            Some(json!({"channel": "visit", "type": "land",
        "received_date": (today() + Days::new(1)).format("%Y-%m-%d").to_string(),
        "summary": "x", "parties": [complainant]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "received_date");
    // A wrong ID of a new party is refused at its field, and nothing is written.
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let r = app.api(&s, Method::POST, "/api/v1/cases", Some(json!({"channel": "visit", "type": "land",
        "summary": "x", "parties": [{"role": "complainant", "name": "钱红", "id_number": "430523198005061230", "unit_code": VILLAGE_A}]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["fields"][0]["field"],
        "complainant_id_number"
    );
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(before, after);
});

on_both!(restricted_cases_show_only_that_they_exist, |app| {
    let hot = app.as_user("hot", TOWN_A, "rights_officer").await;
    let other = app.as_user("other", TOWN_A, "rights_officer").await;
    let chair = app.as_user("chair", TOWN_A, "township_chair").await;
    let leader = app.as_user("leader", COUNTY, "leader").await;
    let outsider = app.as_user("outsider", TOWN_B, "township_chair").await;
    let id = intake(
        &app,
        &hot,
        json!({"channel": "station", "type": "domestic_violence",
        "summary": "遭丈夫殴打，头部受伤", "parties": [{"role": "complainant", "name": "孙丽娟"},
        {"role": "respondent", "name": "周强", "relation": "丈夫"}]}),
    )
    .await;
    // A case involving a child is restricted too, whatever its type.
    let minor = intake(&app, &hot, json!({"channel": "visit", "type": "support",
        "summary": "抚养费", "parties": [{"role": "complainant", "name": "孙丽娟"}, {"role": "child", "name": "周小红"}]})).await;
    for c in [id, minor] {
        assert_eq!(case_json(&app, &hot, c).await["restricted"], true);
    }
    // The registering officer and the township chair read it.
    assert_eq!(case_json(&app, &chair, id).await["access"], "full");
    // Another officer of the same township and the county leader see only that it exists.
    for s in [&other, &leader] {
        let v = case_json(&app, s, id).await;
        assert_eq!(v["access"], "existence");
        assert!(v["case"].is_null() && v["parties"].as_array().unwrap().is_empty());
        let list = app.api(s, Method::GET, "/api/v1/cases", None).await.json();
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"].as_i64() == Some(id))
            .unwrap()
            .clone();
        assert_eq!(row["readable"], false);
        assert!(row["type_name"].is_null() && row["complainant"].is_null());
        let page = app.get(Some(s), &format!("/cases/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("头部受伤") && page.body.contains("glass-form"));
        let list = app.get(Some(s), "/cases").await;
        assert!(!list.body.contains("孙丽娟"));
        assert_eq!(
            app.get(Some(s), &format!("/cases/{id}/sheet")).await.status,
            StatusCode::FORBIDDEN
        );
        let r = app
            .api(s, Method::GET, &format!("/api/v1/cases/{minor}"), None)
            .await
            .json();
        assert_eq!(r["access"], "existence");
    }
    // Acting on it is refused and changes nothing.
    let r = mv(&app, &other, id, json!({"action": "accept"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            &other,
            Method::POST,
            &format!("/api/v1/cases/{id}/risk"),
            Some(json!({"yes": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            &other,
            Method::POST,
            &format!("/api/v1/cases/{id}/grants"),
            Some(json!({"username": "other", "reason": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(case_json(&app, &hot, id).await["case"]["state"], "received");
    // Out of scope it does not exist at all, glass or not.
    let r = app
        .api(&outsider, Method::GET, &format!("/api/v1/cases/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            &outsider,
            Method::POST,
            &format!("/api/v1/cases/{id}/glass"),
            Some(json!({"reason": "我想看看这个案件"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Breaking the glass needs a reason; then the content shows, for a limited time, audited.
    let r = app
        .post(&other, &format!("/cases/{id}/glass"), &[("reason", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(key("case.glass_reason")));
    let views = app.audit_count("case.view").await;
    let r = app
        .post(
            &other,
            &format!("/cases/{id}/glass"),
            &[("reason", "当事人来电求助，承办人休假")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let v = case_json(&app, &other, id).await;
    assert_eq!(v["access"], "full");
    assert_eq!(v["case"]["summary"], "遭丈夫殴打，头部受伤");
    assert_eq!(app.audit_count("case.view").await, views + 1);
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'case.glass'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(detail.contains("承办人休假"));
    let expires: i64 =
        sqlx::query_scalar("SELECT expires_at FROM case_grants WHERE kind = 'glass'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(expires > kernel::db::now_ms() && expires <= kernel::db::now_ms() + 8 * 3_600_000);
    // An expired glass no longer opens it.
    sqlx::query("UPDATE case_grants SET expires_at = 1")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(case_json(&app, &other, id).await["access"], "existence");
    // The handler may grant access explicitly.
    let r = app
        .api(
            &chair,
            Method::POST,
            &format!("/api/v1/cases/{id}/grants"),
            Some(json!({"username": "leader", "reason": "领导督查", "days": 3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(case_json(&app, &leader, id).await["access"], "full");
});

on_both!(second_save_of_a_changed_case_is_refused, |app| {
    let a = app.as_user("a", TOWN_A, "rights_officer").await;
    let b = app.as_user("b", TOWN_A, "township_chair").await;
    let id = simple_case(&app, &a, "").await;
    let version = case_json(&app, &a, id).await["case"]["version"]
        .as_i64()
        .unwrap();
    ok_move(
        &app,
        &a,
        id,
        json!({"action": "accept", "version": version}),
    )
    .await;
    let r = mv(
        &app,
        &b,
        id,
        json!({"action": "decline", "reason": "不属于受理范围", "version": version}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"]["message"], key("case.changed"));
    let v = case_json(&app, &b, id).await;
    assert_eq!(v["case"]["state"], "accepted");
    assert_eq!(v["case"]["decline_reason"], "");
    // The page says so too, and keeps the case as the other saved it.
    let r = app
        .post(
            &b,
            &format!("/cases/{id}/moves"),
            &[
                ("action", "assign"),
                ("handler", "a"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains(key("case.changed")));
});

on_both!(high_risk_alerts_the_unit_and_the_one_above, |app| {
    let hot = app.as_user("hot", TOWN_A, "rights_officer").await;
    let county = app.as_user("county", COUNTY, "county_admin").await;
    let id = intake(
        &app,
        &hot,
        json!({"channel": "visit", "type": "domestic_violence",
        "summary": "多次被打", "parties": [{"role": "complainant", "name": "吴美玲"}]}),
    )
    .await;
    let r = app
        .api(
            &hot,
            Method::POST,
            &format!("/api/v1/cases/{id}/risk"),
            Some(json!({"yes": ["risk.escalating", "risk.substance"]})),
        )
        .await;
    assert_eq!(r.json(), "low");
    assert!(!app.get(Some(&hot), "/cases").await.body.contains("alerts"));
    let r = app
        .api(
            &hot,
            Method::POST,
            &format!("/api/v1/cases/{id}/risk"),
            Some(json!({"yes": ["risk.strangled"]})),
        )
        .await;
    assert_eq!(r.json(), "high");
    let page = app.get(Some(&hot), "/cases").await;
    assert!(page.body.contains(key("case.alert_risk_high")));
    let page = app.get(Some(&county), "/cases").await;
    assert!(page.body.contains(key("case.alert_risk_high")));
    let r = app
        .api(
            &hot,
            Method::POST,
            &format!("/api/v1/cases/{id}/risk"),
            Some(json!({"yes": ["risk.nothing"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = simple_case(&app, &hot, "").await;
    let r = app
        .api(
            &hot,
            Method::POST,
            &format!("/api/v1/cases/{other}/risk"),
            Some(json!({"yes": []})),
        )
        .await;
    // A case that is not about domestic violence is in no state to be assessed.
    assert_eq!(r.status, StatusCode::CONFLICT);
});

// Figures of a fixed set of cases, as of today and as of a past date, against counts made
// by hand from the rules.
on_both!(figures_match_hand_computed_values, |app| {
    let a = app.as_user("a", TOWN_A, "township_chair").await;
    let b = app.as_user("b", TOWN_B, "township_chair").await;
    let c = app.as_user("c", COUNTY, "county_admin").await;
    // 1: town A, marriage, visit, 100 days ago; accepted 95, closed 50 (on time), followed up 5.
    let one = simple_case(&app, &a, &ago(100)).await;
    ok_move(&app, &a, one, json!({"action": "accept", "date": ago(95)})).await;
    ok_move(
        &app,
        &a,
        one,
        json!({"action": "assign", "handler": "a", "date": ago(95)}),
    )
    .await;
    ok_move(
        &app,
        &a,
        one,
        json!({"action": "step", "step": "call", "content": "x", "date": ago(90)}),
    )
    .await;
    ok_move(
        &app,
        &a,
        one,
        json!({"action": "close", "content": "x", "date": ago(50)}),
    )
    .await;
    ok_move(
        &app,
        &a,
        one,
        json!({"action": "follow_up", "score": 5, "date": ago(45)}),
    )
    .await;
    // 2: town A, marriage, 90 days ago; accepted 89 (due 29 days ago), still open: overdue.
    let two = simple_case(&app, &a, &ago(90)).await;
    ok_move(&app, &a, two, json!({"action": "accept", "date": ago(89)})).await;
    // 3: town B, land, phone, 80 days ago; declined 60 days ago (late decision).
    let three = intake(
        &app,
        &b,
        json!({"channel": "phone", "type": "land", "received_date": ago(80),
        "summary": "x", "parties": [{"role": "complainant", "name": "冯英"}]}),
    )
    .await;
    ok_move(
        &app,
        &b,
        three,
        json!({"action": "decline", "reason": "x", "date": ago(60)}),
    )
    .await;
    // 4: county, land, phone, 70 days ago; accepted 70, closed 2 days ago (late: due 10 days ago),
    //    followed up with 3, then reopened today: open again, its score drops out.
    let four = intake(
        &app,
        &c,
        json!({"channel": "phone", "type": "land", "received_date": ago(70),
        "summary": "x", "parties": [{"role": "complainant", "name": "蒋华"}]}),
    )
    .await;
    ok_move(&app, &c, four, json!({"action": "accept", "date": ago(70)})).await;
    ok_move(
        &app,
        &c,
        four,
        json!({"action": "assign", "handler": "c", "date": ago(70)}),
    )
    .await;
    ok_move(
        &app,
        &c,
        four,
        json!({"action": "step", "step": "visit", "content": "x", "date": ago(40)}),
    )
    .await;
    ok_move(
        &app,
        &c,
        four,
        json!({"action": "close", "content": "x", "date": ago(2)}),
    )
    .await;
    ok_move(
        &app,
        &c,
        four,
        json!({"action": "follow_up", "score": 3, "date": ago(1)}),
    )
    .await;
    ok_move(&app, &c, four, json!({"action": "reopen", "reason": "x"})).await;
    // 5: town B, marriage, 10 days ago, undecided; transferred from town A? No: received at B.
    let _five = simple_case(&app, &b, &ago(10)).await;

    let period = format!("from={}&to={}", ago(365), ago(0));
    let r = figures(&app, &c, &format!("/api/v1/case-figures?{period}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let f = r.json();
    // Over whole months, today's figures of the county come from the sums the triggers
    // keep, not from the case rows: the same figures.
    let first = (today() - Days::new(365)).with_day(1).unwrap();
    let r = figures(
        &app,
        &c,
        &format!("/api/v1/case-figures?from={first}&to={}", ago(0)),
    )
    .await;
    let kept = r.json();
    for g in [
        "total",
        "by_type",
        "by_channel",
        "by_township",
        "by_unit",
        "by_month",
    ] {
        assert_eq!(kept[g], f[g], "{g}");
    }
    tallies_agree(&app).await;
    // Periods a month boundary cuts: the whole months from the kept sums, the cut days from
    // the rows. Each township's line of the county's figures is then the township's own
    // figures, which always read the rows.
    let tenth = (today() - Days::new(100)).with_day(10).unwrap();
    for period in [
        format!("from={}&to={}", ago(364), ago(0)),
        format!("from={}&to={}", ago(80), ago(3)),
        format!("from={tenth}&to={}", ago(2)),
    ] {
        let county = figures(&app, &c, &format!("/api/v1/case-figures?{period}"))
            .await
            .json();
        let mut lines = 0;
        for line in county["by_township"].as_array().unwrap() {
            let key = line["key"].as_str().unwrap();
            if key.ends_with("000000") {
                continue;
            }
            let own = figures(
                &app,
                &c,
                &format!("/api/v1/case-figures?{period}&unit={key}"),
            )
            .await
            .json();
            let mut line = line.clone();
            let o = line.as_object_mut().unwrap();
            o.remove("key");
            o.remove("label");
            assert_eq!(line, own["total"], "{period} {key}");
            lines += 1;
        }
        assert!(lines >= 1, "{period}");
    }
    let t = &f["total"];
    // received 5; accepted 1,2,4; declined 3; pending 5.
    assert_eq!(
        (
            t["received"].as_i64(),
            t["accepted"].as_i64(),
            t["declined"].as_i64(),
            t["pending_decision"].as_i64()
        ),
        (Some(5), Some(3), Some(1), Some(1))
    );
    // closed now: only 1 (4 was reopened). closure 1/3; on time 1/1.
    assert_eq!(t["closed"], 1);
    assert_eq!(t["closure_rate"], 0.3333);
    assert_eq!(t["on_time_rate"], 1.0);
    // decided on time: 1 (5 days), 2 (1 day), 4 (0 days); 3 took 20 days. 3 of 4.
    assert_eq!(t["decided_on_time"], 3);
    assert_eq!(t["decision_on_time_rate"], 0.75);
    // followed up: 1 with 5; satisfied 1/1.
    assert_eq!(
        (
            t["followed_up"].as_i64(),
            t["satisfaction_mean"].as_f64(),
            t["satisfied_share"].as_f64()
        ),
        (Some(1), Some(5.0), Some(1.0))
    );
    assert_eq!(
        (t["reopened"].as_i64(), t["overdue"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(t["repeat_rate"], 0.0);
    // Groupings add up and list every type and channel.
    assert_eq!(f["by_type"].as_array().unwrap().len(), 11);
    assert_eq!(f["by_channel"].as_array().unwrap().len(), 7);
    for g in [
        "by_type",
        "by_channel",
        "by_township",
        "by_unit",
        "by_month",
    ] {
        let sum: i64 = f[g]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["received"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 5, "{g}");
    }
    let town = |code: &str| {
        f["by_township"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(town(TOWN_A)["received"], 2);
    assert_eq!(town(TOWN_B)["received"], 2);
    assert_eq!(town("430523000000")["received"], 1);
    assert_eq!(town(TOWN_A)["closure_rate"], 0.5);
    assert!(town(TOWN_B)["closure_rate"].is_null());
    let land = f["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "land")
        .cloned()
        .unwrap();
    assert_eq!(
        (land["received"].as_i64(), land["declined"].as_i64()),
        (Some(2), Some(1))
    );

    // As of 3 days ago: 4 was not yet closed; 1 was followed up; 5 was received.
    let r = figures(
        &app,
        &c,
        &format!("/api/v1/case-figures?{period}&as_of={}", ago(3)),
    )
    .await;
    let t = r.json()["total"].clone();
    assert_eq!(
        (t["closed"].as_i64(), t["reopened"].as_i64()),
        (Some(1), Some(0))
    );
    // As of 2 days ago: 4 closed late; 1 on time.
    let r = figures(
        &app,
        &c,
        &format!("/api/v1/case-figures?{period}&as_of={}", ago(2)),
    )
    .await;
    let t = r.json()["total"].clone();
    assert_eq!(
        (
            t["closed"].as_i64(),
            t["closed_on_time"].as_i64(),
            t["on_time_rate"].as_f64()
        ),
        (Some(2), Some(1), Some(0.5))
    );
    // As of 1 day ago: 4 was followed up with 3: mean 4, satisfied 1 of 2.
    let r = figures(
        &app,
        &c,
        &format!("/api/v1/case-figures?{period}&as_of={}", ago(1)),
    )
    .await;
    let t = r.json()["total"].clone();
    assert_eq!(
        (
            t["followed_up"].as_i64(),
            t["satisfaction_mean"].as_f64(),
            t["satisfied_share"].as_f64()
        ),
        (Some(2), Some(4.0), Some(0.5))
    );
    // As of 85 days ago: 3 (received 80 days ago) and later ones do not exist yet.
    let r = figures(
        &app,
        &c,
        &format!("/api/v1/case-figures?{period}&as_of={}", ago(85)),
    )
    .await;
    assert_eq!(r.json()["total"]["received"], 2);
    // A township sees its own figures only.
    let r = figures(&app, &a, &format!("/api/v1/case-figures?{period}")).await;
    assert_eq!(r.json()["total"]["received"], 2);
    let r = figures(
        &app,
        &a,
        &format!("/api/v1/case-figures?{period}&unit={COUNTY}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The page and the workbook carry the same figures.
    let page = app.get(Some(&c), &format!("/cases/figures?{period}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("33.3%"));
    let x = app
        .get(Some(&c), &format!("/cases/figures.xlsx?{period}"))
        .await;
    assert_eq!(x.status, StatusCode::OK);
    let rows = sheet(&x.raw);
    assert_eq!(rows[2][1], "5");
    assert_eq!(rows[2][6], "0.3333");
});

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

/// The files kept for case attachments, with their bytes.
fn stored_files(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let root = app.data_dir().join("files").join("cases");
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            out.push((
                f.file_name().to_string_lossy().into_owned(),
                std::fs::read(f.path()).unwrap(),
            ));
        }
    }
    out
}

on_both!(
    attachments_are_checked_encrypted_and_served_only_to_readers,
    |app| {
        let hot = app.as_user("hot", TOWN_A, "rights_officer").await;
        let other = app.as_user("other", TOWN_A, "rights_officer").await;
        let outsider = app.as_user("outsider", TOWN_B, "township_chair").await;
        let id = intake(
            &app,
            &hot,
            json!({"channel": "station", "type": "domestic_violence",
        "summary": "遭丈夫殴打", "parties": [{"role": "complainant", "name": "孙丽娟"}]}),
        )
        .await;
        // From the case page: the file is kept, listed and on the timeline.
        let r = app
            .post_multipart(
                &hot,
                &format!("/cases/{id}/attachments"),
                &[("note", "派出所告诫书")],
                "C:\\材料\\告诫书 1.pdf",
                PDF,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let v = case_json(&app, &hot, id).await;
        let a = &v["attachments"][0];
        assert_eq!(a["file_name"], "告诫书 1.pdf");
        assert_eq!(a["content_type"], "application/pdf");
        assert_eq!(a["size"], PDF.len());
        assert_eq!(a["note"], "派出所告诫书");
        let aid = a["id"].as_i64().unwrap();
        assert!(v["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "attach"));
        let page = app.get(Some(&hot), &format!("/cases/{id}")).await;
        assert!(page
            .body
            .contains(&format!("/cases/{id}/attachments/{aid}")));
        // At rest the file is encrypted: neither its bytes nor its name are on the disk.
        let files = stored_files(&app);
        assert_eq!(
            files.len(),
            1,
            "{:?}",
            files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert!(files[0].0.ends_with(".bin"));
        assert!(!files[0].1.windows(4).any(|w| w == b"%PDF"));
        // The reader downloads it under its name; the download is audited.
        let views = app.audit_count("case.attachment_view").await;
        let url = format!("/cases/{id}/attachments/{aid}");
        let r = app.get(Some(&hot), &url).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.raw, PDF);
        assert_eq!(r.headers["content-type"], "application/pdf");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert!(r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%E5%91%8A%E8%AF%AB%E4%B9%A6%201.pdf"));
        assert_eq!(app.audit_count("case.attachment_view").await, views + 1);
        assert_eq!(app.audit_count("case.attach").await, 1);

        // Bad files: refused at the field in Chinese, nothing kept.
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
        let r = app
            .post_multipart(
                &hot,
                &format!("/cases/{id}/attachments"),
                &[],
                "证据.pdf",
                exe,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains(key("attachment.type_invalid")),
            "{}",
            r.body
        );
        let api = format!("/api/v1/cases/{id}/attachments");
        let r = app.post_multipart(&hot, &api, &[], "空.pdf", b"").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["error"]["fields"][0]["field"], "file");
        assert_eq!(r.json()["error"]["fields"][0]["code"], "attachment.no_file");
        let mut big = PDF.to_vec();
        big.resize(cases::attachments::MAX_BYTES + 1, b' ');
        let r = app.post_multipart(&hot, &api, &[], "大.pdf", &big).await;
        assert!(r.status.is_client_error(), "{}", r.status);
        assert_eq!(stored_files(&app).len(), 1);
        assert_eq!(
            case_json(&app, &hot, id).await["attachments"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // Through the API: a picture, returned as it was given.
        let r = app
            .post_multipart(&hot, &api, &[("note", "伤情照片")], "伤情.png", PNG)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["content_type"], "image/png");
        let png = r.json()["id"].as_i64().unwrap();
        let r = app
            .api(&hot, Method::GET, &format!("{api}/{png}"), None)
            .await;
        assert_eq!((r.status, r.raw.as_slice()), (StatusCode::OK, PNG));

        // A restricted case's files: not to another officer in scope, nothing at all out of
        // scope; after breaking the glass, yes.
        for path in [url.clone(), format!("{api}/{png}")] {
            assert_eq!(
                app.get(Some(&other), &path).await.status,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                app.get(Some(&outsider), &path).await.status,
                StatusCode::NOT_FOUND
            );
        }
        let v = case_json(&app, &other, id).await;
        assert!(v["attachments"].as_array().unwrap().is_empty());
        let r = app.post_multipart(&other, &api, &[], "a.pdf", PDF).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.post_multipart(&outsider, &api, &[], "a.pdf", PDF).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(stored_files(&app).len(), 2);
        let r = app
            .post(
                &other,
                &format!("/cases/{id}/glass"),
                &[("reason", "承办人休假，当事人来电求助")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = app.get(Some(&other), &url).await;
        assert_eq!((r.status, r.raw.as_slice()), (StatusCode::OK, PDF));
        // A file altered on the disk is not served as if it were the one uploaded.
        let (name, mut bytes) = stored_files(&app)
            .into_iter()
            // nonce and tag around the sealed bytes
            .find(|f| f.1.len() == PDF.len() + 28)
            .unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let path = app
            .data_dir()
            .join("files/cases")
            .join(id.to_string())
            .join(name);
        std::fs::write(path, bytes).unwrap();
        assert_eq!(
            app.get(Some(&hot), &url).await.status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
);

// A date in the future is refused as such, not as a malformed date.
on_both!(a_future_date_is_refused_as_future, |app| {
    let s = app.as_user("hot", TOWN_A, "rights_officer").await;
    let tomorrow = kernel::time::iso_date(kernel::time::today().succ_opt().unwrap());
    let r = app
        .api(
            &s,
            Method::POST,
            "/api/v1/cases",
            Some(
                json!({"channel": "visit", "type": "marriage", "received_date": tomorrow,
                "summary": "反映婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let field = &r.json()["error"]["fields"][0];
    assert_eq!(field["field"], "received_date");
    assert_eq!(field["message"], "日期不能晚于今天。");
    let r = app
        .post(
            &s,
            "/registry/persons/new",
            &[
                ("name", "王芳"),
                ("sex", "F"),
                ("birth_date", &tomorrow),
                ("unit_code", VILLAGE_A),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("日期不能晚于今天。"));
});
