//! Shared helpers for the `core_monitor_*` tests: a fake clock in plain numbers, observation
//! builders, and a driver that answers `capture` actions the way the host does.
#![allow(dead_code)]

use resilient_coding_agent::model::{AgentKind, Autonomy, TaskSpec};
use resilient_coding_agent::monitor::{
    self, Action, EventKind, MonitorConfig, Observation, PaneFacts, RecoverMode, StepOutput,
};
use resilient_coding_agent::record::{new_record, TaskRecord};

pub const SEC: f64 = 1_000.0;
pub const MIN: f64 = 60_000.0;
pub const HOUR: f64 = 3_600_000.0;
/// 2026-11-24T00:00:00Z, an arbitrary fixed start.
pub const T0: f64 = 1_795_478_400_000.0;

pub const CODEX_401: &str = include_str!("../fixtures/agent-output/codex/cx-401-json.stdout");
pub const CODEX_429: &str = include_str!("../fixtures/agent-output/codex/cx-429-json.stdout");
pub const CODEX_CTX: &str = include_str!("../fixtures/agent-output/codex/cx-ctx-json.stdout");
pub const CODEX_USAGE: &str = include_str!("../fixtures/agent-output/codex/cx-usage-json.stdout");
pub const CODEX_QUOTA: &str = include_str!("../fixtures/agent-output/codex/cx-quota-json.stdout");
pub const CODEX_OK: &str = include_str!("../fixtures/agent-output/codex/cx-ok-json.stdout");
pub const CODEX_NONET: &str = include_str!("../fixtures/agent-output/codex/cx-nonet-long.stdout");

pub const PANE: &str = "%7";

pub fn spec() -> TaskSpec {
    TaskSpec {
        agent: AgentKind::Codex,
        name: "fix-login-bug".into(),
        project_dir: "/src/app".into(),
        model: None,
        autonomy: Autonomy::Sandboxed,
    }
}

pub fn fresh() -> TaskRecord {
    new_record(&spec(), "/state/tasks/abc123", None, T0)
}

pub fn cfg() -> MonitorConfig {
    MonitorConfig::default()
}

/// The pane is running attempt `rec.attempts`.
pub fn alive(rec: &TaskRecord, now: f64) -> Observation {
    let mut o = Observation::new(now, PaneFacts::Alive { pane_id: PANE.into(), pid: Some(4242) }, rec.attempts);
    o.started = true;
    o
}

/// Attempt `rec.attempts` ended with `status`; its event file ends with `events`.
pub fn dead(rec: &TaskRecord, now: f64, status: i32, events: &str) -> Observation {
    let mut o = Observation::new(
        now,
        PaneFacts::Dead { pane_id: PANE.into(), status: Some(status), signal: None },
        rec.attempts,
    );
    o.started = true;
    o.exit_status = Some(status);
    o.events_tail = events.into();
    o
}

pub fn missing(rec: &TaskRecord, now: f64) -> Observation {
    Observation::new(now, PaneFacts::Missing, rec.attempts)
}

/// Steps like the host: while the core asks for a capture, captures (`screen`) and steps again
/// with the returned record. Returns the last output with the actions of all rounds.
pub fn drive(rec: &TaskRecord, obs: &Observation, cfg: &MonitorConfig, screen: &str) -> StepOutput {
    let mut out = monitor::step(rec, obs, cfg);
    let mut actions = Vec::new();
    let mut obs = obs.clone();
    for _ in 0..4 {
        let wants_capture = out.actions.iter().any(|a| matches!(a, Action::Capture { .. }));
        actions.extend(out.actions.iter().filter(|a| !matches!(a, Action::Capture { .. })).cloned());
        if !wants_capture {
            break;
        }
        obs.capture = Some(screen.to_string());
        out = monitor::step(&out.record, &obs, cfg);
    }
    out.actions = actions;
    out
}

pub fn recovers(out: &StepOutput) -> Vec<(RecoverMode, u32)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Recover { mode, attempt } => Some((mode.clone(), *attempt)),
            _ => None,
        })
        .collect()
}

pub fn events(out: &StepOutput) -> Vec<EventKind> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Announce { event } => Some(event.kind),
            _ => None,
        })
        .collect()
}

/// Brings a fresh record to `running` (first run seen alive at T0 + 1 s).
pub fn running() -> TaskRecord {
    let rec = fresh();
    let out = drive(&rec, &alive(&rec, T0 + SEC), &cfg(), "");
    assert_eq!(out.record.state, resilient_coding_agent::model::TaskState::Running);
    out.record
}

/// The monotonic clock of the tests' host.
pub const CLOCK: &str = "boot:test";

/// `o` with a monotonic reading `mono` (ms) of [`CLOCK`].
pub fn with_mono(mut o: Observation, mono: f64) -> Observation {
    o.mono = Some(resilient_coding_agent::clock::MonoReading { clock: CLOCK.into(), ms: mono });
    o
}
