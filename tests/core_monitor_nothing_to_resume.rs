//! A resume the agent refuses because its conversation holds nothing (profile data
//! `nothing_to_resume`: Gemini's "Invalid session identifier" after a failed first call) starts
//! the task again with its original prompt under a fresh preset id, at once, announced once, at
//! most once per chain of failures; every other agent, and a second time, fails as before.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::conversation::{choose_recovery, RecoveryKind};
use resilient_coding_agent::model::{AgentKind, Autonomy, FailureClass, TaskSpec, TaskState};
use resilient_coding_agent::monitor::{manual_resume, Action, EventKind, Observation, TaskEvent};
use resilient_coding_agent::record::{new_record, validate_record, TaskRecord};

const GEMINI_429: &str = include_str!("fixtures/agent-output/gemini/gm-429-sjson.stdout");
const GEMINI_NO_SESSION: &str = include_str!("fixtures/agent-output/gemini/gm-resume-missing.stderr");
const GEMINI_OK: &str = include_str!("fixtures/agent-output/gemini/gm-ok-sjson.stdout");
const FIRST_ID: &str = "11111111-2222-4333-8444-555555555555";
const FRESH_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

fn gemini_running() -> TaskRecord {
    let spec = TaskSpec {
        agent: AgentKind::Gemini,
        name: "first-call".into(),
        project_dir: "/src/app".into(),
        model: None,
        autonomy: Autonomy::Sandboxed,
    };
    let rec = new_record(&spec, "/state/tasks/g1", Some(FIRST_ID.into()), T0);
    let out = drive(&rec, &alive(&rec, T0 + SEC), &cfg(), "");
    assert_eq!(out.record.state, TaskState::Running);
    out.record
}

/// Attempt `rec.attempts` ended with `status`, its stdout ending `events`, its stderr `stderr`;
/// the host offers `fresh` as a new id.
fn ended(rec: &TaskRecord, now: f64, status: i32, events: &str, stderr: &str, fresh: Option<&str>) -> Observation {
    let mut o = dead(rec, now, status, events);
    o.stderr_tail = stderr.into();
    o.fresh_session_id = fresh.map(str::to_string);
    o
}

fn announced(out: &resilient_coding_agent::monitor::StepOutput) -> Vec<TaskEvent> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Announce { event } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// The first call fails with a 429 (recovery 2 issued); returns the record with attempt 2 running.
fn resumed_after_429() -> TaskRecord {
    let rec = gemini_running();
    let out = drive(&rec, &ended(&rec, T0 + MIN, 173, GEMINI_429, "", Some(FRESH_ID)), &cfg(), "");
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::RateLimit));
    // It names its own retry time (1 s + the margin): the recovery is issued then.
    let due = out.record.next_recovery_at.expect("a recovery is scheduled");
    let out = drive(&out.record, &ended(&out.record, due, 173, GEMINI_429, "", Some(FRESH_ID)), &cfg(), "");
    assert_eq!(recovers(&out).len(), 1, "{:?}", out.actions);
    let rec = out.record;
    assert_eq!(rec.attempts, 2);
    // The host's choice for attempt 2: a resume of the recorded (preset) session.
    let choice = choose_recovery(&rec, true, T0 + MIN);
    assert_eq!(choice.kind, RecoveryKind::Resume);
    assert_eq!(choice.record.agent_session_id.as_deref(), Some(FIRST_ID));
    rec
}

#[test]
fn a_refused_resume_starts_again_under_a_fresh_id() {
    let rec = resumed_after_429();
    let now = T0 + 2.0 * MIN;
    // The resume exits 42: "Error resuming session: Invalid session identifier …".
    let out = drive(&rec, &ended(&rec, now, 42, "", GEMINI_NO_SESSION, Some(FRESH_ID)), &cfg(), "");
    let r = &out.record;
    assert_eq!(r.state, TaskState::Recovering);
    assert_eq!(recovers(&out).iter().map(|(_, n)| *n).collect::<Vec<_>>(), vec![3], "recovered at once: {:?}", out.actions);
    assert_eq!(r.attempts, 3);
    assert_eq!(r.agent_session_id.as_deref(), Some(FRESH_ID), "the fresh preset id is recorded");
    let fr = r.fresh_restart.as_ref().expect("the restart is recorded");
    assert_eq!((fr.from_session_id.as_str(), fr.attempt), (FIRST_ID, 3));
    // Not a failure of the agent: no count, no backoff; the failure shown is still the 429.
    assert_eq!(r.consecutive_failures, rec.consecutive_failures);
    assert_eq!(r.failure.as_ref().map(|f| f.class), Some(FailureClass::RateLimit));
    validate_record(r).expect("a valid record");

    // Announced once, naming both sessions.
    let evs = announced(&out);
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(evs[0].kind, EventKind::Recovering);
    assert!(
        evs[0].message.contains(&format!("nothing to resume in session {FIRST_ID}; starting again as {FRESH_ID}")),
        "{}",
        evs[0].message
    );

    // The host's choice for attempt 3: a fresh start (original prompt), under the fresh id,
    // although the conversation probe (none for Gemini) says "saved".
    let choice = choose_recovery(r, true, now);
    assert_eq!(choice.kind, RecoveryKind::FreshStart);
    assert_eq!(choice.record, *r);

    // The new run is seen and completes: the id stays the fresh one.
    let out = drive(r, &alive(r, now + SEC), &cfg(), "");
    assert_eq!(events(&out), vec![EventKind::Resumed]);
    let r = out.record;
    let out = drive(&r, &ended(&r, now + MIN, 0, GEMINI_OK, "", Some(FRESH_ID)), &cfg(), "");
    assert_eq!(out.record.state, TaskState::Completed, "{:?}", out.record.failure);
    assert_eq!(out.record.agent_session_id.as_deref(), Some(FRESH_ID));
}

