//! Classifying ended Pi runs (`pi --mode json`) from real captured output: json mode exits 0
//! even on errors, so success is an `agent_end` whose last assistant message stopped normally.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, ExitFacts, Outcome};
use resilient_coding_agent::model::{AgentKind, Failure, FailureClass};

macro_rules! case {
    ($name:literal) => {
        (
            include_str!(concat!("fixtures/agent-output/pi/", $name, ".stdout")),
            include_str!(concat!("fixtures/agent-output/pi/", $name, ".stderr")),
        )
    };
}
macro_rules! exit_of {
    ($name:literal) => {
        include_str!(concat!("fixtures/agent-output/pi/", $name, ".exit")).trim().parse::<i32>().ok()
    };
}

fn facts((stdout, stderr): (&str, &str), exit: Option<i32>) -> ExitFacts {
    ExitFacts {
        exit_status: exit,
        signal: None,
        events_tail: stdout.to_string(),
        stderr_tail: stderr.to_string(),
        pane_tail: format!("{stderr}{stdout}"),
    }
}

fn failure(f: &ExitFacts) -> Failure {
    match classify_exit(AgentKind::Pi, f) {
        Outcome::Failed { failure } => failure,
        Outcome::Completed => panic!("expected a failure, got completed"),
    }
}

fn assert_class(f: &Failure, class: FailureClass, evidence_has: &str) {
    assert_eq!(f.class, class, "evidence was {:?}", f.evidence);
    assert!(f.evidence.contains(evidence_has), "evidence {:?} lacks {evidence_has:?}", f.evidence);
    assert!(f.evidence.chars().count() <= 300);
}

#[test]
fn ok_json_is_completed() {
    let f = facts(case!("pi-ok-json"), exit_of!("pi-ok-json"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
}

#[test]
fn text_mode_exit_zero_is_completed() {
    // Text mode exits 1 on errors, so its 0 can be trusted.
    let f = facts(case!("pi-ok-text"), exit_of!("pi-ok-text"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
    let f = facts(case!("pi-resume-path"), exit_of!("pi-resume-path"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
    // Pi compacted after a context overflow and exited 0 printing nothing: text mode gives no
    // evidence either way, so this is taken as completed (json mode below is not fooled).
    let f = facts(case!("pi-mockctx-text"), exit_of!("pi-mockctx-text"));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);
}

#[test]
fn json_error_with_exit_zero_is_auth() {
    assert_eq!(exit_of!("pi-mock401-json"), Some(0));
    let f = failure(&facts(case!("pi-mock401-json"), exit_of!("pi-mock401-json")));
    assert_class(&f, FailureClass::Auth, "401 Incorrect API key provided");
}

#[test]
fn json_rate_limit_after_retries() {
    let f = failure(&facts(case!("pi-mock429-json"), exit_of!("pi-mock429-json")));
    assert_class(&f, FailureClass::RateLimit, "429 Rate limit reached");
}

#[test]
fn json_server_errors_are_rate_limit() {
    let f = failure(&facts(case!("pi-mock503-json"), exit_of!("pi-mock503-json")));
    assert_class(&f, FailureClass::RateLimit, "503 Service Unavailable");
    let f = failure(&facts(case!("pi-mockanth529-json"), exit_of!("pi-mockanth529-json")));
    assert_class(&f, FailureClass::RateLimit, "overloaded_error");
}

#[test]
fn json_context_overflow_then_compaction_is_a_failure() {
    assert_eq!(exit_of!("pi-mockctx-json"), Some(0));
    let f = failure(&facts(case!("pi-mockctx-json"), exit_of!("pi-mockctx-json")));
    assert_class(&f, FailureClass::ContextOverflow, "exceeds the context window");
}

#[test]
fn text_mode_errors_on_stderr() {
    let f = failure(&facts(case!("pi-mock401-text"), exit_of!("pi-mock401-text")));
    assert_class(&f, FailureClass::Auth, "401 Incorrect API key");
    let f = failure(&facts(case!("pi-mock429-text"), exit_of!("pi-mock429-text")));
    assert_class(&f, FailureClass::RateLimit, "429 Rate limit reached");
}

#[test]
fn no_credentials_is_auth() {
    let f = failure(&facts(case!("pi-p"), exit_of!("pi-p")));
    assert_class(&f, FailureClass::Auth, "No API key found for the selected model.");
    let f = failure(&facts(case!("pi-p-json"), exit_of!("pi-p-json")));
    assert_class(&f, FailureClass::Auth, "No API key found");
}

#[test]
fn unknown_session_is_bad_invocation() {
    let f = failure(&facts(case!("pi-session-bad"), exit_of!("pi-session-bad")));
    assert_class(&f, FailureClass::BadInvocation, "No session found matching '99999999'");
}

#[test]
fn sigterm_mid_turn_is_signal() {
    let f = failure(&facts(case!("pi-hang-term"), Some(143)));
    assert_class(&f, FailureClass::Signal, "143 (SIGTERM)");
    // And exit 0 mid-turn (no agent_end) is not success.
    let f = failure(&facts(case!("pi-hang-term"), Some(0)));
    assert_class(&f, FailureClass::Crash, "no agent_end");
}

#[test]
fn an_agent_end_bigger_than_the_tail_window_still_counts() {
    // The host sends only the last 64 KiB; Pi's agent_end repeats the whole conversation and
    // can be cut at the start.
    let (stdout, _) = case!("pi-ok-json");
    let last = stdout.trim_end().lines().last().unwrap_or("");
    let cut = &last[last.len() / 2..];
    assert!(!cut.starts_with('{'));
    let f = facts((cut, ""), Some(0));
    assert_eq!(classify_exit(AgentKind::Pi, &f), Outcome::Completed);

    let (stdout, _) = case!("pi-mock401-json");
    let last = stdout.trim_end().lines().last().unwrap_or("");
    let cut = &last[last.len() / 3..];
    let f = failure(&facts((cut, ""), Some(0)));
    assert_class(&f, FailureClass::Auth, "401 Incorrect API key");
}
