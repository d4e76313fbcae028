//! Classifying ended Codex runs (`codex exec --json`) from real captured output: success is
//! `turn.completed` with no `turn.failed`; errors come from the event stream and from stderr.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_exit, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass, ResetHint};

#[macro_use]
mod classify_support;
use classify_support::{assert_class, facts, failure};

#[test]
fn ok_json_is_completed() {
    let f = facts(case!("codex", "cx-ok-json"), exit_of!("codex", "cx-ok-json"));
    assert_eq!(classify_exit(AgentKind::Codex, &f), Outcome::Completed);
    assert_eq!(classify_exit(AgentKind::Demo, &f), Outcome::Completed);
}

#[test]
fn resume_json_is_completed() {
    let f = facts(case!("codex", "cx-resume-json"), exit_of!("codex", "cx-resume-json"));
    assert_eq!(classify_exit(AgentKind::Codex, &f), Outcome::Completed);
}

#[test]
fn tool_run_with_turn_completed_is_completed() {
    // The captured `cx-tool-afm` run actually ran a tool and completed (exit 0).
    let f = facts(case!("codex", "cx-tool-afm"), exit_of!("codex", "cx-tool-afm"));
    assert_eq!(classify_exit(AgentKind::Codex, &f), Outcome::Completed);
}

#[test]
fn text_mode_exit_zero_is_completed() {
    let f = facts(case!("codex", "cx-ok-text"), exit_of!("codex", "cx-ok-text"));
    assert_eq!(classify_exit(AgentKind::Codex, &f), Outcome::Completed);
}

#[test]
fn unauthorized_is_auth_from_turn_failed() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-401-json"), exit_of!("codex", "cx-401-json")));
    assert_class(&f, FailureClass::Auth, "unexpected status 401 Unauthorized");
    assert!(!f.evidence.starts_with("Reconnecting"), "final error preferred: {:?}", f.evidence);
    assert_eq!(f.reset, None);
}

#[test]
fn too_many_requests_is_rate_limit() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-429-json"), exit_of!("codex", "cx-429-json")));
    assert_class(&f, FailureClass::RateLimit, "last status: 429");
}

#[test]
fn server_errors_are_rate_limit() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-500-json"), exit_of!("codex", "cx-500-json")));
    assert_class(&f, FailureClass::RateLimit, "high demand");
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-529-json"), exit_of!("codex", "cx-529-json")));
    assert_class(&f, FailureClass::RateLimit, "Selected model is at capacity");
}

#[test]
fn context_window_is_context_overflow() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-ctx-json"), exit_of!("codex", "cx-ctx-json")));
    assert_class(&f, FailureClass::ContextOverflow, "ran out of room in the model's context window");
}

#[test]
fn usage_limit_carries_the_reset_time() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-usage-json"), exit_of!("codex", "cx-usage-json")));
    assert_class(&f, FailureClass::UsageLimit, "hit your usage limit");
    assert_eq!(f.reset, Some(ResetHint::ClockTime { hour: 1, minute: 22, zone: None }));
}

#[test]
fn usage_limit_in_text_mode_stderr() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-usage-text"), exit_of!("codex", "cx-usage-text")));
    assert_class(&f, FailureClass::UsageLimit, "ERROR: You’ve hit your usage limit");
    assert_eq!(f.reset, Some(ResetHint::ClockTime { hour: 1, minute: 22, zone: None }));
}

#[test]
fn quota_exceeded_is_usage_limit_without_reset() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-quota-json"), exit_of!("codex", "cx-quota-json")));
    assert_class(&f, FailureClass::UsageLimit, "Quota exceeded");
    assert_eq!(f.reset, None, "no reset time named: the monitor treats it as fatal");
}

#[test]
fn network_wait_killed_is_network() {
    // Codex waits for the network forever; the watchdog killed it (SIGTERM, 143).
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-nonet-long"), Some(143)));
    assert_class(&f, FailureClass::Network, "waiting for network");
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-nonet-long"), None));
    assert_eq!(f.class, FailureClass::Network);
}

#[test]
fn sigterm_while_waiting_is_signal() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-hang-term"), Some(143)));
    assert_class(&f, FailureClass::Signal, "exit status 143 (SIGTERM)");
    let mut by_tmux = facts(case!("codex", "cx-hang-term"), None);
    by_tmux.signal = Some(9);
    let f = failure(AgentKind::Codex, &by_tmux);
    assert_class(&f, FailureClass::Signal, "signal 9 (SIGKILL)");
}

