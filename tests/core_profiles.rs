//! Agent profiles: start and resume commands as data (agent-clis.md).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::{AgentKind, Autonomy, TaskSpec};
use resilient_coding_agent::plan::{plan_recover, plan_start, Command, EnvVar, HostContext, RecoverMode};
use resilient_coding_agent::profiles::{profile, IdSource, RESUME_PROMPT};
use resilient_coding_agent::wrapper::{WRAPPER_NAME, WRAPPER_SCRIPT};

const UUID: &str = "01a20aee-07dc-7642-86cc-36bb08482310";
const CLAUDE_ID: &str = "2b9c1a4e-8f3d-4c2a-9e1b-7d6f5a4b3c2d";
const OC_ID: &str = "ses_df50699c7fferLFulVNQxfBn2m";

fn spec(agent: AgentKind, model: Option<&str>, autonomy: Autonomy) -> TaskSpec {
    TaskSpec { agent, name: "t".into(), project_dir: "/p".into(), model: model.map(Into::into), autonomy }
}

fn ctx() -> HostContext {
    HostContext {
        task_dir: "/state/tasks/t.abc123".into(),
        demo_agent: Some(vec!["node".into(), "/opt/rca/demo-agent.js".into()]),
        preset_session_id: Some(CLAUDE_ID.into()),
        ..HostContext::default()
    }
}

/// The agent's argv: everything after `bash -c <script> rca-wrapper`, up to a `;` separator.
fn agent_argv(cmd: &Command) -> Vec<String> {
    let i = cmd.argv.iter().position(|a| a == WRAPPER_SCRIPT).expect("wrapper script in argv");
    assert_eq!(cmd.argv[i - 1], "-c");
    assert_eq!(cmd.argv[i - 2], "bash");
    assert_eq!(cmd.argv[i + 1], WRAPPER_NAME);
    cmd.argv[i + 2..].iter().take_while(|a| *a != ";").cloned().collect()
}

fn start(s: &TaskSpec, c: &HostContext) -> Vec<String> {
    let plan = plan_start(s, "do it", c, 1).unwrap();
    agent_argv(&plan.commands[0])
}

fn resume(s: &TaskSpec, id: &str, c: &HostContext) -> Vec<String> {
    let plan = plan_recover(s, id, c, &RecoverMode::Recreate, 2).unwrap();
    assert_eq!(plan.files[0].contents, RESUME_PROMPT);
    agent_argv(&plan.commands[0])
}

