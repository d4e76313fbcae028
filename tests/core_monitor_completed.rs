//! A completed task is never resumed, however it is re-observed (dead pane, missing session,
//! live pane, a crash-looking exit file), and completion is announced once.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::TaskState;
use resilient_coding_agent::monitor::{manual_resume, mark_stopped, step, EventKind, PaneFacts};

fn completed() -> resilient_coding_agent::record::TaskRecord {
    let rec = running();
    let out = drive(&rec, &dead(&rec, T0 + 5.0 * MIN, 0, CODEX_OK), &cfg(), "__TASK_DONE__");
    assert_eq!(out.record.state, TaskState::Completed);
    assert_eq!(events(&out), vec![EventKind::Completed]);
    assert!(recovers(&out).is_empty());
    out.record
}

#[test]
fn exit_zero_with_turn_completed_is_completed() {
    let rec = completed();
    assert_eq!(rec.failure, None);
    assert_eq!(rec.finished_at, Some(T0 + 5.0 * MIN));
}

#[test]
fn never_resumed_when_re_observed() {
    let rec = completed();
    let c = cfg();
    let mut now = T0 + 6.0 * MIN;
    for _ in 0..50 {
        for obs in [
            dead(&rec, now, 0, CODEX_OK),
            dead(&rec, now, 1, ""),
            missing(&rec, now),
            alive(&rec, now),
            {
                let mut o = dead(&rec, now, 137, "");
                o.pane = PaneFacts::Dead { pane_id: PANE.into(), status: None, signal: Some(9) };
                o
            },
        ] {
            let out = drive(&rec, &obs, &c, "");
            assert!(out.actions.is_empty(), "{:?}", out.actions);
            assert_eq!(out.record, rec);
        }
        now += 10.0 * MIN;
    }
}

#[test]
fn a_person_cannot_resume_it_either() {
    let rec = completed();
    let err = manual_resume(&rec, T0 + HOUR).unwrap_err();
    assert_eq!(err.code(), "not_resumable");
}

#[test]
fn stopping_keeps_completed() {
    let rec = completed();
    assert_eq!(mark_stopped(&rec, T0 + HOUR), rec);
}

#[test]
fn completion_found_after_the_session_vanished() {
    // The agent finished, then the machine rebooted before the monitor looked: the wrapper's
    // exit file still says 0.
    let rec = running();
    let mut o = missing(&rec, T0 + HOUR);
    o.started = true;
    o.exit_status = Some(0);
    o.events_tail = CODEX_OK.into();
    let out = step(&rec, &o, &cfg());
    assert_eq!(out.record.state, TaskState::Completed);
    assert!(recovers(&out).is_empty());
}
