//! The shared patterns (`patterns/common.json`) tested as data: the file loads, every line of
//! tests/fixtures/patterns/lines.json (each phrase of the former hand-written tables, HTTP
//! statuses, ordinary lines) gets its class, every regex is reachable through its keywords on
//! those lines and on the captured agent output, and the one-pass keyword index finds exactly
//! what testing each pattern's keywords one by one finds.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod random_support;
use random_support::Rng;

use resilient_coding_agent::model::FailureClass;
use resilient_coding_agent::patterns::{
    class_bit, class_named, class_of_status, common, is_ignored, is_retry, is_waiting, line_facts, load_common, LineFacts,
};
use serde_json::Value;

const LINES: &str = include_str!("fixtures/patterns/lines.json");

fn lines() -> Value {
    serde_json::from_str(LINES).expect("lines.json parses")
}

fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v[key].as_array().unwrap_or_else(|| panic!("{key}")).iter().map(|s| s.as_str().unwrap()).collect()
}

#[test]
fn the_shared_pattern_file_loads() {
    let c = load_common().unwrap_or_else(|e| panic!("{e}"));
    // Every class a text can point to has patterns; statuses map to classes.
    for class in resilient_coding_agent::patterns::CLASS_PRIORITY {
        assert!(c.failure.iter().any(|(k, _)| *k == class), "{class:?} has no pattern");
    }
    assert_eq!(class_of_status(401), Some(FailureClass::Auth));
    assert_eq!(class_of_status(503), Some(FailureClass::RateLimit));
    assert_eq!(class_of_status(404), None);
    // The compiled copy in use is the file, not the empty fallback.
    assert_eq!(common().failure.len(), c.failure.len());
    assert!(!common().reset.is_empty() && !common().retry.is_empty() && !common().waiting.is_empty());
    // Compiled when first needed, the forms in use read what the checked ones read.
    for (lazy, checked) in common().reset.iter().zip(&c.reset) {
        assert!(lazy.kind().is_some() && lazy.kind() == checked.kind(), "{:?}", lazy.pattern.keywords);
    }
}

#[test]
fn every_fixture_line_gets_its_class() {
    let v = lines();
    for (section, key) in [("failure", "failure"), ("status", "status")] {
        for (class, texts) in v[key].as_object().unwrap() {
            let class = class_named(class).unwrap_or_else(|| panic!("{class}"));
            assert!(!texts.as_array().unwrap().is_empty());
            for t in texts.as_array().unwrap() {
                let t = t.as_str().unwrap();
                let facts = line_facts(t);
                assert!(facts.classes & class_bit(class) != 0, "{section}: {t:?} should be {class:?}, got {facts:?}");
                assert!(!facts.ignored, "{t:?}");
            }
        }
    }
    for t in list(&v, "none") {
        assert_eq!(line_facts(t), LineFacts::default(), "{t:?} should say nothing");
    }
    for t in list(&v, "ignored") {
        assert!(line_facts(t).ignored && is_ignored(t), "{t:?}");
    }
    for t in list(&v, "waiting") {
        assert!(is_waiting(t), "{t:?}");
    }
    for t in list(&v, "retry") {
        assert!(is_retry(t), "{t:?}");
    }
    for t in list(&v, "not_retry").into_iter().chain(list(&v, "none")) {
        assert!(!is_retry(t) && !is_waiting(t), "{t:?}");
    }
}

/// Every text a regex matches must hold one of its keywords, or the keyword gate hides it.
fn assert_keywords_cover(line: &str) {
    let c = common();
    let pats = c
        .failure
        .iter()
        .map(|(_, p)| p)
        .chain(&c.status)
        .chain(&c.ignored)
        .chain(&c.retry)
        .chain(c.reset.iter().map(|f| &f.pattern));
    for p in pats {
        let re = p.regex().expect("compiles");
        if re.is_match(line) {
            assert!(p.holds_keyword(line), "{:?} matches {line:?} but none of its keywords {:?} is there", re.as_str(), p.keywords);
        }
    }
}

#[test]
fn keywords_cover_every_match_in_the_fixtures_and_captured_output() {
    let v = lines();
    let mut all: Vec<String> = Vec::new();
    for key in ["failure", "status"] {
        for texts in v[key].as_object().unwrap().values() {
            all.extend(texts.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()));
        }
    }
    for key in ["none", "ignored", "waiting", "retry", "not_retry"] {
        all.extend(list(&v, key).into_iter().map(String::from));
    }
    for t in &all {
        assert_keywords_cover(t);
    }
    // The output the CLIs really printed (native only: the wasm test has no file system).
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut n = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent-output");
        for agent in std::fs::read_dir(&root).unwrap() {
            for f in std::fs::read_dir(agent.unwrap().path()).unwrap() {
                let text = std::fs::read(f.unwrap().path()).unwrap();
                for line in String::from_utf8_lossy(&text).lines() {
                    assert_keywords_cover(line);
                    n += 1;
                }
            }
        }
        assert!(n > 500, "read {n} lines of captured output");
    }
}

/// What the one-pass index should find: each pattern's keywords searched one by one.
fn facts_one_by_one(text: &str) -> LineFacts {
    let c = common();
    let mut f = LineFacts::default();
    for (class, p) in &c.failure {
        if p.is_match(text) {
            f.classes |= class_bit(*class);
        }
    }
    for p in &c.status {
        if p.holds_keyword(text) {
            for caps in p.regex().expect("compiles").captures_iter(text) {
                if let Some(class) = caps["status"].parse().ok().and_then(class_of_status) {
                    f.classes |= class_bit(class);
                }
            }
        }
    }
    f.ignored = c.ignored.iter().any(|p| p.is_match(text));
    f
}

#[test]
fn the_keyword_index_finds_what_a_search_per_keyword_finds() {
    let c = common();
    // Every keyword, met at every alignment and casing, among pieces of ordinary text.
    let mut pieces: Vec<String> =
        ["status ", "(", "401", "429", "503 ", " ", "  ", ":", "é", "△", "’", "x", "\t", "error: ", "{"].iter().map(|s| s.to_string()).collect();
    for p in c.failure.iter().map(|(_, p)| p).chain(&c.status).chain(&c.ignored) {
        pieces.extend(p.keywords.iter().cloned());
    }
    let v = lines();
    for texts in v["failure"].as_object().unwrap().values() {
        pieces.extend(texts.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()));
    }
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let n = if cfg!(target_arch = "wasm32") { 1_000 } else { 1_500 };
    for _ in 0..n {
        let len = 1 + rng.next() % 8;
        let text: String = (0..len)
            .map(|_| {
                let p = rng.pick(&pieces);
                if rng.next() % 3 == 0 { p.to_ascii_uppercase() } else { p.to_string() }
            })
            .collect();
        assert_eq!(line_facts(&text), facts_one_by_one(&text), "{text:?}");
    }
}
