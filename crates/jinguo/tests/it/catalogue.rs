//! The message catalogue: both languages complete, every key used exists, no text in
//! templates.

use std::collections::BTreeSet;

use kernel::i18n::{parse_catalogue, EN_SOURCE, ZH_SOURCE};

fn sources() -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = [
        "kernel/src",
        "kernel/templates",
        "registry/src",
        "registry/templates",
        "cases/src",
        "cases/templates",
    ]
    .iter()
    .map(|d| std::path::PathBuf::from(format!("{}/../{d}", env!("CARGO_MANIFEST_DIR"))))
    .collect();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs" || x == "html") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn both_catalogues_have_the_same_keys() {
    let zh = parse_catalogue(ZH_SOURCE).unwrap();
    let en = parse_catalogue(EN_SOURCE).unwrap();
    let zk: BTreeSet<_> = zh.keys().collect();
    let ek: BTreeSet<_> = en.keys().collect();
    assert_eq!(
        zk.difference(&ek).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "missing in en"
    );
    assert_eq!(
        ek.difference(&zk).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "missing in zh-CN"
    );
    for (k, v) in zh.iter().chain(en.iter()) {
        assert!(!v.trim().is_empty(), "{k} is empty");
    }
}

#[test]
fn every_key_used_is_in_the_catalogue() {
    let zh = parse_catalogue(ZH_SOURCE).unwrap();
    let namespaces: BTreeSet<&str> = zh.keys().filter_map(|k| k.split('.').next()).collect();
    let mut used = 0;
    for (path, src) in sources() {
        for lit in src.split('"').skip(1).step_by(2) {
            let Some((ns, rest)) = lit.split_once('.') else {
                continue;
            };
            let key_like = !rest.is_empty()
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
            if key_like && namespaces.contains(ns) && !lit.ends_with('.') && !lit.ends_with(".html")
            {
                // Audit action names share the shape of keys but are data, not text.
                if kernel::audit::ACTIONS.contains(&lit)
                    || registry::ACTIONS.contains(&lit)
                    || cases::ACTIONS.contains(&lit)
                {
                    continue;
                }
                used += 1;
                assert!(
                    zh.contains_key(lit) || lit.starts_with("coming."),
                    "{} uses unknown key {lit}",
                    path.display()
                );
            }
        }
    }
    assert!(used > 100, "found only {used} keys");
    for section in ["aid", "activities", "honours", "reports"] {
        assert!(zh.contains_key(&format!("coming.{section}")));
    }
}

#[test]
fn templates_hold_no_text_of_their_own() {
    for (path, src) in sources() {
        if path.extension().is_some_and(|x| x == "html") {
            let cjk: String = src
                .chars()
                .filter(|c| {
                    ('\u{3000}'..='\u{9fff}').contains(c) || ('\u{ff00}'..='\u{ffef}').contains(c)
                })
                .collect();
            assert!(
                cjk.is_empty(),
                "{} has text {cjk:?}: use the catalogue",
                path.display()
            );
        }
    }
}
