//! The recovery circuit breaker's edges are task events of their own kinds, for the task that
//! caused them, with a redacted line saying what happened and what to do.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::breaker::breaker_event;
use resilient_coding_agent::monitor::EventKind;

#[test]
fn a_paused_login_is_an_event_naming_the_task_its_agent_and_what_to_do() {
    let rec = running();
    let ev = breaker_event(&rec, true, 5_000.0).unwrap();
    assert_eq!(ev.kind, EventKind::RecoveryPaused);
    assert_eq!(ev.session, rec.session);
    assert_eq!(ev.state, rec.state);
    assert_eq!(ev.attempts, rec.attempts);
    assert_eq!(ev.at, 5_000.0);
    assert!(ev.message.contains(&rec.session), "{}", ev.message);
    assert!(ev.message.contains(rec.spec.agent.as_str()), "{}", ev.message);
    assert!(ev.message.contains("log in again"), "{}", ev.message);
    assert_eq!(serde_json::to_value(&ev).unwrap()["kind"], "recovery_paused");
}

#[test]
fn a_reopened_login_is_an_event_too() {
    let ev = breaker_event(&running(), false, 1.0).unwrap();
    assert_eq!(ev.kind, EventKind::RecoveryResumed);
    assert_eq!(serde_json::to_value(&ev).unwrap()["kind"], "recovery_resumed");
    assert!(ev.message.contains("continue"), "{}", ev.message);
}

#[test]
fn a_bad_time_is_refused_not_a_panic() {
    for now in [f64::NAN, f64::INFINITY, -1.0] {
        assert_eq!(breaker_event(&running(), true, now).unwrap_err().code(), "invalid_input");
    }
}
