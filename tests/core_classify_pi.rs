//! Classifying ended Pi runs (`pi --mode json`) from real captured output: json mode exits 0
//! even on errors, so success is an `agent_end` whose last assistant message stopped normally.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass};

#[macro_use]
mod classify_support;
use classify_support::{assert_class, facts, failure};

#[test]
fn ok_json_is_completed() {
    let f = facts(case!("pi", "pi-ok-json"), exit_of!("pi", "pi-ok-json"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
}

#[test]
fn text_mode_exit_zero_is_completed() {
    // Text mode exits 1 on errors, so its 0 can be trusted.
    let f = facts(case!("pi", "pi-ok-text"), exit_of!("pi", "pi-ok-text"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
    let f = facts(case!("pi", "pi-resume-path"), exit_of!("pi", "pi-resume-path"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
    // Pi compacted after a context overflow and exited 0 printing nothing: text mode gives no
    // evidence either way, so this is taken as completed (json mode below is not fooled).
    let f = facts(case!("pi", "pi-mockctx-text"), exit_of!("pi", "pi-mockctx-text"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
}

#[test]
fn json_error_with_exit_zero_is_auth() {
    assert_eq!(exit_of!("pi", "pi-mock401-json"), Some(0));
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mock401-json"), exit_of!("pi", "pi-mock401-json")));
    assert_class(&f, FailureClass::Auth, "401 Incorrect API key provided");
}

#[test]
fn json_rate_limit_after_retries() {
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mock429-json"), exit_of!("pi", "pi-mock429-json")));
    assert_class(&f, FailureClass::RateLimit, "429 Rate limit reached");
}

#[test]
fn json_server_errors_are_rate_limit() {
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mock503-json"), exit_of!("pi", "pi-mock503-json")));
    assert_class(&f, FailureClass::RateLimit, "503 Service Unavailable");
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mockanth529-json"), exit_of!("pi", "pi-mockanth529-json")));
    assert_class(&f, FailureClass::RateLimit, "overloaded_error");
}

#[test]
fn json_context_overflow_then_compaction_is_a_failure() {
    assert_eq!(exit_of!("pi", "pi-mockctx-json"), Some(0));
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mockctx-json"), exit_of!("pi", "pi-mockctx-json")));
    assert_class(&f, FailureClass::ContextOverflow, "exceeds the context window");
}

#[test]
fn text_mode_errors_on_stderr() {
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mock401-text"), exit_of!("pi", "pi-mock401-text")));
    assert_class(&f, FailureClass::Auth, "401 Incorrect API key");
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-mock429-text"), exit_of!("pi", "pi-mock429-text")));
    assert_class(&f, FailureClass::RateLimit, "429 Rate limit reached");
}

#[test]
fn no_credentials_is_auth() {
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-p"), exit_of!("pi", "pi-p")));
    assert_class(&f, FailureClass::Auth, "No API key found for the selected model.");
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-p-json"), exit_of!("pi", "pi-p-json")));
    assert_class(&f, FailureClass::Auth, "No API key found");
}

#[test]
fn unknown_session_is_bad_invocation() {
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-session-bad"), exit_of!("pi", "pi-session-bad")));
    assert_class(&f, FailureClass::BadInvocation, "No session found matching '99999999'");
}

#[test]
fn sigterm_mid_turn_is_signal() {
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-hang-term"), Some(143)));
    assert_class(&f, FailureClass::Signal, "143 (SIGTERM)");
    // And exit 0 mid-turn (no agent_end) is not success.
    let f = failure(AgentKind::Pi, &facts(case!("pi", "pi-hang-term"), Some(0)));
    assert_class(&f, FailureClass::Crash, "no agent_end");
}

#[test]
fn an_agent_end_bigger_than_the_tail_window_still_counts() {
    // The host sends only the last 64 KiB; Pi's agent_end repeats the whole conversation and
    // can be cut at the start.
    let (stdout, _) = case!("pi", "pi-ok-json");
    let last = stdout.trim_end().lines().last().unwrap_or("");
    let cut = &last[last.len() / 2..];
    assert!(!cut.starts_with('{'));
    let f = facts((cut, ""), Some(0));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);

    let (stdout, _) = case!("pi", "pi-mock401-json");
    let last = stdout.trim_end().lines().last().unwrap_or("");
    let cut = &last[last.len() / 3..];
    let f = failure(AgentKind::Pi, &facts((cut, ""), Some(0)));
    assert_class(&f, FailureClass::Auth, "401 Incorrect API key");
}