#[test]
fn at_most_once_per_chain_of_failures() {
    let rec = resumed_after_429();
    let now = T0 + 2.0 * MIN;
    let out = drive(&rec, &ended(&rec, now, 42, "", GEMINI_NO_SESSION, Some(FRESH_ID)), &cfg(), "");
    // Attempt 3 (the fresh start) hits the 429 again, is retried by resuming, and that resume
    // is refused too: the task fails as the text says instead of looping.
    let r = drive(&out.record, &alive(&out.record, now + SEC), &cfg(), "").record;
    let out = drive(&r, &ended(&r, now + 2.0 * SEC, 173, GEMINI_429, "", Some(FRESH_ID)), &cfg(), "");
    assert_eq!(out.record.state, TaskState::Recovering);
    let due = out.record.next_recovery_at.expect("a recovery is scheduled");
    let out = drive(&out.record, &missing(&out.record, due), &cfg(), "");
    let r = out.record;
    assert_eq!(r.attempts, 4);
    assert_eq!(choose_recovery(&r, true, due).kind, RecoveryKind::Resume, "attempt 4 resumes the fresh session");
    let other = "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    let out = drive(&r, &ended(&r, due + SEC, 42, "", GEMINI_NO_SESSION, Some(other)), &cfg(), "");
    assert_eq!(out.record.state, TaskState::Failed);
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::BadInvocation));
    assert!(recovers(&out).is_empty());
    assert_eq!(out.record.agent_session_id.as_deref(), Some(FRESH_ID));

    // A person's resume opens a new chain: the next refusal may start again once more.
    let again = manual_resume(&out.record, due + MIN).expect("resumable");
    assert!(again.record.fresh_restart.is_none());
}

#[test]
fn without_a_fresh_id_offered_it_fails_as_before() {
    let rec = resumed_after_429();
    for fresh in [None, Some("not-a-uuid"), Some(FIRST_ID)] {
        let out = drive(&rec, &ended(&rec, T0 + 2.0 * MIN, 42, "", GEMINI_NO_SESSION, fresh), &cfg(), "");
        assert_eq!(out.record.state, TaskState::Failed, "{fresh:?}");
        assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::BadInvocation));
        assert!(out.record.fresh_restart.is_none());
    }
}

#[test]
fn the_first_run_is_never_taken_for_a_refused_resume() {
    // The text on attempt 1 (a start, not a resume) is just a failure.
    let rec = gemini_running();
    let out = drive(&rec, &ended(&rec, T0 + MIN, 42, "", GEMINI_NO_SESSION, Some(FRESH_ID)), &cfg(), "");
    assert_eq!(out.record.state, TaskState::Failed);
    assert!(out.record.fresh_restart.is_none());
}

#[test]
fn agents_without_the_data_keep_their_failure() {
    // Codex lists no nothing-to-resume text: its "no rollout found" may mean a conversation
    // that recorded work is gone, so a restart would redo it silently.
    let rec = running();
    let out = drive(&rec, &dead(&rec, T0 + MIN, 1, CODEX_429), &cfg(), "");
    let r = drive(&out.record, &missing(&out.record, T0 + MIN), &cfg(), "").record;
    let mut r = r;
    r.agent_session_id = Some("019a0000-0000-7000-8000-000000000000".into());
    let mut o = dead(&r, T0 + 2.0 * MIN, 1, "");
    o.stderr_tail = "Error: thread/resume: no rollout found for thread id 019a0000-0000-7000-8000-000000000000\n".into();
    o.fresh_session_id = Some(FRESH_ID.into());
    let out = drive(&r, &o, &cfg(), "");
    assert!(out.record.fresh_restart.is_none());
    assert_ne!(out.record.agent_session_id, None);
}

#[test]
fn a_record_with_a_bad_fresh_restart_is_invalid() {
    let mut rec = gemini_running();
    rec.fresh_restart = Some(resilient_coding_agent::fresh_restart::FreshRestart { from_session_id: "x".into(), attempt: 2 });
    assert!(validate_record(&rec).is_err());
    rec.fresh_restart = Some(resilient_coding_agent::fresh_restart::FreshRestart { from_session_id: FIRST_ID.into(), attempt: 9 });
    assert!(validate_record(&rec).is_err());
    rec.fresh_restart = Some(resilient_coding_agent::fresh_restart::FreshRestart { from_session_id: FIRST_ID.into(), attempt: 2 });
    validate_record(&rec).expect("attempt 2 may be the one to come");
}

#[test]
fn the_text_counts_only_as_the_clis_own_whole_stderr_line() {
    // A model can print anything into its event stream or the pane, or make a tool print it
    // inside a longer line: none of that may throw the conversation away.
    let rec = resumed_after_429();
    let now = T0 + 2.0 * MIN;
    let quoted = format!("{{\"type\":\"message\",\"role\":\"assistant\",\"content\":{:?}}}\n", GEMINI_NO_SESSION.trim());
    let out = drive(&rec, &ended(&rec, now, 42, &quoted, "", Some(FRESH_ID)), &cfg(), "");
    assert!(out.record.fresh_restart.is_none(), "a model's text in the event stream started it again");
    assert_eq!(out.record.agent_session_id.as_deref(), Some(FIRST_ID));
    let inside = format!("tool output: {}", GEMINI_NO_SESSION.trim());
    let out = drive(&rec, &ended(&rec, now, 42, "", &inside, Some(FRESH_ID)), &cfg(), "");
    assert!(out.record.fresh_restart.is_none(), "a quoted text inside a longer stderr line started it again");
}
