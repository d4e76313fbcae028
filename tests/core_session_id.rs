//! Session ids: read from the head of each agent's real output, and validated before they can
//! reach a resume command line.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::AgentKind;
use resilient_coding_agent::session_id::{extract_session_id, validate_session_id};

macro_rules! out {
    ($agent:literal, $name:literal, $stream:literal) => {
        include_str!(concat!("fixtures/agent-output/", $agent, "/", $name, ".", $stream))
    };
}

fn id(agent: AgentKind, head: &str) -> Option<String> {
    extract_session_id(agent, head)
}

#[test]
fn codex_thread_started() {
    let head = out!("codex", "cx-ok-json", "stdout");
    assert_eq!(id(AgentKind::Codex, head).as_deref(), Some("01a20aee-07dc-7642-86cc-36bb08482310"));
    assert_eq!(
        id(AgentKind::Codex, out!("codex", "cx-401-json", "stdout")).as_deref(),
        Some("01a20aee-4156-7782-815c-1212554e90c4")
    );
    // Resume keeps the same thread id.
    assert_eq!(
        id(AgentKind::Codex, out!("codex", "cx-resume-json", "stdout")).as_deref(),
        Some("01a20aee-0a73-7f71-b819-db8150d59d3f")
    );
}

#[test]
fn demo_uses_the_codex_format() {
    let head = out!("codex", "cx-nonet-long", "stdout");
    assert_eq!(id(AgentKind::Demo, head).as_deref(), Some("01a20b0e-6192-7b12-85c2-5bae47ea74c3"));
}

#[test]
fn codex_text_mode_stderr_header() {
    let head = out!("codex", "cx-ok-text", "stderr");
    assert_eq!(id(AgentKind::Codex, head).as_deref(), Some("01a20aee-0a73-7f71-b819-db8150d59d3f"));
    let head = out!("codex", "cx-usage-text", "stderr");
    assert_eq!(id(AgentKind::Codex, head).as_deref(), Some("01a20aef-0ea4-74d0-8576-ef18a3cb7d43"));
}

#[test]
fn codex_without_an_id() {
    assert_eq!(id(AgentKind::Codex, out!("codex", "cx-nogit", "stderr")), None);
    assert_eq!(id(AgentKind::Codex, ""), None);
    // The id in an error message is not the session's.
    assert_eq!(id(AgentKind::Codex, out!("codex", "cx-resume-missing", "stderr")), None);
}

#[test]
fn claude_session_id_from_any_line() {
    let head = out!("claude", "cl-ok-sjson", "stdout");
    assert_eq!(id(AgentKind::Claude, head).as_deref(), Some("fe204e76-bb72-41bc-b31c-9f027f5ef191"));
    // 2.1.330 result-only output, fields in another order.
    let head = out!("claude", "cl330-nologin", "stdout");
    assert_eq!(id(AgentKind::Claude, head).as_deref(), Some("038a9de8-d875-477b-a05d-c7e6effde31f"));
    let head = out!("claude", "claude-resume-existing", "stdout");
    assert_eq!(id(AgentKind::Claude, head).as_deref(), Some("11111111-2222-4333-8444-555555555555"));
}

#[test]
fn claude_nested_uuids_are_not_the_session() {
    // Message ids and line uuids are UUIDs too; only `session_id` counts.
    let head = "{\"type\":\"assistant\",\"message\":{\"id\":\"8b96f4b5-5c9c-4253-8888-d7a88d1f08f7\"},\"uuid\":\"4d2a3b08-70d9-498d-97de-1c14bacc51db\"}\n";
    assert_eq!(id(AgentKind::Claude, head), None);
}

#[test]
fn claude_huge_first_line_cut_by_the_head_window() {
    let head = out!("claude", "cl-401-sjson", "stdout");
    let first = head.lines().next().unwrap_or("");
    let cut = &first[..first.len() / 2];
    assert_eq!(id(AgentKind::Claude, cut).as_deref(), Some("28282bce-9824-4865-999e-38b763714aec"));
}

#[test]
fn opencode_session_id() {
    let head = out!("opencode", "oc-ok-json", "stdout");
    assert_eq!(id(AgentKind::Opencode, head).as_deref(), Some("ses_df50699c7fferLFulVNQxfBn2m"));
    let head = out!("opencode", "oc-401-json", "stdout");
    assert_eq!(id(AgentKind::Opencode, head).as_deref(), Some("ses_df505f5e9ffeLUmbQdbzuZGcmW"));
    assert_eq!(
        id(AgentKind::Opencode, out!("opencode", "oc-resume", "stdout")).as_deref(),
        Some("ses_df50699c7fferLFulVNQxfBn2m")
    );
}

#[test]
fn opencode_ids_in_session_list_validate() {
    let list = out!("opencode", "oc-session-list", "stdout");
    let ids: Vec<&str> = list
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"id\": \""))
        .filter_map(|l| l.strip_suffix("\","))
        .collect();
    assert!(ids.len() >= 3, "{ids:?}");
    for i in ids {
        assert_eq!(validate_session_id(AgentKind::Opencode, i), Ok(()), "{i}");
    }
}