fn v(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

#[test]
fn codex_runs_exec_json_with_the_prompt_on_stdin() {
    let s = spec(AgentKind::Codex, None, Autonomy::Sandboxed);
    assert_eq!(
        start(&s, &ctx()),
        v(&["codex", "exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "-"])
    );
    let s = spec(AgentKind::Codex, Some("gpt-5.1-codex"), Autonomy::Full);
    assert_eq!(
        start(&s, &ctx()),
        v(&["codex", "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-m", "gpt-5.1-codex", "-"])
    );
}

#[test]
fn codex_resume_names_the_thread_with_sandbox_before_resume() {
    let s = spec(AgentKind::Codex, Some("o3"), Autonomy::Sandboxed);
    let argv = resume(&s, UUID, &ctx());
    assert_eq!(
        argv,
        v(&["codex", "exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "-m", "o3", "resume", UUID, "-"])
    );
    let pos = |x: &str| argv.iter().position(|a| a == x).unwrap();
    assert!(pos("--sandbox") < pos("resume"), "--sandbox must come before resume");
}

#[test]
fn claude_presets_the_session_id_and_uses_verbose_stream_json() {
    let s = spec(AgentKind::Claude, Some("claude-sonnet-4-5"), Autonomy::Sandboxed);
    assert_eq!(
        start(&s, &ctx()),
        v(&["claude", "-p", "--output-format", "stream-json", "--verbose", "--session-id", CLAUDE_ID, "--permission-mode", "acceptEdits", "--model", "claude-sonnet-4-5"])
    );
    let argv = resume(&spec(AgentKind::Claude, None, Autonomy::Full), CLAUDE_ID, &ctx());
    assert_eq!(
        argv,
        v(&["claude", "-p", "--resume", CLAUDE_ID, "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions"])
    );
}

#[test]
fn claude_full_as_root_gets_is_sandbox_and_only_then() {
    let e_values = |s: &TaskSpec, root: bool| -> Vec<String> {
        let c = HostContext { is_root: root, ..ctx() };
        let cmd = &plan_start(s, "x", &c, 1).unwrap().commands[0];
        cmd.argv.windows(2).filter(|w| w[0] == "-e").map(|w| w[1].clone()).collect()
    };
    let full = spec(AgentKind::Claude, None, Autonomy::Full);
    let sandboxed = spec(AgentKind::Claude, None, Autonomy::Sandboxed);
    assert!(e_values(&full, true).contains(&"IS_SANDBOX=1".to_string()));
    assert!(!e_values(&full, false).iter().any(|e| e.starts_with("IS_SANDBOX")));
    assert!(!e_values(&sandboxed, true).iter().any(|e| e.starts_with("IS_SANDBOX")));
    for agent in [AgentKind::Codex, AgentKind::Pi, AgentKind::Demo] {
        assert!(!e_values(&spec(agent, None, Autonomy::Full), true).iter().any(|e| e.starts_with("IS_SANDBOX")));
    }
}

#[test]
fn claude_start_needs_a_uuid_chosen_by_the_host() {
    let s = spec(AgentKind::Claude, None, Autonomy::Sandboxed);
    let c = HostContext { preset_session_id: None, ..ctx() };
    assert_eq!(plan_start(&s, "x", &c, 1).unwrap_err().code(), "invalid_option");
    let c = HostContext { preset_session_id: Some("not-a-uuid".into()), ..ctx() };
    assert_eq!(plan_start(&s, "x", &c, 1).unwrap_err().code(), "invalid_session_id");
}

#[test]
fn opencode_always_passes_the_model_and_tags_the_title() {
    let s = spec(AgentKind::Opencode, Some("anthropic/claude-sonnet-4-5"), Autonomy::Sandboxed);
    let c = HostContext { title_tag: Some("rca-t-abc123".into()), ..ctx() };
    assert_eq!(
        start(&s, &c),
        v(&["opencode", "run", "--format", "json", "-m", "anthropic/claude-sonnet-4-5", "--title", "rca-t-abc123"])
    );
    assert_eq!(start(&s, &ctx()), v(&["opencode", "run", "--format", "json", "-m", "anthropic/claude-sonnet-4-5"]));
    let full = spec(AgentKind::Opencode, Some("a/b"), Autonomy::Full);
    assert_eq!(start(&full, &ctx()), v(&["opencode", "run", "--format", "json", "-m", "a/b", "--auto"]));
    assert_eq!(
        resume(&full, OC_ID, &c),
        v(&["opencode", "run", "--format", "json", "--session", OC_ID, "-m", "a/b", "--auto"])
    );
}

#[test]
fn pi_owns_its_session_file_in_the_task_directory() {
    let s = spec(AgentKind::Pi, Some("anthropic/claude-x"), Autonomy::Full);
    let file = "/state/tasks/t.abc123/pi-session.jsonl";
    let want = v(&["pi", "--mode", "json", "--session", file, "--provider", "anthropic", "--model", "claude-x"]);
    assert_eq!(start(&s, &ctx()), want);
    assert_eq!(resume(&s, UUID, &ctx()), want, "resume passes the same session file");
    let s = spec(AgentKind::Pi, Some("gpt-4o"), Autonomy::Sandboxed);
    assert_eq!(start(&s, &ctx()), v(&["pi", "--mode", "json", "--session", file, "--model", "gpt-4o"]));
}

#[test]
fn demo_is_codex_shaped_on_the_hosts_argv_prefix() {
    let s = spec(AgentKind::Demo, Some("m"), Autonomy::Sandboxed);
    assert_eq!(
        start(&s, &ctx()),
        v(&["node", "/opt/rca/demo-agent.js", "exec", "--json", "--sandbox", "workspace-write", "-m", "m", "-"])
    );
    assert_eq!(resume(&s, UUID, &ctx()), v(&["node", "/opt/rca/demo-agent.js", "exec", "--json", "resume", UUID, "-"]));
    let c = HostContext { demo_agent: None, ..ctx() };
    assert_eq!(plan_start(&s, "x", &c, 1).unwrap_err().code(), "invalid_option");
}

#[test]
fn program_can_be_overridden_by_the_host() {
    let s = spec(AgentKind::Codex, None, Autonomy::Sandboxed);
    let c = HostContext { program: Some("/opt/codex/bin/codex".into()), ..ctx() };
    assert_eq!(start(&s, &c)[0], "/opt/codex/bin/codex");
    let c = HostContext { program: Some("-x".into()), ..ctx() };
    assert_eq!(plan_start(&s, "x", &c, 1).unwrap_err().code(), "invalid_option");
}

#[test]
fn never_resumes_the_last_session_and_never_puts_the_prompt_in_argv() {
    let prompt = "a distinctive prompt 7f3a";
    for agent in AgentKind::ALL {
        for autonomy in [Autonomy::Sandboxed, Autonomy::Full] {
            let model = if agent == AgentKind::Opencode { Some("a/b") } else { Some("m1") };
            let s = spec(agent, model, autonomy);
            let id = if agent == AgentKind::Opencode { OC_ID } else { UUID };
            let started = plan_start(&s, prompt, &ctx(), 1).unwrap();
            let resumed = plan_recover(&s, id, &ctx(), &RecoverMode::Recreate, 2).unwrap();
            for argv in [agent_argv(&started.commands[0]), agent_argv(&resumed.commands[0])] {
                for bad in ["--last", "--continue", "-c", "--fork-session", "--full-auto"] {
                    assert!(!argv.iter().any(|a| a == bad), "{agent:?} {argv:?} has {bad}");
                }
                assert!(!argv.iter().any(|a| a.contains(prompt) || a.contains("Continue the task")), "{argv:?}");
            }
            let r = agent_argv(&resumed.commands[0]);
            if let Some(i) = r.iter().position(|a| a == "--resume") {
                assert_eq!(r[i + 1], id, "--resume takes the id right after it");
            }
            if agent != AgentKind::Pi {
                assert!(r.iter().any(|a| a == id), "{agent:?} resume names the id: {r:?}");
            }
            // The prompt reaches the agent only through the file the wrapper puts on stdin.
            assert_eq!(started.files[0].path, "prompt.1");
            assert_eq!(started.files[0].contents, prompt);
        }
    }
}

#[test]
fn stream_json_always_comes_with_verbose() {
    for argv in [
        start(&spec(AgentKind::Claude, None, Autonomy::Sandboxed), &ctx()),
        resume(&spec(AgentKind::Claude, None, Autonomy::Sandboxed), CLAUDE_ID, &ctx()),
    ] {
        assert!(argv.iter().any(|a| a == "stream-json") && argv.iter().any(|a| a == "--verbose"));
    }
}

#[test]
fn id_sources_are_data() {
    assert_eq!(profile(AgentKind::Codex).id_source, IdSource::FromEvents);
    assert_eq!(profile(AgentKind::Claude).id_source, IdSource::Preset);
    assert_eq!(profile(AgentKind::Opencode).id_source, IdSource::FromEvents);
    assert_eq!(profile(AgentKind::Pi).id_source, IdSource::SessionFile);
    assert_eq!(profile(AgentKind::Demo).id_source, IdSource::FromEvents);
    for agent in AgentKind::ALL {
        assert_eq!(profile(agent).agent, agent);
    }
}

#[test]
fn resume_validates_the_session_id() {
    let s = spec(AgentKind::Codex, None, Autonomy::Sandboxed);
    for bad in ["", "last", "--last", "my-thread-name", "01a20aee-07dc-7642-86cc-36bb0848231", OC_ID] {
        let e = plan_recover(&s, bad, &ctx(), &RecoverMode::Recreate, 2).unwrap_err();
        assert_eq!(e.code(), "invalid_session_id", "{bad:?}");
    }
    let oc = spec(AgentKind::Opencode, Some("a/b"), Autonomy::Sandboxed);
    assert_eq!(plan_recover(&oc, UUID, &ctx(), &RecoverMode::Recreate, 2).unwrap_err().code(), "invalid_session_id");
}

#[test]
fn env_from_the_host_reaches_the_agent() {
    let c = HostContext {
        env: vec![
            EnvVar { name: "HOME".into(), value: "/home/u".into() },
            EnvVar { name: "PATH".into(), value: "/opt/bin:/usr/bin".into() },
        ],
        ..ctx()
    };
    let plan = plan_start(&spec(AgentKind::Codex, None, Autonomy::Sandboxed), "x", &c, 1).unwrap();
    // Through the task's agent.env file, which the wrapper exports (never tmux's argv).
    let file = plan.files.iter().find(|f| f.path == "agent.env").unwrap();
    assert_eq!(file.contents, "HOME=/home/u\0PATH=/opt/bin:/usr/bin\0");
    assert!(!plan.commands[0].argv.iter().any(|a| a == "HOME=/home/u"));
    assert!(plan.commands[0].env.is_empty());
}

/// The pane's `-e` variables of a start and a resume.
fn pane_env(s: &TaskSpec) -> (Vec<String>, Vec<String>) {
    let e = |cmd: &Command| -> Vec<String> { cmd.argv.windows(2).filter(|w| w[0] == "-e").map(|w| w[1].clone()).collect() };
    let c = ctx();
    let started = e(&plan_start(s, "x", &c, 1).unwrap().commands[0]);
    let resumed = e(&plan_recover(s, OC_ID, &c, &RecoverMode::Recreate, 2).unwrap().commands[0]);
    (started, resumed)
}

#[test]
fn opencode_sandboxed_denies_the_shell_and_outside_files_on_start_and_resume() {
    let s = spec(AgentKind::Opencode, Some("a/b"), Autonomy::Sandboxed);
    let (started, resumed) = pane_env(&s);
    for env in [&started, &resumed] {
        let perm = env.iter().find_map(|e| e.strip_prefix("OPENCODE_PERMISSION=")).expect("OPENCODE_PERMISSION set");
        let v: serde_json::Value = serde_json::from_str(perm).expect("valid JSON");
        assert_eq!(v["bash"], "deny");
        assert_eq!(v["external_directory"], "deny");
        assert!(env.contains(&"OPENCODE_DISABLE_PROJECT_CONFIG=1".to_string()), "{env:?}");
    }
    // Full autonomy is --auto and none of the restrictions.
    let (full, _) = pane_env(&spec(AgentKind::Opencode, Some("a/b"), Autonomy::Full));
    assert!(!full.iter().any(|e| e.starts_with("OPENCODE_")), "{full:?}");
}

#[test]
fn every_profile_says_how_real_its_sandbox_is() {
    use resilient_coding_agent::profiles::Sandbox;
    assert_eq!(profile(AgentKind::Codex).sandbox, Sandbox::Os);
    assert_eq!(profile(AgentKind::Claude).sandbox, Sandbox::Permissions);
    assert_eq!(profile(AgentKind::Opencode).sandbox, Sandbox::Permissions);
    assert_eq!(profile(AgentKind::Pi).sandbox, Sandbox::None);
    assert_eq!(profile(AgentKind::Demo).sandbox, Sandbox::Simulated);
    // A sandbox that is not Os or None must come from somewhere: flags or environment.
    for agent in [AgentKind::Codex, AgentKind::Claude, AgentKind::Opencode] {
        let p = profile(agent);
        assert!(!p.data.autonomy.sandboxed.is_empty() || !p.data.sandboxed_env.is_empty(), "{agent:?} has a sandbox but passes nothing");
    }
    for (agent, name) in [(AgentKind::Codex, "os"), (AgentKind::Pi, "none"), (AgentKind::Opencode, "permissions")] {
        assert_eq!(profile(agent).sandbox.as_str(), name);
    }
}
