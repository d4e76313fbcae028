//! A limit that names when it resets is waited out (until then + margin, at most
//! `maxResetWaitMs`), without using up the 5 h recovery budget; a usage limit naming no time
//! is fatal; a zone the core cannot resolve is asked of the host.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{FailureClass, TaskState};
use resilient_coding_agent::monitor::{step, Action, EventKind};

/// 2026-11-24T00:30:00Z: Codex says "try again at 1:22 AM".
const NIGHT: f64 = T0 + 30.0 * MIN;

#[test]
fn codex_usage_limit_waits_until_the_named_local_time() {
    let rec = running();
    let mut o = dead(&rec, NIGHT, 1, CODEX_USAGE);
    o.utc_offset_min = Some(0);
    let out = drive(&rec, &o, &cfg(), "");
    assert!(recovers(&out).is_empty(), "not right away");
    assert_eq!(events(&out), vec![EventKind::Recovering]);
    let r = out.record;
    assert_eq!(r.state, TaskState::Recovering);
    assert_eq!(r.failure.as_ref().map(|f| f.class), Some(FailureClass::UsageLimit));
    // 01:22 UTC + 30 s margin.
    let due = T0 + 82.0 * MIN + 30.0 * SEC;
    assert_eq!(r.next_recovery_at, Some(due));
    // Not a second earlier…
    assert!(recovers(&step(&r, &dead(&r, due - SEC, 1, CODEX_USAGE), &cfg())).is_empty());
    // …and at the time, exactly once.
    let o = step(&r, &dead(&r, due, 1, CODEX_USAGE), &cfg());
    assert_eq!(recovers(&o).len(), 1);
    assert!(recovers(&step(&o.record, &dead(&o.record, due + SEC, 1, CODEX_USAGE), &cfg())).is_empty());
}

#[test]
fn the_machine_offset_moves_the_instant() {
    let rec = running();
    // UTC+9: 1:22 AM local is 16:22 UTC the previous day … next occurrence after 00:30 UTC is
    // 16:22 UTC the same day.
    // (15 h 52 min away: allow waits that long here; the default caps them at 6 h.)
    let mut c = cfg();
    c.max_reset_wait_ms = 24.0 * HOUR;
    let mut o = dead(&rec, NIGHT, 1, CODEX_USAGE);
    o.utc_offset_min = Some(9 * 60);
    let r = drive(&rec, &o, &c, "").record;
    assert_eq!(r.next_recovery_at, Some(T0 + 16.0 * HOUR + 22.0 * MIN + 30.0 * SEC));
}

#[test]
fn without_an_offset_the_host_is_asked_and_nothing_changes_until_it_answers() {
    let rec = running();
    let o = dead(&rec, NIGHT, 1, CODEX_USAGE);
    let first = drive(&rec, &o, &cfg(), "");
    assert_eq!(
        first.actions,
        vec![Action::ResolveResetTime { hour: 1, minute: 22, zone: None }]
    );
    assert_eq!(first.next_check_at, NIGHT);
    assert_eq!(first.record.state, TaskState::Running, "nothing decided yet");
    let mut answered = o.clone();
    answered.capture = Some(String::new());
    answered.reset_at = Some(T0 + 2.0 * HOUR);
    let second = step(&first.record, &answered, &cfg());
    assert_eq!(second.record.next_recovery_at, Some(T0 + 2.0 * HOUR + 30.0 * SEC));
}

#[test]
fn a_named_zone_is_always_resolved_by_the_host() {
    // Claude's subscription limit, as its stream-json result line words it.
    let mut spec = spec();
    spec.agent = resilient_coding_agent::model::AgentKind::Claude;
    let rec = resilient_coding_agent::record::new_record(
        &spec,
        "/state/tasks/abc123",
        Some("6f1d2c1e-8a3b-4c5d-9e0f-112233445566".into()),
        T0,
    );
    let rec = drive(&rec, &alive(&rec, T0 + SEC), &cfg(), "").record;
    let mut o = dead(&rec, NIGHT, 1, concat!(
        r#"{"type":"result","subtype":"success","is_error":true,"result":"You've hit your session limit · resets 3:50pm (Asia/Tokyo)","session_id":"6f1d2c1e-8a3b-4c5d-9e0f-112233445566"}"#,
        "\n"
    ));
    o.utc_offset_min = Some(0);
    let out = drive(&rec, &o, &cfg(), "");
    assert_eq!(
        out.actions,
        vec![Action::ResolveResetTime { hour: 15, minute: 50, zone: Some("Asia/Tokyo".into()) }]
    );
    // The host answers with 06:50 UTC (15:50 in Tokyo), 6 h 20 min away: within a 12 h cap.
    let mut answered = o.clone();
    answered.capture = Some(String::new());
    answered.reset_at = Some(T0 + 6.0 * HOUR + 50.0 * MIN);
    let mut c = cfg();
    c.max_reset_wait_ms = 12.0 * HOUR;
    let r = step(&out.record, &answered, &c).record;
    assert_eq!(r.failure.as_ref().map(|f| f.class), Some(FailureClass::UsageLimit));
    assert_eq!(r.next_recovery_at, Some(T0 + 6.0 * HOUR + 50.0 * MIN + 30.0 * SEC));
}

#[test]
fn the_wait_is_capped() {
    let rec = running();
    let mut o = dead(&rec, NIGHT, 1, CODEX_USAGE);
    o.capture = Some(String::new());
    o.reset_at = Some(NIGHT + 20.0 * HOUR);
    let r = step(&rec, &o, &cfg()).record;
    assert_eq!(r.next_recovery_at, Some(NIGHT + 6.0 * HOUR + 30.0 * SEC));
}

#[test]
fn waiting_for_a_reset_does_not_use_up_the_budget() {
    // The task has been running for 4 h when the limit hits; it resets 3 h later. The recovery
    // at 7 h is still allowed: the 5 h budget counts trying, not waiting.
    let mut rec = running();
    let hit = T0 + 4.0 * HOUR;
    rec.last_run_started_at = hit - MIN;
    let mut o = dead(&rec, hit, 1, CODEX_USAGE);
    o.capture = Some(String::new());
    o.reset_at = Some(hit + 3.0 * HOUR);
    let r = step(&rec, &o, &cfg()).record;
    assert_eq!(r.state, TaskState::Recovering);
    assert!(!r.gave_up);
    let due = r.next_recovery_at.unwrap();
    assert!(due > T0 + 5.0 * HOUR);
    assert_eq!(recovers(&step(&r, &dead(&r, due, 1, ""), &cfg())).len(), 1);
}

#[test]
fn a_rate_limit_is_retried() {
    let rec = running();
    let out = drive(&rec, &dead(&rec, NIGHT, 1, CODEX_429), &cfg(), "");
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::RateLimit));
    assert_eq!(recovers(&out).len(), 1, "first recovery right away");
}

#[test]
fn a_relative_hint_longer_than_the_backoff_wins() {
    let rec = running();
    let mut o = dead(&rec, NIGHT, 1, "");
    o.stderr_tail = "Error: 429 Too Many Requests. Rate limit reached, please try again in 20 minutes.\n".into();
    let out = drive(&rec, &o, &cfg(), "");
    let f = out.record.failure.clone().unwrap();
    if f.reset.is_some() {
        assert_eq!(out.record.next_recovery_at, Some(NIGHT + 20.0 * MIN + 30.0 * SEC));
        assert!(recovers(&out).is_empty());
    } else {
        // Classifier did not read a hint from this wording: then it is a plain retry.
        assert_eq!(recovers(&out).len(), 1);
    }
}