#[test]
fn outside_git_is_bad_invocation() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-nogit"), exit_of!("codex", "cx-nogit")));
    assert_class(&f, FailureClass::BadInvocation, "Not inside a trusted directory");
}

#[test]
fn resume_of_unknown_thread_is_bad_invocation() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-resume-missing"), exit_of!("codex", "cx-resume-missing")));
    assert_class(&f, FailureClass::BadInvocation, "no rollout found for thread id");
}

#[test]
fn removed_flag_is_bad_invocation() {
    let stderr = "error: unexpected argument '--full-auto' found\n\nUsage: codex exec [OPTIONS] [PROMPT]\n";
    let f = failure(AgentKind::Codex, &facts(("", stderr), Some(2)));
    assert_class(&f, FailureClass::BadInvocation, "unexpected argument '--full-auto'");
}

#[test]
fn exit_zero_without_turn_completed_is_a_failure() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-hang-term"), Some(0)));
    assert_class(&f, FailureClass::Crash, "no turn.completed");
}

#[test]
fn unexplained_nonzero_exit_is_crash() {
    let f = failure(AgentKind::Codex, &facts(case!("codex", "cx-hang-term"), Some(1)));
    assert_class(&f, FailureClass::Crash, "exit status 1");
    let stream = "{\"type\":\"thread.started\",\"thread_id\":\"01a20aee-07dc-7642-86cc-36bb08482310\"}\n{\"type\":\"turn.failed\",\"error\":{\"message\":\"something odd\"}}\n";
    let f = failure(AgentKind::Codex, &facts((stream, ""), Some(1)));
    assert_class(&f, FailureClass::Crash, "something odd");
}

#[test]
fn demo_agent_follows_codex_rules() {
    let f = failure(AgentKind::Demo, &facts(case!("codex", "cx-429-json"), exit_of!("codex", "cx-429-json")));
    assert_eq!(f.class, FailureClass::RateLimit);
}

#[test]
fn secrets_in_evidence_are_redacted() {
    let stream = "{\"type\":\"turn.failed\",\"error\":{\"message\":\"unexpected status 401 Unauthorized: Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz0123\"}}\n";
    let f = failure(AgentKind::Codex, &facts((stream, ""), Some(1)));
    assert_eq!(f.class, FailureClass::Auth);
    assert!(!f.evidence.contains("abcdefghijklmnop"), "{:?}", f.evidence);
    assert!(f.evidence.contains("[REDACTED]"));
}

#[test]
fn evidence_is_capped_at_300_chars() {
    let long = "x".repeat(5000);
    let stream = format!("{{\"type\":\"turn.failed\",\"error\":{{\"message\":\"Quota exceeded. {long}\"}}}}\n");
    let f = failure(AgentKind::Codex, &facts((&stream, ""), Some(1)));
    assert_eq!(f.class, FailureClass::UsageLimit);
    assert_eq!(f.evidence.chars().count(), 300);
    assert!(f.evidence.ends_with('…'));
}

#[test]
fn workspace_credit_and_spend_limits_are_usage_limits_without_reset() {
    // Codex's ChatGPT-workspace texts (found in the codex 0.169.0 binary), in its JSON layout: they name no reset
    // time, so the monitor treats them as fatal instead of retrying a crash.
    let run = |text: &str| {
        format!(
            "{{\"type\":\"thread.started\",\"thread_id\":\"01a20b43-a37d-7b03-b910-94e6a157ac7a\"}}\n{{\"type\":\"turn.started\"}}\n{{\"type\":\"error\",\"message\":\"{text}\"}}\n{{\"type\":\"turn.failed\",\"error\":{{\"message\":\"{text}\"}}}}\n"
        )
    };
    for (text, phrase) in [
        ("You're out of credits. Your workspace is out of credits. Add credits to continue.", "out of credits"),
        ("Your workspace is out of credits. Ask your workspace owner to refill in order to continue.", "out of credits"),
        ("You've reached your workspace credit limit", "workspace credit limit"),
        ("You hit your spend cap set in your workspace. Increase your spend cap to continue.", "spend cap"),
    ] {
        let f = failure(AgentKind::Codex, &facts((&run(text), ""), Some(1)));
        assert_class(&f, FailureClass::UsageLimit, phrase);
        assert_eq!(f.reset, None, "{text}: no reset named");
    }
}
