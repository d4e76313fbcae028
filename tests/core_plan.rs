//! tmux command plans: start, recover, list, capture, send, stop (DESIGN §3.4, peers-and-tmux.md).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::{AgentKind, Autonomy, TaskSpec};
use resilient_coding_agent::plan::*;
use resilient_coding_agent::profiles::RESUME_PROMPT;
use resilient_coding_agent::wrapper::{attempt_files, WRAPPER_NAME, WRAPPER_SCRIPT};

const UUID: &str = "01a20aee-07dc-7642-86cc-36bb08482310";

fn spec() -> TaskSpec {
    TaskSpec {
        agent: AgentKind::Codex,
        name: "fix-bug".into(),
        project_dir: "/src/app".into(),
        model: None,
        autonomy: Autonomy::Sandboxed,
    }
}

fn ctx(socket: Option<&str>) -> HostContext {
    HostContext {
        task_dir: "/state/t.x1".into(),
        socket: socket.map(Into::into),
        env: vec![
            EnvVar { name: "PATH".into(), value: "/usr/local/bin:/usr/bin:/bin".into() },
            EnvVar { name: "HOME".into(), value: "/home/u".into() },
        ],
        ..HostContext::default()
    }
}

fn s(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

fn wrapper_tail(agent: &[&str]) -> Vec<String> {
    let mut v = s(&["--", "bash", "-c", WRAPPER_SCRIPT, WRAPPER_NAME]);
    v.extend(s(agent));
    v
}

const CODEX_START: [&str; 7] = ["codex", "exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "-"];

#[test]
fn start_creates_the_session_and_sets_remain_on_exit_in_one_invocation() {
    let plan = plan_start(&spec(), "fix it", &ctx(Some("rca")), 1).unwrap();
    assert_eq!(
        plan.files,
        vec![
            FileWrite { path: "prompt.1".into(), contents: "fix it".into(), mode: 0o600, exclusive: true },
            FileWrite {
                path: "agent.env".into(),
                contents: "PATH=/usr/local/bin:/usr/bin:/bin\0HOME=/home/u\0".into(),
                mode: 0o600,
                exclusive: true
            },
        ]
    );
    assert_eq!(plan.commands.len(), 1);
    let cmd = &plan.commands[0];
    let mut want = s(&[
        "tmux", "-u", "-L", "rca", "new-session", "-d", "-s", "codex-fix-bug", "-x", "200", "-y", "50", "-P", "-F", "#{session_id}", "-c", "/src/app",
        "-e", "RCA_TASK_DIR=/state/t.x1", "-e", "RCA_ATTEMPT=1", "-e", "RCA_PROJECT_DIR=/src/app",
    ]);
    want.extend(wrapper_tail(&CODEX_START));
    want.extend(s(&[";", "set-option", "-w", "-t", "=codex-fix-bug:", "remain-on-exit", "on"]));
    assert_eq!(cmd.argv, want);
    assert_eq!(cmd.stdin, None);
    // The agent's environment is the 0600 agent.env file, never tmux's argv (a tmux server
    // keeps its starting client's argv, readable in /proc by every local user) nor the client's.
    assert_eq!(cmd.env, vec![]);
    assert!(!cmd.argv.iter().any(|a| a.starts_with("PATH=") || a.starts_with("HOME=")));
}

#[test]
fn the_agent_environment_never_reaches_tmux_argv() {
    let secret = "sk-proj-SECRETVALUE0123456789";
    let mut c = ctx(Some("rca"));
    c.env.push(EnvVar { name: "OPENAI_API_KEY".into(), value: secret.into() });
    c.env.push(EnvVar { name: "MULTI".into(), value: "line one\nline two = x".into() });
    let start = plan_start(&spec(), "x", &c, 1).unwrap();
    let mode = RecoverMode::Respawn { pane_id: "%1".into() };
    let recover = plan_recover(&spec(), UUID, &c, &mode, 2).unwrap();
    let again = plan_start(&spec(), "x", &c, 3).unwrap();
    for plan in [&start, &recover, &again] {
        for cmd in &plan.commands {
            assert!(!cmd.argv.iter().any(|a| a.contains(secret)), "{:?}", cmd.argv);
            assert!(!cmd.env.iter().any(|v| v.value.contains(secret)));
        }
    }
    let env = start.files.iter().find(|f| f.path == "agent.env").expect("attempt 1 writes agent.env");
    assert!(env.exclusive && env.mode == 0o600);
    assert!(env.contents.contains("OPENAI_API_KEY=sk-proj-SECRETVALUE0123456789\0"));
    assert!(env.contents.contains("MULTI=line one\nline two = x\0"));
    // Written once: a recovery or a later fresh start reuses it (never rewritten from a later context).
    assert!(recover.files.iter().all(|f| f.path != "agent.env"));
    assert!(again.files.iter().all(|f| f.path != "agent.env"));
    assert_eq!(env_file_contents(&[], &[]), "");
    // Names the profile unsets come last, bare, and win over a value given for them.
    let given = [EnvVar { name: "A".into(), value: "1".into() }, EnvVar { name: "W".into(), value: "1".into() }];
    assert_eq!(env_file_contents(&given, &["W"]), "A=1\0W\0");
}

#[test]
fn start_without_socket_uses_the_default_server() {
    let plan = plan_start(&spec(), "x", &ctx(None), 1).unwrap();
    assert_eq!(plan.commands[0].argv[..3], s(&["tmux", "-u", "new-session"])[..]);
    assert!(!plan.commands[0].argv.iter().any(|a| a == "-L"));
}

#[test]
fn start_again_later_uses_that_attempts_files() {
    let plan = plan_start(&spec(), "x", &ctx(None), 4).unwrap();
    assert_eq!(plan.files[0].path, "prompt.4");
    assert!(plan.commands[0].argv.iter().any(|a| a == "RCA_ATTEMPT=4"));
    assert_eq!(plan_start(&spec(), "x", &ctx(None), 0).unwrap_err().code(), "invalid_input");
    assert_eq!(plan_start(&spec(), "x", &ctx(None), 2_000_000).unwrap_err().code(), "invalid_input");
}

#[test]
fn start_rejects_bad_prompts_specs_and_contexts() {
    assert_eq!(plan_start(&spec(), " ", &ctx(None), 1).unwrap_err().code(), "invalid_prompt");
    let mut bad = spec();
    bad.project_dir = "src".into();
    assert_eq!(plan_start(&bad, "x", &ctx(None), 1).unwrap_err().code(), "invalid_project_dir");
    let bad_ctxs = [
        HostContext { task_dir: "relative".into(), ..ctx(None) },
        HostContext { task_dir: "/a\nb".into(), ..ctx(None) },
        HostContext { socket: Some("../x".into()), ..ctx(None) },
        HostContext { socket: Some("".into()), ..ctx(None) },
        HostContext { env: vec![EnvVar { name: "A=B".into(), value: "x".into() }], ..ctx(None) },
        HostContext { env: vec![EnvVar { name: "1X".into(), value: "x".into() }], ..ctx(None) },
        HostContext { env: vec![EnvVar { name: "RCA_ATTEMPT".into(), value: "9".into() }], ..ctx(None) },
        HostContext { env: vec![EnvVar { name: "TMUX".into(), value: "x".into() }], ..ctx(None) },
        HostContext { env: vec![EnvVar { name: "X".into(), value: "a\0b".into() }], ..ctx(None) },
        HostContext { env: vec![EnvVar { name: "SHELLOPTS".into(), value: "x".into() }], ..ctx(None) },
        HostContext { title_tag: Some("a b".into()), ..ctx(None) },
        HostContext { program: Some("".into()), ..ctx(None) },
    ];
    for c in bad_ctxs {
        assert_eq!(plan_start(&spec(), "x", &c, 1).unwrap_err().code(), "invalid_option", "{c:?}");
    }
}

#[test]
fn recover_respawns_the_pane_in_place() {
    let mode = RecoverMode::Respawn { pane_id: "%12".into() };
    let plan = plan_recover(&spec(), UUID, &ctx(Some("rca")), &mode, 2).unwrap();
    assert_eq!(
        plan.files,
        vec![FileWrite { path: "prompt.2".into(), contents: RESUME_PROMPT.into(), mode: 0o600, exclusive: true }]
    );
    let mut want = s(&[
        "tmux", "-u", "-L", "rca", "respawn-pane", "-k", "-t", "%12", "-c", "/src/app", "-e", "RCA_TASK_DIR=/state/t.x1",
        "-e", "RCA_ATTEMPT=2", "-e", "RCA_PROJECT_DIR=/src/app",
    ]);
    want.extend(wrapper_tail(&[
        "codex", "exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "resume", UUID, "-",
    ]));
    assert_eq!(plan.commands.len(), 1);
    assert_eq!(plan.commands[0].argv, want);
    assert!(plan.commands[0].env.is_empty());
}

#[test]
fn recover_recreates_a_vanished_session() {
    let plan = plan_recover(&spec(), UUID, &ctx(None), &RecoverMode::Recreate, 3).unwrap();
    let argv = &plan.commands[0].argv;
    assert_eq!(argv[..6], s(&["tmux", "-u", "new-session", "-d", "-s", "codex-fix-bug"])[..]);
    assert!(argv.iter().any(|a| a == "RCA_ATTEMPT=3"));
    assert!(argv.ends_with(&s(&[";", "set-option", "-w", "-t", "=codex-fix-bug:", "remain-on-exit", "on"])));
    assert_eq!(plan.files[0].path, "prompt.3");
}

#[test]
fn recover_checks_attempt_pane_id_and_session_id() {
    let c = ctx(None);
    assert_eq!(plan_recover(&spec(), UUID, &c, &RecoverMode::Recreate, 1).unwrap_err().code(), "invalid_input");
    for pane in ["12", "%", "%1a", "=codex-fix-bug:", "%1;", ""] {
        let mode = RecoverMode::Respawn { pane_id: pane.into() };
        assert_eq!(plan_recover(&spec(), UUID, &c, &mode, 2).unwrap_err().code(), "invalid_option", "{pane:?}");
    }
    assert_eq!(
        plan_recover(&spec(), "not-a-uuid", &c, &RecoverMode::Recreate, 2).unwrap_err().code(),
        "invalid_session_id"
    );
}

#[test]
fn recover_mode_serializes_with_a_mode_tag() {
    let r = RecoverMode::Respawn { pane_id: "%3".into() };
    assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!({"mode": "respawn", "paneId": "%3"}));
    assert_eq!(serde_json::to_value(RecoverMode::Recreate).unwrap(), serde_json::json!({"mode": "recreate"}));
    let back: RecoverMode = serde_json::from_str(r#"{"mode":"respawn","paneId":"%7"}"#).unwrap();
    assert_eq!(back, RecoverMode::Respawn { pane_id: "%7".into() });
}

#[test]
fn plans_serialize_in_camel_case() {
    let plan = plan_start(&spec(), "x", &ctx(None), 1).unwrap();
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["files"][0]["mode"], 384);
    assert_eq!(json["files"][0]["exclusive"], true);
    assert!(json["commands"][0]["stdin"].is_null());
    assert_eq!(json["commands"][0]["env"], serde_json::json!([]));
    let c: HostContext = serde_json::from_str(r#"{"taskDir":"/t","isRoot":true,"presetSessionId":null}"#).unwrap();
    assert!(c.is_root && c.socket.is_none() && c.env.is_empty());
}

#[test]
fn list_panes_is_one_call_for_all_panes() {
    let cmd = plan_list_panes(Some("rca")).unwrap();
    assert_eq!(cmd.argv, s(&["tmux", "-u", "-L", "rca", "list-panes", "-a", "-F", PANE_FORMAT]));
    assert_eq!(plan_list_panes(None).unwrap().argv[2], "list-panes");
    assert_eq!(plan_list_panes(Some("a/b")).unwrap_err().code(), "invalid_option");
}

#[test]
fn parse_pane_list_reads_live_and_dead_panes() {
    let out = "rca1\t%1\t4242\t0\t\t\t100\tcodex-fix-bug\n\
               rca1\t%2\t4343\t1\t137\t\t100\tclaude-x\n\
               rca1\t%3\t4444\t1\t\t9\t100\tpi-y\n\
               rca1\t%4\t4545\t1\t\t\t100\topencode-z\r\n";
    let panes = parse_pane_list(out);
    assert_eq!(
        panes,
        vec![
            PaneInfo { session: "codex-fix-bug".into(), pane_id: "%1".into(), pane_pid: Some(4242), dead: false, dead_status: None, dead_signal: None, server_pid: Some(100) },
            PaneInfo { session: "claude-x".into(), pane_id: "%2".into(), pane_pid: Some(4343), dead: true, dead_status: Some(137), dead_signal: None, server_pid: Some(100) },
            PaneInfo { session: "pi-y".into(), pane_id: "%3".into(), pane_pid: Some(4444), dead: true, dead_status: None, dead_signal: Some(9), server_pid: Some(100) },
            PaneInfo { session: "opencode-z".into(), pane_id: "%4".into(), pane_pid: Some(4545), dead: true, dead_status: None, dead_signal: None, server_pid: Some(100) },
        ]
    );
    let json = serde_json::to_value(&panes[1]).unwrap();
    assert_eq!(json["paneId"], "%2");
    assert_eq!(json["deadStatus"], 137);
    assert!(json["deadSignal"].is_null());
}

#[test]
fn parse_pane_list_skips_junk_and_keeps_odd_session_names() {
    let out = "no server running on /tmp/tmux-0/rca\n\
               \n\
               garbage\tline\n\
               rca1\t%x\t1\t0\t\t\t1\tbad-pane-id\n\
               rca1\t%5\t1\t0\t\t\t1\n\
               rca1\t%6\t1\t0\t\t\t1\t\n\
               rca1\t%7\t1\tmaybe\t\t\t1\ts\n\
               rca2\t%8\t1\t0\t\t\t1\tfuture-format\n\
               rca1\t%9\tnot-a-pid\t0\t\t\t\tmy\tsession with tab\n\
               \u{0}\u{ff}rca1\n";
    let panes = parse_pane_list(out);
    assert_eq!(panes.len(), 1, "{panes:?}");
    assert_eq!(panes[0].pane_id, "%9");
    assert_eq!(panes[0].session, "my\tsession with tab");
    assert_eq!(panes[0].pane_pid, None);
    assert_eq!(panes[0].server_pid, None);
    assert!(parse_pane_list("").is_empty());
    // A big blob of junk is just skipped.
    assert!(parse_pane_list(&"rca1\t%1\t\t\n".repeat(10_000)).is_empty());
}

#[test]
fn capture_reads_the_tail_with_joined_lines() {
    let cmd = plan_capture(Some("rca"), "%4", 200).unwrap();
    assert_eq!(cmd.argv, s(&["tmux", "-u", "-L", "rca", "capture-pane", "-p", "-J", "-S", "-200", "-t", "%4"]));
    let cmd = plan_capture(None, "claude-fix-bug", 50).unwrap();
    assert_eq!(cmd.argv, s(&["tmux", "-u", "capture-pane", "-p", "-J", "-S", "-50", "-t", "=claude-fix-bug:"]));
    for bad in ["", "%", "fix-bug", "=claude-x", "claude-x:", "%1 %2"] {
        assert!(plan_capture(None, bad, 5).is_err(), "{bad:?}");
    }
}

#[test]
fn send_types_literal_text_then_enter() {
    let plan = plan_send(Some("rca"), "codex-fix-bug", "yes", false).unwrap();
    assert!(plan.files.is_empty());
    assert_eq!(
        plan.commands.iter().map(|c| c.argv.clone()).collect::<Vec<_>>(),
        vec![
            s(&["tmux", "-u", "-L", "rca", "send-keys", "-l", "-t", "=codex-fix-bug:", "--", "yes"]),
            s(&["tmux", "-u", "-L", "rca", "send-keys", "-t", "=codex-fix-bug:", "Enter"]),
        ]
    );
    // Text that looks like a flag stays text (after --).
    let plan = plan_send(None, "codex-fix-bug", "-x", false).unwrap();
    assert_eq!(plan.commands[0].argv[6..], s(&["--", "-x"])[..]);
}

#[test]
fn send_pastes_through_a_buffer_from_stdin() {
    let plan = plan_send(None, "claude-x", "line 1\nline 2", true).unwrap();
    assert_eq!(plan.commands.len(), 3);
    assert_eq!(plan.commands[0].argv, s(&["tmux", "-u", "load-buffer", "-b", "rca-claude-x", "-"]));
    assert_eq!(plan.commands[0].stdin.as_deref(), Some("line 1\nline 2"));
    assert_eq!(plan.commands[1].argv, s(&["tmux", "-u", "paste-buffer", "-p", "-d", "-b", "rca-claude-x", "-t", "=claude-x:"]));
    assert_eq!(plan.commands[2].argv, s(&["tmux", "-u", "send-keys", "-t", "=claude-x:", "Enter"]));
    // Multi-line or large text is pasted even when paste was not asked for.
    assert_eq!(plan_send(None, "claude-x", "a\nb", false).unwrap().commands.len(), 3);
    let big = "x".repeat(MAX_SEND_KEYS_BYTES + 1);
    let plan = plan_send(None, "claude-x", &big, false).unwrap();
    assert_eq!(plan.commands[0].stdin.as_deref(), Some(big.as_str()));
    // Empty text: just Enter.
    let plan = plan_send(None, "claude-x", "", true).unwrap();
    assert_eq!(plan.commands.len(), 1);
    assert_eq!(plan.commands[0].argv, s(&["tmux", "-u", "send-keys", "-t", "=claude-x:", "Enter"]));
}

#[test]
fn send_rejects_bad_sessions_and_text() {
    assert_eq!(plan_send(None, "x", "a", false).unwrap_err().code(), "invalid_session");
    assert_eq!(plan_send(None, "claude-x", "a\0b", false).unwrap_err().code(), "invalid_input");
    assert_eq!(plan_send(Some(".x"), "claude-x", "a", false).unwrap_err().code(), "invalid_option");
}

#[test]
fn stop_kills_the_exact_session() {
    assert_eq!(plan_stop(Some("rca"), "pi-x").unwrap().argv, s(&["tmux", "-u", "-L", "rca", "kill-session", "-t", "=pi-x"]));
    assert_eq!(plan_stop(None, "pi-x").unwrap().argv, s(&["tmux", "-u", "kill-session", "-t", "=pi-x"]));
    assert_eq!(plan_stop(None, "pi").unwrap_err().code(), "invalid_session");
}

#[test]
fn undoing_a_start_kills_the_session_id_it_printed_never_a_name() {
    assert_eq!(plan_stop_session_id(Some("rca"), "$12").unwrap().argv, s(&["tmux", "-u", "-L", "rca", "kill-session", "-t", "$12"]));
    for bad in ["", "$", "12", "=pi-x", "pi-x", "$1;", "$1 ", "$-1", "$12345678901"] {
        assert_eq!(plan_stop_session_id(None, bad).unwrap_err().code(), "invalid_option", "{bad:?}");
    }
}

#[test]
fn targets_are_exact_matches() {
    assert_eq!(session_target("codex-a"), "=codex-a");
    assert_eq!(pane_target_of_session("codex-a"), "=codex-a:");
}

#[test]
fn tmux_escaping_covers_trailing_semicolons_and_formats() {
    assert_eq!(tmux_arg("plain"), "plain");
    assert_eq!(tmux_arg("a;b"), "a;b");
    assert_eq!(tmux_arg("a;"), "a\\;");
    assert_eq!(tmux_arg(";"), "\\;");
    assert_eq!(tmux_arg("a\\;"), "a\\\\;");
    assert_eq!(tmux_dir_arg("/a/#{pane_id};"), "/a/##{pane_id}\\;");
    assert_eq!(tmux_dir_arg("/a#b"), "/a##b");
}

#[test]
fn attempt_files_follow_the_wrapper_protocol() {
    let f = attempt_files(3);
    assert_eq!(
        [f.prompt, f.started, f.pid, f.events, f.stderr, f.exit, f.transcript],
        ["prompt.3", "started.3", "pid.3", "events.3.jsonl", "stderr.3.log", "exit.3", "transcript.log"].map(String::from)
    );
    assert_eq!(f.env, "agent.env");
    for name in ["prompt.$n", "started.$n", "pid.$n", "events.$n.jsonl", "stderr.$n.log", "exit.$n", "transcript.log", "agent.env", "__TASK_DONE__", "umask 077"] {
        assert!(WRAPPER_SCRIPT.contains(name), "wrapper writes {name}");
    }
}

#[test]
fn the_wrapper_never_writes_through_a_link_and_hides_the_state_dir_from_the_agent() {
    // noclobber: `>` creates with O_EXCL (a planted file or dangling link makes it fail).
    assert!(WRAPPER_SCRIPT.lines().any(|l| l == "set -C"));
    // No tee opens a path of its own: each writes to a descriptor the script opened.
    assert!(!WRAPPER_SCRIPT.contains("tee -a \"$d"));
    // Nothing that names the state directory or the tmux server reaches the agent.
    assert!(WRAPPER_SCRIPT.contains("unset RCA_TASK_DIR RCA_ATTEMPT RCA_PROJECT_DIR TMUX TMUX_PANE"));
    let unset_at = WRAPPER_SCRIPT.find("unset RCA_TASK_DIR").unwrap();
    assert!(unset_at < WRAPPER_SCRIPT.find("exec \"$@\"").unwrap());
}
