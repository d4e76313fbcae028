//! Task names (DESIGN §3.1): `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 48 characters.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::validate::{validate_task_name, MAX_TASK_NAME_LEN};

#[test]
fn accepts_lowercase_words_joined_by_single_hyphens() {
    for name in ["a", "fix-login-bug", "x1", "2026-refactor", "a-b-c-d", &"a".repeat(MAX_TASK_NAME_LEN)] {
        assert_eq!(validate_task_name(name), Ok(()), "{name:?} should be accepted");
    }
}

#[test]
fn rejects_everything_else_with_a_stable_code() {
    let long = "a".repeat(MAX_TASK_NAME_LEN + 1);
    let bad = [
        "", "-a", "a-", "a--b", "Fix", "fix_bug", "fix bug", "fix.bug", "fix/bug", "../x", "é",
        "a\nb", "a\0b", "$(touch x)", "`id`", "a;b", &long,
    ];
    for name in bad {
        let err = validate_task_name(name).expect_err(name);
        assert_eq!(err.code(), "invalid_task_name", "{name:?}");
        assert!(err.to_string().contains("a-z and 0-9"), "message says how to fix it: {err}");
    }
}

#[test]
fn long_rejected_names_are_not_echoed_in_full() {
    let huge = "X".repeat(1_000_000);
    let msg = validate_task_name(&huge).unwrap_err().to_string();
    assert!(msg.len() < 400, "message stays short: {} bytes", msg.len());
}
