//! Where each agent's saved conversation lives (the file the host checks before a recovery),
//! and the choice between resuming and starting again with the original prompt when the agent
//! was killed before it saved anything (a kill during the FIRST model call).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::conversation::*;
use resilient_coding_agent::model::{AgentKind, Autonomy, TaskSpec};
use resilient_coding_agent::plan::{EnvVar, HostContext};
use resilient_coding_agent::profiles::{profile, IdSource};
use resilient_coding_agent::record::new_record;

const UUID: &str = "02c8eab0-8be3-4179-9544-2a0ae688473b";
const PI_ID: &str = "01a20b64-d1dd-716c-a82d-a46f2f8a726a";
const TASK_DIR: &str = "/state/tasks/claude-x.a1b2";

fn spec(agent: AgentKind, project_dir: &str) -> TaskSpec {
    TaskSpec { agent, name: "x".into(), project_dir: project_dir.into(), model: None, autonomy: Autonomy::Sandboxed }
}

fn ctx(env: &[(&str, &str)]) -> HostContext {
    HostContext {
        task_dir: TASK_DIR.into(),
        env: env.iter().map(|(n, v)| EnvVar { name: n.to_string(), value: v.to_string() }).collect(),
        ..HostContext::default()
    }
}

fn claude_probe(project: &str, c: &HostContext) -> Option<String> {
    conversation_probe(&spec(AgentKind::Claude, project), UUID, c).unwrap()
}

#[test]
fn pi_saves_its_conversation_in_the_task_directory() {
    let p = conversation_probe(&spec(AgentKind::Pi, "/src/app"), PI_ID, &ctx(&[("HOME", "/home/u")])).unwrap();
    assert_eq!(p.as_deref(), Some("/state/tasks/claude-x.a1b2/pi-session.jsonl"));
    let mut c = ctx(&[]);
    c.task_dir = "/state/t/".into();
    let p = conversation_probe(&spec(AgentKind::Pi, "/src/app"), PI_ID, &c).unwrap();
    assert_eq!(p.as_deref(), Some("/state/t/pi-session.jsonl"), "no double slash");
}

#[test]
fn claude_saves_it_under_home_dot_claude_projects() {
    // As claude 2.1.330 wrote it (tests/e2e/conformance.test.js checks the real CLI).
    let p = claude_probe("/tmp/h10-early-Us8wc1/project", &ctx(&[("HOME", "/tmp/h10-early-Us8wc1/home")]));
    assert_eq!(
        p.as_deref(),
        Some("/tmp/h10-early-Us8wc1/home/.claude/projects/-tmp-h10-early-Us8wc1-project/02c8eab0-8be3-4179-9544-2a0ae688473b.jsonl")
    );
    let p = claude_probe("/src/app/", &ctx(&[("HOME", "/home/u/")]));
    assert_eq!(p.as_deref(), Some(&*format!("/home/u/.claude/projects/-src-app/{UUID}.jsonl")), "trailing slashes as getcwd() reports");
}

#[test]
fn claude_config_dir_replaces_home_dot_claude() {
    let c = ctx(&[("HOME", "/home/u"), ("CLAUDE_CONFIG_DIR", "/cfg/claude")]);
    assert_eq!(claude_probe("/src/app", &c).as_deref(), Some(&*format!("/cfg/claude/projects/-src-app/{UUID}.jsonl")));
    // Empty: not set. Relative: resolved by the agent against a directory we cannot be sure
    // of, so no probe (the recovery resumes as before).
    let c = ctx(&[("HOME", "/home/u"), ("CLAUDE_CONFIG_DIR", "")]);
    assert_eq!(claude_probe("/src/app", &c).as_deref(), Some(&*format!("/home/u/.claude/projects/-src-app/{UUID}.jsonl")));
    assert_eq!(claude_probe("/src/app", &ctx(&[("HOME", "/home/u"), ("CLAUDE_CONFIG_DIR", "cfg")])), None);
    // No HOME in the agent's environment: unknown.
    assert_eq!(claude_probe("/src/app", &ctx(&[("PATH", "/bin")])), None);
    assert_eq!(claude_probe("/src/app", &ctx(&[("HOME", "relative")])), None);
}

