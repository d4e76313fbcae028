//! Schedules measure elapsed time, not wall-clock steps (DESIGN §3a). With a monotonic reading
//! in every observation, a step of the wall clock (+6 h, −1 h) moves the record's schedule times
//! with it: no spurious stall, no give-up, no hour-long wait. Readings of another clock (another
//! boot) are never compared, and a clock in step with the monotonic one changes nothing.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::clock::MonoReading;
use resilient_coding_agent::model::TaskState;
use resilient_coding_agent::monitor::{EventKind, MonitorConfig, Observation};
use resilient_coding_agent::record::TaskRecord;

/// Wall time `T0 + m` reads `m` on the monotonic clock until the step.
const M0: f64 = 0.0;

/// Ticks every 2 s of monotonic time from `from` to `to` (ms after T0), the wall clock ahead of
/// it by `offset`; the host reports `activity` (wall) when it is new, as the real host does.
fn tick_alive(
    mut rec: TaskRecord,
    from: f64,
    to: f64,
    offset: f64,
    mut activity: impl FnMut(f64) -> Option<f64>,
    c: &MonitorConfig,
) -> (TaskRecord, Vec<EventKind>, usize) {
    let mut seen = Vec::new();
    let mut recovered = 0;
    let mut m = from;
    while m <= to {
        let wall = T0 + m + offset;
        let mut o = with_mono(alive(&rec, wall), M0 + m);
        o.activity_at = activity(wall);
        let out = drive(&rec, &o, c, "thinking");
        seen.extend(events(&out));
        recovered += recovers(&out).len();
        rec = out.record;
        m += 2.0 * SEC;
    }
    (rec, seen, recovered)
}

/// Running, anchored on the monotonic clock, output until 4 min in, then quiet (thinking).
fn quiet_since_4_min() -> TaskRecord {
    let rec = running();
    let mut last = None;
    let (rec, seen, _) = tick_alive(rec, 2.0 * SEC, 5.0 * MIN, 0.0, |wall| {
        // The host reports an mtime only when it changed.
        let mtime = wall.min(T0 + 4.0 * MIN);
        if last == Some(mtime) {
            None
        } else {
            last = Some(mtime);
            Some(mtime)
        }
    }, &cfg());
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(rec.state, TaskState::Running);
    assert!(rec.clock_anchor.is_some(), "the record keeps an anchor");
    rec
}

#[test]
fn a_6_hour_step_forward_is_not_a_stall() {
    let rec = quiet_since_4_min();
    // The wall clock jumps 6 h ahead at 5 min; the agent stays quiet for 3 more minutes (less
    // than stallMs since its last output), then writes again.
    let (rec, seen, _) = tick_alive(rec, 5.0 * MIN + 2.0 * SEC, 8.0 * MIN, 6.0 * HOUR, |_| None, &cfg());
    assert!(seen.is_empty(), "no stall after 4 min of real silence: {seen:?}");
    assert_eq!(rec.state, TaskState::Running);
    // Real silence does become a stall, 10 min after the last output (14 min on the monotonic clock).
    let (rec, seen, _) = tick_alive(rec, 8.0 * MIN + 2.0 * SEC, 15.0 * MIN, 6.0 * HOUR, |_| None, &cfg());
    assert_eq!(seen, vec![EventKind::Stalled]);
    let stalled_at = rec.stalled_since.unwrap() - 6.0 * HOUR - T0;
    assert!((14.0 * MIN..14.0 * MIN + 3.0 * SEC).contains(&stalled_at), "stalled {} s in", stalled_at / SEC);
}

#[test]
fn a_crash_after_a_6_hour_step_is_recovered_not_given_up() {
    let rec = quiet_since_4_min();
    let wall = T0 + 5.0 * MIN + 2.0 * SEC + 6.0 * HOUR;
    let crash = with_mono(dead(&rec, wall, 1, ""), M0 + 5.0 * MIN + 2.0 * SEC);
    let out = drive(&rec, &crash, &cfg(), "");
    assert_eq!(events(&out), vec![EventKind::Recovering], "5 min into a 5 h budget: not given up");
    assert_eq!(recovers(&out).len(), 1);
    assert_eq!(out.record.consecutive_failures, 1);
    // The budget counts from the real start: 5 h of monotonic time after T0.
    assert!((out.record.window_started_at - (T0 + 6.0 * HOUR)).abs() <= 3.0 * SEC);
}

