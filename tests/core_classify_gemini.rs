//! Classifying ended Gemini CLI runs (`gemini -p "" --output-format stream-json`) from real
//! captured output (tests/fixtures/agent-output/gemini/README.md): success is a last `result`
//! with `status:"success"`; the exit status is the failed call's HTTP status modulo 256
//! (401→145, 429→173), so it says nothing and the `result` error text decides.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass};
use resilient_coding_agent::session_id;

#[macro_use]
mod classify_support;
use classify_support::{assert_class, facts, failure};

#[test]
fn ok_stream_json_is_completed() {
    let f = facts(case!("gemini", "gm-ok-sjson"), exit_of!("gemini", "gm-ok-sjson"));
    assert_eq!(classify_exit(AgentKind::Gemini, &f), Outcome::Completed);
    let f = facts(case!("gemini", "gm-resume-after-kill-sjson"), exit_of!("gemini", "gm-resume-after-kill-sjson"));
    assert_eq!(classify_exit(AgentKind::Gemini, &f), Outcome::Completed);
}

#[test]
fn a_successful_result_wins_over_a_lying_exit_status() {
    let f = facts(case!("gemini", "gm-ok-sjson"), Some(173));
    assert_eq!(classify_exit(AgentKind::Gemini, &f), Outcome::Completed);
}

#[test]
fn unauthenticated_401_is_auth_not_a_signal() {
    // Exit 145 looks like 128+SIGTERM; the result's error decides.
    let f = failure(AgentKind::Gemini, &facts(case!("gemini", "gm-401-sjson"), exit_of!("gemini", "gm-401-sjson")));
    assert_class(&f, FailureClass::Auth, "UNAUTHENTICATED");
}

#[test]
fn resource_exhausted_429_is_rate_limit() {
    let f = failure(AgentKind::Gemini, &facts(case!("gemini", "gm-429-sjson"), exit_of!("gemini", "gm-429-sjson")));
    assert_class(&f, FailureClass::RateLimit, "Resource has been exhausted");
}

#[test]
fn overloaded_503_is_rate_limit() {
    let f = failure(AgentKind::Gemini, &facts(case!("gemini", "gm-overloaded-sjson"), exit_of!("gemini", "gm-overloaded-sjson")));
    assert_class(&f, FailureClass::RateLimit, "overloaded");
}

#[test]
fn too_many_tokens_is_context_overflow() {
    let f = failure(AgentKind::Gemini, &facts(case!("gemini", "gm-context-sjson"), exit_of!("gemini", "gm-context-sjson")));
    assert_class(&f, FailureClass::ContextOverflow, "exceeds the maximum number of tokens");
}

#[test]
fn daily_quota_is_a_usage_limit_without_a_reset() {
    for f in [
        failure(AgentKind::Gemini, &facts(case!("gemini", "gm-quota-sjson"), exit_of!("gemini", "gm-quota-sjson"))),
        failure(AgentKind::Gemini, &facts(case!("gemini", "gm-usage_limit-sjson"), exit_of!("gemini", "gm-usage_limit-sjson"))),
    ] {
        assert_class(&f, FailureClass::UsageLimit, "exhausted your daily quota");
        assert_eq!(f.reset, None, "\"try again later\" names no time: {:?}", f.evidence);
    }
}

#[test]
fn killed_during_the_first_call_is_a_signal() {
    let f = failure(AgentKind::Gemini, &facts(case!("gemini", "gm-killed-sjson"), exit_of!("gemini", "gm-killed-sjson")));
    assert_eq!(f.class, FailureClass::Signal, "evidence was {:?}", f.evidence);
}

#[test]
fn resume_of_an_unknown_session_is_bad_invocation() {
    let f = failure(AgentKind::Gemini, &facts(case!("gemini", "gm-resume-missing"), exit_of!("gemini", "gm-resume-missing")));
    assert_class(&f, FailureClass::BadInvocation, "Invalid session identifier");
}

#[test]
fn the_init_event_carries_the_preset_id() {
    let (stdout, _) = case!("gemini", "gm-ok-sjson");
    assert_eq!(
        session_id::extract_session_id(AgentKind::Gemini, stdout).as_deref(),
        Some("caf7e070-094c-4be0-b990-60892a5726bc")
    );
}
