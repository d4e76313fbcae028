//! Live panes: a prompt waiting for a person, an agent stuck retrying, or work in progress.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::classify::{classify_live, LiveVerdict};
use resilient_coding_agent::model::AgentKind;

fn waiting(agent: AgentKind, pane: &str) -> String {
    match classify_live(agent, pane) {
        LiveVerdict::WaitingForInput { evidence } => evidence,
        other => panic!("{agent:?}: expected waiting_for_input, got {other:?} for {pane:?}"),
    }
}

#[test]
fn approval_prompts_per_agent() {
    let claude = "⏺ Bash(rm -rf build)\n\n Do you want to proceed?\n ❯ 1. Yes\n   2. No, and tell Claude what to do differently (esc)\n\n Esc to cancel\n";
    assert_eq!(waiting(AgentKind::Claude, claude), "2. No, and tell Claude what to do differently (esc)");
    let trust = "\u{1b}[1m Do you trust the files in this folder?\u{1b}[0m\n ❯ 1. Yes, proceed\n";
    assert_eq!(waiting(AgentKind::Claude, trust), "Do you trust the files in this folder?");
    let codex = "Would you like to run the following command?\n$ touch x\n› 1. Yes, proceed\n  2. No, and tell Codex what to do differently\nPress enter to confirm or esc to cancel\n";
    assert!(waiting(AgentKind::Codex, codex).contains("Press enter to confirm"));
    let opencode = "┃  △ Permission required\n┃  $ touch mock_created_file.txt\n┃  Allow once   Allow always   Reject\n";
    assert!(waiting(AgentKind::Opencode, opencode).contains("Permission required"));
    let pi = "Session belongs to /home/user/other\nFork this session into current directory? [y/N] ";
    assert!(waiting(AgentKind::Pi, pi).contains("Fork this session"));
    assert!(waiting(AgentKind::Demo, "Allow command? [y/n]").contains("Allow command?"));
}

#[test]
fn agent_specific_prompts_do_not_cross_agents() {
    let opencode_only = "△ Permission required\n";
    assert_eq!(classify_live(AgentKind::Claude, opencode_only), LiveVerdict::Working);
}

#[test]
fn prompts_quoted_in_the_event_stream_are_not_prompts() {
    let pane = "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":\"Do you want to proceed? [y/n]\"}}\n";
    assert_eq!(classify_live(AgentKind::Codex, pane), LiveVerdict::Working);
}

#[test]
fn prompts_scrolled_far_away_are_stale() {
    let mut pane = String::from("Do you want to proceed?\n");
    for i in 0..40 {
        pane.push_str(&format!("working on step {i}\n"));
    }
    assert_eq!(classify_live(AgentKind::Claude, &pane), LiveVerdict::Working);
}

#[test]
fn codex_waiting_for_network_is_a_retry_loop() {
    let pane = format!(
        "{}{}",
        include_str!("fixtures/agent-output/codex/cx-nonet-long.stderr"),
        include_str!("fixtures/agent-output/codex/cx-nonet-long.stdout")
    );
    match classify_live(AgentKind::Codex, &pane) {
        LiveVerdict::RetryLoop { evidence } => {
            assert_eq!(evidence, "Reconnecting... waiting for network (Connection failed: error sending request)")
        }
        other => panic!("expected retry_loop, got {other:?}"),
    }
}

#[test]
fn pi_and_claude_retry_events_are_a_retry_loop() {
    let pi = "{\"type\":\"auto_retry_start\",\"attempt\":1,\"errorMessage\":\"429 Rate limit\"}\n".repeat(4);
    assert!(matches!(classify_live(AgentKind::Pi, &pi), LiveVerdict::RetryLoop { .. }));
    let claude = "{\"type\":\"system\",\"subtype\":\"api_retry\",\"attempt\":1,\"error_status\":529}\n".repeat(3);
    assert!(matches!(classify_live(AgentKind::Claude, &claude), LiveVerdict::RetryLoop { .. }));
}

#[test]
fn a_single_reconnect_or_progress_after_it_is_working() {
    let one = "{\"type\":\"turn.started\"}\n{\"type\":\"error\",\"message\":\"Reconnecting... 1/5 (stream disconnected)\"}\n";
    assert_eq!(classify_live(AgentKind::Codex, one), LiveVerdict::Working);
    let recovered = format!(
        "{}{{\"type\":\"item.completed\",\"item\":{{\"type\":\"agent_message\",\"text\":\"done\"}}}}\n",
        "{\"type\":\"error\",\"message\":\"Reconnecting... 2/5 (x)\"}\n".repeat(5)
    );
    assert_eq!(classify_live(AgentKind::Codex, &recovered), LiveVerdict::Working);
}

#[test]
fn ordinary_output_is_working() {
    for (agent, pane) in [
        (AgentKind::Codex, include_str!("fixtures/agent-output/codex/cx-ok-json.stdout")),
        (AgentKind::Claude, include_str!("fixtures/agent-output/claude/cl-ok-sjson.stdout")),
        (AgentKind::Opencode, include_str!("fixtures/agent-output/opencode/oc-ok-json.stdout")),
        (AgentKind::Pi, include_str!("fixtures/agent-output/pi/pi-ok-json.stdout")),
        (AgentKind::Claude, "✻ Thinking… (esc to interrupt)\n"),
        (AgentKind::Codex, ""),
    ] {
        assert_eq!(classify_live(agent, pane), LiveVerdict::Working, "{agent:?}");
    }
}

#[test]
fn evidence_is_redacted() {
    let pane = "OPENAI_API_KEY=abc123456789 Do you want to proceed?";
    let ev = waiting(AgentKind::Claude, pane);
    assert!(!ev.contains("abc123456789"), "{ev}");
}
