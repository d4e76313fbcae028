//! A session that vanished while the task was not finished (tmux server killed, machine
//! rebooted) is re-created and resumed, exactly once per loss.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{FailureClass, TaskState};
use resilient_coding_agent::monitor::{manual_resume, mark_stopped, step, EventKind, RecoverMode};

#[test]
fn a_vanished_session_is_recreated() {
    let rec = running();
    let out = step(&rec, &missing(&rec, T0 + HOUR), &cfg());
    assert_eq!(recovers(&out), vec![(RecoverMode::Recreate, 2)]);
    assert_eq!(events(&out), vec![EventKind::Recovering]);
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::Signal));
    // Until the new session shows up, no second recreate.
    let r = out.record;
    for i in 1..10 {
        let o = step(&r, &missing(&r, T0 + HOUR + f64::from(i) * SEC), &cfg());
        assert!(o.actions.is_empty(), "{:?}", o.actions);
    }
    // It shows up: running again.
    let o = step(&r, &alive(&r, T0 + HOUR + 12.0 * SEC), &cfg());
    assert_eq!(o.record.state, TaskState::Running);
    assert_eq!(events(&o), vec![EventKind::Resumed]);
}

#[test]
fn a_waiting_recovery_uses_recreate_when_the_session_is_gone_by_then() {
    let rec = running();
    // Two quick crashes: the second recovery waits 3 min…
    let r = drive(&rec, &dead(&rec, T0 + MIN, 1, ""), &cfg(), "").record;
    let r = drive(&r, &alive(&r, T0 + MIN + 2.0 * SEC), &cfg(), "").record;
    let r = drive(&r, &dead(&r, T0 + 2.0 * MIN, 1, ""), &cfg(), "").record;
    let due = r.next_recovery_at.unwrap();
    // …and meanwhile the machine rebooted.
    let o = step(&r, &missing(&r, due), &cfg());
    assert_eq!(recovers(&o), vec![(RecoverMode::Recreate, 3)]);
}

#[test]
fn starting_task_gets_a_grace_period() {
    // The host persisted the new record but has not created the session yet.
    let rec = fresh();
    let o = step(&rec, &missing(&rec, T0 + 5.0 * SEC), &cfg());
    assert!(o.actions.is_empty());
    assert_eq!(o.record.state, TaskState::Starting);
    // Never started: after the grace it counts as a failed attempt and is re-created.
    let o = step(&rec, &missing(&rec, T0 + 31.0 * SEC), &cfg());
    assert_eq!(recovers(&o), vec![(RecoverMode::Recreate, 2)]);
}

#[test]
fn a_stopped_task_is_not_recreated() {
    let rec = mark_stopped(&running(), T0 + MIN);
    assert_eq!(rec.state, TaskState::Stopped);
    let o = step(&rec, &missing(&rec, T0 + HOUR), &cfg());
    assert!(o.actions.is_empty());
    // Unless a person asks: then it is re-created.
    let resumed = manual_resume(&rec, T0 + 2.0 * HOUR).unwrap();
    let o = step(&resumed.record, &missing(&resumed.record, T0 + 2.0 * HOUR), &cfg());
    assert_eq!(recovers(&o), vec![(RecoverMode::Recreate, 2)]);
}

#[test]
fn a_failed_run_found_after_the_loss_is_classified_from_its_exit_file() {
    let rec = running();
    let mut o = missing(&rec, T0 + HOUR);
    o.started = true;
    o.exit_status = Some(1);
    o.events_tail = CODEX_401.into();
    let out = step(&rec, &o, &cfg());
    assert_eq!(out.record.state, TaskState::Failed);
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::Auth));
    assert!(recovers(&out).is_empty());
}
