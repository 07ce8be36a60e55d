//! The binary: bad input gives a clear message and a non-zero exit; demo, users and
//! `audit verify` work end to end, on both databases.

use std::process::Command;

use crate::support::*;

fn jinguo(args: &[&str], db_url: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jinguo"));
    cmd.args(args)
        .env_remove("JINGUO_DATABASE_URL")
        .env("JINGUO_LOG", "warn");
    if let Some(u) = db_url {
        cmd.env("JINGUO_DATABASE_URL", u);
    }
    let out = cmd.output().expect("run jinguo");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn help_for_every_command() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["org", "import", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "passwd", "--help"],
        vec!["user", "disable", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["bench", "--help"],
    ] {
        let (ok, text) = jinguo(&args, None);
        assert!(ok, "{args:?}: {text}");
        assert!(text.contains("Usage"), "{args:?}");
    }
}

#[test]
fn bad_input_is_named_and_exits_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let d = dir.to_str().unwrap();
    let (ok, text) = jinguo(
        &["org", "import", "--county", "999999", "--data-dir", d],
        None,
    );
    assert!(
        !ok && text.contains("999999") && text.contains("不存在"),
        "{text}"
    );
    assert!(
        !dir.join("jinguo.db").exists(),
        "nothing written for a bad code"
    );
    let (ok, text) = jinguo(&["org", "import", "--county", "43x"], None);
    assert!(!ok && text.contains("6 位"), "{text}");
    let corrupt = tmp.path().join("bad.gz");
    std::fs::write(&corrupt, b"\x1f\x8b\x08\x00garbage").unwrap();
    let (ok, text) = jinguo(
        &[
            "org",
            "import",
            "--all",
            "--file",
            corrupt.to_str().unwrap(),
            "--data-dir",
            d,
        ],
        None,
    );
    assert!(!ok && text.contains("已损坏"), "{text}");
    let (ok, text) = jinguo(&["migrate"], Some("postgres://nobody@127.0.0.1:1/none"));
    assert!(
        !ok && text.contains("无法连接数据库") && !text.contains("panick"),
        "{text}"
    );
    let (ok, text) = jinguo(&["migrate"], Some("mysql://x"));
    assert!(!ok && text.contains("不支持的数据库地址"), "{text}");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let (ok, text) = jinguo(
        &["migrate", "--data-dir", file.join("sub").to_str().unwrap()],
        None,
    );
    assert!(!ok && text.contains("数据目录"), "{text}");
    let (ok, text) = jinguo(&["serve", "--listen", "nowhere", "--data-dir", d], None);
    assert!(!ok && text.contains("监听地址无效"), "{text}");
    let (ok, text) = jinguo(&["migrate", "--today", "2026-13-01", "--data-dir", d], None);
    assert!(!ok && text.contains("YYYY-MM-DD"), "{text}");
}

async fn demo_story(url: String, tmp: &std::path::Path) {
    let d = tmp.join("demo");
    let d = d.to_str().unwrap();
    let url_arg = Some(url.as_str()).filter(|u| !u.is_empty());
    let (ok, text) = jinguo(&["demo", "--no-serve", "--data-dir", d], url_arg);
    assert!(ok, "{text}");
    assert!(
        text.contains("邵阳县") && text.contains("county") && text.contains("village"),
        "{text}"
    );
    // Refreshing the demo works too.
    let (ok, text) = jinguo(&["demo", "--no-serve", "--data-dir", d], url_arg);
    assert!(ok, "{text}");
    let (ok, text) = jinguo(
        &[
            "user",
            "add",
            "--username",
            "clerk",
            "--name",
            "文员",
            "--unit",
            "430523100",
            "--role",
            "leader",
            "--data-dir",
            d,
        ],
        url_arg,
    );
    assert!(ok && text.contains("初始密码"), "{text}");
    let (ok, text) = jinguo(
        &[
            "user",
            "add",
            "--username",
            "clerk",
            "--name",
            "文员",
            "--unit",
            "430523100",
            "--role",
            "leader",
            "--data-dir",
            d,
        ],
        url_arg,
    );
    assert!(!ok && text.contains("已被使用"), "{text}");
    let (ok, text) = jinguo(
        &[
            "user",
            "add",
            "--username",
            "x1",
            "--name",
            "x",
            "--unit",
            "110101",
            "--role",
            "boss",
            "--data-dir",
            d,
        ],
        url_arg,
    );
    assert!(
        !ok && text.contains("role") && text.contains("unit_code"),
        "{text}"
    );
    let (ok, text) = jinguo(&["user", "passwd", "clerk", "--data-dir", d], url_arg);
    assert!(ok, "{text}");
    let (ok, text) = jinguo(&["user", "disable", "clerk", "--data-dir", d], url_arg);
    assert!(ok, "{text}");
    let (ok, text) = jinguo(&["user", "disable", "ghost", "--data-dir", d], url_arg);
    assert!(!ok && text.contains("不存在"), "{text}");
    let (ok, text) = jinguo(&["audit", "verify", "--data-dir", d], url_arg);
    assert!(ok && text.contains("审计链完整"), "{text}");
    // Tamper with one row, as someone with database access could.
    let db_url = if url.is_empty() {
        format!("sqlite://{d}/jinguo.db")
    } else {
        url.clone()
    };
    let db = kernel::Db::connect(&db_url).await.unwrap();
    let drop = if db_url.starts_with("sqlite") {
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone' WHERE seq = 2;"
    } else {
        "DROP TRIGGER audit_log_no_change ON audit_log; UPDATE audit_log SET actor = 'someone' WHERE seq = 2;"
    };
    sqlx::raw_sql(drop).execute(db.pool()).await.unwrap();
    db.close().await;
    let (ok, text) = jinguo(&["audit", "verify", "--data-dir", d], url_arg);
    assert!(
        !ok && text.contains("第 2 条") && text.contains("修改"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_users_and_audit_verify_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    demo_story(String::new(), tmp.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_users_and_audit_verify_postgres() {
    if pg_admin_url().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let url = fresh_url(Backend::Postgres, tmp.path()).await;
    demo_story(url, tmp.path()).await;
}

#[test]
fn demo_refuses_to_overwrite_real_data() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_str().unwrap();
    let (ok, text) = jinguo(
        &["org", "import", "--county", "430523", "--data-dir", d],
        None,
    );
    assert!(ok, "{text}");
    let (ok, text) = jinguo(
        &[
            "user",
            "add",
            "--username",
            "real",
            "--name",
            "真实",
            "--unit",
            "430523",
            "--role",
            "county_admin",
            "--data-dir",
            d,
        ],
        None,
    );
    assert!(ok, "{text}");
    let (ok, text) = jinguo(&["demo", "--no-serve", "--data-dir", d], None);
    assert!(!ok && text.contains("非演示数据"), "{text}");
}
