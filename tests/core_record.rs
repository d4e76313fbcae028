//! Task records round-trip through JSON, and a corrupt record from disk is rejected with
//! `invalid_record` and a message naming the problem, never trusted and never a panic.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::TaskState;
use resilient_coding_agent::record::{new_record, parse_record_from, TaskRecord};

fn parse(text: &str) -> Result<TaskRecord, resilient_coding_agent::CoreError> {
    parse_record_from(&mut serde_json::Deserializer::from_str(text))
}

fn to_json(r: &TaskRecord) -> serde_json::Value {
    serde_json::to_value(r).unwrap()
}

fn rejects(v: serde_json::Value, what: &str) {
    let err = parse(&v.to_string()).unwrap_err();
    assert_eq!(err.code(), "invalid_record", "{what}");
    assert!(err.to_string().to_lowercase().contains(&what.to_lowercase()), "{what}: {err}");
}

#[test]
fn a_new_record_starts_at_attempt_one() {
    let r = fresh();
    assert_eq!(r.version, 1);
    assert_eq!(r.session, "codex-fix-login-bug");
    assert_eq!(r.state, TaskState::Starting);
    assert_eq!(r.attempts, 1);
    assert_eq!(r.created_at, T0);
    assert_eq!(r.run_requested_at, Some(T0));
}

#[test]
fn round_trip() {
    let r = new_record(&spec(), "/state/tasks/x", Some("01a20aee-4156-7782-815c-1212554e90c4".into()), T0);
    let text = serde_json::to_string(&r).unwrap();
    assert!(text.contains("\"agentSessionId\":\"01a20aee-4156-7782-815c-1212554e90c4\""));
    assert!(text.contains("\"state\":\"starting\""));
    assert_eq!(parse(&text).unwrap(), r);
    // A record the monitor moved on also round-trips.
    let rec = running();
    let out = drive(&rec, &dead(&rec, T0 + MIN, 1, CODEX_429), &cfg(), "");
    let text = serde_json::to_string(&out.record).unwrap();
    assert_eq!(parse(&text).unwrap(), out.record);
}

#[test]
fn rejects_what_is_not_a_record() {
    for text in ["", "null", "[]", "{", "42", "\"x\"", "{}"] {
        let err = parse(text).unwrap_err();
        assert_eq!(err.code(), "invalid_record", "{text:?}");
    }
}

#[test]
fn rejects_other_versions() {
    let mut v = to_json(&fresh());
    v["version"] = 2.into();
    rejects(v, "version");
}

#[test]
fn rejects_unknown_enum_values_and_fields() {
    let mut v = to_json(&fresh());
    v["state"] = "sleeping".into();
    rejects(v, "sleeping");
    let mut v = to_json(&fresh());
    v["spec"]["agent"] = "cursor".into();
    rejects(v, "cursor");
    let mut v = to_json(&fresh());
    v["surprise"] = true.into();
    rejects(v, "surprise");
}

#[test]
fn rejects_bad_numbers() {
    // Wrong number types are caught by serde (its message names the type, not the field).
    for bad in [serde_json::json!(-1), serde_json::json!(1.5), serde_json::json!("1"), serde_json::json!(5e9)] {
        let mut v = to_json(&fresh());
        v["attempts"] = bad;
        rejects(v, "expected");
    }
    let mut v = to_json(&fresh());
    v["attempts"] = 0.into();
    rejects(v, "attempts");
    let mut v = to_json(&fresh());
    v["createdAt"] = (-5.0).into();
    rejects(v, "createdAt");
    // 1e400 overflows to infinity in JSON.parse and serde_json alike.
    let text = to_json(&fresh()).to_string().replace(&format!("\"updatedAt\":{}", T0), "\"updatedAt\":1e400");
    assert_eq!(parse(&text).unwrap_err().code(), "invalid_record");
    // A finite time beyond what a JS Date can hold (8.64e15 ms) would make the host's ISO
    // formatting throw: refused here with the field named, like any other bad number.
    for field in ["updatedAt", "nextRecoveryAt", "resetWaitMs"] {
        let mut v = to_json(&fresh());
        v[field] = 1e300.into();
        rejects(v, field);
    }
    let mut v = to_json(&fresh());
    v["updatedAt"] = 8.64e15.into();
    assert!(parse(&v.to_string()).is_ok(), "the last time a Date holds is still a time");
}