#[test]
fn a_1_hour_step_back_does_not_delay_a_recovery() {
    let mut c = cfg();
    c.recovery_base_delay_ms = 5.0 * SEC;
    // Two crashes in a row: the second recovery waits 5 s (backoff).
    let rec = running();
    let out = drive(&rec, &with_mono(dead(&rec, T0 + MIN, 1, ""), M0 + MIN), &c, "");
    assert_eq!(recovers(&out).len(), 1);
    let rec = drive(&out.record, &with_mono(alive(&out.record, T0 + MIN + SEC), M0 + MIN + SEC), &c, "").record;
    assert_eq!(rec.state, TaskState::Running);
    let out = drive(&rec, &with_mono(dead(&rec, T0 + MIN + 2.0 * SEC, 1, ""), M0 + MIN + 2.0 * SEC), &c, "");
    assert!(recovers(&out).is_empty());
    assert_eq!(out.record.next_recovery_at, Some(T0 + MIN + 7.0 * SEC));
    let mut rec = out.record;

    // One second later the wall clock is set back an hour.
    let mut issued_after = None;
    let mut m = MIN + 3.0 * SEC;
    while m <= MIN + 30.0 * SEC && issued_after.is_none() {
        let wall = T0 + m - HOUR;
        let o = with_mono(Observation::new(wall, dead(&rec, wall, 1, "").pane, rec.attempts), M0 + m);
        let mut o = o;
        o.started = true;
        o.exit_status = Some(1);
        let out = drive(&rec, &o, &c, "");
        if !recovers(&out).is_empty() {
            issued_after = Some(m - (MIN + 2.0 * SEC));
        }
        rec = out.record;
        m += SEC;
    }
    let after = issued_after.expect("the recovery is issued within 30 s, not an hour");
    assert!((5.0 * SEC..=6.0 * SEC).contains(&after), "issued {} s after the crash", after / SEC);
}

#[test]
fn a_clock_in_step_changes_nothing() {
    // 2 s ticks, wall and monotonic in step (up to 1 s of jitter): the record is not rewritten.
    let rec = quiet_since_4_min();
    let updated = rec.updated_at;
    let mut r = rec;
    for i in 0..100 {
        let m = 5.0 * MIN + f64::from(i) * 2.0 * SEC;
        let jitter = if i % 2 == 0 { 900.0 } else { -900.0 };
        let o = with_mono(alive(&r, T0 + m + jitter), M0 + m);
        let out = drive(&r, &o, &cfg(), "thinking");
        assert!(out.actions.is_empty());
        r = out.record;
    }
    assert_eq!(r.updated_at, updated);
}

#[test]
fn an_anchor_of_another_clock_is_replaced_not_compared() {
    // A record anchored in a previous boot: its monotonic readings mean nothing now.
    let rec = quiet_since_4_min();
    let wall = T0 + 5.0 * MIN;
    let mut o = alive(&rec, wall);
    o.mono = Some(MonoReading { clock: "boot:other".into(), ms: 12.0 });
    let out = drive(&rec, &o, &cfg(), "thinking");
    let anchor = out.record.clock_anchor.clone().unwrap();
    assert_eq!((anchor.clock.as_str(), anchor.wall, anchor.mono), ("boot:other", wall, 12.0));
    assert_eq!(out.record.last_activity_at, rec.last_activity_at, "nothing rebased");
}

#[test]
fn without_monotonic_readings_the_old_behaviour_stays() {
    // A host that passes no monotonic reading: a wall-clock step counts as time (as before).
    let rec = running();
    let mut o = alive(&rec, T0 + 6.0 * HOUR);
    o.activity_at = Some(T0 + SEC);
    let out = drive(&rec, &o, &cfg(), "thinking");
    assert_eq!(events(&out), vec![EventKind::Stalled]);
    assert!(out.record.clock_anchor.is_none());
}

#[test]
fn an_old_mtime_seen_first_after_a_step_back_is_not_news() {
    // A new monitor process (it remembers no mtimes) after a −1 h step: the file's mtime from
    // before the step is reported once; it must not land an hour in the future.
    let rec = quiet_since_4_min();
    let wall = T0 + 6.0 * MIN - HOUR;
    let mut o = with_mono(alive(&rec, wall), M0 + 6.0 * MIN);
    o.activity_at = Some(T0 + 4.0 * MIN);
    let out = drive(&rec, &o, &cfg(), "thinking");
    assert_eq!(out.record.last_activity_at, Some(T0 + 4.0 * MIN - HOUR));
    // 10 min of real silence after the last output: stalled, on time.
    let (_, seen, _) = tick_alive(out.record, 6.0 * MIN + 2.0 * SEC, 15.0 * MIN, -HOUR, |_| None, &cfg());
    assert_eq!(seen, vec![EventKind::Stalled]);
}
