//! Usage per attempt and in total, read from each agent's real events (fixtures captured from
//! the real CLIs against the mock model, which answers every call with 12 input / 6 output
//! tokens), summed across a SIGKILL and a resume without counting a resumed conversation twice;
//! and budgets: crossing one stops the task as `budget_exceeded`, never resumed automatically,
//! and a manual resume needs a higher budget.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod monitor_support;
use monitor_support::*;

use resilient_coding_agent::model::{AgentKind, FailureClass, TaskState};
use resilient_coding_agent::monitor::{manual_resume, step, Action, EventKind};
use resilient_coding_agent::profiles::profile;
use resilient_coding_agent::record::{parse_record_from, TaskRecord};
use resilient_coding_agent::usage::{read_usage, record_attempt, with_budget, Budget, TaskUsage, Usage};

macro_rules! fixture {
    ($agent:literal, $file:literal) => {
        include_str!(concat!("fixtures/agent-output/", $agent, "/", $file))
    };
}

/// Attempt 1 killed while its second model call hung (one answered call of 12/6 before it),
/// attempt 2 the resumed run that completed (one more call).
const CASES: [(AgentKind, &str, &str); 5] = [
    (AgentKind::Codex, fixture!("codex", "conf-cx-killed-json.stdout"), fixture!("codex", "conf-cx-resume-json.stdout")),
    (AgentKind::Claude, fixture!("claude", "conf-cl-killed-sjson.stdout"), fixture!("claude", "conf-cl-resume-sjson.stdout")),
    (AgentKind::Opencode, fixture!("opencode", "conf-oc-killed-json.stdout"), fixture!("opencode", "conf-oc-resume-json.stdout")),
    (AgentKind::Pi, fixture!("pi", "conf-pi16-killed-json.stdout"), fixture!("pi", "conf-pi16-resume-json.stdout")),
    (AgentKind::Gemini, fixture!("gemini", "conf-gm-killed-sjson.stdout"), fixture!("gemini", "conf-gm-resume-sjson.stdout")),
];

fn tokens(input: u64, output: u64) -> Usage {
    Usage { input_tokens: input, output_tokens: output, cached_tokens: 0, cost_usd: None }
}

/// Reads an event file the way the host does: in chunks of whole lines, folding as it goes.
fn read_in_chunks(agent: AgentKind, text: &str) -> Option<Usage> {
    let data = profile(agent).data.usage.as_ref().expect("every built-in agent has a usage section");
    let mut acc = None;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for chunk in lines.chunks(2) {
        acc = read_usage(data, acc, &chunk.concat());
    }
    acc
}

fn task_total(agent: AgentKind, attempts: &[&str]) -> (Option<TaskUsage>, Vec<Option<Usage>>) {
    let data = profile(agent).data.usage.as_ref().unwrap();
    let mut usage = None;
    let mut readings = Vec::new();
    for (i, text) in attempts.iter().enumerate() {
        let r = read_in_chunks(agent, text);
        if let Some(r) = &r {
            record_attempt(&mut usage, data, i as u32 + 1, r);
        }
        readings.push(r);
    }
    (usage, readings)
}

#[test]
fn each_agents_real_events_are_summed_across_a_kill_and_a_resume() {
    for (agent, killed, resumed) in CASES {
        let (usage, readings) = task_total(agent, &[killed, resumed]);
        let total = usage.as_ref().map(|u| u.total).unwrap_or_default();
        // What each CLI reports decides what can be counted: OpenCode and Pi report every model
        // call as it ends (the killed run's answered call counts); Codex reports the
        // conversation's running total at the end of a turn (the resumed turn's 24/12 includes
        // the killed run's call, counted once); Claude and Gemini report once per run, at its
        // end (the killed run reported nothing).
        let expected = match agent.as_str() {
            "opencode" | "pi" | "codex" => tokens(24, 12),
            _ => tokens(12, 6),
        };
        assert_eq!(
            (total.input_tokens, total.output_tokens, total.cached_tokens),
            (expected.input_tokens, expected.output_tokens, 0),
            "{agent}: readings {readings:?}"
        );
        let per_attempt: u64 = usage.as_ref().unwrap().attempts.iter().map(|a| a.usage.tokens()).sum();
        assert_eq!(per_attempt, total.tokens(), "{agent}: the attempts add up to the total");
    }
}

