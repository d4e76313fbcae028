//! A recovery the monitor did not finish (it was killed after recording the new attempt and
//! before, or while, issuing it) is not the agent's failure: its successor issues it again at
//! once, with no failure counted and no backoff step. A run this monitor did issue and that
//! never showed up is still a failed attempt (the schedule applies).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::TaskState;
use resilient_coding_agent::monitor::{EventKind, Observation, RecoverMode};
use resilient_coding_agent::record::TaskRecord;

/// Running, crashed once at T0 + 1 min: the monitor recorded attempt 2 and was then killed.
fn recovery_recorded_then_monitor_killed() -> (TaskRecord, Observation) {
    let rec = running();
    let crash = dead(&rec, T0 + MIN, 1, "");
    let out = drive(&rec, &crash, &cfg(), "");
    assert_eq!(recovers(&out), vec![(RecoverMode::Respawn { pane_id: PANE.into() }, 2)]);
    assert_eq!(out.record.consecutive_failures, 1);
    (out.record, crash)
}

/// What the next monitor sees at `t`: still the dead pane of attempt 1, no files of attempt 2.
fn successor_sees(rec: &TaskRecord, crash: &Observation, t: f64, issued: Option<bool>) -> Observation {
    let mut o = Observation::new(t, crash.pane.clone(), rec.attempts);
    o.run_issued = issued;
    o
}

#[test]
fn a_recovery_the_dead_monitor_never_issued_is_issued_again_uncharged() {
    let (rec, crash) = recovery_recorded_then_monitor_killed();
    // Within the start grace the successor waits (the run may still be starting).
    let early = drive(&rec, &successor_sees(&rec, &crash, T0 + MIN + 10.0 * SEC, Some(false)), &cfg(), "");
    assert!(early.actions.is_empty());
    // After it: issued again at once, as a new attempt, with nothing charged.
    let t = T0 + MIN + 31.0 * SEC;
    let out = drive(&rec, &successor_sees(&rec, &crash, t, Some(false)), &cfg(), "");
    assert_eq!(recovers(&out), vec![(RecoverMode::Respawn { pane_id: PANE.into() }, 3)]);
    assert!(events(&out).is_empty(), "{:?}", events(&out));
    assert_eq!(out.record.consecutive_failures, 1, "no crash counted");
    assert_eq!(out.record.state, TaskState::Recovering);
    assert_eq!(out.record.run_requested_at, Some(t));
    assert_eq!(out.record.failure, rec.failure, "the failure is still the agent's real one");

    // The re-issued run shows up; its next crash is the second consecutive failure, not the third.
    let alive_rec = drive(&out.record, &alive(&out.record, t + SEC), &cfg(), "").record;
    assert_eq!(alive_rec.state, TaskState::Running);
    let crash2 = drive(&alive_rec, &dead(&alive_rec, t + 2.0 * SEC, 1, ""), &cfg(), "");
    assert_eq!(crash2.record.consecutive_failures, 2);
    assert_eq!(crash2.record.next_recovery_at, Some(t + 2.0 * SEC + 3.0 * MIN), "3 min, the first backoff step");
}

#[test]
fn a_run_this_monitor_issued_that_never_started_is_charged() {
    let (rec, crash) = recovery_recorded_then_monitor_killed();
    for issued in [Some(true), None] {
        let t = T0 + MIN + 31.0 * SEC;
        let out = drive(&rec, &successor_sees(&rec, &crash, t, issued), &cfg(), "");
        assert!(recovers(&out).is_empty(), "{issued:?}: the second consecutive failure waits");
        assert_eq!(events(&out), vec![EventKind::Recovering]);
        assert_eq!(out.record.consecutive_failures, 2);
        assert_eq!(out.record.next_recovery_at, Some(t + 3.0 * MIN));
    }
}

#[test]
fn a_missing_session_after_the_monitor_died_is_recreated_uncharged() {
    // The tmux server went away too (reboot): the session is missing, attempt 2 never ran.
    let rec = running();
    let out = drive(&rec, &missing(&rec, T0 + MIN), &cfg(), "");
    assert_eq!(recovers(&out), vec![(RecoverMode::Recreate, 2)]);
    let rec = out.record;
    let mut o = missing(&rec, T0 + MIN + 31.0 * SEC);
    o.run_issued = Some(false);
    let again = drive(&rec, &o, &cfg(), "");
    assert_eq!(recovers(&again), vec![(RecoverMode::Recreate, 3)]);
    assert_eq!(again.record.consecutive_failures, rec.consecutive_failures);
}

#[test]
fn past_the_recovery_budget_an_unissued_recovery_gives_up() {
    let (rec, crash) = recovery_recorded_then_monitor_killed();
    let t = T0 + 6.0 * HOUR;
    let out = drive(&rec, &successor_sees(&rec, &crash, t, Some(false)), &cfg(), "");
    assert!(recovers(&out).is_empty());
    assert_eq!(events(&out), vec![EventKind::GaveUp]);
    assert!(out.record.gave_up);
}
