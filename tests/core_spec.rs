//! Task spec and prompt validation, session names (DESIGN §3.1, §3.4).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::{AgentKind, Autonomy, TaskSpec};
use resilient_coding_agent::spec::{
    check_spec, parse_session, session_name, validate_prompt, validate_spec, TaskSpecInput, MAX_PROMPT_BYTES,
};

fn input(agent: &str, name: &str, dir: &str) -> TaskSpecInput {
    TaskSpecInput { agent: agent.into(), name: name.into(), project_dir: dir.into(), model: None, autonomy: None }
}

fn code(r: Result<impl std::fmt::Debug, resilient_coding_agent::CoreError>) -> &'static str {
    r.expect_err("should be rejected").code()
}

#[test]
fn accepts_a_plain_spec_with_sandboxed_default() {
    let spec = validate_spec(&input("codex", "fix-login-bug", "/src/app")).unwrap();
    assert_eq!(
        spec,
        TaskSpec {
            agent: AgentKind::Codex,
            name: "fix-login-bug".into(),
            project_dir: "/src/app".into(),
            model: None,
            autonomy: Autonomy::Sandboxed,
        }
    );
}

#[test]
fn accepts_every_agent_and_both_autonomy_levels() {
    for agent in ["codex", "claude", "pi", "demo"] {
        for (a, want) in [("sandboxed", Autonomy::Sandboxed), ("full", Autonomy::Full)] {
            let mut i = input(agent, "t", "/p");
            i.autonomy = Some(a.into());
            assert_eq!(validate_spec(&i).unwrap().autonomy, want);
        }
    }
    let mut i = input("opencode", "t", "/p");
    i.model = Some("anthropic/claude-sonnet-4-5".into());
    assert_eq!(validate_spec(&i).unwrap().agent, AgentKind::Opencode);
}