#[test]
fn rejects_a_spec_that_would_not_validate_today() {
    let mut v = to_json(&fresh());
    v["spec"]["name"] = "../etc".into();
    rejects(v, "task name");
    let mut v = to_json(&fresh());
    v["spec"]["projectDir"] = "relative/dir".into();
    rejects(v, "spec");
    let mut v = to_json(&fresh());
    v["session"] = "claude-other".into();
    rejects(v, "session");
}

#[test]
fn rejects_unsafe_ids_and_paths() {
    let mut v = to_json(&fresh());
    v["agentSessionId"] = "--last".into();
    rejects(v, "agentSessionId");
    let mut v = to_json(&fresh());
    v["paneId"] = "=evil:".into();
    rejects(v, "paneId");
    let mut v = to_json(&fresh());
    v["taskDir"] = "tasks/x".into();
    rejects(v, "taskDir");
    let mut v = to_json(&fresh());
    v["taskDir"] = "/state/x\ny".into();
    rejects(v, "taskDir");
}

#[test]
fn rejects_inconsistent_states() {
    let mut v = to_json(&fresh());
    v["state"] = "failed".into();
    rejects(v, "failure");
    let mut v = to_json(&fresh());
    v["gaveUp"] = true.into();
    rejects(v, "gaveUp");
    let mut v = to_json(&fresh());
    v["state"] = "recovering".into();
    v["runRequestedAt"] = serde_json::Value::Null;
    rejects(v, "recovering");
}

#[test]
fn the_default_config_is_valid_and_bad_ones_are_not() {
    use resilient_coding_agent::monitor::MonitorConfig;
    MonitorConfig::default().validate().unwrap();
    let c = MonitorConfig { poll_ms: f64::NAN, ..Default::default() };
    assert_eq!(c.validate().unwrap_err().code(), "invalid_config");
    let c = MonitorConfig { recovery_max_delay_ms: 1.0, ..Default::default() };
    assert_eq!(c.validate().unwrap_err().code(), "invalid_config");
    let c = MonitorConfig { capture_lines: 0, ..Default::default() };
    assert_eq!(c.validate().unwrap_err().code(), "invalid_config");
    let partial: MonitorConfig = serde_json::from_str(r#"{"pollMs": 500}"#).unwrap();
    assert_eq!(partial.poll_ms, 500.0);
    assert_eq!(partial.recovery_base_delay_ms, 180_000.0);
    assert!(serde_json::from_str::<MonitorConfig>(r#"{"polMs": 500}"#).is_err());
}

#[test]
fn records_of_older_versions_without_identity_or_clock_anchor_still_read() {
    let mut v = to_json(&running());
    let o = v.as_object_mut().unwrap();
    o.remove("projectIdentity");
    o.remove("clockAnchor");
    let r = parse(&v.to_string()).unwrap();
    assert_eq!(r.project_identity, None);
    assert_eq!(r.clock_anchor, None);
}

#[test]
fn rejects_a_malformed_project_identity_or_clock_anchor() {
    let base = to_json(&running());
    let with = |key: &str, value: serde_json::Value| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().insert(key.into(), value);
        v
    };
    let ok = serde_json::json!({ "realPath": "/src/app", "dev": "2049", "ino": "18446744073709551615" });
    assert!(parse(&with("projectIdentity", ok).to_string()).is_ok());
    rejects(with("projectIdentity", serde_json::json!({ "realPath": "src/app", "dev": "1", "ino": "2" })), "projectIdentity");
    rejects(with("projectIdentity", serde_json::json!({ "realPath": "/a", "dev": "-1", "ino": "2" })), "projectIdentity");
    rejects(with("projectIdentity", serde_json::json!({ "realPath": "/a", "dev": "1", "ino": 2 })), "expected a string");
    rejects(with("clockAnchor", serde_json::json!({ "clock": "", "wall": 1, "mono": 2 })), "clockAnchor");
    rejects(with("clockAnchor", serde_json::json!({ "clock": "boot:x", "wall": -1, "mono": 2 })), "clockAnchor");
}
