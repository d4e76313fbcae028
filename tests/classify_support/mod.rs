//! Shared by the `core_classify_<agent>` tests: real captured runs as `ExitFacts`, and the
//! assertions every failure must meet (a class, one short line of evidence).
#![allow(dead_code)] // each test file uses a different subset

use resilient_coding_agent::classify::{classify_exit, ExitFacts, Outcome};
use resilient_coding_agent::model::{AgentKind, Failure, FailureClass};

/// `(stdout, stderr)` of the captured run `name` of `agent` in `tests/fixtures/agent-output/`
/// (`include_str!` resolves the path from the test file that uses the macro).
macro_rules! case {
    ($agent:literal, $name:literal) => {
        (
            include_str!(concat!("fixtures/agent-output/", $agent, "/", $name, ".stdout")),
            include_str!(concat!("fixtures/agent-output/", $agent, "/", $name, ".stderr")),
        )
    };
}

/// The exit status of a captured run (`None` for a run stopped from outside).
macro_rules! exit_of {
    ($agent:literal, $name:literal) => {
        include_str!(concat!("fixtures/agent-output/", $agent, "/", $name, ".exit")).trim().parse::<i32>().ok()
    };
}

/// What the host would gather from a run that printed `stdout` and `stderr`.
pub fn facts((stdout, stderr): (&str, &str), exit: Option<i32>) -> ExitFacts {
    ExitFacts {
        exit_status: exit,
        signal: None,
        events_tail: stdout.to_string(),
        stderr_tail: stderr.to_string(),
        // The pane shows both streams (the wrapper tees them).
        pane_tail: format!("{stderr}{stdout}"),
    }
}

/// The failure of a run that must have failed.
pub fn failure(agent: AgentKind, f: &ExitFacts) -> Failure {
    match classify_exit(agent, f) {
        Outcome::Failed { failure } => failure,
        Outcome::Completed => panic!("expected a failure, got completed"),
    }
}

/// The class, and evidence that names the cause in one line of at most 300 characters.
pub fn assert_class(f: &Failure, class: FailureClass, evidence_has: &str) {
    assert_eq!(f.class, class, "evidence was {:?}", f.evidence);
    assert!(f.evidence.contains(evidence_has), "evidence {:?} lacks {evidence_has:?}", f.evidence);
    assert!(f.evidence.chars().count() <= 300);
    assert!(!f.evidence.contains('\n'));
}
