//! The per-task auto-resume switch (`autoResume: false`): a failure that would be recovered
//! leaves the task `failed` (not given up), saying why, announced once, until a manual resume;
//! and the host scheduler's hold (`holdRecoveryUntil`) delays a due recovery, never skips it.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{FailureClass, TaskState};
use resilient_coding_agent::monitor::{manual_resume, step, EventKind};
use resilient_coding_agent::record::parse_record_from;

fn no_auto() -> resilient_coding_agent::record::TaskRecord {
    let mut r = running();
    r.auto_resume = false;
    r
}

#[test]
fn a_crash_stops_and_waits_for_a_manual_resume() {
    let rec = no_auto();
    let out = drive(&rec, &dead(&rec, T0 + MIN, 1, ""), &cfg(), "");
    assert!(recovers(&out).is_empty());
    assert_eq!(events(&out), vec![EventKind::Failed]);
    let r = out.record;
    assert_eq!(r.state, TaskState::Failed);
    assert!(!r.gave_up);
    assert_eq!(r.failure.as_ref().map(|f| f.class), Some(FailureClass::Crash));
    assert!(r.recovery_reason.as_deref().unwrap_or("").contains("auto-resume off"), "{:?}", r.recovery_reason);
    // Nothing more happens, however long it waits: announced once, never resumed.
    let later = step(&r, &dead(&r, T0 + 10.0 * HOUR, 1, ""), &cfg());
    assert!(recovers(&later).is_empty());
    assert!(events(&later).is_empty());
    // A manual resume runs it again.
    let resumed = manual_resume(&r, T0 + 11.0 * HOUR).unwrap().record;
    let next = step(&resumed, &dead(&resumed, T0 + 11.0 * HOUR, 1, ""), &cfg());
    assert_eq!(recovers(&next).len(), 1);
    assert!(!next.record.auto_resume, "the switch stays off for the next failure");
}

#[test]
fn a_missing_session_and_a_reset_time_limit_hold_too() {
    let rec = no_auto();
    let gone = drive(&rec, &missing(&rec, T0 + MIN), &cfg(), "");
    assert!(recovers(&gone).is_empty());
    assert_eq!(gone.record.state, TaskState::Failed);
    let mut o = dead(&rec, T0 + 30.0 * MIN, 1, CODEX_USAGE);
    o.utc_offset_min = Some(0);
    let limit = drive(&rec, &o, &cfg(), "");
    assert!(recovers(&limit).is_empty());
    assert_eq!(limit.record.state, TaskState::Failed);
    assert_eq!(limit.record.failure.as_ref().map(|f| f.class), Some(FailureClass::UsageLimit));
    let after_reset = step(&limit.record, &dead(&limit.record, T0 + 5.0 * HOUR, 1, CODEX_USAGE), &cfg());
    assert!(recovers(&after_reset).is_empty());
}

#[test]
fn the_switch_survives_the_record_round_trip_and_old_records_default_to_on() {
    let rec = no_auto();
    let text = serde_json::to_string(&rec).unwrap();
    assert!(text.contains("\"autoResume\":false"));
    let back = parse_record_from(&mut serde_json::Deserializer::from_str(&text)).unwrap();
    assert!(!back.auto_resume);
    let old = text.replace(",\"autoResume\":false", "");
    assert_ne!(old, text);
    assert!(parse_record_from(&mut serde_json::Deserializer::from_str(&old)).unwrap().auto_resume);
}

#[test]
fn a_hold_delays_a_due_recovery_until_its_slot() {
    let rec = running();
    let mut o = dead(&rec, T0 + MIN, 1, "");
    o.hold_recovery_until = Some(T0 + MIN + 3.0 * SEC);
    let held = drive(&rec, &o, &cfg(), "");
    assert!(recovers(&held).is_empty(), "not before the slot");
    assert_eq!(events(&held), vec![EventKind::Recovering]);
    assert_eq!(held.record.state, TaskState::Recovering);
    assert_eq!(held.record.next_recovery_at, Some(T0 + MIN + 3.0 * SEC));
    assert!(held.next_check_at <= T0 + MIN + 3.0 * SEC);
    let r = held.record;
    assert!(recovers(&step(&r, &dead(&r, T0 + MIN + 2.0 * SEC, 1, ""), &cfg())).is_empty());
    let due = step(&r, &dead(&r, T0 + MIN + 3.0 * SEC, 1, ""), &cfg());
    assert_eq!(recovers(&due).len(), 1);
    // Without a hold the same crash is recovered at once.
    assert_eq!(recovers(&drive(&rec, &dead(&rec, T0 + MIN, 1, ""), &cfg(), "")).len(), 1);
}