#[test]
fn cost_is_read_where_the_agent_reports_it() {
    let (usage, _) = task_total(AgentKind::Claude, &[fixture!("claude", "conf-cl-ok-sjson.stdout")]);
    let cost = usage.unwrap().total.cost_usd.expect("claude reports total_cost_usd");
    assert!((cost - 0.000168).abs() < 1e-12, "{cost}");
    let (usage, _) = task_total(AgentKind::Opencode, &[fixture!("opencode", "oc-ok-json.stdout")]);
    assert_eq!(usage.unwrap().total.cost_usd, Some(0.0), "opencode's step cost (0 with the mock)");
    let (usage, _) = task_total(AgentKind::Codex, &[fixture!("codex", "cx-ok-json.stdout")]);
    assert_eq!(usage.unwrap().total.cost_usd, None, "codex reports no cost");
}

#[test]
fn a_codex_conversation_resumed_twice_is_counted_once() {
    // Running totals 12/6 (attempt 1 completed a turn, then crashed later), 24/12, 36/18.
    let data = profile(AgentKind::Codex).data.usage.as_ref().unwrap();
    let mut usage = None;
    for (n, t) in [(1, 12), (2, 24), (3, 36)] {
        let line = format!("{{\"type\":\"turn.completed\",\"usage\":{{\"input_tokens\":{t},\"cached_input_tokens\":0,\"output_tokens\":{}}}}}\n", t / 2);
        let r = read_usage(data, None, &line).unwrap();
        record_attempt(&mut usage, data, n, &r);
        // Re-reading the same figures changes nothing.
        assert!(!record_attempt(&mut usage, data, n, &r));
    }
    let u = usage.unwrap();
    assert_eq!(u.total, tokens(36, 18));
    assert_eq!(u.attempts.iter().map(|a| a.usage.input_tokens).collect::<Vec<_>>(), vec![12, 12, 12]);
    // A fresh conversation (figures went down): counted in full.
    let mut usage = Some(u);
    let r = read_usage(data, None, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}\n").unwrap();
    record_attempt(&mut usage, data, 4, &r);
    assert_eq!(usage.unwrap().total, tokens(41, 19));
}

#[test]
fn hostile_event_lines_are_skipped_never_panic() {
    let data = profile(AgentKind::Claude).data.usage.as_ref().unwrap();
    let text = "{\"type\":\"result\",\"usage\":{\"input_tokens\":-5,\"output_tokens\":\"x\"}}\n{\"type\":\"result\"\nnot json\n{\"type\":\"result\",\"usage\":{\"input_tokens\":1e300,\"output_tokens\":7}}\n{\"type\":\"result\",\"usage\":{\"input_tokens\":3}}\n";
    let u = read_usage(data, None, text).unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (3, 7));
}

fn with_usage(rec: &TaskRecord, obs: resilient_coding_agent::monitor::Observation, input: u64) -> resilient_coding_agent::monitor::Observation {
    let mut o = obs;
    let _ = rec;
    o.usage = Some(tokens(input, 0));
    o
}

fn budgeted(max_tokens: u64) -> TaskRecord {
    with_budget(&running(), Some(Budget { max_cost_usd: None, max_tokens: Some(max_tokens) }), T0 + SEC).unwrap()
}

fn stops(out: &resilient_coding_agent::monitor::StepOutput) -> usize {
    out.actions.iter().filter(|a| matches!(a, Action::StopAgent)).count()
}

#[test]
fn a_budget_crossed_while_running_stops_the_agent_once() {
    let rec = budgeted(1000);
    let under = step(&rec, &with_usage(&rec, alive(&rec, T0 + 2.0 * SEC), 999), &cfg());
    assert_eq!(under.record.state, TaskState::Running);
    assert_eq!(under.record.usage.as_ref().unwrap().total.input_tokens, 999);
    assert_eq!(stops(&under), 0);
    let over = step(&under.record, &with_usage(&rec, alive(&rec, T0 + 3.0 * SEC), 1500), &cfg());
    assert_eq!(over.record.state, TaskState::Failed);
    assert_eq!(over.record.failure.as_ref().map(|f| f.class), Some(FailureClass::BudgetExceeded));
    assert_eq!(stops(&over), 1);
    assert_eq!(events(&over), vec![EventKind::Failed]);
    let ev = over.actions.iter().find_map(|a| match a { Action::Announce { event } => Some(event.clone()), _ => None }).unwrap();
    assert_eq!(ev.usage.map(|u| u.input_tokens), Some(1500), "the event carries the usage");
    assert!(ev.message.contains("used 1500 tokens of a 1000-token budget"), "{}", ev.message);
    // The killed pane afterwards: nothing more, never recovered.
    let after = step(&over.record, &missing(&over.record, T0 + HOUR), &cfg());
    assert!(recovers(&after).is_empty() && events(&after).is_empty());
}

