//! A profile's `task_env`: per-task variables whose `{task_tmp}` the core fills with the
//! host's private directory for the task; anything else in braces is refused at load.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::AgentKind;
use resilient_coding_agent::task_env::{check, task_env};
use std::collections::BTreeMap;

#[test]
fn gemini_gets_a_private_tmpdir_and_codex_nothing() {
    let gemini = AgentKind::parse("gemini").unwrap();
    let e = task_env(gemini, "/home/u/.local/state/rca-tmp/gemini-x-1").unwrap();
    assert!(e.needs_task_tmp);
    assert_eq!(e.env.len(), 1);
    assert_eq!((e.env[0].name.as_str(), e.env[0].value.as_str()), ("TMPDIR", "/home/u/.local/state/rca-tmp/gemini-x-1"));
    let codex = task_env(AgentKind::parse("codex").unwrap(), "/x").unwrap();
    assert!(!codex.needs_task_tmp && codex.env.is_empty());
}

#[test]
fn a_relative_or_multiline_path_is_refused() {
    let gemini = AgentKind::parse("gemini").unwrap();
    for bad in ["tmp/x", "", "/a\nb", "/a\0b"] {
        assert_eq!(task_env(gemini, bad).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
}

#[test]
fn only_task_tmp_may_be_named_and_names_are_variable_names() {
    let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
    assert!(check(&one("TMPDIR", "{task_tmp}/sub")).is_ok());
    assert!(check(&one("X", "plain")).is_ok());
    assert!(check(&one("TMPDIR", "{task_dir}")).is_err());
    assert!(check(&one("1BAD", "x")).is_err());
    assert!(check(&one("A-B", "x")).is_err());
    assert!(check(&one("X", "a\nb")).is_err());
}
