//! The agent registry: built-in profiles are data files, an operator adds or overrides agents
//! with the same JSON shape, and every profile is checked with errors that name the field.

use resilient_coding_agent::agents::{names, parse_built_in, set_operator_agents_json};
use resilient_coding_agent::model::AgentKind;
use resilient_coding_agent::plan::{plan_start, HostContext};
use resilient_coding_agent::profiles::profile;
use resilient_coding_agent::session_id::{extract_session_id, validate_session_id};
use resilient_coding_agent::spec::{parse_session, validate_spec, TaskSpecInput};

/// A CLI that is not built in: its own flags, its id printed as `{"event":"hello","conv":…}`.
const ZED: &str = r#"{ "zed9": {
  "program": "zedcli",
  "cli": { "package": "zedcli", "verified_version": "1.0.0", "min_version": "1.0.0", "version_args": ["--version"],
           "help": [{ "args": ["go", "--help"], "flags": ["--json", "--llm", "--continue-conversation"] }] },
  "start": ["go", "--json", "{autonomy}", "{model}"],
  "resume": ["go", "--json", "{autonomy}", "{model}", "--continue-conversation", "{session_id}"],
  "prompt": "stdin",
  "model": { "flag": "--llm" },
  "autonomy": { "sandboxed": ["--safe"], "full": ["--yolo"] },
  "sandbox": "permissions",
  "credential_env": ["ZED_TOKEN"],
  "session_id": { "source": "from_events", "events": [{ "type": "hello", "field": "conv" }],
                  "format": { "pattern": "^zc-[0-9]{6}$", "hint": "expected zc- and 6 digits" } },
  "events": { "jsonl": { "rules": [{ "when": { "type": "done" }, "outcome": "success" }], "unfinished": "no done event" } },
  "waiting": ["Proceed? (zed)"],
  "failure": { "usage_limit": [{ "keywords": ["seats"], "regex": "(?i)no (free )?seats? left" }] }
} }"#;

#[test]
fn every_built_in_profile_parses_and_is_listed_first() {
    for agent in AgentKind::ALL {
        let p = parse_built_in(agent.as_str()).unwrap_or_else(|e| panic!("{agent}: {e}"));
        assert_eq!(p.name, agent.as_str());
    }
    assert_eq!(&names()[..6], &["codex", "claude", "opencode", "pi", "gemini", "demo"]);
    // Each built-in CLI says how it is installed and checked, with its verified version in that
    // one place (doctor and the installer of the test CLIs read it there).
    for agent in ["codex", "claude", "opencode", "pi", "gemini"] {
        let cli = profile(AgentKind::parse(agent).unwrap()).data.cli.as_ref().unwrap_or_else(|| panic!("{agent} has no cli facts"));
        assert!(!cli.package.is_empty() && !cli.help.is_empty() && cli.help.iter().all(|h| !h.flags.is_empty()), "{agent}");
        assert_eq!(cli.verified_version.split('.').count(), 3, "{agent}");
    }
    assert!(profile(AgentKind::parse("demo").unwrap()).data.cli.is_none());
}

