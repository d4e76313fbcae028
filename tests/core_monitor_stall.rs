//! A live agent with no output for `stallMs`, or one that only repeats retry lines (Codex
//! waiting for the network forever), is `stalled`: announced once; back to `running` when
//! real output resumes; restarted through the normal recovery path only if the watchdog
//! (`stallRestartMs`) is switched on.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{FailureClass, TaskState};
use resilient_coding_agent::monitor::{EventKind, MonitorConfig, RecoverMode};
use resilient_coding_agent::record::TaskRecord;

/// Ticks every 2 s from `from` to `to` with the last output at `last_output`.
fn tick(mut rec: TaskRecord, from: f64, to: f64, last_output: f64, screen: &str, c: &MonitorConfig) -> (TaskRecord, Vec<EventKind>, usize) {
    let mut seen = Vec::new();
    let mut recovered = 0;
    let mut now = from;
    while now <= to {
        let mut o = alive(&rec, now);
        o.activity_at = Some(last_output);
        let out = drive(&rec, &o, c, screen);
        seen.extend(events(&out));
        recovered += recovers(&out).len();
        rec = out.record;
        now += 2.0 * SEC;
    }
    (rec, seen, recovered)
}

#[test]
fn silence_is_a_stall_announced_once() {
    let rec = running();
    let (rec, seen, rec_n) = tick(rec, T0 + 2.0 * SEC, T0 + 30.0 * MIN, T0 + MIN, "thinking", &cfg());
    assert_eq!(seen, vec![EventKind::Stalled]);
    assert_eq!(rec_n, 0, "no restart unless the watchdog is on");
    assert_eq!(rec.state, TaskState::Stalled);
    // Stalled 10 min after the last output.
    assert!(rec.stalled_since.unwrap() >= T0 + 11.0 * MIN);
    assert!(rec.stalled_since.unwrap() < T0 + 11.0 * MIN + 3.0 * SEC);
}

#[test]
fn output_ends_the_stall() {
    let rec = running();
    let (rec, _, _) = tick(rec, T0 + 2.0 * SEC, T0 + 15.0 * MIN, T0 + MIN, "thinking", &cfg());
    assert_eq!(rec.state, TaskState::Stalled);
    let (rec, seen, _) = tick(rec, T0 + 16.0 * MIN, T0 + 16.0 * MIN, T0 + 16.0 * MIN - SEC, "wrote src/main.rs", &cfg());
    assert_eq!(rec.state, TaskState::Running);
    assert!(seen.is_empty());
    assert_eq!(rec.stalled_since, None);
}

#[test]
fn a_codex_retry_loop_is_a_stall_even_with_output() {
    // The network is down: Codex prints "Reconnecting... waiting for network" forever.
    let mut rec = running();
    let mut seen = Vec::new();
    let mut now = T0 + 2.0 * SEC;
    while now < T0 + 5.0 * MIN {
        let mut o = alive(&rec, now);
        o.activity_at = Some(now - SEC);
        let out = drive(&rec, &o, &cfg(), CODEX_NONET);
        seen.extend(events(&out));
        rec = out.record;
        now += 2.0 * SEC;
    }
    assert_eq!(seen, vec![EventKind::Stalled]);
    assert_eq!(rec.state, TaskState::Stalled);
    assert!(rec.live_evidence.as_deref().unwrap_or("").to_lowercase().contains("reconnecting"));
}

#[test]
fn the_watchdog_restarts_through_the_recovery_path() {
    let mut c = cfg();
    c.stall_restart_ms = Some(5.0 * MIN);
    let rec = running();
    let (rec, seen, n) = tick(rec, T0 + 2.0 * SEC, T0 + 17.0 * MIN, T0 + MIN, "thinking", &c);
    // Stalled at ~11 min, restarted at ~16 min, right away (first failure); the fresh run is
    // then seen in the (respawned) pane.
    assert_eq!(seen, vec![EventKind::Stalled, EventKind::Recovering, EventKind::Resumed]);
    assert_eq!(n, 1);
    assert_eq!(rec.state, TaskState::Running);
    assert_eq!(rec.attempts, 2);
    assert_eq!(rec.failure.as_ref().map(|f| f.class), Some(FailureClass::Crash));
    assert!(rec.failure.as_ref().unwrap().evidence.contains("no output"));
}

#[test]
fn the_watchdog_restart_respawns_the_live_pane() {
    let mut c = cfg();
    c.stall_restart_ms = Some(MIN);
    let mut rec = running();
    let mut now = T0 + 2.0 * SEC;
    let mut modes = Vec::new();
    while now < T0 + 13.0 * MIN {
        let mut o = alive(&rec, now);
        o.activity_at = Some(T0 + SEC);
        let out = drive(&rec, &o, &c, "thinking");
        modes.extend(recovers(&out));
        rec = out.record;
        now += 2.0 * SEC;
    }
    assert_eq!(modes, vec![(RecoverMode::Respawn { pane_id: PANE.into() }, 2)]);
}

#[test]
fn a_retry_loop_restart_is_a_network_failure() {
    let mut c = cfg();
    c.stall_restart_ms = Some(MIN);
    let mut rec = running();
    let mut now = T0 + 2.0 * SEC;
    while now < T0 + 3.0 * MIN && rec.state != TaskState::Recovering {
        let mut o = alive(&rec, now);
        o.activity_at = Some(now - SEC);
        rec = drive(&rec, &o, &c, CODEX_NONET).record;
        now += 2.0 * SEC;
    }
    assert_eq!(rec.state, TaskState::Recovering);
    assert_eq!(rec.failure.as_ref().map(|f| f.class), Some(FailureClass::Network));
}

#[test]
fn no_activity_reported_means_no_stall_detection() {
    let mut rec = running();
    let mut now = T0 + 2.0 * SEC;
    while now < T0 + HOUR {
        let out = drive(&rec, &alive(&rec, now), &cfg(), "");
        assert!(out.actions.is_empty());
        rec = out.record;
        now += MIN;
    }
    assert_eq!(rec.state, TaskState::Running);
}
