//! Classifying ended Claude Code runs (`claude -p --output-format stream-json --verbose`) from
//! real captured output: success is a `result` with `is_error:false`; SIGINT exits 0 with no
//! result; API errors arrive as `subtype:"success"` with `is_error:true`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass, ResetHint};

#[macro_use]
mod classify_support;
use classify_support::{assert_class, facts, failure};

#[test]
fn ok_stream_json_is_completed() {
    let f = facts(case!("claude", "cl-ok-sjson"), exit_of!("claude", "cl-ok-sjson"));
    assert_eq!(classify_exit(AgentKind::Claude, &f), Outcome::Completed);
}

#[test]
fn ok_single_json_result_is_completed() {
    let f = facts(case!("claude", "cl-ok-json"), exit_of!("claude", "cl-ok-json"));
    assert_eq!(classify_exit(AgentKind::Claude, &f), Outcome::Completed);
}

#[test]
fn ok_text_mode_is_completed() {
    let f = facts(case!("claude", "cl-ok-text"), exit_of!("claude", "cl-ok-text"));
    assert_eq!(classify_exit(AgentKind::Claude, &f), Outcome::Completed);
}

#[test]
fn a_successful_result_wins_over_a_lying_exit_status() {
    let f = facts(case!("claude", "cl-ok-sjson"), Some(1));
    assert_eq!(classify_exit(AgentKind::Claude, &f), Outcome::Completed);
}

#[test]
fn invalid_key_is_auth() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-401-sjson"), exit_of!("claude", "cl-401-sjson")));
    assert_class(&f, FailureClass::Auth, "Invalid API key");
}

#[test]
fn not_logged_in_is_auth_in_both_result_layouts() {
    // 2.1.330 puts "type":"result" at the end of the line.
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl330-nologin"), exit_of!("claude", "cl330-nologin")));
    assert_class(&f, FailureClass::Auth, "Not logged in");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "claude-resume-existing"), exit_of!("claude", "claude-resume-existing")));
    assert_class(&f, FailureClass::Auth, "Not logged in");
}

#[test]
fn request_rejected_429_is_rate_limit() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-429-sjson"), exit_of!("claude", "cl-429-sjson")));
    assert_class(&f, FailureClass::RateLimit, "Request rejected (429)");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-sub429-sjson"), exit_of!("claude", "cl-sub429-sjson")));
    assert_class(&f, FailureClass::RateLimit, "Rate limited");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-429-text"), exit_of!("claude", "cl-429-text")));
    assert_class(&f, FailureClass::RateLimit, "Request rejected (429)");
}

#[test]
fn server_errors_are_rate_limit() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-529-sjson"), exit_of!("claude", "cl-529-sjson")));
    assert_class(&f, FailureClass::RateLimit, "529 Overloaded");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-529-text"), exit_of!("claude", "cl-529-text")));
    assert_class(&f, FailureClass::RateLimit, "529 Overloaded");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-500-text"), exit_of!("claude", "cl-500-text")));
    assert_class(&f, FailureClass::RateLimit, "500 Internal server error");
    assert_eq!(f.reset, None, "\"try again in a moment\" names no time");
}

#[test]
fn prompt_too_long_is_context_overflow() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-ctx-sjson"), exit_of!("claude", "cl-ctx-sjson")));
    assert_class(&f, FailureClass::ContextOverflow, "Prompt is too long");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-ctx-text"), exit_of!("claude", "cl-ctx-text")));
    assert_class(&f, FailureClass::ContextOverflow, "Prompt is too long");
}

#[test]
fn connection_refused_is_network() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-connrefused"), Some(1)));
    assert_class(&f, FailureClass::Network, "Unable to connect to API (ConnectionRefused)");
}

#[test]
fn sigint_exit_zero_without_result_is_a_failure() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-hang-int"), Some(0)));
    assert_class(&f, FailureClass::Signal, "without a result event");
}

