//! One crash yields exactly one `recover`: the step that issues it already records the new
//! attempt, so stepping again on the same dead pane (same attempt's files, or the old ones)
//! does not recover again. State-change announcements are made once each.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::TaskState;
use resilient_coding_agent::monitor::{step, Action, EventKind, Observation, PaneFacts, RecoverMode};

#[test]
fn one_crash_one_recover() {
    let rec = running();
    let now = T0 + MIN;
    let crash = dead(&rec, now, 1, "");
    let out = drive(&rec, &crash, &cfg(), "");
    assert_eq!(recovers(&out), vec![(RecoverMode::Respawn { pane_id: PANE.into() }, 2)]);
    assert_eq!(events(&out), vec![EventKind::Recovering]);
    let after = out.record;
    assert_eq!(after.state, TaskState::Recovering);
    assert_eq!(after.attempts, 2, "the new attempt is recorded with the action");
    assert_eq!(after.run_requested_at, Some(now));

    // The host steps again before (or without) acting: the pane still shows attempt 1.
    for i in 0..10 {
        let t = now + f64::from(i) * SEC;
        // Files of attempt 1 reported as they were…
        let o = drive(&after, &crash, &cfg(), "");
        assert!(o.actions.is_empty(), "{:?}", o.actions);
        // …or attempt 2's files, which do not exist yet.
        let o2 = drive(&after, &Observation::new(t, crash.pane.clone(), 2), &cfg(), "");
        assert!(o2.actions.is_empty(), "{:?}", o2.actions);
        assert_eq!(o2.record.attempts, 2);
    }
}

#[test]
fn the_capture_round_trip_does_not_duplicate_anything() {
    let rec = running();
    let crash = dead(&rec, T0 + MIN, 1, "");
    let first = step(&rec, &crash, &cfg());
    assert_eq!(first.actions, vec![Action::Capture { lines: 200 }]);
    assert_eq!(first.next_check_at, T0 + MIN, "answer a capture at once");
    let mut with_capture = crash.clone();
    with_capture.capture = Some("boom".into());
    let second = step(&first.record, &with_capture, &cfg());
    assert_eq!(recovers(&second).len(), 1);
    // The same answer replayed against the new record: nothing more.
    let third = step(&second.record, &with_capture, &cfg());
    assert!(third.actions.is_empty());
}

#[test]
fn the_resumed_run_is_announced_once() {
    let rec = running();
    let rec = drive(&rec, &dead(&rec, T0 + MIN, 1, ""), &cfg(), "").record;
    let mut seen = Vec::new();
    let mut r = rec;
    for i in 0..5 {
        let o = drive(&r, &alive(&r, T0 + MIN + f64::from(i + 1) * 2.0 * SEC), &cfg(), "");
        seen.extend(events(&o));
        r = o.record;
    }
    assert_eq!(seen, vec![EventKind::Resumed]);
    assert_eq!(r.state, TaskState::Running);
}

#[test]
fn started_is_announced_once() {
    let rec = fresh();
    let mut seen = Vec::new();
    let mut r = rec;
    for i in 0..5 {
        let o = drive(&r, &alive(&r, T0 + f64::from(i + 1) * 2.0 * SEC), &cfg(), "");
        seen.extend(events(&o));
        r = o.record;
    }
    assert_eq!(seen, vec![EventKind::Started]);
}

