//! A run that keeps crashing is recovered on the schedule 0, 3, 6, 12 … min (capped at 60)
//! and given up once the next recovery would start more than 5 h after the task started.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{FailureClass, TaskState};
use resilient_coding_agent::monitor::{step, EventKind, RecoverMode};

/// Crashes each run as soon as it starts; returns the delays between crash and recovery.
fn crash_loop(cfg: &resilient_coding_agent::monitor::MonitorConfig) -> (Vec<f64>, resilient_coding_agent::record::TaskRecord) {
    let mut rec = running();
    let mut now = T0 + 10.0 * SEC;
    let mut delays = Vec::new();
    for _ in 0..100 {
        // The run dies with a plain crash (exit 1, nothing more specific in its output).
        let crash_at = now;
        let out = drive(&rec, &dead(&rec, now, 1, ""), cfg, "");
        let mut issued = recovers(&out);
        rec = out.record;
        if rec.state == TaskState::Failed {
            break;
        }
        assert_eq!(rec.state, TaskState::Recovering);
        // Tick every 2 s until the recovery is issued.
        while issued.is_empty() {
            now = out_next(&rec, now, cfg);
            let o = drive(&rec, &dead(&rec, now, 1, ""), cfg, "");
            // While waiting, nothing is announced again and the record is stable.
            assert!(events(&o).is_empty(), "no repeated announcements while waiting");
            issued = recovers(&o);
            rec = o.record;
        }
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0], (RecoverMode::Respawn { pane_id: PANE.into() }, rec.attempts));
        delays.push(now - crash_at);
        // The new run comes up, then dies at the next tick.
        now += 2.0 * SEC;
        let o = drive(&rec, &alive(&rec, now), cfg, "");
        assert_eq!(o.record.state, TaskState::Running);
        assert_eq!(events(&o), vec![EventKind::Resumed]);
        rec = o.record;
        now += 2.0 * SEC;
    }
    (delays, rec)
}

/// The next tick: every poll, but never past the due time (the core says when).
fn out_next(rec: &resilient_coding_agent::record::TaskRecord, now: f64, cfg: &resilient_coding_agent::monitor::MonitorConfig) -> f64 {
    let due = rec.next_recovery_at.expect("waiting record has a due time");
    (now + cfg.poll_ms).min(due).max(now + 1.0)
}

#[test]
fn delays_double_from_three_minutes_after_an_immediate_first_recovery() {
    let (delays, rec) = crash_loop(&cfg());
    let minutes: Vec<f64> = delays.iter().map(|d| (d / MIN * 1000.0).round() / 1000.0).collect();
    assert_eq!(minutes, vec![0.0, 3.0, 6.0, 12.0, 24.0, 48.0, 60.0, 60.0, 60.0]);
    assert_eq!(rec.state, TaskState::Failed);
    assert!(rec.gave_up);
    assert_eq!(rec.failure.as_ref().map(|f| f.class), Some(FailureClass::Crash));
    assert_eq!(rec.attempts, 10, "the first run plus nine recoveries");
}

#[test]
fn gives_up_once_the_next_recovery_would_start_after_five_hours() {
    let (delays, rec) = crash_loop(&cfg());
    // Every issued recovery started within 5 h of the task's start…
    let mut t = 0.0;
    for d in &delays {
        t += d;
        assert!(t <= 5.0 * HOUR);
    }
    // …and the give-up came on the crash whose recovery would have crossed it.
    let gave_up_at = rec.finished_at.unwrap();
    assert!(gave_up_at - T0 < 5.0 * HOUR);
    assert!(gave_up_at + 60.0 * MIN > T0 + 5.0 * HOUR);
}

#[test]
fn give_up_is_announced_once_and_final() {
    let (_, rec) = crash_loop(&cfg());
    let later = rec.finished_at.unwrap() + HOUR;
    let out = drive(&rec, &dead(&rec, later, 1, ""), &cfg(), "");
    assert!(out.actions.is_empty(), "a final record does nothing: {:?}", out.actions);
    assert_eq!(out.record, rec);
}

#[test]
fn without_immediate_first_recovery_the_first_delay_is_the_base() {
    let mut c = cfg();
    c.first_recovery_immediate = false;
    c.give_up_after_ms = HOUR;
    let (delays, rec) = crash_loop(&c);
    let minutes: Vec<f64> = delays.iter().map(|d| (d / MIN).round()).collect();
    assert_eq!(minutes, vec![3.0, 6.0, 12.0, 24.0]);
    assert!(rec.gave_up);
}

#[test]
fn the_give_up_event_says_why() {
    let mut c = cfg();
    c.give_up_after_ms = 10.0 * MIN;
    let mut rec = running();
    let mut now = T0 + 10.0 * SEC;
    let mut last_events = Vec::new();
    for _ in 0..20 {
        let o = drive(&rec, &dead(&rec, now, 1, ""), &c, "");
        last_events = o.actions.clone();
        rec = o.record;
        if rec.state == TaskState::Failed {
            break;
        }
        if rec.state == TaskState::Recovering && rec.run_requested_at.is_none() {
            now = rec.next_recovery_at.unwrap();
            rec = step(&rec, &dead(&rec, now, 1, ""), &c).record;
        }
        now += SEC;
        rec = drive(&rec, &alive(&rec, now), &c, "").record;
        now += SEC;
    }
    assert!(rec.gave_up);
    let gave_up: Vec<_> = last_events
        .iter()
        .filter_map(|a| match a {
            resilient_coding_agent::monitor::Action::Announce { event } => Some(event.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(gave_up.len(), 1);
    assert_eq!(gave_up[0].kind, EventKind::GaveUp);
    assert_eq!(gave_up[0].state, TaskState::Failed);
    assert!(gave_up[0].message.contains("gave up"), "{}", gave_up[0].message);
}