#[test]
fn an_operator_agent_is_planned_and_read_from_its_data_alone() {
    set_operator_agents_json(ZED).unwrap();
    let zed = AgentKind::parse("zed9").expect("registered");
    assert!(names().contains(&"zed9"));
    let spec = validate_spec(&TaskSpecInput {
        agent: "zed9".into(),
        name: "t".into(),
        project_dir: "/src/app".into(),
        model: Some("big".into()),
        autonomy: None,
    })
    .unwrap();
    assert_eq!(parse_session("zed9-t").unwrap(), (zed, "t".to_string()));
    let ctx = HostContext { task_dir: "/state/t".into(), preset_session_id: None, ..Default::default() };
    let plan = plan_start(&spec, "hi", &ctx, 1).unwrap();
    let argv = &plan.commands[0].argv;
    let at = argv.iter().position(|a| a == "rca-wrapper").expect("wrapper") + 1;
    let agent: Vec<&str> = argv[at..at + 6].iter().map(String::as_str).collect();
    assert_eq!(agent, ["zedcli", "go", "--json", "--safe", "--llm", "big"], "{argv:?}");
    assert_eq!(argv[at + 6], ";", "{argv:?}");
    assert_eq!(
        extract_session_id(zed, "{\"event\":\"x\"}\n{\"type\":\"hello\",\"conv\":\"zc-123456\"}\n"),
        Some("zc-123456".to_string())
    );
    let err = validate_session_id(zed, "-rf").unwrap_err();
    assert_eq!(err.code(), "invalid_session_id");
    assert!(err.to_string().contains("expected zc- and 6 digits"), "{err}");
    // The profile's own failure text, behind its keyword; fatal (a usage limit naming no reset).
    use resilient_coding_agent::classify::{classify_exit, ExitFacts, Outcome};
    let facts = |line: &str| ExitFacts { exit_status: Some(1), stderr_tail: format!("{line}\n"), ..Default::default() };
    match classify_exit(zed, &facts("error: No free SEATS left on this team")) {
        Outcome::Failed { failure } => assert_eq!(failure.class, resilient_coding_agent::model::FailureClass::UsageLimit),
        other => panic!("{other:?}"),
    }
    match classify_exit(AgentKind::Codex, &facts("error: No free SEATS left on this team")) {
        Outcome::Failed { failure } => assert_eq!(failure.class, resilient_coding_agent::model::FailureClass::Crash),
        other => panic!("{other:?}"),
    }
    let live = resilient_coding_agent::classify::classify_live(zed, "working\nProceed? (ZED) [y]\n");
    assert!(matches!(live, resilient_coding_agent::classify::LiveVerdict::WaitingForInput { .. }), "{live:?}");
}

#[test]
fn invalid_profiles_are_refused_naming_the_field() {
    let cases = [
        (ZED.replace("^zc-[0-9]{6}$", "^zc-[0-9"), "agents.zed9.session_id.format.pattern: regex parse error"),
        (ZED.replace("\"{session_id}\"]", "\"{sessionid}\"]"), "agents.zed9.resume[5]: unknown placeholder"),
        (ZED.replace("\"prompt\"", "\"promt\""), "agents.zed9: unknown field `promt`"),
        (ZED.replace("\"zed9\"", "\"Zed-9\""), "agents.Zed-9: agent names are"),
        (ZED.replace("ZED_TOKEN", "ZED TOKEN"), "agents.zed9.credential_env[0]"),
        (ZED.replace("(?i)no (free )?seats? left", "no (seats"), "agents.zed9.failure.usage_limit[0]: regex parse error"),
        (ZED.replace("[\"seats\"]", "[]"), "agents.zed9.failure.usage_limit[0].keywords"),
        (ZED.replace("\"usage_limit\"", "\"crash\""), "agents.zed9.failure.crash: unknown class"),
        (ZED.replace("--continue-conversation\", \"{session_id}\"", "--continue\""), "agents.zed9.resume: must name the conversation"),
    ];
    for (json, want) in cases {
        let err = set_operator_agents_json(&json).unwrap_err();
        assert_eq!(err.code(), "invalid_agent_profile");
        assert!(err.to_string().contains(want), "{err} (wanted {want})");
    }
    // A refused set changes nothing; unknown names stay unknown.
    assert!(AgentKind::parse("nosuchagent").is_none());
    let err = validate_spec(&TaskSpecInput { agent: "nosuchagent".into(), name: "t".into(), project_dir: "/a".into(), model: None, autonomy: None }).unwrap_err();
    assert_eq!(err.code(), "invalid_agent");
    assert!(err.to_string().contains("codex, claude, opencode, pi, gemini, demo"), "{err}");
}