#[test]
fn sigterm_is_signal() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-hang-term"), Some(143)));
    assert_class(&f, FailureClass::Signal, "143 (SIGTERM)");
}

#[test]
fn max_turns_is_a_retryable_crash_with_the_reason() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl-maxturns"), exit_of!("claude", "cl-maxturns")));
    assert_class(&f, FailureClass::Crash, "Reached maximum number of turns (1)");
}

#[test]
fn cli_refusals_are_bad_invocation() {
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl330-resume-missing"), exit_of!("claude", "cl330-resume-missing")));
    assert_class(&f, FailureClass::BadInvocation, "No conversation found with session ID");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl330-root-dsp"), exit_of!("claude", "cl330-root-dsp")));
    assert_class(&f, FailureClass::BadInvocation, "cannot be used with root/sudo");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl330-sessid-reuse"), exit_of!("claude", "cl330-sessid-reuse")));
    assert_class(&f, FailureClass::BadInvocation, "is already in use");
    let f = failure(AgentKind::Claude, &facts(case!("claude", "cl330-sjson-noverbose"), exit_of!("claude", "cl330-sjson-noverbose")));
    assert_class(&f, FailureClass::BadInvocation, "requires --verbose");
}

#[test]
fn subscription_limits_carry_their_reset_time() {
    let result = |text: &str| {
        format!(
            "{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":\"{text}\",\"session_id\":\"fe204e76-bb72-41bc-b31c-9f027f5ef191\"}}\n"
        )
    };
    let f = failure(AgentKind::Claude, &facts((&result("You've hit your session limit · resets 3:50pm (Asia/Tokyo)"), ""), Some(1)));
    assert_class(&f, FailureClass::UsageLimit, "hit your session limit");
    assert_eq!(
        f.reset,
        Some(ResetHint::ClockTime { hour: 15, minute: 50, zone: Some("Asia/Tokyo".into()) })
    );
    let f = failure(AgentKind::Claude, &facts((&result("You've hit your limit · resets 1am"), ""), Some(1)));
    assert_class(&f, FailureClass::UsageLimit, "hit your limit");
    assert_eq!(f.reset, Some(ResetHint::ClockTime { hour: 1, minute: 0, zone: None }));
}

#[test]
fn api_retry_status_counts_when_interrupted() {
    // Killed while Claude itself was retrying a 401: the retry event says why.
    let (stdout, _) = case!("claude", "cl-401-sjson");
    let head: String = stdout.lines().take(3).map(|l| format!("{l}\n")).collect();
    let f = failure(AgentKind::Claude, &facts((&head, ""), Some(143)));
    assert_class(&f, FailureClass::Auth, "authentication_failed");
}

#[test]
fn spend_and_credit_limits_are_usage_limits_fatal_without_a_reset() {
    // Texts found in the claude 2.1.330 binary that the classifier used to read as a plain crash (and so
    // retried): a limit that names no reset is fatal; one that names it is waited out.
    let result = |text: &str| {
        format!(
            "{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":\"{text}\",\"session_id\":\"fe204e76-bb72-41bc-b31c-9f027f5ef191\"}}\n"
        )
    };
    for (text, phrase) in [
        ("You've hit your monthly spend limit", "monthly spend limit"),
        ("You're out of usage credits", "out of usage credits"),
        ("You've hit your fast limit", "hit your fast limit"),
    ] {
        let f = failure(AgentKind::Claude, &facts((&result(text), ""), Some(1)));
        assert_class(&f, FailureClass::UsageLimit, phrase);
        assert_eq!(f.reset, None, "{text}: no reset named, so fatal");
    }
    let f = failure(AgentKind::Claude, &facts((&result("You've hit your fast limit · resets 4pm"), ""), Some(1)));
    assert_class(&f, FailureClass::UsageLimit, "hit your fast limit");
    assert_eq!(f.reset, Some(ResetHint::ClockTime { hour: 16, minute: 0, zone: None }));
}
