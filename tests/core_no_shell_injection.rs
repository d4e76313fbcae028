//! No user data ever reaches a shell string (DESIGN §3.3).
//!
//! Hostile prompts, names, paths, models, env values and sent text go through every planner.
//! The only strings a shell interprets are the `bash -c` script (must be the constant wrapper)
//! and `pipe-pane` commands (must not exist). User data may appear only as whole argv elements,
//! `-c`/`-e` values, stdin or file contents — and, after undoing tmux's own argv escaping
//! (a trailing `\;`, `##` in `-c`), exactly as given.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::{AgentKind, Autonomy, TaskSpec};
use resilient_coding_agent::plan::*;
use resilient_coding_agent::spec::{validate_spec, TaskSpecInput};
use resilient_coding_agent::wrapper::{WRAPPER_NAME, WRAPPER_SCRIPT};

const UUID: &str = "01a20aee-07dc-7642-86cc-36bb08482310";
const OC_ID: &str = "ses_df50699c7fferLFulVNQxfBn2m";

fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "$(touch /tmp/pwned)",
        "`touch /tmp/pwned`",
        "; touch /tmp/pwned",
        "a;",
        ";",
        "\\;",
        "x\\",
        "' \" \\' \\\"",
        "$HOME ${PATH} $0 $@ $*",
        "#{pane_id} #(touch /tmp/pwned) ##",
        "{ } \\ | & && || > < >> 2>&1 * ? [a]",
        "line1\nline2\r\n\tx",
        "日本語 ü é 🙂 \u{202e}rtl",
        "-e",
        "--",
        "-c",
        "--dangerously-bypass-approvals-and-sandbox",
        "\u{1b}[31m",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("{}$(touch /tmp/pwned);", "x".repeat(1024 * 1024)));
    v
}

/// Splits a tmux argv (after `tmux -u [-L s]`) into commands the way tmux 3.3a does: an argument
/// ending in `;` ends a command (a trailing `\;` is a literal `;`).
fn tmux_commands(argv: &[String]) -> Vec<Vec<String>> {
    assert_eq!(argv[0], "tmux");
    assert_eq!(argv[1], "-u");
    let start = if argv.get(2).map(String::as_str) == Some("-L") { 4 } else { 2 };
    let mut out = vec![Vec::new()];
    for a in &argv[start..] {
        if let Some(head) = a.strip_suffix("\\;") {
            out.last_mut().unwrap().push(format!("{head};"));
        } else if let Some(head) = a.strip_suffix(';') {
            if !head.is_empty() {
                out.last_mut().unwrap().push(head.to_string());
            }
            out.push(Vec::new());
        } else {
            out.last_mut().unwrap().push(a.clone());
        }
    }
    out
}

/// Checks one pane-creating command and returns (start dir, -e values, agent argv) as tmux
/// will see them.
fn dissect(cmd: &Command) -> (String, Vec<String>, Vec<String>) {
    // No shell strings other than the constant wrapper.
    for a in &cmd.argv {
        assert!(!a.contains("pipe-pane") && a != "run-shell" && a != "if-shell", "{a:?}");
    }
    let scripts: Vec<usize> = cmd.argv.iter().enumerate().filter(|(_, a)| *a == "-c").map(|(i, _)| i).collect();
    let commands = tmux_commands(&cmd.argv);
    let first = &commands[0];
    assert!(first[0] == "new-session" || first[0] == "respawn-pane", "{:?}", first[0]);
    for rest in &commands[1..] {
        assert_eq!(rest, &["set-option", "-w", "-t", rest[3].as_str(), "remain-on-exit", "on"]);
        assert!(rest[3].starts_with('=') && rest[3].ends_with(':'));
    }
    let dd = first.iter().position(|a| a == "--").expect("-- before the program");
    assert_eq!(first[dd + 1..dd + 5], [String::from("bash"), "-c".into(), WRAPPER_SCRIPT.into(), WRAPPER_NAME.into()]);
    assert!(scripts.len() >= 2, "-c for the dir and for bash");
    let mut dir = None;
    let mut env = Vec::new();
    let mut i = 1;
    while i < dd {
        match first[i].as_str() {
            "-c" => {
                dir = Some(first[i + 1].replace("##", "#"));
                i += 2;
            }
            "-e" => {
                env.push(first[i + 1].clone());
                i += 2;
            }
            "-s" | "-x" | "-y" | "-t" | "-F" => i += 2,
            "-d" | "-k" | "-P" => i += 1,
            other => panic!("unexpected tmux option {other:?}"),
        }
    }
    (dir.expect("-c"), env, first[dd + 5..].to_vec())
}

fn ctx(task_dir: &str) -> HostContext {
    HostContext {
        task_dir: task_dir.into(),
        socket: Some("rca".into()),
        demo_agent: Some(vec!["node".into(), "/opt/demo-agent.js".into()]),
        preset_session_id: Some("2b9c1a4e-8f3d-4c2a-9e1b-7d6f5a4b3c2d".into()),
        ..HostContext::default()
    }
}

