//! A person in headless Chromium (Debian's chromium and chromedriver, driven over
//! WebDriver): the county logs in, finds a township by two characters, creates a village
//! account; the village logs in, changes her password and sees only her village.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use axum::http::StatusCode;

use crate::on_both;
use crate::support::*;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn browser(profile: &std::path::Path) -> (Driver, Client) {
    browser_with_downloads(profile, profile).await
}

async fn browser_with_downloads(
    profile: &std::path::Path,
    downloads: &std::path::Path,
) -> (Driver, Client) {
    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (scripts/test installs chromium-driver)");
    let driver = Driver(driver);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", "--window-size=1200,900",
                     format!("--user-data-dir={}", profile.display())],
            "prefs": {"download.default_directory": downloads.display().to_string(),
                      "download.prompt_for_download": false},
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for attempt in 0..50 {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return (driver, c),
            Err(e) if attempt == 49 => panic!("chromedriver did not answer: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    unreachable!()
}

async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .ok();
    });
    format!("http://{addr}")
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// The text of the element at `css`.
async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until the current address has a query string holding `part` (a submitted GET
/// form), so that what is found next belongs to the new page, not the one it replaced.
async fn wait_query(c: &Client, part: &str) {
    for _ in 0..100 {
        if c.current_url()
            .await
            .map(|u| u.query().is_some_and(|q| q.contains(part)))
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "browser never reached a query with {part}: at {:?}",
        c.current_url().await
    );
}

/// Waits until the element at `css` reads `expected`; the element may be replaced by a
/// navigation while it is polled, so lookups that fail are retried.
async fn wait_text(c: &Client, css: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if let Ok(text) = el.text().await {
                if text == expected {
                    return;
                }
                last = text;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never read {expected}: last {last:?}");
}

/// Waits until the element at `css` holds `part` (lookups a navigation invalidates are retried).
async fn wait_contains(c: &Client, css: &str, part: &str) {
    for _ in 0..100 {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if el.text().await.is_ok_and(|t| t.contains(part)) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never held {part}");
}

/// Waits until an element matches `css` (a branch of the tree is fetched when opened).
async fn wait_for(c: &Client, css: &str) {
    for _ in 0..100 {
        if c.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never appeared");
}

/// Waits until the browser shows `path` (navigation after a click is asynchronous).
async fn wait_path(c: &Client, path: &str) {
    for _ in 0..100 {
        if c.current_url()
            .await
            .map(|u| u.path() == path)
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "browser never reached {path}: at {:?}",
        c.current_url().await
    );
}

async fn login(c: &Client, base: &str, user: &str, pw: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#username", user).await;
    fill(c, "#password", pw).await;
    click(c, "#login").await;
}

on_both!(county_creates_village_account_in_browser, |app| {
    app.user("county", COUNTY, "county_admin").await;
    let base = serve(&app).await;
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = browser(profile.path()).await;

    login(&c, &base, "county", PASSWORD).await;
    wait_path(&c, "/").await;
    assert!(c.source().await.unwrap().contains("邵阳县"));

    // Find the township by two characters of its name.
    c.goto(&format!("{base}/org")).await.unwrap();
    fill(&c, "#org-q", "塘渡").await;
    click(&c, "form.search button").await;
    wait_path(&c, "/org/search").await;
    c.find(Locator::LinkText("塘渡口镇"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, &format!("/org/{TOWN_A}")).await;
    c.find(Locator::LinkText("大岭社区"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, &format!("/org/{VILLAGE_A}")).await;

    // Create the village's account from its page.
    click(&c, &format!("a[href='/accounts/new?unit={VILLAGE_A}']")).await;
    wait_path(&c, "/accounts/new").await;
    fill(&c, "#username", "daling").await;
    fill(&c, "#display_name", "大岭社区妇联主席").await;
    c.find(Locator::Css("#role"))
        .await
        .unwrap()
        .select_by_value("village_chair")
        .await
        .unwrap();
    click(&c, "#create").await;
    let initial = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#initial-password"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(initial.len(), 12);
    let shot = c.screenshot().await.unwrap();
    std::fs::write(
        std::env::temp_dir().join("jinguo-browser-created.png"),
        shot,
    )
    .ok();
    click(&c, "form[action='/logout'] button").await;
    wait_path(&c, "/login").await;

    // The village logs in, must change her password first.
    login(&c, &base, "daling", &initial).await;
    wait_path(&c, "/account/password").await;
    fill(&c, "#current", &initial).await;
    fill(&c, "#new", "Xiangmei2026").await;
    fill(&c, "#confirm", "Xiangmei2026").await;
    click(&c, "#change").await;
    wait_path(&c, "/").await;
    let home = c.source().await.unwrap();
    assert!(home.contains("大岭社区"));
    let shot = c.screenshot().await.unwrap();
    std::fs::write(
        std::env::temp_dir().join("jinguo-browser-village.png"),
        shot,
    )
    .ok();

    // Only her village's subtree is visible.
    c.goto(&format!("{base}/org/{COUNTY}")).await.unwrap();
    assert!(c
        .source()
        .await
        .unwrap()
        .contains(kernel::i18n::Tr::default().s("err.not_found")));
    c.goto(&format!("{base}/org/{TOWN_A}")).await.unwrap();
    assert!(c
        .source()
        .await
        .unwrap()
        .contains(kernel::i18n::Tr::default().s("err.not_found")));
    c.goto(&format!("{base}/org/search?q=社区")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("#org-results tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].text().await.unwrap().contains(VILLAGE_A));
    c.goto(&format!("{base}/org")).await.unwrap();
    wait_path(&c, &format!("/org/{VILLAGE_A}")).await;
    // On a phone the same page fits the screen: no sideways scrolling.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/org/{VILLAGE_A}")).await.unwrap();
    assert!(fits_width(&c).await, "the village's page on a phone");
    let shot = c.screenshot().await.unwrap();
    std::fs::write(std::env::temp_dir().join("jinguo-browser-phone.png"), shot).ok();
    c.close().await.unwrap();
    assert_eq!(app.audit_count("account.create").await, 1);
    assert_eq!(app.audit_count("account.password_change").await, 1);
});

/// Waits for a finished download in `dir` and returns its bytes.
async fn downloaded(dir: &std::path::Path, suffix: &str) -> Vec<u8> {
    for _ in 0..200 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.ends_with(suffix) {
                    if let Ok(b) = std::fs::read(e.path()) {
                        if !b.is_empty() {
                            return b;
                        }
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {suffix} downloaded into {}", dir.display());
}

/// A sheet with the template's header row and the given rows.
fn sheet_with(header: &[String], rows: &[[&str; 3]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_end_matches('*') == name)
            .unwrap() as u16
    };
    let (name, id, unit) = (col("姓名"), col("身份证号"), col("居住地（村/社区）"));
    for (r, row) in rows.iter().enumerate() {
        ws.write_string(r as u32 + 1, name, row[0]).unwrap();
        ws.write_string(r as u32 + 1, id, row[1]).unwrap();
        ws.write_string(r as u32 + 1, unit, row[2]).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// Uploads a file on the import page and waits for its job's page to say it is done.
async fn import_in_browser(c: &Client, base: &str, file: &std::path::Path) -> String {
    c.goto(&format!("{base}/registry/import")).await.unwrap();
    let input = c.find(Locator::Css("#file")).await.unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    click(c, "#upload").await;
    wait_job_done(c).await
}

async fn wait_job_done(c: &Client) -> String {
    for _ in 0..200 {
        let src = c.source().await.unwrap();
        if src.contains("data-status=\"done\"") {
            return src;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = c.refresh().await;
    }
    panic!("import did not finish");
}

on_both!(registry_import_search_and_reveal_in_browser, |app| {
    app.user("county", COUNTY, "county_admin").await;
    let base = serve(&app).await;
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let (_driver, c) = browser_with_downloads(profile.path(), downloads.path()).await;
    login(&c, &base, "county", PASSWORD).await;
    wait_path(&c, "/").await;

    // Download the template from the person list.
    c.goto(&format!("{base}/registry/persons")).await.unwrap();
    click(&c, "#template").await;
    let template = downloaded(downloads.path(), ".xlsx").await;
    let header = sheet(&template)[0].clone();
    assert_eq!(header[0], "姓名*");

    // A sheet with a bad row: its error is read on the job page.
    let bad = sheet_with(
        &header,
        &[
            ["欧阳秀芝", "430523198203150024", VILLAGE_A],
            ["司马红英", "110105194912310021", VILLAGE_A],
        ],
    );
    let file = downloads.path().join("bad.xlsx");
    std::fs::write(&file, bad).unwrap();
    let page = import_in_browser(&c, &base, &file).await;
    let errors = text(&c, "#row-errors tbody").await;
    assert!(
        errors.contains('3') && errors.contains("校验位"),
        "{errors}"
    );
    assert!(page.contains("id=\"inserted\">1<"), "one good row in");

    // Fixed and imported again: the good row is updated, the fixed one added.
    let good = sheet_with(
        &header,
        &[
            ["欧阳秀芝", "430523198203150024", VILLAGE_A],
            ["司马红英", "11010519491231002X", VILLAGE_A],
        ],
    );
    let file = downloads.path().join("fixed.xlsx");
    std::fs::write(&file, good).unwrap();
    let page = import_in_browser(&c, &base, &file).await;
    assert!(
        page.contains("id=\"inserted\">1<")
            && page.contains("id=\"updated\">1<")
            && page.contains("id=\"failed\">0<")
    );

    // Find her by two characters of her name, reveal her ID, see the audit entry.
    c.goto(&format!("{base}/registry/persons")).await.unwrap();
    fill(&c, "#person-q", "红英").await;
    click(&c, "#person-search").await;
    wait_query(&c, "q=").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::LinkText("司马红英"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let masked = text(&c, "#id-number").await;
    assert_eq!(masked, "1101**********002X");
    click(&c, "#reveal").await;
    wait_text(&c, "#id-number", "11010519491231002X").await;
    c.goto(&format!("{base}/audit?action=person.reveal"))
        .await
        .unwrap();
    let audit = text(&c, "#audit tbody").await;
    assert!(
        audit.contains("county") && audit.contains("司马红英"),
        "{audit}"
    );
    c.close().await.unwrap();
});

on_both!(
    hotline_call_to_follow_up_and_restricted_case_in_browser,
    |app| {
        let tr = kernel::i18n::Tr::default();
        let hot = app.user("hot", TOWN_A, "rights_officer").await;
        app.user("other", TOWN_A, "rights_officer").await;
        let base = serve(&app).await;
        let profile = tempfile::tempdir().unwrap();
        let (_driver, c) = browser(profile.path()).await;

        // The hotline officer logs a call that needs follow-up and opens its case at once.
        login(&c, &base, "hot", PASSWORD).await;
        wait_path(&c, "/").await;
        c.goto(&format!("{base}/cases/calls")).await.unwrap();
        fill(&c, "#caller_name", "刘春花").await;
        c.find(Locator::Css("#call-type"))
            .await
            .unwrap()
            .select_by_value("abandonment")
            .await
            .unwrap();
        fill(&c, "#call-summary", "丈夫离家不归，不给孩子抚养费").await;
        click(&c, "#open_case").await;
        click(&c, "#log-call").await;
        wait_text(&c, "#case-state", tr.s("case_state.received")).await;
        assert!(text(&c, "#case-summary").await.contains("抚养费"));

        // Accept, assign, visit, close with a result, follow up: each step on the timeline.
        click(&c, "#do-accept").await;
        wait_text(&c, "#case-state", tr.s("case_state.accepted")).await;
        click(&c, "#do-assign").await;
        wait_text(&c, "#case-state", tr.s("case_state.assigned")).await;
        c.find(Locator::Css("#move-step select[name='step']"))
            .await
            .unwrap()
            .select_by_value("visit")
            .await
            .unwrap();
        fill(
            &c,
            "#move-step textarea[name='content']",
            "上门走访，了解情况",
        )
        .await;
        click(&c, "#do-step").await;
        wait_text(&c, "#case-state", tr.s("case_state.in_progress")).await;
        // A scanned letter attached from the page; a file of another kind is refused there.
        let dir = std::env::temp_dir().join(format!("jinguo-attach-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let letter = dir.join("来信.pdf");
        std::fs::write(&letter, b"%PDF-1.4\n%%EOF\n").unwrap();
        let program = dir.join("照片.pdf");
        std::fs::write(&program, b"MZ\x90\0\x03\0\0\0\x04\0\0\0").unwrap();
        let input = c
            .find(Locator::Css("#attach-form input[type='file']"))
            .await
            .unwrap();
        input
            .send_keys(&program.display().to_string())
            .await
            .unwrap();
        click(&c, "#do-attach").await;
        wait_contains(&c, "#case-errors", tr.s("attachment.type_invalid")).await;
        let input = c
            .find(Locator::Css("#attach-form input[type='file']"))
            .await
            .unwrap();
        input
            .send_keys(&letter.display().to_string())
            .await
            .unwrap();
        fill(&c, "#attach-form input[name='note']", "当事人来信").await;
        click(&c, "#do-attach").await;
        wait_contains(&c, "#attachments", "来信.pdf").await;
        let href = c
            .find(Locator::Css("#attachments a.attachment"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let s = app.session_for(hot).await;
        let file = app.get(Some(&s), &href).await;
        assert_eq!(file.raw, b"%PDF-1.4\n%%EOF\n");
        std::fs::remove_dir_all(&dir).ok();
        // Closing without a result is refused with the reason on the page.
        click(&c, "#do-close").await;
        wait_contains(&c, "#case-errors", tr.s("field.required")).await;
        fill(
            &c,
            "#move-close textarea[name='content']",
            "男方承诺按月支付抚养费",
        )
        .await;
        click(&c, "#do-close").await;
        wait_text(&c, "#case-state", tr.s("case_state.closed")).await;
        c.find(Locator::Css("#move-follow_up select[name='score']"))
            .await
            .unwrap()
            .select_by_value("5")
            .await
            .unwrap();
        click(&c, "#do-follow_up").await;
        wait_text(&c, "#case-state", tr.s("case_state.followed_up")).await;
        assert_eq!(text(&c, "#case-score").await, "5");
        let timeline = text(&c, "#timeline").await;
        for step in [
            "event.receive",
            "event.accept",
            "event.assign",
            "event.visit",
            "event.attach",
            "event.close",
            "event.follow_up",
        ] {
            assert!(
                timeline.contains(tr.s(step)),
                "{step} missing from {timeline}"
            );
        }
        let shot = c.screenshot().await.unwrap();
        std::fs::write(std::env::temp_dir().join("jinguo-browser-case.png"), shot).ok();

        // A domestic-violence case, registered by the officer.
        let s = app.session_for(hot).await;
        let r = app
            .api(
                &s,
                axum::http::Method::POST,
                "/api/v1/cases",
                Some(serde_json::json!({
            "channel": "station", "type": "domestic_violence", "summary": "遭丈夫殴打，头部受伤",
            "parties": [{"role": "complainant", "name": "孙丽娟"}]})),
            )
            .await;
        let id = r.json()["id"].as_i64().unwrap();
        click(&c, "form[action='/logout'] button").await;
        wait_path(&c, "/login").await;

        // Another officer of the township sees that it exists, not what it holds.
        login(&c, &base, "other", PASSWORD).await;
        wait_path(&c, "/").await;
        c.goto(&format!("{base}/cases")).await.unwrap();
        let list = text(&c, "#cases").await;
        assert!(list.contains(tr.s("case.content_restricted")) && !list.contains("孙丽娟"));
        c.goto(&format!("{base}/cases/{id}")).await.unwrap();
        assert!(text(&c, "#restricted-notice")
            .await
            .contains(tr.s("case.break_glass")));
        assert!(!c.source().await.unwrap().contains("头部受伤"));
        // She breaks the glass with a reason, and reads it.
        fill(&c, "#glass-reason", "当事人来电求助，承办人休假").await;
        click(&c, "#break-glass").await;
        wait_text(&c, "#case-summary", "遭丈夫殴打，头部受伤").await;
        c.close().await.unwrap();
        assert_eq!(app.audit_count("case.glass").await, 1);
    }
);

/// Whether every checkbox and radio of the page sits on the line of its own text, before
/// it (not centred above it, not floating between two lines).
/// Whether the page fits the window's width (no sideways scroll).
async fn fits_width(c: &Client) -> bool {
    c.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
        vec![],
    )
    .await
    .unwrap()
        == serde_json::Value::Bool(true)
}

/// Whether every chart on the page has text of at least 12 px as drawn (its font size
/// times the chart's scale on the screen).
async fn chart_text_readable(c: &Client) -> bool {
    c.execute(
        "const t = Array.from(document.querySelectorAll('svg.chart text'));\
         return t.length > 0 && t.every(x => x.getScreenCTM().a * parseFloat(getComputedStyle(x).fontSize) >= 12);",
        vec![],
    )
    .await
    .unwrap()
        == serde_json::Value::Bool(true)
}

async fn boxes_beside_their_text(c: &Client) -> bool {
    let r = c
        .execute(
            "const out = [];
             for (const l of document.querySelectorAll('label')) {
               const i = l.querySelector('input[type=checkbox], input[type=radio]');
               if (!i) continue;
               const t = [...l.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
               if (!t.length) continue;
               const range = document.createRange();
               range.selectNodeContents(t[t.length - 1]);
               const a = i.getBoundingClientRect(), b = range.getClientRects()[0];
               out.push(Math.abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < 14 && a.right <= b.left + 2);
             }
             return out.length > 0 && out.every(x => x);",
            vec![],
        )
        .await
        .unwrap();
    r == serde_json::Value::Bool(true)
}

// The daily work of a village director, a hotline officer and a leader, at a phone's size
// (390 x 844) and an old office PC's (1024 x 768): no code typed, every save confirmed.
on_both!(daily_flows_on_a_phone_and_an_office_pc, |app| {
    app.user("village", VILLAGE_A, "village_chair").await;
    app.user("hotline", COUNTY, "rights_officer").await;
    app.user("leader", COUNTY, "leader").await;
    let admin = app.as_user("adm", COUNTY, "county_admin").await;
    let r = app
        .post(
            &admin,
            "/cases/settings/partners",
            &[("kind", "police"), ("name", "县公安局")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A township's case, for the leader's figures to lead into.
    let r = app
        .api(
            &admin,
            axum::http::Method::POST,
            "/api/v1/cases",
            Some(
                serde_json::json!({"channel": "visit", "type": "marriage", "unit_code": TOWN_A,
                "summary": "反映婚姻纠纷", "parties": [{"role": "complainant", "name": "王秀英"}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let base = serve(&app).await;
    for (i, (w, h)) in [(390u32, 844u32), (1024, 768)].into_iter().enumerate() {
        let profile = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let (_driver, c) = browser_with_downloads(profile.path(), downloads.path()).await;
        c.set_window_size(w, h).await.unwrap();
        // A village director registers a woman of her village: the village is filled in.
        login(&c, &base, "village", PASSWORD).await;
        wait_path(&c, "/").await;
        click(&c, "#starts a[href='/registry/persons/new']").await;
        wait_path(&c, "/registry/persons/new").await;
        let unit = c
            .find(Locator::Css("#unit_code"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        assert_eq!(unit, "大岭社区（塘渡口镇）", "{w}x{h}");
        assert!(boxes_beside_their_text(&c).await, "{w}x{h}: person form");
        let (woman, neighbour) = [("陈淑珍", "刘建国"), ("王桂芳", "赵德明")][i];
        for name in [neighbour, woman] {
            c.goto(&format!("{base}/registry/persons/new"))
                .await
                .unwrap();
            fill(&c, "#name", name).await;
            c.find(Locator::Css("#sex"))
                .await
                .unwrap()
                .select_by_value("F")
                .await
                .unwrap();
            fill(&c, "#birth_date", "1980-05-01").await;
            // A double tap saves once.
            c.execute(
                "const b = document.querySelector('#save'); b.click(); b.click();",
                vec![],
            )
            .await
            .unwrap();
            wait_contains(&c, "#saved", &format!("已登记：{name}（大岭社区）")).await;
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE name = $1")
            .bind(woman)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 1, "{w}x{h}: one tap, one record");
        // Her neighbour joins her household by name.
        click(&c, "#create-household").await;
        wait_contains(&c, "#saved", "已建户").await;
        fill(&c, "#member-person", neighbour).await;
        click(&c, "form[action$='/members'] button[type=submit]").await;
        wait_contains(&c, "#saved", "已添加成员").await;
        assert!(text(&c, "#members").await.contains(neighbour));

        // She brings in her 留守妇女 ledger on the group's template: the village by name,
        // the group's items in their columns; a bad row is named by its person.
        c.goto(&format!("{base}/registry/import")).await.unwrap();
        click(&c, "#group-templates a[data-group='left_behind_women']").await;
        let template = downloaded(downloads.path(), ".xlsx").await;
        let header = sheet(&template)[0].clone();
        let (good, bad) = [("吴月娥", "孙美华"), ("郑小红", "钱玉兰")][i];
        let row = |name: &str, id: String| {
            vec![
                ("姓名", name.to_string()),
                ("身份证号", id),
                ("居住地（村/社区）", "大岭社区".to_string()),
                ("配偶务工地", "广东东莞".to_string()),
            ]
        };
        let ledger = crate::import::ledger(
            "留守妇女",
            &header,
            &[
                row(good, crate::import::resident_id(1988, 2, 3, 10 + i as u16)),
                row(bad, "43052319880203001".to_string()),
            ],
        );
        let file = downloads.path().join("ledger.xlsx");
        std::fs::write(&file, ledger).unwrap();
        import_in_browser(&c, &base, &file).await;
        assert_eq!(text(&c, "#grouped").await, "1", "{w}x{h}");
        assert!(
            text(&c, "#row-errors")
                .await
                .contains(&format!("第 3 行（{bad}）")),
            "{w}x{h}"
        );
        assert_eq!(text(&c, "#failed").await, "1");
        c.delete_all_cookies().await.unwrap();

        // The hotline logs a call about domestic violence, opens its case and refers it.
        login(&c, &base, "hotline", PASSWORD).await;
        wait_path(&c, "/").await;
        c.goto(&format!("{base}/cases/calls")).await.unwrap();
        assert!(boxes_beside_their_text(&c).await, "{w}x{h}: call form");
        fill(&c, "#caller_name", woman).await;
        c.find(Locator::Css("#call-type"))
            .await
            .unwrap()
            .select_by_value("domestic_violence")
            .await
            .unwrap();
        fill(&c, "#call-summary", "来电反映丈夫经常打她").await;
        click(&c, "#open_case").await;
        click(&c, "#log-call").await;
        wait_contains(&c, "#case-flow", "受理").await;
        click(&c, "#do-accept").await;
        wait_contains(&c, "#saved", "已保存：受理").await;
        // The next move in the course is offered next: assign it (to herself).
        c.find(Locator::Css("#move-assign select[name=handler]"))
            .await
            .unwrap()
            .select_by_value("hotline")
            .await
            .unwrap();
        click(&c, "#do-assign").await;
        wait_contains(&c, "#saved", "已保存：交办").await;
        click(&c, "#do-refer").await;
        wait_contains(&c, "#saved", "已保存：转介").await;
        assert!(text(&c, "#referrals").await.contains("县公安局"));
        assert!(boxes_beside_their_text(&c).await, "{w}x{h}: risk form");
        c.delete_all_cookies().await.unwrap();

        // A leader taps from the county's figures into a township's.
        login(&c, &base, "leader", PASSWORD).await;
        wait_path(&c, "/").await;
        click(&c, "nav.main a[href='/cases/figures']").await;
        wait_path(&c, "/cases/figures").await;
        click(&c, "table.figures a[href*='unit=430523100']").await;
        wait_query(&c, "unit=430523100").await;
        wait_contains(&c, "#figures-period", "塘渡口镇").await;
        assert!(fits_width(&c).await, "{w}x{h}: no sideways scroll");
        assert!(chart_text_readable(&c).await, "{w}x{h}: case chart labels");
        let shot = c.screenshot().await.unwrap();
        std::fs::write(
            std::env::temp_dir().join(format!("jinguo-figures-{w}.png")),
            shot,
        )
        .ok();
        // The registry's figures, drawn by the kernel's renderer: into the township by a
        // tap, and its table downloaded.
        click(&c, "#registry-figures").await;
        wait_for(&c, "#figures-table").await;
        click(&c, "#figures-table a[href*='unit=430523100']").await;
        wait_query(&c, "unit=430523100").await;
        wait_contains(&c, "#figures-period", "塘渡口镇").await;
        assert!(text(&c, "#figures-table").await.contains("大岭社区"));
        assert!(fits_width(&c).await, "{w}x{h}: registry figures");
        assert!(
            chart_text_readable(&c).await,
            "{w}x{h}: registry chart labels"
        );
        click(&c, "#figures-xlsx").await;
        let book = downloaded(downloads.path(), "figures-registry-430523100.xlsx").await;
        let rows = sheet(&book);
        assert_eq!(rows[2][0], "塘渡口镇", "{rows:?}");
        c.close().await.unwrap();
    }
});

// A unit picked from the tree: a township opened, a village chosen, the field filled.
on_both!(a_unit_is_picked_from_the_tree, |app| {
    app.user("county", COUNTY, "county_admin").await;
    let base = serve(&app).await;
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = browser(profile.path()).await;
    login(&c, &base, "county", PASSWORD).await;
    wait_path(&c, "/").await;
    c.goto(&format!("{base}/registry/persons/new"))
        .await
        .unwrap();
    click(&c, "details.tree[data-for=unit_code] > summary").await;
    let town = "button[data-fill=unit_code][value='塘渡口镇（邵阳县）']";
    wait_for(&c, town).await;
    click(&c, town).await;
    let village = "button[data-fill=unit_code][value='大岭社区（塘渡口镇）']";
    wait_for(&c, village).await;
    click(&c, village).await;
    let value = c
        .find(Locator::Css("#unit_code"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(value, "大岭社区（塘渡口镇）");
    // Two characters typed bring the suggestions of her area.
    fill(&c, "#unit_code", "合兴").await;
    let mut offered = 0;
    for _ in 0..100 {
        offered = c
            .find_all(Locator::Css("#unit_code-list option"))
            .await
            .map(|o| o.len())
            .unwrap_or(0);
        if offered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(offered, 4, "合兴村 of four townships");
    c.close().await.unwrap();
});