#[test]
fn pi_session_line() {
    let head = out!("pi", "pi-ok-json", "stdout");
    assert_eq!(id(AgentKind::Pi, head).as_deref(), Some("01a20b07-c6d5-741d-bc9d-1788634282f8"));
    let head = out!("pi", "pi-p-json", "stdout");
    assert_eq!(id(AgentKind::Pi, head).as_deref(), Some("01a20aec-3495-70a1-b466-162db5f99fa7"));
    assert_eq!(id(AgentKind::Pi, out!("pi", "pi-ok-text", "stdout")), None);
}

#[test]
fn wrong_agent_format_finds_nothing() {
    assert_eq!(id(AgentKind::Pi, out!("codex", "cx-ok-json", "stdout")), None);
    assert_eq!(id(AgentKind::Opencode, out!("claude", "cl-ok-sjson", "stdout")), None);
    assert_eq!(id(AgentKind::Codex, out!("pi", "pi-ok-json", "stdout")), None);
}

#[test]
fn partial_last_line_junk_and_replacement_chars() {
    let partial = "{\"type\":\"thread.started\",\"thread_id\":\"01a20aee-07dc-7642-86cc-36bb";
    assert_eq!(id(AgentKind::Codex, partial), None);
    let junk = "\u{FFFD}\u{FFFD}garbage\n{not json\n{\"type\":\"thread.started\",\"thread_id\":\"not-a-uuid\"}\n\
                {\"type\":\"thread.started\",\"thread_id\":\"01a20aee-07dc-7642-86cc-36bb08482310\"}\n{\"type\":\"tu";
    assert_eq!(id(AgentKind::Codex, junk).as_deref(), Some("01a20aee-07dc-7642-86cc-36bb08482310"));
    let huge = format!("{}\n{}", "x".repeat(200_000), out!("codex", "cx-ok-json", "stdout"));
    assert_eq!(id(AgentKind::Codex, &huge), None, "only the head is read");
}

#[test]
fn ids_with_shell_or_flag_syntax_are_never_extracted() {
    for bad in ["--last", "$(id)", "01a20aee-07dc-7642-86cc-36bb08482310; rm -rf /", "ses_../../etc/passwd"] {
        let line = format!("{{\"type\":\"thread.started\",\"thread_id\":\"{bad}\",\"sessionID\":\"{bad}\",\"session_id\":\"{bad}\"}}");
        for agent in AgentKind::ALL {
            assert_eq!(id(agent, &line), None, "{agent:?} {bad}");
        }
    }
}

#[test]
fn validate_uuid_agents() {
    for agent in [AgentKind::Codex, AgentKind::Claude, AgentKind::Pi, AgentKind::Demo] {
        assert_eq!(validate_session_id(agent, "01a20aee-07dc-7642-86cc-36bb08482310"), Ok(()));
        assert_eq!(validate_session_id(agent, "99999999-2222-4333-8444-555555555555"), Ok(()));
        assert_eq!(validate_session_id(agent, "01A20AEE-07DC-7642-86CC-36BB08482310"), Ok(()));
        for bad in [
            "",
            "01a20aee07dc764286cc36bb08482310",
            "01a20aee-07dc-7642-86cc-36bb0848231",
            "01a20aee-07dc-7642-86cc-36bb084823100",
            "g1a20aee-07dc-7642-86cc-36bb08482310",
            " 01a20aee-07dc-7642-86cc-36bb08482310",
            "00000000-0000-0000-0000-000000000000",
            "my-thread-name",
            "ses_df50699c7fferLFulVNQxfBn2m",
            "-",
        ] {
            let err = validate_session_id(agent, bad).expect_err(bad);
            assert_eq!(err.code(), "invalid_session_id");
        }
    }
}

#[test]
fn validate_opencode_ids() {
    assert_eq!(validate_session_id(AgentKind::Opencode, "ses_df50699c7fferLFulVNQxfBn2m"), Ok(()));
    for bad in [
        "",
        "ses_",
        "ses_df50699c7fferLFulVNQxfBn2",
        "ses_df50699c7fferLFulVNQxfBn2mm",
        "ses_df50699c7fferLFulVNQxfB-2m",
        "SES_df50699c7fferLFulVNQxfBn2m",
        "msg_20af96b44001T7fH0zRBbJitda",
        "01a20aee-07dc-7642-86cc-36bb08482310",
        "ses_df50699c7fferLFulVNQxfBn2\u{e9}",
    ] {
        let err = validate_session_id(AgentKind::Opencode, bad).expect_err(bad);
        assert_eq!(err.code(), "invalid_session_id");
    }
}

#[test]
fn error_message_does_not_echo_megabytes() {
    let long = "a".repeat(1_000_000);
    let err = validate_session_id(AgentKind::Codex, &long).expect_err("too long");
    assert!(err.to_string().len() < 400);
}