#[test]
fn claude_project_dir_name_override_applies_only_with_a_config_dir() {
    let with = ctx(&[("HOME", "/h"), ("CLAUDE_CONFIG_DIR", "/c"), ("CLAUDE_CODE_PROJECT_DIR_NAME", "mine_1-x")]);
    assert_eq!(claude_probe("/src/app", &with).as_deref(), Some(&*format!("/c/projects/mine_1-x/{UUID}.jsonl")));
    let without = ctx(&[("HOME", "/h"), ("CLAUDE_CODE_PROJECT_DIR_NAME", "mine")]);
    assert_eq!(claude_probe("/src/app", &without).as_deref(), Some(&*format!("/h/.claude/projects/-src-app/{UUID}.jsonl")));
    for bad in ["", "a/b", "..", "con", "COM1", "lpt9", &"x".repeat(65), "sp ace"] {
        let c = ctx(&[("HOME", "/h"), ("CLAUDE_CONFIG_DIR", "/c"), ("CLAUDE_CODE_PROJECT_DIR_NAME", bad)]);
        assert_eq!(claude_probe("/src/app", &c).as_deref(), Some(&*format!("/c/projects/-src-app/{UUID}.jsonl")), "{bad:?}");
    }
    let c = ctx(&[("HOME", "/h"), ("CLAUDE_CONFIG_DIR", "/c"), ("CLAUDE_CODE_PROJECT_DIR_NAME", "com10")]);
    assert_eq!(claude_probe("/src/app", &c).as_deref(), Some(&*format!("/c/projects/com10/{UUID}.jsonl")));
}

#[test]
fn claude_uses_the_real_project_dir_when_the_host_gives_it() {
    // Through a symlink, claude names the folder after getcwd() (the real path).
    let mut c = ctx(&[("HOME", "/h")]);
    c.project_real_dir = Some("/data/real/app".into());
    assert_eq!(claude_probe("/link/app", &c).as_deref(), Some(&*format!("/h/.claude/projects/-data-real-app/{UUID}.jsonl")));
    c.project_real_dir = Some("relative/app".into());
    assert_eq!(
        conversation_probe(&spec(AgentKind::Claude, "/link/app"), UUID, &c).unwrap_err().code(),
        "invalid_option"
    );
}

/// Claude's folder-name rule, from its profile.
fn claude_key_rule() -> resilient_coding_agent::profiles::ProjectKeyData {
    let parts = profile(AgentKind::Claude).data.conversation.clone().expect("claude has a conversation path");
    parts
        .into_iter()
        .find_map(|p| match p {
            resilient_coding_agent::profiles::PathPart::ProjectKey(k) => Some(k),
            _ => None,
        })
        .expect("claude's path has a project key")
}

/// Vectors from Claude Code's own function (`replace(/[^a-zA-Z0-9]/g, "-")`, cut at 200 plus
/// `-<base36 |hashCode|>`); the first one is the folder a real claude 2.1.330 created.
#[test]
fn hostile_project_dirs_become_claude_keys() {
    let long = format!("/tmp/h10-sym-fLlO1c/{}/{}", "x".repeat(150), "y😀".repeat(30));
    let cases: Vec<(String, String)> = vec![
        (long, format!("-tmp-h10-sym-fLlO1c-{}-y--y--y--y--y--y--y--y--y--y--a4w5wu", "x".repeat(150))),
        ("/home/u/my proj/$(rm -rf ~)`id`;x".into(), "-home-u-my-proj---rm--rf----id--x".into()),
        ("/srv/é/日本/😀".into(), "-srv--------".into()),
        (format!("/{}", "a".repeat(199)), format!("-{}", "a".repeat(199))),
        (format!("/{}", "a".repeat(200)), format!("-{}-b6ymvl", "a".repeat(199))),
        (format!("/{}\u{2028}", "b".repeat(300)), format!("-{}-4u90n", "b".repeat(199))),
        ("/p/-rf/..x/ \"q\" 'z'".into(), "-p--rf---x---q---z-".into()),
    ];
    for (dir, want) in cases {
        let key = project_key(&dir, &claude_key_rule());
        assert_eq!(key, want, "{dir:?}");
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{key}");
    }
    // The whole probe: the user's directory never adds a path component.
    for dir in ["/a/../../etc", "/x/\u{202e}evil/..", "/x/ /y"] {
        if let Ok(Some(p)) = conversation_probe(&spec(AgentKind::Claude, dir), UUID, &ctx(&[("HOME", "/h")])) {
            assert_eq!(p.matches('/').count(), 5, "{p}");
            assert!(p.starts_with("/h/.claude/projects/-") && p.ends_with(&format!("/{UUID}.jsonl")), "{p}");
        }
    }
}