fn spec(agent: AgentKind, dir: &str) -> TaskSpec {
    let model = if agent == AgentKind::Opencode { Some("a/b".to_string()) } else { None };
    TaskSpec { agent, name: "t".into(), project_dir: dir.into(), model, autonomy: Autonomy::Full }
}

#[test]
fn the_wrapper_is_a_constant_that_never_evaluates_its_arguments() {
    assert!(!WRAPPER_SCRIPT.contains("eval"));
    assert!(!WRAPPER_SCRIPT.ends_with(';'), "a trailing ; would be a tmux separator");
    // "$@" is only ever used quoted, as whole words.
    let unquoted = WRAPPER_SCRIPT.matches("$@").count() - WRAPPER_SCRIPT.matches("\"$@\"").count();
    assert_eq!(unquoted, 0);
    assert!(WRAPPER_SCRIPT.contains("exec \"$@\""));
}

#[test]
fn hostile_prompts_only_reach_the_prompt_file() {
    for agent in AgentKind::ALL {
        for h in hostile() {
            // A marker no constant contains, so "leaked" means leaked.
            let p = format!("Q7xZ{h}Q7xZ");
            let plan = plan_start(&spec(agent, "/p"), &p, &ctx("/t"), 1).unwrap();
            // prompt.1, and agent.env (the agent's environment, which holds no prompt).
            assert_eq!(plan.files.len(), 2);
            assert_eq!(plan.files[0].contents, p);
            assert_eq!(plan.files[1].path, "agent.env");
            assert!(!plan.files[1].contents.contains("Q7xZ"));
            for cmd in &plan.commands {
                assert_eq!(cmd.stdin, None);
                for a in &cmd.argv {
                    assert!(!a.contains("Q7xZ"), "prompt leaked into argv for {agent:?}");
                }
                dissect(cmd);
            }
        }
    }
}

#[test]
fn hostile_project_dirs_are_exactly_the_start_directory() {
    for agent in AgentKind::ALL {
        for h in hostile() {
            let dir = format!("/work/Q7xZ{}", h.replace('/', "_"));
            let input = TaskSpecInput { agent: agent.as_str().into(), name: "t".into(), project_dir: dir.clone(), model: spec(agent, "/").model, autonomy: None };
            match validate_spec(&input) {
                Err(e) => {
                    assert!(h.chars().any(char::is_control) || dir.len() > 4096, "{h:?} rejected: {e}");
                    assert_eq!(e.code(), "invalid_project_dir");
                }
                Ok(s) => {
                    for plan in [
                        plan_start(&s, "x", &ctx("/t"), 1).unwrap(),
                        plan_recover(&s, if agent == AgentKind::Opencode { OC_ID } else { UUID }, &ctx("/t"), &RecoverMode::Recreate, 2).unwrap(),
                        plan_recover(&s, if agent == AgentKind::Opencode { OC_ID } else { UUID }, &ctx("/t"), &RecoverMode::Respawn { pane_id: "%1".into() }, 2).unwrap(),
                    ] {
                        let (got, env, argv) = dissect(&plan.commands[0]);
                        assert_eq!(got, dir);
                        // The wrapper's own cd target: the same exact path, one -e value.
                        assert!(env.contains(&format!("RCA_PROJECT_DIR={dir}")), "{env:?}");
                        assert!(!argv.iter().any(|a| a.contains("Q7xZ")), "dir leaked into agent argv");
                    }
                }
            }
        }
    }
}

#[test]
fn hostile_task_dirs_and_env_values_are_exact_env_values() {
    for h in hostile() {
        if h.chars().any(char::is_control) || h.len() > 4000 {
            let c = ctx(&format!("/t/{h}"));
            assert!(plan_start(&spec(AgentKind::Pi, "/p"), "x", &c, 1).is_err());
            continue;
        }
        let task_dir = format!("/state/{}", h.replace('/', "_"));
        let mut c = ctx(&task_dir);
        c.env = vec![EnvVar { name: "HOME".into(), value: h.clone() }];
        c.is_root = true;
        let plan = plan_start(&spec(AgentKind::Pi, "/p"), "x", &c, 1).unwrap();
        let (_, env, argv) = dissect(&plan.commands[0]);
        assert_eq!(env, vec![format!("RCA_TASK_DIR={task_dir}"), "RCA_ATTEMPT=1".into(), "RCA_PROJECT_DIR=/p".into()]);
        // The agent's variables are one exact entry of the 0600 agent.env file, never argv.
        let file = plan.files.iter().find(|f| f.path == "agent.env").expect("agent.env");
        assert_eq!(file.contents, format!("HOME={h}\0"));
        // Pi's session file path is one whole argv element.
        let file = format!("{task_dir}/pi-session.jsonl");
        assert_eq!(argv, ["pi", "--mode", "json", "--session", file.as_str()]);
    }
}

