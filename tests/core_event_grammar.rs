//! An event grammar is data: an operator describes a CLI's JSONL stream (one not built in)
//! with rules, and the one generic reader classifies its runs; a bad grammar is refused naming
//! the field.

use resilient_coding_agent::agents::set_operator_agents_json;
use resilient_coding_agent::classify::{classify_exit, ExitFacts, Outcome};
use resilient_coding_agent::model::{AgentKind, FailureClass};

/// A made-up CLI: `{"kind":"hello"}`, `{"kind":"step","state":…}`, retries as
/// `{"kind":"wobble","note":…}`, failures as `{"kind":"fail","problem":{"code":429,"text":…}}`,
/// and `{"kind":"bye","ok":true}` at the end of a good run.
const ACME: &str = r#"{ "acme": {
  "program": "acme",
  "start": ["run", "--jsonl", "{autonomy}", "{model}"],
  "resume": ["run", "--jsonl", "--again", "{session_id}", "{autonomy}", "{model}"],
  "prompt": "stdin",
  "model": { "flag": "--llm" },
  "autonomy": { "sandboxed": [], "full": ["--all"] },
  "sandbox": "permissions",
  "session_id": { "source": "from_events", "events": [{ "type": "hello", "field": "conv" }],
                  "format": { "pattern": "^ac-[0-9]{4}$", "hint": "expected ac- and 4 digits" } },
  "events": { "jsonl": {
    "rules": [
      { "when": { "kind": "bye", "ok": true }, "outcome": "success" },
      { "when": { "kind": "bye" }, "outcome": "failure", "error": ["{why}", "bye without ok"] },
      { "when": { "kind": "fail" }, "outcome": "failure", "sticky": true,
        "error": ["{problem.text} ({problem.where|somewhere})"], "status": "problem.code", "raw": "problem.headers" },
      { "when": { "kind": "wobble", "note": { "present": true } }, "retry": ["retrying: {note}"] },
      { "when": { "kind": "step" }, "outcome": "pending", "reason": "state" },
      { "when": { "kind": ["hello", "wobble"] } }
    ],
    "unfinished": "no bye event",
    "unfinished_reason": "last step state {reason}"
  } }
} }"#;

fn acme() -> AgentKind {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| set_operator_agents_json(ACME).expect("the acme profile is valid"));
    AgentKind::parse("acme").expect("registered")
}

fn run(events: &str, exit: i32) -> Outcome {
    classify_exit(acme(), &ExitFacts { exit_status: Some(exit), events_tail: events.to_string(), ..Default::default() })
}

fn failure(events: &str, exit: i32) -> resilient_coding_agent::model::Failure {
    match run(events, exit) {
        Outcome::Failed { failure } => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn an_operator_jsonl_grammar_reads_success_from_the_final_event_not_the_exit_status() {
    let ok = "{\"kind\":\"hello\",\"conv\":\"ac-1234\"}\n{\"kind\":\"step\",\"state\":\"thinking\"}\n{\"kind\":\"bye\",\"ok\":true}\n";
    assert_eq!(run(ok, 0), Outcome::Completed);
    assert_eq!(run(ok, 1), Outcome::Completed, "the final event wins over a lying exit status");
    let f = failure("{\"kind\":\"hello\"}\n{\"kind\":\"bye\",\"ok\":false,\"why\":\"gave up: context window exceeded\"}\n", 0);
    assert_eq!(f.class, FailureClass::ContextOverflow, "{f:?}");
    assert_eq!(f.evidence, "gave up: context window exceeded");
}

#[test]
fn a_failure_event_gives_text_status_and_reset_and_is_sticky() {
    let events = "{\"kind\":\"hello\"}\n{\"kind\":\"fail\",\"problem\":{\"code\":429,\"text\":\"slow down\",\"headers\":{\"retry-after\":\"120\"}}}\n{\"kind\":\"bye\",\"ok\":true}\n";
    let f = failure(events, 1);
    assert_eq!(f.class, FailureClass::RateLimit, "the status field says 429: {f:?}");
    assert_eq!(f.evidence, "slow down (somewhere)");
    assert!(f.reset.is_some(), "retry-after in the raw headers: {f:?}");
}

#[test]
fn retries_explain_a_killed_run_and_a_pending_step_explains_an_unfinished_one() {
    let f = failure("{\"kind\":\"hello\"}\n{\"kind\":\"wobble\",\"note\":\"503 Service Unavailable\"}\n{\"kind\":\"wobble\"}\n", 143);
    assert_eq!(f.class, FailureClass::RateLimit, "{f:?}");
    assert_eq!(f.evidence, "retrying: 503 Service Unavailable");
    let f = failure("{\"kind\":\"hello\"}\n{\"kind\":\"step\",\"state\":\"tool-calls\"}\n", 0);
    assert_eq!(f.class, FailureClass::Crash);
    assert_eq!(f.evidence, "exit status 0 before the run finished (last step state \"tool-calls\")");
    let f = failure("{\"kind\":\"hello\"}\n", 0);
    assert_eq!(f.evidence, "exit status 0 before the run finished (no bye event)");
    // Lines no rule fits are not this CLI's events: a run that printed only those is a text-mode
    // answer, and its exit status tells.
    assert_eq!(run("{\"other\":1}\nplain words\n", 0), Outcome::Completed);
}

#[test]
fn a_bad_grammar_is_refused_naming_the_field() {
    acme();
    let cases = [
        (ACME.replace("{ \"kind\": \"bye\", \"ok\": true }", "{ \"kind\": { \"is\": \"bye\" } }"), "agents.acme.events.jsonl.rules[0].when.kind: expected a string"),
        (ACME.replace("{ \"kind\": \"step\" }", "{}"), "agents.acme.events.jsonl.rules[4].when: an empty selector"),
        (ACME.replace("\"retry\": [\"retrying: {note}\"]", "\"retry\": [\"retrying: {note\"]"), "agents.acme.events.jsonl.rules[3].retry[0]: unclosed {"),
        (ACME.replace("\"outcome\": \"pending\", \"reason\": \"state\"", "\"error\": [\"x\"]"), "agents.acme.events.jsonl.rules[4].error: error texts are read only for \"outcome\": \"failure\""),
        (ACME.replace("\"status\": \"problem.code\"", "\"status\": \"problem..code\""), "agents.acme.events.jsonl.rules[2].status: \"problem..code\" is not a field path"),
        (ACME.replace("\"last step state {reason}\"", "\"last step state\""), "agents.acme.events.jsonl.unfinished_reason: must contain {reason}"),
        (ACME.replace("\"outcome\": \"pending\"", "\"outcome\": \"maybe\""), "agents.acme: unknown variant `maybe`"),
        (ACME.replace("\"sticky\": true", "\"stiky\": true"), "agents.acme: unknown field `stiky`"),
    ];
    for (json, want) in cases {
        assert_ne!(json, ACME, "the case must change the profile: {want}");
        let err = set_operator_agents_json(&json).unwrap_err();
        assert_eq!(err.code(), "invalid_agent_profile");
        assert!(err.to_string().contains(want), "{err} (wanted {want})");
    }
    // A refused set changes nothing: acme still reads its events.
    assert_eq!(run("{\"kind\":\"bye\",\"ok\":true}\n", 0), Outcome::Completed);
}
