//! Classifying ended OpenCode runs (`opencode run --format json`) from real captured output:
//! success is no `error` line and a last `step_finish` with reason `stop`; an auto-rejected
//! permission stops the run with exit 0.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, ExitFacts, Outcome};
use resilient_coding_agent::model::{AgentKind, Failure, FailureClass, ResetHint};

macro_rules! case {
    ($name:literal) => {
        (
            include_str!(concat!("fixtures/agent-output/opencode/", $name, ".stdout")),
            include_str!(concat!("fixtures/agent-output/opencode/", $name, ".stderr")),
        )
    };
}
macro_rules! exit_of {
    ($name:literal) => {
        include_str!(concat!("fixtures/agent-output/opencode/", $name, ".exit")).trim().parse::<i32>().ok()
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
    match classify_exit(AgentKind::Opencode, f) {
        Outcome::Failed { failure } => failure,
        Outcome::Completed => panic!("expected a failure, got completed"),
    }
}

fn assert_class(f: &Failure, class: FailureClass, evidence_has: &str) {
    assert_eq!(f.class, class, "evidence was {:?}", f.evidence);
    assert!(f.evidence.contains(evidence_has), "evidence {:?} lacks {evidence_has:?}", f.evidence);
    assert!(f.evidence.chars().count() <= 300);
    assert!(!f.evidence.contains('\u{1b}'), "escape sequences removed: {:?}", f.evidence);
}

#[test]
fn ok_and_resume_are_completed() {
    let f = facts(case!("oc-ok-json"), exit_of!("oc-ok-json"));
    assert_eq!(classify_exit(AgentKind::Opencode, &f), Outcome::Completed);
    let f = facts(case!("oc-resume"), exit_of!("oc-resume"));
    assert_eq!(classify_exit(AgentKind::Opencode, &f), Outcome::Completed);
    let f = facts(case!("oc-ok-text"), exit_of!("oc-ok-text"));
    assert_eq!(classify_exit(AgentKind::Opencode, &f), Outcome::Completed);
}

#[test]
fn auto_rejected_permission_with_exit_zero_is_a_failure() {
    let f = failure(&facts(case!("oc-toolask-json"), exit_of!("oc-toolask-json")));
    assert_class(&f, FailureClass::BadInvocation, "permission requested: bash");
    assert!(f.evidence.contains("auto-rejecting"));
}

#[test]
fn exit_zero_without_a_stop_step_is_a_failure() {
    let (stdout, _) = case!("oc-toolask-json");
    let f = failure(&facts((stdout, ""), Some(0)));
    assert_class(&f, FailureClass::Crash, "last step_finish reason \"tool-calls\"");
}

#[test]
fn invalid_key_is_auth() {
    let f = failure(&facts(case!("oc-401-json"), exit_of!("oc-401-json")));
    assert_class(&f, FailureClass::Auth, "APIError: Incorrect API key provided");
}

#[test]
fn rate_limit_reads_retry_after_from_the_headers() {
    let f = failure(&facts(case!("oc-429-json"), Some(1)));
    assert_class(&f, FailureClass::RateLimit, "Rate limit reached for requests");
    assert_eq!(f.reset, Some(ResetHint::After { ms: 1000 }));
}

#[test]
fn service_unavailable_is_rate_limit() {
    let f = failure(&facts(case!("oc-503-json-long"), exit_of!("oc-503-json-long")));
    assert_class(&f, FailureClass::RateLimit, "Service Unavailable");
    assert_eq!(f.reset, None);
}

#[test]
fn context_overflow_error() {
    let f = failure(&facts(case!("oc-ctx-json"), exit_of!("oc-ctx-json")));
    assert_class(&f, FailureClass::ContextOverflow, "ContextOverflowError");
}

#[test]
fn unknown_session_is_bad_invocation() {
    let f = failure(&facts(case!("oc-run-badsession"), exit_of!("oc-run-badsession")));
    assert_class(&f, FailureClass::BadInvocation, "Error: Session not found");
}

#[test]
fn sigterm_with_no_output_is_signal() {
    let f = failure(&facts(case!("oc-hang-term"), Some(143)));
    assert_class(&f, FailureClass::Signal, "exit status 143 (SIGTERM)");
}