#[test]
fn deserializes_camel_case_input_with_optional_fields() {
    let i: TaskSpecInput =
        serde_json::from_str(r#"{"agent":"pi","name":"a-b","projectDir":"/home/u/my project"}"#).unwrap();
    let spec = validate_spec(&i).unwrap();
    assert_eq!(spec.project_dir, "/home/u/my project");
    let json = serde_json::to_value(&spec).unwrap();
    assert_eq!(json["projectDir"], "/home/u/my project");
    assert_eq!(json["autonomy"], "sandboxed");
    assert!(json["model"].is_null());
}

#[test]
fn rejects_unknown_agents_and_bad_names() {
    assert_eq!(code(validate_spec(&input("gpt", "t", "/p"))), "invalid_agent");
    assert_eq!(code(validate_spec(&input("Codex", "t", "/p"))), "invalid_agent");
    assert_eq!(code(validate_spec(&input("", "t", "/p"))), "invalid_agent");
    for name in ["", "Fix", "a;b", "$(id)", "a b", "x\n"] {
        assert_eq!(code(validate_spec(&input("codex", name, "/p"))), "invalid_task_name", "{name:?}");
    }
}

#[test]
fn rejects_project_dirs_that_are_not_clean_absolute_paths() {
    let long = format!("/{}", "a".repeat(4096));
    for dir in ["", "relative/dir", "./x", "~/x", "/a/../b", "/a/./b", "/..", "/a\nb", "/a\0b", "/a\tb", "/a\u{7f}", "/a\u{85}b", &long] {
        assert_eq!(code(validate_spec(&input("codex", "t", dir))), "invalid_project_dir", "{dir:?}");
    }
    // Spaces, quotes, shell and tmux metacharacters and unicode are legal path characters: they
    // are accepted here and travel only as a tmux -c value (see core_no_shell_injection.rs).
    for dir in ["/", "/a b", "/a;", "/$(x)", "/`x`", "/a'b\"c", "/#{pane_id}", "/日本/ü", "/a/..b/c.", "/a//b/"] {
        assert!(validate_spec(&input("codex", "t", dir)).is_ok(), "{dir:?}");
    }
}

#[test]
fn checks_models_against_an_allow_list() {
    for m in ["gpt-5.1-codex", "o3", "anthropic/claude-sonnet-4-5", "openrouter/x/y:free", "m@2024+x", "a_b"] {
        let mut i = input("codex", "t", "/p");
        i.model = Some(m.into());
        assert_eq!(validate_spec(&i).unwrap().model.as_deref(), Some(m));
    }
    let long = "m".repeat(129);
    for m in ["", "-rf", "--yolo", "a b", "a;b", "$(id)", "`id`", "a\nb", "é", "a'b", &long] {
        let mut i = input("codex", "t", "/p");
        i.model = Some(m.into());
        assert_eq!(code(validate_spec(&i)), "invalid_option", "{m:?}");
    }
}

#[test]
fn opencode_models_are_provider_model_and_none_means_its_own_default() {
    // No model: OpenCode uses the one its configuration names (the host warns when none).
    assert!(validate_spec(&input("opencode", "t", "/p")).is_ok());
    let mut good = input("opencode", "t", "/p");
    good.model = Some("anthropic/claude-sonnet-4-5".into());
    assert!(validate_spec(&good).is_ok());
    for m in ["gpt-5", "/x", "x/"] {
        let mut i = input("opencode", "t", "/p");
        i.model = Some(m.into());
        assert_eq!(code(validate_spec(&i)), "invalid_option", "{m:?}");
    }
}

#[test]
fn rejects_unknown_autonomy() {
    for a in ["", "yolo", "Full", "auto"] {
        let mut i = input("codex", "t", "/p");
        i.autonomy = Some(a.into());
        assert_eq!(code(validate_spec(&i)), "invalid_autonomy", "{a:?}");
    }
}

#[test]
fn check_spec_rejects_a_tampered_spec() {
    let good = validate_spec(&input("codex", "t", "/p")).unwrap();
    assert_eq!(check_spec(&good), Ok(()));
    let mut bad = good.clone();
    bad.project_dir = "rel".into();
    assert_eq!(code(check_spec(&bad).map(|_| ())), "invalid_project_dir");
    let mut bad = good.clone();
    bad.name = "a;b".into();
    assert_eq!(code(check_spec(&bad).map(|_| ())), "invalid_task_name");
    let mut bad = good.clone();
    bad.model = Some("-x".into());
    assert_eq!(code(check_spec(&bad).map(|_| ())), "invalid_option");
    // A record's model re-checked against its agent's format: codex's `gpt-5` is not an
    // OpenCode model.
    let mut bad = good;
    bad.agent = AgentKind::Opencode;
    bad.model = Some("gpt-5".into());
    assert_eq!(code(check_spec(&bad).map(|_| ())), "invalid_option");
}

#[test]
fn prompts_must_be_non_blank_without_nul_and_at_most_4_mib() {
    assert_eq!(validate_prompt("fix the bug"), Ok(()));
    assert_eq!(validate_prompt(&"x".repeat(1024 * 1024)), Ok(()));
    assert_eq!(validate_prompt(&"x".repeat(MAX_PROMPT_BYTES)), Ok(()));
    assert_eq!(validate_prompt("$(rm -rf /) `id` ; 'q' \"d\" 日本\n"), Ok(()));
    for p in ["", " ", "\n\t  \n"] {
        assert_eq!(code(validate_prompt(p)), "invalid_prompt", "{p:?}");
    }
    assert_eq!(code(validate_prompt("a\0b")), "invalid_prompt");
    assert_eq!(code(validate_prompt(&"x".repeat(MAX_PROMPT_BYTES + 1))), "invalid_prompt");
}

#[test]
fn session_names_round_trip_for_every_agent() {
    for agent in AgentKind::ALL {
        let spec = TaskSpec {
            agent,
            name: "fix-login-bug".into(),
            project_dir: "/p".into(),
            model: None,
            autonomy: Autonomy::Sandboxed,
        };
        let s = session_name(&spec);
        assert_eq!(s, format!("{}-fix-login-bug", agent.as_str()));
        assert_eq!(parse_session(&s), Ok((agent, "fix-login-bug".to_string())));
    }
}

#[test]
fn parse_session_rejects_sessions_outside_the_convention() {
    for s in ["", "codex", "codex-", "pi-", "foo-bar", "codex-Bad", "codex_x", "=codex-x", "codex-x:", "codex-a--b", "claude-$(id)"] {
        assert_eq!(code(parse_session(s)), "invalid_session", "{s:?}");
    }
    assert_eq!(parse_session("pi-pi-1"), Ok((AgentKind::Pi, "pi-1".to_string())));
}
