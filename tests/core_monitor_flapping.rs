//! The consecutive-failure count resets once the agent has run normally for 10 minutes, so an
//! agent that crashes now and then is always resumed right away; one that crashes within
//! minutes of every resume backs off.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::TaskState;
use resilient_coding_agent::record::TaskRecord;

/// Lets the current run live for `run_for` (ticks every 30 s with fresh output), then crashes
/// it. Returns the record after the crash and the delay until the recovery is due.
fn run_then_crash(mut rec: TaskRecord, start: f64, run_for: f64) -> (TaskRecord, f64, f64) {
    let mut now = start;
    while now < start + run_for {
        let mut o = alive(&rec, now);
        o.activity_at = Some(now);
        rec = drive(&rec, &o, &cfg(), "working…").record;
        assert_eq!(rec.state, TaskState::Running);
        now += 30.0 * SEC;
    }
    let out = drive(&rec, &dead(&rec, now, 1, ""), &cfg(), "");
    let delay = if recovers(&out).is_empty() { out.record.next_recovery_at.unwrap() - now } else { 0.0 };
    let mut rec = out.record;
    // Issue the recovery when due and see the new run come up.
    if rec.run_requested_at.is_none() {
        now = rec.next_recovery_at.unwrap();
        let o = drive(&rec, &dead(&rec, now, 1, ""), &cfg(), "");
        assert_eq!(recovers(&o).len(), 1);
        rec = o.record;
    }
    now += 2.0 * SEC;
    rec = drive(&rec, &alive(&rec, now), &cfg(), "").record;
    (rec, delay, now)
}

#[test]
fn healthy_runs_reset_the_backoff() {
    let mut rec = running();
    let mut now = T0 + 2.0 * SEC;
    for i in 0..6 {
        let (r, delay, t) = run_then_crash(rec, now, 11.0 * MIN);
        assert_eq!(delay, 0.0, "crash {i} after a healthy run is resumed right away");
        assert_eq!(r.consecutive_failures, 1);
        rec = r;
        now = t;
    }
}

#[test]
fn short_runs_keep_backing_off() {
    let mut rec = running();
    let mut now = T0 + 2.0 * SEC;
    let mut delays = Vec::new();
    for _ in 0..4 {
        let (r, delay, t) = run_then_crash(rec, now, 5.0 * MIN);
        delays.push((delay / MIN).round());
        rec = r;
        now = t;
    }
    assert_eq!(delays, vec![0.0, 3.0, 6.0, 12.0]);
}

#[test]
fn a_healthy_run_after_a_streak_starts_over() {
    let mut rec = running();
    let mut now = T0 + 2.0 * SEC;
    let mut delays = Vec::new();
    for run_for in [MIN, MIN, MIN, 11.0 * MIN, MIN] {
        let (r, delay, t) = run_then_crash(rec, now, run_for);
        delays.push((delay / MIN).round());
        rec = r;
        now = t;
    }
    assert_eq!(delays, vec![0.0, 3.0, 6.0, 0.0, 3.0]);
}

#[test]
fn output_up_to_the_crash_counts_when_the_monitor_did_not_watch() {
    // The monitor was down while the run worked for 20 min; it sees only the dead pane, with
    // the event file's mtime showing output until just before the end.
    let mut rec = running();
    rec.consecutive_failures = 4;
    let now = rec.last_run_started_at + 20.0 * MIN;
    let mut o = dead(&rec, now, 1, "");
    o.activity_at = Some(now - 5.0 * SEC);
    let out = drive(&rec, &o, &cfg(), "");
    assert_eq!(recovers(&out).len(), 1, "resumed right away");
    assert_eq!(out.record.consecutive_failures, 1);
}