#[test]
fn codex_opencode_and_demo_need_no_probe() {
    let c = ctx(&[("HOME", "/h")]);
    assert_eq!(conversation_probe(&spec(AgentKind::Codex, "/src"), PI_ID, &c).unwrap(), None);
    assert_eq!(conversation_probe(&spec(AgentKind::Demo, "/src"), PI_ID, &c).unwrap(), None);
    let mut oc = spec(AgentKind::Opencode, "/src");
    oc.model = Some("mock/mock-model".into());
    assert_eq!(conversation_probe(&oc, "ses_df50699c7fferLFulVNQxfBn2m", &c).unwrap(), None);
}

#[test]
fn bad_ids_and_contexts_are_refused() {
    let c = ctx(&[("HOME", "/h")]);
    for id in ["../../etc/passwd", "", "x/y", "02c8eab0-8be3-4179-9544-2a0ae688473b/.."] {
        assert_eq!(conversation_probe(&spec(AgentKind::Claude, "/src"), id, &c).unwrap_err().code(), "invalid_session_id", "{id}");
    }
    let mut bad = c.clone();
    bad.task_dir = "relative".into();
    assert!(conversation_probe(&spec(AgentKind::Pi, "/src"), PI_ID, &bad).is_err());
    assert!(conversation_probe(&spec(AgentKind::Pi, "relative"), PI_ID, &c).is_err());
}

#[test]
fn id_sources_are_profile_data() {
    assert_eq!(profile(AgentKind::Claude).id_source, IdSource::Preset);
    assert_eq!(profile(AgentKind::Pi).id_source, IdSource::SessionFile);
    for a in [AgentKind::Codex, AgentKind::Opencode, AgentKind::Demo] {
        assert_eq!(profile(a).id_source, IdSource::FromEvents);
    }
}

#[test]
fn a_saved_conversation_is_resumed() {
    let r = new_record(&spec(AgentKind::Claude, "/src"), TASK_DIR, Some(UUID.into()), 1000.0);
    let c = choose_recovery(&r, true, 2000.0);
    assert_eq!(c.kind, RecoveryKind::Resume);
    assert_eq!(c.record, r);
}

#[test]
fn no_recorded_id_is_a_fresh_start() {
    let r = new_record(&spec(AgentKind::Codex, "/src"), TASK_DIR, None, 1000.0);
    for saved in [true, false] {
        let c = choose_recovery(&r, saved, 2000.0);
        assert_eq!(c.kind, RecoveryKind::FreshStart);
        assert_eq!(c.record, r);
    }
}

#[test]
fn claude_unsaved_starts_again_with_the_same_preset_id() {
    let r = new_record(&spec(AgentKind::Claude, "/src"), TASK_DIR, Some(UUID.into()), 1000.0);
    let c = choose_recovery(&r, false, 2000.0);
    assert_eq!(c.kind, RecoveryKind::FreshStart);
    assert_eq!(c.record.agent_session_id.as_deref(), Some(UUID));
    assert_eq!(c.record, r, "nothing to persist");
}

#[test]
fn pi_unsaved_starts_again_and_forgets_the_id_it_will_replace() {
    let mut r = new_record(&spec(AgentKind::Pi, "/src"), TASK_DIR, None, 1000.0);
    r.agent_session_id = Some(PI_ID.into());
    let c = choose_recovery(&r, false, 2000.0);
    assert_eq!(c.kind, RecoveryKind::FreshStart);
    assert_eq!(c.record.agent_session_id, None, "the monitor reads the new id from the new attempt");
    assert_eq!(c.record.updated_at, 2000.0);
    assert_eq!(choose_recovery(&r, false, 500.0).record.updated_at, 1000.0, "time never goes back");
}
