//! A profile adopted from an existing task's host.json: the task's records, specs and plans
//! resolve with it in a process whose configuration does not define the agent, but a NEW task
//! never gets it (the configuration is the only source of policy for new tasks). Own test
//! binary: the registry is per process.

use resilient_coding_agent::agents::{adopt_task_profile_json, find, find_for_new_task, is_adopted, names};
use resilient_coding_agent::model::AgentKind;
use resilient_coding_agent::spec::{validate_spec, TaskSpecInput};

const PROFILE: &str = r#"{
  "program": "qcli",
  "start": ["go", "{autonomy}", "--id", "{session_id}"],
  "resume": ["go", "{autonomy}", "--again", "{session_id}"],
  "prompt": "stdin",
  "model": { "flag": "--m" },
  "autonomy": { "sandboxed": ["--safe"], "full": ["--yolo"] },
  "sandbox": "permissions",
  "session_id": { "source": "preset", "format": "uuid" },
  "events": { "lines": { "success": "^ok$" } }
}"#;

#[test]
fn an_adopted_profile_serves_existing_tasks_only() {
    assert!(find("qagent").is_none());
    assert!(adopt_task_profile_json("qagent", PROFILE).expect("a valid profile"));
    // Existing tasks: records and specs read with it.
    let p = find("qagent").expect("found for existing tasks");
    assert_eq!(p.program.as_deref(), Some("qcli"));
    assert!(AgentKind::parse("qagent").is_some());
    assert!(is_adopted("qagent"));
    // New tasks: not an agent of this configuration.
    assert!(find_for_new_task("qagent").is_none());
    assert!(!names().contains(&"qagent"), "not listed as usable");
    let input = TaskSpecInput { agent: "qagent".into(), name: "x".into(), project_dir: "/src/app".into(), model: None, autonomy: None };
    let err = validate_spec(&input).expect_err("a new task is refused");
    assert_eq!(err.code(), "invalid_agent");
    // Adopting again (or a name that already has a profile) changes nothing.
    assert!(!adopt_task_profile_json("qagent", PROFILE).unwrap());
    assert!(!adopt_task_profile_json("codex", PROFILE).unwrap());
    assert!(!is_adopted("codex"));
}

#[test]
fn a_bad_adopted_profile_is_refused_naming_the_field() {
    let bad = PROFILE.replace("\"^ok$\"", "\"^ok($\"");
    let err = adopt_task_profile_json("qbroken", &bad).expect_err("refused");
    assert_eq!(err.code(), "invalid_agent_profile");
    assert!(err.to_string().contains("agents.qbroken.events.lines.success"), "{err}");
    assert!(find("qbroken").is_none());
    assert_eq!(adopt_task_profile_json("Bad Name", PROFILE).expect_err("bad name").code(), "invalid_agent_profile");
}
