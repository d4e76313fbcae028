//! A task whose project directory vanished fails with `project_dir_missing`: fatal, announced
//! once, never resumed anywhere else. Two routes lead there: the host's check before a recovery
//! (`project_dir_missing`), and the wrapper's own check (it ran no agent and said so).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::classify::{classify_exit, ExitFacts, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass, TaskState};
use resilient_coding_agent::monitor::{manual_resume, project_dir_missing, step, EventKind};
use resilient_coding_agent::wrapper::{PROJECT_DIR_MISSING_LINE, PROJECT_DIR_MISSING_STATUS, WRAPPER_SCRIPT};

fn wrapper_said_so(status: i32, stderr: &str) -> ExitFacts {
    ExitFacts { exit_status: Some(status), stderr_tail: stderr.into(), ..ExitFacts::default() }
}

#[test]
fn the_wrapper_prints_the_line_the_classifier_reads() {
    assert!(WRAPPER_SCRIPT.contains(PROJECT_DIR_MISSING_LINE));
    assert!(WRAPPER_SCRIPT.contains(&format!("exit {PROJECT_DIR_MISSING_STATUS}'")));
    assert!(WRAPPER_SCRIPT.contains("p=$RCA_PROJECT_DIR") && WRAPPER_SCRIPT.contains(r#"cd -P -- "$p""#));
}

#[test]
fn the_wrappers_status_and_line_classify_as_project_dir_missing() {
    for agent in AgentKind::ALL {
        let out = classify_exit(agent, &wrapper_said_so(125, &format!("{PROJECT_DIR_MISSING_LINE}\n")));
        let Outcome::Failed { failure } = out else { panic!("{agent:?}: {out:?}") };
        assert_eq!(failure.class, FailureClass::ProjectDirMissing, "{agent:?}");
        assert!(!failure.class.is_retryable());
    }
    // Either alone is not enough: an agent may exit 125 for its own reasons.
    let Outcome::Failed { failure } = classify_exit(AgentKind::Codex, &wrapper_said_so(125, "boom\n")) else { panic!() };
    assert_eq!(failure.class, FailureClass::Crash);
    let Outcome::Failed { failure } = classify_exit(AgentKind::Codex, &wrapper_said_so(1, PROJECT_DIR_MISSING_LINE)) else { panic!() };
    assert_ne!(failure.class, FailureClass::ProjectDirMissing);
}

#[test]
fn a_run_the_wrapper_refused_fails_the_task_for_good() {
    let rec = running();
    let mut o = dead(&rec, T0 + MIN, 125, "");
    o.stderr_tail = format!("{PROJECT_DIR_MISSING_LINE}\n");
    let out = drive(&rec, &o, &cfg(), "");
    assert!(recovers(&out).is_empty());
    assert_eq!(events(&out), vec![EventKind::Failed]);
    assert_eq!(out.record.state, TaskState::Failed);
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::ProjectDirMissing));
    // Re-observed: nothing more.
    let again = drive(&out.record, &o, &cfg(), "");
    assert!(again.actions.is_empty());
}

#[test]
fn the_hosts_check_before_a_recovery_fails_the_task_once() {
    let rec = running();
    let out = drive(&rec, &dead(&rec, T0 + MIN, 1, ""), &cfg(), "");
    assert_eq!(recovers(&out).len(), 1);
    assert_eq!(out.record.attempts, 2);
    // Instead of running attempt 2, the host found the directory gone.
    let why = "project directory /src/app is missing or not a directory";
    let failed = project_dir_missing(&out.record, why, T0 + MIN + 1.0).unwrap();
    assert_eq!(events(&failed), vec![EventKind::Failed]);
    let r = &failed.record;
    assert_eq!(r.state, TaskState::Failed);
    assert_eq!(r.attempts, 1, "attempt 2 never ran");
    assert_eq!(r.failure.as_ref().map(|f| f.class), Some(FailureClass::ProjectDirMissing));
    assert_eq!(r.failure.as_ref().map(|f| f.evidence.as_str()), Some(why));
    assert_eq!(r.next_recovery_at, None);
    assert_eq!(r.run_requested_at, None);
    // Final: stepping again does nothing, a second report changes nothing and says nothing.
    let o = step(r, &missing(r, T0 + 2.0 * MIN), &cfg());
    assert!(o.actions.is_empty());
    let twice = project_dir_missing(r, why, T0 + 3.0 * MIN).unwrap();
    assert!(twice.actions.is_empty());
    assert_eq!(&twice.record, r);
    // A person may resume it (after restoring the directory); the host checks again then.
    assert!(manual_resume(r, T0 + 4.0 * MIN).is_ok());
    assert!(project_dir_missing(r, why, f64::NAN).is_err());
}

#[test]
fn a_refused_recovery_fails_the_task_with_its_class_once() {
    use resilient_coding_agent::monitor::recovery_refused;
    let rec = running();
    let out = drive(&rec, &dead(&rec, T0 + MIN, 1, ""), &cfg(), "");
    assert_eq!(recovers(&out).len(), 1);
    // Instead of running attempt 2, the host found host.json open to others.
    let why = "host.json cannot be read safely; the task is not resumed from it";
    let failed = recovery_refused(&out.record, FailureClass::TaskFileUnsafe, why, T0 + MIN + 1.0).unwrap();
    assert_eq!(events(&failed), vec![EventKind::Failed]);
    let r = &failed.record;
    assert_eq!(r.state, TaskState::Failed);
    assert_eq!(r.attempts, 1, "attempt 2 never ran");
    assert_eq!(r.failure.as_ref().map(|f| f.class), Some(FailureClass::TaskFileUnsafe));
    // Final now: refusing again changes nothing and announces nothing.
    let twice = recovery_refused(r, FailureClass::TaskFileUnsafe, why, T0 + 2.0 * MIN).unwrap();
    assert!(twice.actions.is_empty());
    // Only the two refusal classes are accepted.
    assert!(recovery_refused(&out.record, FailureClass::Crash, "x", T0 + MIN + 1.0).is_err());
}
