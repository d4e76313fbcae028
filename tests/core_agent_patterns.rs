//! An operator's profile adds retry lines and reset-time forms the same way it adds failure
//! texts (`retry`, `reset`: keywords + regex), checked with errors that name the field.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::agents::set_operator_agents_json;
use resilient_coding_agent::classify::{classify_exit, classify_live, ExitFacts, LiveVerdict, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass, ResetHint};

/// A CLI that prints its own retry line ("~ backing off (3/10)") and its own reset form
/// ("quota refills at 14h05").
const QUILL: &str = r#"{ "quill7": {
  "program": "quill",
  "start": ["run", "--json", "{autonomy}", "{model}"],
  "resume": ["run", "--json", "{autonomy}", "{model}", "--thread", "{session_id}"],
  "prompt": "stdin",
  "model": { "flag": "--model" },
  "autonomy": { "sandboxed": ["--safe"], "full": ["--yolo"] },
  "sandbox": "permissions",
  "session_id": { "source": "from_events", "events": [{ "type": "hello", "field": "thread" }], "format": "uuid" },
  "events": { "jsonl": { "rules": [{ "when": { "type": "done" }, "outcome": "success" }], "unfinished": "no done event" } },
  "failure": { "usage_limit": [{ "keywords": ["quota"], "regex": "(?i)quota (?:is )?spent" }] },
  "retry": [{ "keywords": ["backing off"], "regex": "^~ backing off \\(\\d+/\\d+\\)" }],
  "reset": [{ "keywords": ["refills at"], "regex": "(?i)refills at (?P<hour>\\d{1,2})h(?P<minute>\\d{2})" }]
} }"#;

#[test]
fn an_operator_profile_adds_retry_lines_and_reset_forms() {
    set_operator_agents_json(QUILL).unwrap();
    let quill = AgentKind::parse("quill7").expect("registered");
    let pane = "~ backing off (1/10)\n~ backing off (2/10)\n~ backing off (3/10)\n";
    match classify_live(quill, pane) {
        LiveVerdict::RetryLoop { evidence } => assert_eq!(evidence, "~ backing off (3/10)"),
        other => panic!("{other:?}"),
    }
    // The line is this agent's: another agent's pane with it is still working.
    assert_eq!(classify_live(AgentKind::Codex, pane), LiveVerdict::Working);

    let facts = ExitFacts { exit_status: Some(1), stderr_tail: "error: quota spent; quota refills at 14h05\n".into(), ..Default::default() };
    match classify_exit(quill, &facts) {
        Outcome::Failed { failure } => {
            assert_eq!(failure.class, FailureClass::UsageLimit);
            assert_eq!(failure.reset, Some(ResetHint::ClockTime { hour: 14, minute: 5, zone: None }));
        }
        other => panic!("{other:?}"),
    }
    // The shared forms still apply to it, after its own.
    let facts = ExitFacts { exit_status: Some(1), stderr_tail: "error: quota spent, try again in 20 minutes\n".into(), ..Default::default() };
    match classify_exit(quill, &facts) {
        Outcome::Failed { failure } => assert_eq!(failure.reset, Some(ResetHint::After { ms: 1_200_000 })),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_retry_lines_and_reset_forms_are_refused_naming_the_field() {
    let cases = [
        (QUILL.replace("[\"backing off\"]", "[]"), "agents.quill7.retry[0].keywords"),
        (QUILL.replace("^~ backing off \\\\(", "^~ backing off ("), "agents.quill7.retry[0]: regex parse error"),
        (QUILL.replace("(?P<minute>", "(?P<minutes>"), "agents.quill7.reset[0]: unknown capture name \"minutes\""),
        (QUILL.replace("(?P<hour>", "(?P<amount>"), "agents.quill7.reset[0]: capture either"),
        (QUILL.replace("(?P<hour>\\\\d{1,2})", "(\\\\d{1,2})"), "agents.quill7.reset[0]: capture either"),
        (QUILL.replace("\"reset\"", "\"resets\""), "agents.quill7: unknown field `resets`"),
    ];
    for (json, want) in cases {
        assert_ne!(json, QUILL, "the case must change the profile ({want})");
        let err = set_operator_agents_json(&json).expect_err(want);
        assert_eq!(err.code(), "invalid_agent_profile");
        assert!(err.to_string().contains(want), "{err} (wanted {want})");
    }
}

#[test]
fn built_in_retry_lines_are_their_agents_own() {
    // Claude's stream-json retry event is in agents/claude.json, Pi's in agents/pi.json.
    let claude = "{\"type\":\"system\",\"subtype\":\"api_retry\",\"attempt\":1,\"error_status\":529}\n".repeat(3);
    assert!(matches!(classify_live(AgentKind::Claude, &claude), LiveVerdict::RetryLoop { .. }));
    assert_eq!(classify_live(AgentKind::Pi, &claude), LiveVerdict::Working);
    let pi = "{\"type\":\"auto_retry_start\",\"attempt\":1}\n".repeat(3);
    assert!(matches!(classify_live(AgentKind::Pi, &pi), LiveVerdict::RetryLoop { .. }));
    assert_eq!(classify_live(AgentKind::Claude, &pi), LiveVerdict::Working);
}