#[test]
fn hostile_names_models_and_ids_never_get_past_validation() {
    for h in hostile() {
        let mut input = TaskSpecInput { agent: "codex".into(), name: h.clone(), project_dir: "/p".into(), model: None, autonomy: None };
        assert_eq!(validate_spec(&input).unwrap_err().code(), "invalid_task_name", "{h:?}");
        input.name = "t".into();
        input.model = Some(h.clone());
        assert_eq!(validate_spec(&input).unwrap_err().code(), "invalid_option", "{h:?}");
        input.model = None;
        input.agent = h.clone();
        assert_eq!(validate_spec(&input).unwrap_err().code(), "invalid_agent");
        input.agent = "codex".into();
        input.autonomy = Some(h.clone());
        assert_eq!(validate_spec(&input).unwrap_err().code(), "invalid_autonomy");
        for agent in AgentKind::ALL {
            let e = plan_recover(&spec(agent, "/p"), &h, &ctx("/t"), &RecoverMode::Recreate, 2).unwrap_err();
            assert_eq!(e.code(), "invalid_session_id");
        }
        // Claude's preset id, OpenCode's title tag, sockets and pane ids are checked too.
        let c = HostContext { preset_session_id: Some(h.clone()), ..ctx("/t") };
        assert!(plan_start(&spec(AgentKind::Claude, "/p"), "x", &c, 1).is_err());
        let c = HostContext { title_tag: Some(h.clone()), ..ctx("/t") };
        assert!(plan_start(&spec(AgentKind::Opencode, "/p"), "x", &c, 1).is_err());
        assert!(plan_list_panes(Some(&h)).is_err());
        assert!(plan_capture(None, &h, 10).is_err());
        assert!(plan_stop(None, &h).is_err());
        let mode = RecoverMode::Respawn { pane_id: h.clone() };
        assert!(plan_recover(&spec(AgentKind::Codex, "/p"), UUID, &ctx("/t"), &mode, 2).is_err());
    }
}

#[test]
fn hostile_program_and_demo_argv_are_whole_elements() {
    for h in hostile() {
        if h.is_empty() || h.chars().any(char::is_control) || h.len() > 4096 {
            continue;
        }
        let c = HostContext { demo_agent: Some(vec![h.clone(), "/x y;".into()]), ..ctx("/t") };
        let plan = plan_start(&spec(AgentKind::Demo, "/p"), "x", &c, 1).unwrap();
        let (_, _, argv) = dissect(&plan.commands[0]);
        assert_eq!(argv[0], h);
        assert_eq!(argv[1], "/x y;");
        if !h.starts_with('-') {
            let c = HostContext { program: Some(h.clone()), ..ctx("/t") };
            let plan = plan_start(&spec(AgentKind::Codex, "/p"), "x", &c, 1).unwrap();
            assert_eq!(dissect(&plan.commands[0]).2[0], h);
        }
    }
}

#[test]
fn hostile_text_sent_to_a_pane_is_literal_or_stdin() {
    for h in hostile() {
        if h.contains('\0') {
            continue;
        }
        for paste in [false, true] {
            let plan = plan_send(Some("rca"), "claude-t", &h, paste).unwrap();
            let last = plan.commands.last().unwrap();
            assert_eq!(tmux_commands(&last.argv), vec![vec!["send-keys", "-t", "=claude-t:", "Enter"]]);
            let first = &plan.commands[0];
            if first.stdin.is_some() {
                assert_eq!(first.stdin.as_deref(), Some(h.as_str()));
                assert_eq!(tmux_commands(&first.argv), vec![vec!["load-buffer", "-b", "rca-claude-t", "-"]]);
                assert_eq!(tmux_commands(&plan.commands[1].argv), vec![vec!["paste-buffer", "-p", "-d", "-b", "rca-claude-t", "-t", "=claude-t:"]]);
            } else {
                // One tmux command; the text is the single argument after `--`, exactly.
                let cmds = tmux_commands(&first.argv);
                assert_eq!(cmds.len(), 1, "{h:?}");
                assert_eq!(cmds[0][..5], ["send-keys", "-l", "-t", "=claude-t:", "--"]);
                assert_eq!(cmds[0][5..], *std::slice::from_ref(&h));
            }
        }
    }
}

#[test]
fn no_command_of_any_plan_holds_a_shell_string_but_the_wrapper() {
    let s = spec(AgentKind::Claude, "/p");
    let mut cmds = plan_start(&s, "x", &ctx("/t"), 1).unwrap().commands;
    cmds.extend(plan_recover(&s, UUID, &ctx("/t"), &RecoverMode::Respawn { pane_id: "%2".into() }, 2).unwrap().commands);
    cmds.extend(plan_send(None, "claude-t", "a\nb", true).unwrap().commands);
    cmds.push(plan_list_panes(None).unwrap());
    cmds.push(plan_capture(None, "%2", 10).unwrap());
    cmds.push(plan_stop(None, "claude-t").unwrap());
    for cmd in cmds {
        for (i, a) in cmd.argv.iter().enumerate() {
            let after_shell = i > 0 && cmd.argv[i - 1] == "-c" && cmd.argv.get(i.wrapping_sub(2)).is_some_and(|p| p == "bash" || p == "sh");
            if after_shell {
                assert_eq!(a, WRAPPER_SCRIPT);
            }
            assert!(!["pipe-pane", "run-shell", "if-shell", "display-popup", "new-window"].contains(&a.as_str()));
        }
    }
}
