//! Classifying ended OpenCode runs (`opencode run --format json`) from real captured output:
//! success is no `error` line and a last `step_finish` with reason `stop`; an auto-rejected
//! permission stops the run with exit 0.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass, ResetHint};

#[macro_use]
mod classify_support;
use classify_support::{assert_class, facts, failure};

#[test]
fn ok_and_resume_are_completed() {
    let f = facts(case!("opencode", "oc-ok-json"), exit_of!("opencode", "oc-ok-json"));
    assert_eq!(classify_exit(AgentKind::Opencode, &f), Outcome::Completed);
    let f = facts(case!("opencode", "oc-resume"), exit_of!("opencode", "oc-resume"));
    assert_eq!(classify_exit(AgentKind::Opencode, &f), Outcome::Completed);
    let f = facts(case!("opencode", "oc-ok-text"), exit_of!("opencode", "oc-ok-text"));
    assert_eq!(classify_exit(AgentKind::Opencode, &f), Outcome::Completed);
}

#[test]
fn auto_rejected_permission_with_exit_zero_is_a_failure() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-toolask-json"), exit_of!("opencode", "oc-toolask-json")));
    assert_class(&f, FailureClass::BadInvocation, "permission requested: bash");
    assert!(f.evidence.contains("auto-rejecting"));
}

#[test]
fn exit_zero_without_a_stop_step_is_a_failure() {
    let (stdout, _) = case!("opencode", "oc-toolask-json");
    let f = failure(AgentKind::Opencode, &facts((stdout, ""), Some(0)));
    assert_class(&f, FailureClass::Crash, "last step_finish reason \"tool-calls\"");
}

#[test]
fn invalid_key_is_auth() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-401-json"), exit_of!("opencode", "oc-401-json")));
    assert_class(&f, FailureClass::Auth, "APIError: Incorrect API key provided");
}

#[test]
fn rate_limit_reads_retry_after_from_the_headers() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-429-json"), Some(1)));
    assert_class(&f, FailureClass::RateLimit, "Rate limit reached for requests");
    assert_eq!(f.reset, Some(ResetHint::After { ms: 1000 }));
}

#[test]
fn service_unavailable_is_rate_limit() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-503-json-long"), exit_of!("opencode", "oc-503-json-long")));
    assert_class(&f, FailureClass::RateLimit, "Service Unavailable");
    assert_eq!(f.reset, None);
}

#[test]
fn context_overflow_error() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-ctx-json"), exit_of!("opencode", "oc-ctx-json")));
    assert_class(&f, FailureClass::ContextOverflow, "ContextOverflowError");
}

#[test]
fn unknown_session_is_bad_invocation() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-run-badsession"), exit_of!("opencode", "oc-run-badsession")));
    assert_class(&f, FailureClass::BadInvocation, "Error: Session not found");
}

#[test]
fn sigterm_with_no_output_is_signal() {
    let f = failure(AgentKind::Opencode, &facts(case!("opencode", "oc-hang-term"), Some(143)));
    assert_class(&f, FailureClass::Signal, "exit status 143 (SIGTERM)");
}