#[test]
fn waiting_for_input_is_announced_once() {
    let mut r = running();
    let prompt = "Allow command `rm -rf build`?\n  Do you want to proceed?\n❯ 1. Yes\n  2. No";
    let mut seen = Vec::new();
    for i in 0..20 {
        let now = T0 + 10.0 * SEC + f64::from(i) * 2.0 * SEC;
        let mut o = alive(&r, now);
        // The prompt appeared at T0 + 5 s; nothing since.
        o.activity_at = Some(T0 + 5.0 * SEC);
        let out = drive(&r, &o, &cfg(), prompt);
        seen.extend(events(&out));
        r = out.record;
    }
    assert_eq!(seen, vec![EventKind::WaitingForInput]);
    assert_eq!(r.state, TaskState::WaitingForInput);
    // Waiting for a person is not a stall, however long it lasts.
    let mut o = alive(&r, T0 + 3.0 * HOUR);
    o.activity_at = Some(T0 + 5.0 * SEC);
    let out = drive(&r, &o, &cfg(), prompt);
    assert!(out.actions.is_empty());
    assert_eq!(out.record.state, TaskState::WaitingForInput);
}

#[test]
fn an_answered_prompt_returns_to_running() {
    let mut r = running();
    let mut o = alive(&r, T0 + 10.0 * SEC);
    o.activity_at = Some(T0 + 5.0 * SEC);
    r = drive(&r, &o, &cfg(), "Do you want to proceed?").record;
    assert_eq!(r.state, TaskState::WaitingForInput);
    let mut o = alive(&r, T0 + 20.0 * SEC);
    o.activity_at = Some(T0 + 15.0 * SEC);
    let out = drive(&r, &o, &cfg(), "Running tests…\n12 passed");
    assert_eq!(out.record.state, TaskState::Running);
    assert!(events(&out).is_empty());
}

#[test]
fn a_requested_run_that_never_shows_up_counts_as_one_failed_attempt() {
    let rec = running();
    let crash = dead(&rec, T0 + MIN, 1, "");
    let after = drive(&rec, &crash, &cfg(), "").record;
    assert_eq!(after.attempts, 2);
    // 30 s later the pane still shows attempt 1 and attempt 2 never wrote started.2.
    let t = T0 + MIN + 31.0 * SEC;
    let o = drive(&after, &Observation::new(t, crash.pane.clone(), 2), &cfg(), "");
    assert!(recovers(&o).is_empty(), "second consecutive failure waits 3 min");
    assert_eq!(events(&o), vec![EventKind::Recovering]);
    assert_eq!(o.record.next_recovery_at, Some(t + 3.0 * MIN));
    assert!(o.record.failure.as_ref().unwrap().evidence.contains("did not start"));
}

#[test]
fn lost_exit_status_is_nudged_then_treated_as_a_crash() {
    let rec = running();
    let pane = PaneFacts::Dead { pane_id: PANE.into(), status: None, signal: None };
    let mut r = rec.clone();
    let mut nudges = 0;
    for i in 0..3 {
        let mut o = Observation::new(T0 + MIN + f64::from(i), pane.clone(), 1);
        o.started = true;
        let out = step(&r, &o, &cfg());
        assert_eq!(out.actions, vec![Action::NudgeServer]);
        assert!(out.next_check_at <= T0 + MIN + 1.0 * SEC + f64::from(i));
        nudges += 1;
        r = out.record;
    }
    assert_eq!(nudges, 3);
    let mut o = Observation::new(T0 + MIN + 3.0 * SEC, pane, 1);
    o.started = true;
    let out = drive(&r, &o, &cfg(), "");
    assert_eq!(recovers(&out).len(), 1);
    assert_eq!(out.record.nudges, 0);
}

#[test]
fn a_nudge_that_brings_the_status_back_is_used() {
    let rec = running();
    let mut o = Observation::new(T0 + MIN, PaneFacts::Dead { pane_id: PANE.into(), status: None, signal: None }, 1);
    o.started = true;
    let r = step(&rec, &o, &cfg()).record;
    let o2 = Observation::new(T0 + MIN + SEC, PaneFacts::Dead { pane_id: PANE.into(), status: Some(0), signal: None }, 1);
    let mut o2 = o2;
    o2.events_tail = CODEX_OK.into();
    let out = drive(&r, &o2, &cfg(), "__TASK_DONE__");
    assert_eq!(out.record.state, TaskState::Completed);
}
