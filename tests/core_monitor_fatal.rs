//! Fatal failures (auth, context overflow, bad invocation, usage limit without a reset time)
//! are never retried: the task is `failed`, announced once, and stays failed.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{FailureClass, TaskState};
use resilient_coding_agent::monitor::{manual_resume, step, EventKind};

fn fails_for_good(events_tail: &str, class: FailureClass) {
    let rec = running();
    let now = T0 + MIN;
    let out = drive(&rec, &dead(&rec, now, 1, events_tail), &cfg(), "");
    assert!(recovers(&out).is_empty(), "{class:?} must not be retried");
    assert_eq!(events(&out), vec![EventKind::Failed]);
    assert_eq!(out.record.state, TaskState::Failed);
    assert!(!out.record.gave_up);
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(class));
    assert_eq!(out.record.attempts, 1);

    // Re-observed for hours: nothing happens.
    let mut rec = out.record;
    for i in 1..200 {
        let later = now + f64::from(i) * 2.0 * MIN;
        let o = drive(&rec, &dead(&rec, later, 1, events_tail), &cfg(), "");
        assert!(o.actions.is_empty());
        assert_eq!(o.record, rec);
        rec = o.record;
        let o = step(&rec, &missing(&rec, later), &cfg());
        assert!(o.actions.is_empty());
    }
}

#[test]
fn codex_401_is_auth_and_fatal() {
    // "unexpected status 401 Unauthorized" in Codex's error events.
    fails_for_good(CODEX_401, FailureClass::Auth);
}

#[test]
fn codex_context_overflow_is_fatal() {
    fails_for_good(CODEX_CTX, FailureClass::ContextOverflow);
}

#[test]
fn codex_quota_without_reset_time_is_fatal() {
    fails_for_good(CODEX_QUOTA, FailureClass::UsageLimit);
}

#[test]
fn the_failed_event_carries_the_evidence() {
    let rec = running();
    let out = drive(&rec, &dead(&rec, T0 + MIN, 1, CODEX_401), &cfg(), "");
    let ev = out
        .actions
        .iter()
        .find_map(|a| match a {
            resilient_coding_agent::monitor::Action::Announce { event } => Some(event.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(ev.state, TaskState::Failed);
    assert!(ev.message.contains("auth"), "{}", ev.message);
    assert!(ev.message.contains("401"), "{}", ev.message);
    assert!(ev.failure.is_some());
}

#[test]
fn a_person_may_resume_a_fatal_failure_after_fixing_it() {
    let rec = running();
    let failed = drive(&rec, &dead(&rec, T0 + MIN, 1, CODEX_401), &cfg(), "").record;
    let out = manual_resume(&failed, T0 + HOUR).unwrap();
    assert_eq!(out.record.state, TaskState::Recovering);
    assert_eq!(events(&out), vec![EventKind::Recovering]);
    let o = step(&out.record, &dead(&out.record, T0 + HOUR, 1, CODEX_401), &cfg());
    assert_eq!(recovers(&o).len(), 1);
    assert_eq!(o.record.attempts, 2);
}