#[test]
fn a_crash_past_the_budget_is_not_recovered_and_a_manual_resume_needs_more() {
    let rec = budgeted(1000);
    let mut o = dead(&rec, T0 + MIN, 137, "");
    o.usage = Some(tokens(2000, 0));
    let out = drive(&rec, &o, &cfg(), "");
    assert!(recovers(&out).is_empty());
    assert_eq!(out.record.failure.as_ref().map(|f| f.class), Some(FailureClass::BudgetExceeded));
    let err = manual_resume(&out.record, T0 + 2.0 * MIN).unwrap_err();
    assert_eq!(err.code(), "budget_exceeded");
    assert!(err.to_string().contains("raise the budget"), "{err}");
    let raised = with_budget(&out.record, Some(Budget { max_cost_usd: None, max_tokens: Some(5000) }), T0 + 3.0 * MIN).unwrap();
    let resumed = manual_resume(&raised, T0 + 3.0 * MIN).unwrap();
    assert_eq!(resumed.record.state, TaskState::Recovering);
}

#[test]
fn a_run_that_completes_stays_completed_and_cost_limits_apply_to_reported_cost() {
    let rec = budgeted(10);
    let mut o = dead(&rec, T0 + MIN, 0, CODEX_OK);
    o.usage = Some(tokens(5, 2));
    let out = drive(&rec, &o, &cfg(), "");
    assert_eq!(out.record.state, TaskState::Completed);
    let cost = Budget { max_cost_usd: Some(0.5), max_tokens: None };
    assert_eq!(cost.exceeded_by(&tokens(1_000_000, 0)), None, "no cost reported: a cost limit cannot apply");
    let spent = Usage { cost_usd: Some(0.5), ..Usage::default() };
    assert_eq!(cost.exceeded_by(&spent).as_deref(), Some("spent $0.5 of a $0.5 budget"));
}

#[test]
fn budgets_and_usage_survive_the_record_round_trip_and_old_records_parse() {
    let mut rec = budgeted(1000);
    let data = profile(AgentKind::Codex).data.usage.as_ref().unwrap();
    record_attempt(&mut rec.usage, data, 1, &tokens(10, 5));
    let text = serde_json::to_string(&rec).unwrap();
    let back = parse_record_from(&mut serde_json::Deserializer::from_str(&text)).unwrap();
    assert_eq!(back, rec);
    let mut old: serde_json::Value = serde_json::from_str(&serde_json::to_string(&fresh()).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("usage");
    old.as_object_mut().unwrap().remove("budget");
    let back = parse_record_from(&mut serde_json::Deserializer::from_str(&old.to_string())).unwrap();
    assert_eq!((back.usage, back.budget), (None, None));
    for bad in [Budget { max_cost_usd: Some(-1.0), max_tokens: None }, Budget { max_cost_usd: None, max_tokens: Some(0) }] {
        assert_eq!(with_budget(&fresh(), Some(bad), T0).unwrap_err().code(), "invalid_option");
    }
}

#[test]
fn an_operator_profile_with_a_bad_usage_section_names_the_field() {
    let mut data = profile(AgentKind::Codex).data.clone();
    let mut u = data.usage.clone().unwrap();
    u.events[0].input = Some(resilient_coding_agent::usage::Paths::One("usage..input".into()));
    data.usage = Some(u);
    let err = resilient_coding_agent::profiles::Profile::build("aider", data).unwrap_err();
    assert_eq!(err.code(), "invalid_agent_profile");
    assert!(err.to_string().contains("agents.aider.usage.events[0].input"), "{err}");
}

#[test]
fn an_attempts_figures_never_go_down_when_its_event_file_shrinks() {
    // The event file is written by the agent's process: truncating it, or ending it with a lower
    // running total, must not lower what was counted (and so lift a budget).
    for agent in [AgentKind::Claude, AgentKind::Codex] {
        let data = profile(agent).data.usage.as_ref().unwrap();
        let mut usage: Option<TaskUsage> = None;
        assert!(record_attempt(&mut usage, data, 1, &tokens(500, 100)));
        assert!(!record_attempt(&mut usage, data, 1, &tokens(10, 1)), "{agent:?}: a smaller reading changed the record");
        assert_eq!(usage.as_ref().unwrap().total.tokens(), 600, "{agent:?}");
        assert!(record_attempt(&mut usage, data, 1, &tokens(700, 50)));
        let total = usage.as_ref().unwrap().total;
        assert_eq!((total.input_tokens, total.output_tokens), (700, 100), "{agent:?}: each figure the larger");
    }
}
