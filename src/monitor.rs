//! The per-task monitor state machine, sans-IO (DESIGN §3.6–3.10).
//!
//! The host owns the clock, tmux and the files; the core owns the decisions. One call:
//!
//! ```text
//! record (from disk) + Observation { now, pane facts, wrapper files, … }  ──step──►
//!     StepOutput { record (new), actions [capture | nudge_server | resolve_reset_time |
//!                                         announce | recover], next_check_at }
//! ```
//!
//! The host's loop, per task and per tick:
//! 1. Build an [`Observation`] from the one `list-panes -a` of the tick and a few file stats.
//! 2. `step`. If the record changed (`updatedAt` moved), persist it atomically **before**
//!    acting on anything.
//! 3. Perform the actions in order. `capture` and `resolve_reset_time` ask for data: the host
//!    calls `step` again at once with the returned record, the same observation, and
//!    `capture` / `resetAt` filled in. `recover` is run once (plan_recover, or plan_start when
//!    the record has no agent session id yet). `announce` goes to the orchestrator.
//! 4. Look again at `next_check_at` (at the latest; the shared tick may come sooner).
//!
//! Exactly-once recovery: the step that decides to recover moves the record to `recovering`
//! with `attempts + 1` and `runRequestedAt = now` in the same output that carries the
//! `recover` action. The wrapper of run `n` writes `started.<n>`/`exit.<n>`, and the host says
//! which attempt's files it read (`Observation::attempt`), so a later step that still sees the
//! old dead pane knows the requested run has not happened yet and does not recover again; only
//! if the run still has not shown up after `startGraceMs` is that counted as a failed attempt
//! (which goes through the schedule like any other failure).

use crate::classify::{self, ExitFacts, LiveVerdict, Outcome};
use crate::clock::{self, ClockAnchor, MonoReading};
use crate::error::{CoreError, CoreResult};
use crate::model::{AgentKind, Failure, FailureClass, Millis, ResetHint, TaskState};
use crate::patterns::class_name;
use crate::record::{LiveStatus, TaskRecord};
use crate::fresh_restart::FreshRestart;
use crate::schedule::{self, Decision};
use crate::validate::Num;
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::plan::RecoverMode;
pub use crate::record::{new_record, parse_record_from, validate_record};

/// How often a finished task needs looking at (only to notice nothing: final is final).
const FINAL_RECHECK_MS: Millis = 3_600_000.0;
/// How soon to look again after nudging the tmux server for a lost exit status.
const NUDGE_RECHECK_MS: Millis = 500.0;
/// Longest evidence quoted in an event message.
const MAX_EVIDENCE_CHARS: usize = 300;
/// Upper bound on any configured duration (one year): keeps all arithmetic far from overflow.
const MAX_DURATION_MS: f64 = 365.0 * 86_400_000.0;

/// Monitor settings. Every field has a default ([`MonitorConfig::default`]); JS may pass any
/// subset. Durations are ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct MonitorConfig {
    /// Delay before the second consecutive recovery; doubles after that. 3 min.
    pub recovery_base_delay_ms: f64,
    /// Longest delay between recoveries. 60 min.
    pub recovery_max_delay_ms: f64,
    /// The first recovery after a healthy run starts right away. true.
    pub first_recovery_immediate: bool,
    /// A run that works normally this long resets the consecutive-failure count. 10 min.
    pub healthy_reset_ms: f64,
    /// No automatic recovery starts later than this after the task started (or was resumed by
    /// hand); waits for named reset times do not count. 5 h.
    pub give_up_after_ms: f64,
    /// No output for this long ⇒ `stalled`. 10 min.
    pub stall_ms: f64,
    /// Opt-in watchdog: restart a task stalled this long (through the normal recovery path).
    /// `null` = never (the default).
    pub stall_restart_ms: Option<f64>,
    /// Longest wait for a reset time named by the agent. 6 h.
    pub max_reset_wait_ms: f64,
    /// Added to a named reset time. 30 s.
    pub reset_margin_ms: f64,
    /// Normal time between looks. 2 s.
    pub poll_ms: f64,
    /// Lines to capture from a pane. 200.
    pub capture_lines: u32,
    /// A live pane is classified once its output has been quiet this long. 3 s.
    pub live_quiet_ms: f64,
    /// …or, while output keeps coming, at most this often. 60 s.
    pub live_recheck_ms: f64,
    /// How long a requested run (start or recover) may take to show up before it counts as a
    /// failed attempt. 30 s.
    pub start_grace_ms: f64,
    /// `nudge_server` actions for a dead pane with no exit status before treating it as a crash. 3.
    pub max_nudges: u32,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            recovery_base_delay_ms: 180_000.0,
            recovery_max_delay_ms: 3_600_000.0,
            first_recovery_immediate: true,
            healthy_reset_ms: 600_000.0,
            give_up_after_ms: 5.0 * 3_600_000.0,
            stall_ms: 600_000.0,
            stall_restart_ms: None,
            max_reset_wait_ms: 6.0 * 3_600_000.0,
            reset_margin_ms: 30_000.0,
            poll_ms: 2_000.0,
            capture_lines: 200,
            live_quiet_ms: 3_000.0,
            live_recheck_ms: 60_000.0,
            start_grace_ms: 30_000.0,
            max_nudges: 3,
        }
    }
}

impl MonitorConfig {
    /// Checks every field; a bad one is [`CoreError::InvalidConfig`] naming it.
    pub fn validate(&self) -> CoreResult<()> {
        let durations = [
            ("recoveryBaseDelayMs", self.recovery_base_delay_ms, 1.0),
            ("recoveryMaxDelayMs", self.recovery_max_delay_ms, 0.0),
            ("healthyResetMs", self.healthy_reset_ms, 0.0),
            ("giveUpAfterMs", self.give_up_after_ms, 0.0),
            ("stallMs", self.stall_ms, 1_000.0),
            ("maxResetWaitMs", self.max_reset_wait_ms, 0.0),
            ("resetMarginMs", self.reset_margin_ms, 0.0),
            ("pollMs", self.poll_ms, 100.0),
            ("liveQuietMs", self.live_quiet_ms, 0.0),
            ("liveRecheckMs", self.live_recheck_ms, 0.0),
            ("startGraceMs", self.start_grace_ms, 0.0),
        ];
        for (field, v, min) in durations {
            check_duration(field, v, min)?;
        }
        if let Some(v) = self.stall_restart_ms {
            check_duration("stallRestartMs", v, 0.0)?;
        }
        if self.recovery_max_delay_ms < self.recovery_base_delay_ms {
            return Err(CoreError::InvalidConfig(format!(
                "recoveryMaxDelayMs ({}) is less than recoveryBaseDelayMs ({})",
                Num(self.recovery_max_delay_ms), Num(self.recovery_base_delay_ms)
            )));
        }
        if !(1..=10_000).contains(&self.capture_lines) {
            return Err(CoreError::InvalidConfig(format!(
                "captureLines must be 1..10000, got {}",
                self.capture_lines
            )));
        }
        if self.max_nudges > 100 {
            return Err(CoreError::InvalidConfig(format!("maxNudges must be at most 100, got {}", self.max_nudges)));
        }
        Ok(())
    }
}

fn check_duration(field: &str, v: f64, min: f64) -> CoreResult<()> {
    if v.is_finite() && v >= min && v <= MAX_DURATION_MS {
        Ok(())
    } else {
        Err(CoreError::InvalidConfig(format!(
            "{field} must be a number of ms between {} and {}, got {}",
            Num(min), Num(MAX_DURATION_MS), Num(v)
        )))
    }
}

/// What the one `list-panes -a` of this tick says about the task's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaneFacts {
    /// No pane for the session: the session (or the whole tmux server) is gone.
    Missing,
    #[serde(rename_all = "camelCase")]
    Alive {
        pane_id: String,
        #[serde(default)]
        pid: Option<u32>,
    },
    /// `pane_dead=1` (remain-on-exit keeps it); `status`/`signal` as tmux reports them (often
    /// empty on tmux 3.3a until the server is sent SIGCHLD).
    #[serde(rename_all = "camelCase")]
    Dead {
        pane_id: String,
        #[serde(default)]
        status: Option<i32>,
        #[serde(default)]
        signal: Option<i32>,
    },
}

/// What the host saw for one task at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// The host's clock, ms since the epoch.
    pub now: Millis,
    pub pane: PaneFacts,
    /// Which attempt's wrapper files the host read: normally `record.attempts`. Files of any
    /// other attempt are ignored as stale.
    pub attempt: u32,
    /// `started.<attempt>` exists (the wrapper of that run began).
    #[serde(default)]
    pub started: bool,
    /// The status in `exit.<attempt>`, written by the wrapper when the agent ended.
    #[serde(default)]
    pub exit_status: Option<i32>,
    /// Newest mtime of the transcript / event file (for stall detection and live checks), when
    /// it is new to the host (a host that remembers what it reported may pass `null` for an
    /// unchanged mtime: after a wall-clock step an old mtime is in the old clock's terms). A
    /// task that never reported activity has no stall detection. Times later than `now` count
    /// as `now`.
    #[serde(default)]
    pub activity_at: Option<Millis>,
    /// First ≤ 16 KiB of `events.<attempt>.jsonl`; only needed while the record has no
    /// `agentSessionId`.
    #[serde(default)]
    pub events_head: Option<String>,
    /// Last ≤ 64 KiB of `events.<attempt>.jsonl`; needed when the pane is dead or missing.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub events_tail: String,
    /// Last ≤ 64 KiB of `stderr.<attempt>.log`; needed when the pane is dead or missing.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub stderr_tail: String,
    /// The pane's last lines, only when a `capture` action asked for it ("" if it failed).
    #[serde(default)]
    pub capture: Option<String>,
    /// The machine's current UTC offset in minutes (`-new Date().getTimezoneOffset()`): turns
    /// "try again at 1:22 AM" (no zone named) into an instant without a round trip.
    #[serde(default)]
    pub utc_offset_min: Option<i32>,
    /// The instant the host computed for a `resolve_reset_time` action.
    #[serde(default)]
    pub reset_at: Option<Millis>,
    /// A monotonic reading taken with `now`: wall-clock steps are then told from elapsed time
    /// ([`crate::clock`]). `null`: every wall-clock step counts as elapsed time.
    #[serde(default)]
    pub mono: Option<MonoReading>,
    /// Whether this host process issued the run the record asks for (`runRequestedAt`):
    /// `false` after the monitor that asked for a recovery died (its successor did not issue
    /// it). A recovery that never showed up and was not issued here is issued again, not
    /// charged to the agent. `null`: unknown (the run is charged as a failed attempt).
    #[serde(default)]
    pub run_issued: Option<bool>,
    /// The host's recovery scheduler (fleet-safe mass recovery) says a recovery of this task may
    /// not run before this time: another recovery of the same login ran just now. A due
    /// recovery waits until then (`recovering`, `nextRecoveryAt` set) instead of running.
    #[serde(default)]
    pub hold_recovery_until: Option<Millis>,
    /// Usage attempt `attempt` has reported so far (`readUsage` over its event file): recorded
    /// per attempt and in total, and checked against the task's budget. `null`: not read.
    #[serde(default)]
    pub usage: Option<crate::usage::Usage>,
    /// A new session id the host drew (a UUID), offered for a run that ended: when its resume
    /// found nothing to resume ([`crate::fresh_restart`]) and the agent's id is preset, the task
    /// starts again under this id. `null`: none offered (such a task then fails as before).
    #[serde(default)]
    pub fresh_session_id: Option<String>,
}

impl Observation {
    /// An observation with only the essentials; the rest empty.
    pub fn new(now: Millis, pane: PaneFacts, attempt: u32) -> Self {
        Observation {
            now,
            pane,
            attempt,
            started: false,
            exit_status: None,
            activity_at: None,
            events_head: None,
            events_tail: String::new(),
            stderr_tail: String::new(),
            capture: None,
            utc_offset_min: None,
            reset_at: None,
            mono: None,
            run_issued: None,
            hold_recovery_until: None,
            usage: None,
            fresh_session_id: None,
        }
    }

    /// Checks what serde cannot: finite times and a sane UTC offset.
    pub fn validate(&self) -> CoreResult<()> {
        let bad = |m: String| Err(CoreError::InvalidInput(format!("observation: {m}")));
        if !(self.now.is_finite() && self.now >= 0.0) {
            return bad(format!("now must be a finite time in ms, got {}", Num(self.now)));
        }
        for (field, t) in [("activityAt", self.activity_at), ("resetAt", self.reset_at), ("holdRecoveryUntil", self.hold_recovery_until)] {
            if t.is_some_and(|t| !t.is_finite()) {
                return bad(format!("{field} must be finite"));
            }
        }
        if self.fresh_session_id.as_ref().is_some_and(|id| id.len() > 256) {
            return bad("freshSessionId is longer than 256 bytes".into());
        }
        if self.utc_offset_min.is_some_and(|o| !(-18 * 60..=18 * 60).contains(&o)) {
            return bad("utcOffsetMin must be within ±1080 minutes".into());
        }
        if let Some(m) = &self.mono {
            crate::clock::check(&m.clock, m.ms).map_err(|e| CoreError::InvalidInput(format!("observation: mono: {e}")))?;
        }
        if let Some(u) = &self.usage {
            crate::usage::check_record_fields(
                Some(&crate::usage::TaskUsage { total: *u, attempts: Vec::new() }),
                None,
            )
            .map_err(|e| CoreError::InvalidInput(format!("observation: {e}")))?;
        }
        Ok(())
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// Kinds of [`TaskEvent`]. Each is emitted once, on the step where the state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The first run was seen running.
    Started,
    /// A recovery's run was seen running.
    Resumed,
    /// The run ended badly (or was restarted by the watchdog / by hand); a recovery is
    /// scheduled (`nextRecoveryAt`).
    Recovering,
    Completed,
    /// A fatal failure: not retried.
    Failed,
    WaitingForInput,
    Stalled,
    /// Retryable failures went on past the recovery budget: `failed` with `gaveUp`.
    GaveUp,
    /// The recovery circuit breaker opened: this task's `auth` failure right after a recovery
    /// paused the other recoveries of its login (crate::breaker).
    RecoveryPaused,
    /// A manual resume of this task ran: its login's paused recoveries continue.
    RecoveryResumed,
}

/// A notification for the orchestrator / CLI / notify command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    pub kind: EventKind,
    pub session: String,
    /// The task's state after the step.
    pub state: TaskState,
    pub failure: Option<Failure>,
    pub attempts: u32,
    pub at: Millis,
    pub next_recovery_at: Option<Millis>,
    /// One human-readable line, redacted.
    pub message: String,
    /// The task's usage so far (all attempts), when the agent reported any.
    #[serde(default)]
    pub usage: Option<crate::usage::Usage>,
}

/// Something the host must do. Performed in order, after persisting the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Capture the pane's last `lines` (`plan_capture`; for a dead pane also append it to the
    /// transcript: a respawn wipes it), then call `step` again with `capture` set.
    Capture { lines: u32 },
    /// Run the agent again as attempt `attempt` (`plan_recover` with the record's
    /// `agentSessionId`; `plan_start` with the original prompt if there is none yet).
    Recover { mode: RecoverMode, attempt: u32 },
    /// Send SIGCHLD to the tmux server (`#{pid}`): tmux 3.3a loses exit statuses otherwise.
    NudgeServer,
    /// Compute the next instant at/after `now` when the time in `zone` (the machine's zone if
    /// `null`) is `hour:minute`, then call `step` again with `resetAt` set.
    ResolveResetTime { hour: u8, minute: u8, zone: Option<String> },
    /// Tell the orchestrator.
    Announce { event: TaskEvent },
    /// Kill the task's tmux session, as `stop` does: the task crossed its budget (the record
    /// is already `failed`, class `budget_exceeded`).
    StopAgent,
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct StepOutput {
    pub record: TaskRecord,
    pub actions: Vec<Action>,
    /// Look at this task again no later than this.
    pub next_check_at: Millis,
}

/// Advances one task by one observation. Pure: same inputs, same output.
#[must_use]
pub fn step(record: &TaskRecord, obs: &Observation, cfg: &MonitorConfig) -> StepOutput {
    if !obs.now.is_finite() {
        // Nothing sensible can be decided without a clock; change nothing.
        return StepOutput { record: record.clone(), actions: Vec::new(), next_check_at: record.updated_at + cfg.poll_ms };
    }
    let mut start = record.clone();
    // Activity reported at or before what the record already knew is old news; after a clock
    // step it is also in the old clock's terms, so it must not count as new (see `clock`).
    let mut activity_floor = None;
    if let (Some(mono), false) = (&obs.mono, record.state.is_final()) {
        match record.clock_anchor.as_ref().and_then(|a| clock::wall_step(a, obs.now, mono)) {
            Some(step) => {
                activity_floor = record.last_activity_at;
                clock::rebase(&mut start, step, obs.now, cfg.max_reset_wait_ms + cfg.reset_margin_ms);
                start.clock_anchor = Some(ClockAnchor::at(obs.now, mono));
            }
            None if record.clock_anchor.as_ref().is_none_or(|a| a.clock != mono.clock) => {
                start.clock_anchor = Some(ClockAnchor::at(obs.now, mono));
            }
            None => {}
        }
    }
    let mut m = Machine {
        rec: start,
        obs,
        cfg,
        now: obs.now,
        actions: Vec::new(),
        next: obs.now + cfg.poll_ms,
        activity_floor,
    };
    m.run();
    let Machine { mut rec, actions, next, .. } = m;
    if rec != *record {
        rec.updated_at = obs.now;
        if let Some(mono) = &obs.mono {
            // A fresh anchor with every write: the tolerance stays tight.
            rec.clock_anchor = Some(ClockAnchor::at(obs.now, mono));
        }
    }
    StepOutput { record: rec, actions, next_check_at: next }
}

/// The host found, before running a `recover`, that the project directory is gone or its path
/// now names another directory (`evidence` says which): the task fails with
/// `project_dir_missing`, announced once, and is never run anywhere else. The requested run
/// never happened, so it is not counted. A final record is returned unchanged, with no event.
pub fn project_dir_missing(record: &TaskRecord, evidence: &str, now: Millis) -> CoreResult<StepOutput> {
    recovery_refused(record, FailureClass::ProjectDirMissing, evidence, now)
}

/// The host refused to perform a `recover` (`class` says why: [`FailureClass::ProjectDirMissing`]
/// or [`FailureClass::TaskFileUnsafe`]): the task fails with that class, announced once, instead
/// of being recovered again and again. The requested run never happened, so it is not counted.
/// A final record is returned unchanged, with no event. Any other class is `invalid_input`.
pub fn recovery_refused(record: &TaskRecord, class: FailureClass, evidence: &str, now: Millis) -> CoreResult<StepOutput> {
    if !matches!(class, FailureClass::ProjectDirMissing | FailureClass::TaskFileUnsafe) {
        return Err(CoreError::InvalidInput(format!(
            "a refused recovery fails as project_dir_missing or task_file_unsafe, not {}",
            class_name(class)
        )));
    }
    if !(now.is_finite() && now >= 0.0) {
        return Err(CoreError::InvalidInput(format!("now must be a finite time in ms, got {}", Num(now))));
    }
    if record.state.is_final() {
        return Ok(StepOutput { record: record.clone(), actions: Vec::new(), next_check_at: now + FINAL_RECHECK_MS });
    }
    let mut rec = record.clone();
    if rec.run_requested_at.is_some() && rec.state == TaskState::Recovering && rec.attempts > 1 {
        rec.attempts -= 1;
    }
    let failure = Failure { class, evidence: clip(evidence), reset: None };
    let msg = format!("{} failed ({}): {}", rec.session, class_name(class), clip(evidence));
    let cfg = MonitorConfig::default();
    let obs = Observation::new(now, PaneFacts::Missing, rec.attempts);
    let mut m = Machine { rec, obs: &obs, cfg: &cfg, now, actions: Vec::new(), next: now, activity_floor: None };
    m.finish_failed(failure, false, EventKind::Failed, msg);
    let Machine { mut rec, actions, next, .. } = m;
    rec.updated_at = now;
    Ok(StepOutput { record: rec, actions, next_check_at: next })
}

/// A resume asked for by a person (`coding_task_resume`): allowed for `failed` (also after
/// giving up or a fatal class: the person may have fixed the cause), `stopped`, `stalled` and
/// a `recovering` task that is waiting. Resets the failure count and the recovery budget. The
/// returned record is `recovering`, due now: the host persists it and steps at once, and that
/// step emits the `recover` (with the right mode for the pane it sees).
pub fn manual_resume(record: &TaskRecord, now: Millis) -> CoreResult<StepOutput> {
    if !(now.is_finite() && now >= 0.0) {
        return Err(CoreError::InvalidInput(format!("now must be a finite time in ms, got {}", Num(now))));
    }
    let refuse = |reason: &'static str| Err(CoreError::NotResumable { session: record.session.clone(), reason });
    match record.state {
        TaskState::Completed => return refuse("the task completed; a completed task is never resumed"),
        TaskState::Starting | TaskState::Running | TaskState::WaitingForInput => {
            return refuse("the agent is running; send it input instead")
        }
        TaskState::Recovering if record.run_requested_at.is_some() => {
            return refuse("a recovery is already under way")
        }
        TaskState::Failed | TaskState::Stopped | TaskState::Stalled | TaskState::Recovering => {}
    }
    if let Some(detail) = crate::usage::budget_detail(record) {
        return Err(CoreError::BudgetExceeded { session: record.session.clone(), detail });
    }
    let mut rec = record.clone();
    rec.state = TaskState::Recovering;
    rec.next_recovery_at = Some(now);
    rec.run_requested_at = None;
    rec.gave_up = false;
    rec.consecutive_failures = 0;
    // A person asked: a resume that finds nothing may start the task again once more.
    rec.fresh_restart = None;
    rec.window_started_at = now;
    rec.reset_wait_ms = 0.0;
    rec.finished_at = None;
    rec.stalled_since = None;
    rec.recovery_reason = Some("manual resume".into());
    rec.updated_at = now;
    let event = event(&rec, EventKind::Recovering, now, format!("{} resuming by request (attempt {})", rec.session, rec.attempts + 1));
    Ok(StepOutput { record: rec, actions: vec![Action::Announce { event }], next_check_at: now })
}

/// The host stopped the task (killed its session). `completed` and `failed` stay as they are
/// (they say more); anything else becomes `stopped`, which is final.
pub fn mark_stopped(record: &TaskRecord, now: Millis) -> TaskRecord {
    if matches!(record.state, TaskState::Completed | TaskState::Failed | TaskState::Stopped) {
        return record.clone();
    }
    let mut rec = record.clone();
    rec.state = TaskState::Stopped;
    rec.next_recovery_at = None;
    rec.run_requested_at = None;
    rec.stalled_since = None;
    rec.finished_at = Some(now);
    rec.updated_at = now;
    rec
}

/// One step's working state.
struct Machine<'a> {
    rec: TaskRecord,
    obs: &'a Observation,
    cfg: &'a MonitorConfig,
    now: Millis,
    actions: Vec<Action>,
    /// When to look again (only ever lowered).
    next: Millis,
    /// Reported activity at or before this is not new (set in a step that saw a clock step).
    activity_floor: Option<Millis>,
}

impl Machine<'_> {
    fn run(&mut self) {
        self.learn_session_id();
        self.note_usage();
        if self.rec.state.is_final() {
            // Final is final: a completed task is never resumed, however it is re-observed.
            self.next = self.now + FINAL_RECHECK_MS;
            return;
        }
        if matches!(self.obs.pane, PaneFacts::Alive { .. }) && self.over_budget().is_some() {
            // Seen while running: stop the agent now rather than at its exit.
            self.budget_exceeded();
            return;
        }
        match &self.obs.pane {
            PaneFacts::Alive { pane_id, .. } => self.on_alive(pane_id),
            PaneFacts::Dead { pane_id, status, signal } => self.on_dead(pane_id, *status, *signal),
            PaneFacts::Missing => self.on_missing(),
        }
    }

    fn agent(&self) -> AgentKind {
        self.rec.spec.agent
    }

    fn look_at(&mut self, t: Millis) {
        self.next = self.next.min(t.max(self.now));
    }

    /// The wrapper facts, if they belong to the record's current attempt: (started, exit status).
    fn wrapper(&self) -> (bool, Option<i32>) {
        if self.obs.attempt == self.rec.attempts {
            (self.obs.started || self.obs.exit_status.is_some(), self.obs.exit_status)
        } else {
            (false, None)
        }
    }

    fn waiting_for_recovery(&self) -> bool {
        self.rec.state == TaskState::Recovering && self.rec.run_requested_at.is_none()
    }

    fn learn_session_id(&mut self) {
        if self.rec.agent_session_id.is_some() {
            return;
        }
        if let Some(head) = &self.obs.events_head {
            if let Some(id) = crate::session_id::extract_session_id(self.agent(), head) {
                self.rec.agent_session_id = Some(id);
            }
        }
    }

    /// The reported activity time if it is news: not older than what was known before a clock
    /// step, and never later than now.
    fn reported_activity(&self) -> Option<Millis> {
        let a = self.obs.activity_at.filter(|a| a.is_finite())?;
        if self.activity_floor.is_some_and(|f| a <= f) {
            return None;
        }
        Some(a.min(self.now))
    }

    fn note_activity(&mut self) {
        if let Some(a) = self.reported_activity() {
            if self.rec.last_activity_at.is_none_or(|l| a > l) {
                self.rec.last_activity_at = Some(a);
            }
        }
    }

    // --- live pane -------------------------------------------------------------------------

    fn on_alive(&mut self, pane_id: &str) {
        self.rec.pane_id = Some(pane_id.to_string());
        self.rec.nudges = 0;
        self.note_activity();
        match self.rec.state {
            TaskState::Starting => {
                self.rec.state = TaskState::Running;
                self.rec.run_requested_at = None;
                let mut msg = format!("{} started ({})", self.rec.session, self.agent().as_str());
                if let Some(w) = &self.rec.start_warning {
                    msg.push_str("; warning: ");
                    msg.push_str(w);
                }
                self.announce(EventKind::Started, msg);
            }
            TaskState::Recovering if self.rec.run_requested_at.is_some() => {
                // The run we asked for is up.
                self.begin_run();
                let msg = format!("{} resumed (attempt {})", self.rec.session, self.rec.attempts);
                self.announce(EventKind::Resumed, msg);
            }
            TaskState::Recovering => {
                // Waiting to restart a live agent (stall watchdog or manual resume).
                self.recover_when_due(RecoverMode::Respawn { pane_id: pane_id.to_string() });
                return;
            }
            _ => {}
        }
        self.live_tick(pane_id);
    }

    fn begin_run(&mut self) {
        self.rec.state = TaskState::Running;
        self.rec.run_requested_at = None;
        self.rec.next_recovery_at = None;
        self.rec.last_run_started_at = self.now;
        self.reset_live();
    }

    fn reset_live(&mut self) {
        self.rec.live_status = LiveStatus::Working;
        self.rec.live_evidence = None;
        self.rec.live_checked_at = None;
        self.rec.live_checked_activity_at = self.rec.last_activity_at;
        self.rec.stalled_since = None;
    }

    fn live_tick(&mut self, pane_id: &str) {
        let now = self.now;
        let cfg = self.cfg;
        if matches!(self.rec.state, TaskState::Running | TaskState::WaitingForInput)
            && now - self.rec.last_run_started_at >= cfg.healthy_reset_ms
        {
            self.rec.consecutive_failures = 0;
            self.rec.fresh_restart = None;
        }

        // Classify the screen when new output has settled (or keeps coming for a while).
        if let Some(activity) = self.rec.last_activity_at {
            let new_output = self.rec.live_checked_activity_at.is_none_or(|c| activity > c);
            let quiet = now - activity >= cfg.live_quiet_ms;
            let overdue = self.rec.live_checked_at.is_none_or(|t| now - t >= cfg.live_recheck_ms);
            if new_output && (quiet || overdue) {
                let Some(screen) = &self.obs.capture else {
                    self.actions.push(Action::Capture { lines: cfg.capture_lines });
                    self.next = now;
                    return;
                };
                let (status, evidence) = match classify::classify_live(self.agent(), screen) {
                    LiveVerdict::Working => (LiveStatus::Working, None),
                    LiveVerdict::WaitingForInput { evidence } => (LiveStatus::WaitingForInput, Some(evidence)),
                    LiveVerdict::RetryLoop { evidence } => (LiveStatus::RetryLoop, Some(evidence)),
                };
                self.rec.live_status = status;
                self.rec.live_evidence = evidence.map(|e| clip(&e));
                self.rec.live_checked_at = Some(now);
                self.rec.live_checked_activity_at = Some(activity);
            } else if new_output {
                self.look_at(activity + cfg.live_quiet_ms);
            }
        }

        // Silence only counts when the host reports activity at all.
        let silent_for = self
            .rec
            .last_activity_at
            .map(|a| now - a.max(self.rec.last_run_started_at));
        let silent = silent_for.is_some_and(|s| s >= cfg.stall_ms);
        let target = match self.rec.live_status {
            LiveStatus::WaitingForInput => TaskState::WaitingForInput,
            LiveStatus::RetryLoop => TaskState::Stalled,
            LiveStatus::Working if silent => TaskState::Stalled,
            LiveStatus::Working => TaskState::Running,
        };
        if target != self.rec.state {
            self.rec.state = target;
            match target {
                TaskState::Stalled => {
                    self.rec.stalled_since = Some(now);
                    let why = self.stall_evidence(silent_for.unwrap_or(0.0));
                    let msg = format!("{} stalled: {}", self.rec.session, why);
                    self.announce(EventKind::Stalled, msg);
                }
                TaskState::WaitingForInput => {
                    self.rec.stalled_since = None;
                    let why = self.rec.live_evidence.clone().unwrap_or_default();
                    let msg = format!("{} is waiting for input: {}", self.rec.session, why);
                    self.announce(EventKind::WaitingForInput, msg);
                }
                _ => self.rec.stalled_since = None,
            }
        } else if target == TaskState::Running {
            if let Some(a) = self.rec.last_activity_at {
                self.look_at(a.max(self.rec.last_run_started_at) + cfg.stall_ms);
            }
        }

        // Opt-in watchdog: a stall that lasts is restarted like a failure.
        if let (TaskState::Stalled, Some(restart_after), Some(since)) =
            (self.rec.state, cfg.stall_restart_ms, self.rec.stalled_since)
        {
            if now - since >= restart_after {
                let failure = if self.rec.live_status == LiveStatus::RetryLoop {
                    Failure { class: FailureClass::Network, evidence: self.stall_evidence(0.0), reset: None }
                } else {
                    let evidence = format!("no output for {} (watchdog restart)", human_ms(silent_for.unwrap_or(0.0)));
                    Failure { class: FailureClass::Crash, evidence, reset: None }
                };
                self.fail_run(failure, RecoverMode::Respawn { pane_id: pane_id.to_string() }, false);
            } else {
                self.look_at(since + restart_after);
            }
        }
    }

    fn stall_evidence(&self, silent_for: Millis) -> String {
        match (&self.rec.live_status, &self.rec.live_evidence) {
            (LiveStatus::RetryLoop, Some(e)) => e.clone(),
            _ => format!("no output for {}", human_ms(silent_for)),
        }
    }

    // --- dead or missing pane --------------------------------------------------------------

    fn on_dead(&mut self, pane_id: &str, status: Option<i32>, signal: Option<i32>) {
        self.rec.pane_id = Some(pane_id.to_string());
        let respawn = RecoverMode::Respawn { pane_id: pane_id.to_string() };
        if self.waiting_for_recovery() {
            self.recover_when_due(respawn);
            return;
        }
        let (started, _) = self.wrapper();
        if self.rec.state == TaskState::Recovering && !started {
            // The pane still shows the run before the one we asked for: not a new crash.
            self.await_run(respawn);
            return;
        }
        // Starting: a new session's pane can only hold the first run. Otherwise the pane's
        // facts are the current run's.
        self.ended_run(Some((status, signal)), respawn);
    }

    fn on_missing(&mut self) {
        if self.waiting_for_recovery() {
            self.recover_when_due(RecoverMode::Recreate);
            return;
        }
        let (started, exit) = self.wrapper();
        if exit.is_some() {
            // The run ended (its wrapper said how) and then the session went away.
            self.ended_run(None, RecoverMode::Recreate);
        } else if !started && matches!(self.rec.state, TaskState::Starting | TaskState::Recovering) {
            self.await_run(RecoverMode::Recreate);
        } else {
            let failure = Failure {
                class: FailureClass::Signal,
                evidence: "the tmux session vanished (tmux server killed or machine rebooted)".into(),
                reset: None,
            };
            self.fail_run(failure, RecoverMode::Recreate, true);
        }
    }

    /// A run was asked for and has not shown up yet.
    fn await_run(&mut self, mode: RecoverMode) {
        let asked = self.rec.run_requested_at.unwrap_or(self.rec.last_run_started_at);
        if self.now - asked < self.cfg.start_grace_ms {
            self.look_at(asked + self.cfg.start_grace_ms);
            return;
        }
        if self.rec.state == TaskState::Recovering && self.obs.run_issued == Some(false) {
            // The monitor that asked for this recovery died before (or while) issuing it: the
            // agent did nothing wrong. Issue it again now, with no failure counted and no
            // backoff step; only the recovery budget still applies.
            let deadline = schedule::give_up_deadline(self.cfg, self.rec.window_started_at, self.rec.reset_wait_ms);
            if self.now <= deadline {
                self.rec.run_requested_at = None;
                self.rec.next_recovery_at = Some(self.now);
                self.recover_when_due(mode);
                return;
            }
        }
        let evidence = format!(
            "attempt {} did not start within {}",
            self.rec.attempts,
            human_ms(self.cfg.start_grace_ms)
        );
        self.fail_run(Failure { class: FailureClass::Crash, evidence, reset: None }, mode, false);
    }

    /// The current run has ended: find out how, then complete or fail. `tmux` is the dead
    /// pane's (status, signal), `None` when the pane is gone.
    fn ended_run(&mut self, tmux: Option<(Option<i32>, Option<i32>)>, mode: RecoverMode) {
        if let Some(asked) = self.rec.run_requested_at {
            // The requested run ended before it was ever seen running: it started when asked.
            self.rec.last_run_started_at = asked;
        }
        let (_, exit) = self.wrapper();
        let (tmux_status, signal) = tmux.unwrap_or((None, None));
        let status = exit.or(tmux_status);
        if tmux.is_some() {
            if status.is_none() && signal.is_none() && self.rec.nudges < self.cfg.max_nudges {
                self.rec.nudges += 1;
                self.actions.push(Action::NudgeServer);
                self.look_at(self.now + NUDGE_RECHECK_MS.min(self.cfg.poll_ms));
                return;
            }
            if self.obs.capture.is_none() {
                self.actions.push(Action::Capture { lines: self.cfg.capture_lines });
                self.next = self.now;
                return;
            }
        }
        let facts = ExitFacts {
            exit_status: status,
            signal,
            events_tail: self.obs.events_tail.clone(),
            stderr_tail: self.obs.stderr_tail.clone(),
            pane_tail: self.obs.capture.clone().unwrap_or_default(),
        };
        match classify::classify_exit(self.agent(), &facts) {
            Outcome::Completed => self.complete(),
            Outcome::Failed { .. } if self.nothing_to_resume(&facts) => self.recover_when_due(mode),
            Outcome::Failed { failure } => self.fail_run(failure, mode, true),
        }
    }

    /// A resume the agent refused because the conversation it names holds nothing (profile
    /// data, [`crate::fresh_restart`]): the next attempt starts again with the original prompt,
    /// as a new session, at once and not counted as a failure. At most once per chain of
    /// failures (the record keeps the [`FreshRestart`] until a healthy run or a manual resume):
    /// a second one fails as the agent's text says. Returns whether it did so (the caller then
    /// asks for the recovery).
    fn nothing_to_resume(&mut self, facts: &ExitFacts) -> bool {
        let Some(from) = self.rec.agent_session_id.clone() else {
            return false;
        };
        // The first attempt is a start, never a resume; one fresh restart per chain.
        if self.rec.attempts < 2 || self.rec.fresh_restart.is_some() {
            return false;
        }
        let profile = crate::profiles::profile(self.agent());
        // Only the CLI's own stderr: the event stream and the pane carry what the model writes,
        // and a model must not be able to throw its conversation away by quoting the text.
        let texts = [facts.stderr_tail.as_str()];
        let Some(line) = crate::fresh_restart::matching_line(profile, &texts) else {
            return false;
        };
        // An agent whose id is preset needs a new one (the old session exists, empty); one that
        // names its own session does so in the new run's first events.
        let next_id = if profile.id_source == crate::profiles::IdSource::Preset {
            let fresh = self.obs.fresh_session_id.as_deref().filter(|id| {
                *id != from && crate::session_id::validate_session_id(self.agent(), id).is_ok()
            });
            match fresh {
                Some(id) => Some(id.to_string()),
                None => return false,
            }
        } else {
            None
        };
        let attempt = self.rec.attempts.saturating_add(1);
        let as_what = match &next_id {
            Some(id) => format!("as {id}"),
            None => "as a new session".to_string(),
        };
        let msg = format!(
            "{}: nothing to resume in session {from}; starting again {as_what} with the original prompt (attempt {attempt})",
            self.rec.session
        );
        let r = &mut self.rec;
        r.fresh_restart = Some(FreshRestart { from_session_id: from.clone(), attempt });
        r.agent_session_id = next_id;
        r.state = TaskState::Recovering;
        r.recovery_reason = Some(format!("nothing to resume in session {from}: {}", clip(&line)));
        r.next_recovery_at = Some(self.now);
        r.run_requested_at = None;
        r.stalled_since = None;
        r.nudges = 0;
        self.announce(EventKind::Recovering, msg);
        true
    }

    fn complete(&mut self) {
        let r = &mut self.rec;
        r.state = TaskState::Completed;
        r.failure = None;
        r.consecutive_failures = 0;
        r.finished_at = Some(self.now);
        r.next_recovery_at = None;
        r.run_requested_at = None;
        r.stalled_since = None;
        r.nudges = 0;
        let msg = match r.attempts {
            1 => format!("{} completed", r.session),
            n => format!("{} completed (after {n} attempts)", r.session),
        };
        self.announce(EventKind::Completed, msg);
        self.next = self.now + FINAL_RECHECK_MS;
    }

    /// A run failed (or is to be restarted). Fatal ⇒ `failed`; otherwise schedule the recovery,
    /// or give up when it would start past the budget. `ended_normally`: the run ended by
    /// itself, so output up to its end counts towards the healthy reset.
    fn fail_run(&mut self, failure: Failure, mode: RecoverMode, ended_normally: bool) {
        if self.over_budget().is_some() {
            // Never resumed past a budget, whatever ended the run.
            self.budget_exceeded();
            return;
        }
        let retryable = failure.class.is_retryable()
            || (failure.class == FailureClass::UsageLimit && failure.reset.is_some());
        if !retryable {
            let msg = format!("{} failed ({}): {}", self.rec.session, class_name(failure.class), clip(&failure.evidence));
            self.finish_failed(failure, false, EventKind::Failed, msg);
            return;
        }
        if !self.rec.auto_resume {
            // The operator turned automatic recovery off for this task: it stops here, saying
            // why, and waits for a manual resume (which restores the usual handling).
            let reason = format!("{}: {}", class_name(failure.class), clip(&failure.evidence));
            let msg = format!(
                "{} ended ({reason}); auto-resume is off for this task: it waits for a manual resume",
                self.rec.session
            );
            self.rec.recovery_reason = Some(format!("auto-resume off; waiting for a manual resume after {reason}"));
            self.finish_failed(failure, false, EventKind::Failed, msg);
            return;
        }
        // A named reset time first (it may need the host's time-zone database: ask, change nothing).
        let reset_at = match &failure.reset {
            None => None,
            Some(ResetHint::After { ms }) => Some(self.now + *ms as f64),
            Some(ResetHint::ClockTime { hour, minute, zone }) => {
                match (self.obs.reset_at.filter(|t| t.is_finite()), zone, self.obs.utc_offset_min) {
                    (Some(t), _, _) => Some(t),
                    (None, None, Some(offset)) => {
                        Some(crate::reset_hint::next_clock_occurrence(self.now, *hour, *minute, offset))
                    }
                    _ => {
                        self.actions.push(Action::ResolveResetTime { hour: *hour, minute: *minute, zone: zone.clone() });
                        self.next = self.now;
                        return;
                    }
                }
            }
        };

        if ended_normally {
            // A run that produced output for the healthy period before it died was a healthy run.
            let seen = self.reported_activity();
            let ran_until = match (self.rec.last_activity_at, seen) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            if ran_until.is_some_and(|t| t - self.rec.last_run_started_at >= self.cfg.healthy_reset_ms) {
                self.rec.consecutive_failures = 0;
                self.rec.fresh_restart = None;
            }
        }
        self.rec.consecutive_failures = self.rec.consecutive_failures.saturating_add(1);
        let decision = schedule::decide(
            self.cfg,
            self.now,
            self.rec.consecutive_failures,
            reset_at,
            self.rec.window_started_at,
            self.rec.reset_wait_ms,
        );
        match decision {
            Decision::GiveUp => {
                let msg = format!(
                    "{} gave up after {} attempts; last failure {}: {}",
                    self.rec.session,
                    self.rec.attempts,
                    class_name(failure.class),
                    clip(&failure.evidence)
                );
                self.finish_failed(failure, true, EventKind::GaveUp, msg);
            }
            Decision::RecoverAt { at, hint_wait } => {
                let at = self.held(at);
                self.rec.reset_wait_ms += hint_wait;
                let reason = format!("{}: {}", class_name(failure.class), clip(&failure.evidence));
                let when = if at <= self.now {
                    "resuming now".to_string()
                } else {
                    format!("resuming in {}", human_ms(at - self.now))
                };
                let msg = format!("{} ended ({reason}); {when} (attempt {})", self.rec.session, self.rec.attempts + 1);
                let r = &mut self.rec;
                r.state = TaskState::Recovering;
                r.failure = Some(failure);
                r.recovery_reason = Some(reason);
                r.next_recovery_at = Some(at);
                r.run_requested_at = None;
                r.stalled_since = None;
                r.nudges = 0;
                self.announce(EventKind::Recovering, msg);
                self.recover_when_due(mode);
            }
        }
    }

    fn finish_failed(&mut self, failure: Failure, gave_up: bool, kind: EventKind, msg: String) {
        let r = &mut self.rec;
        r.state = TaskState::Failed;
        r.failure = Some(failure);
        r.gave_up = gave_up;
        r.finished_at = Some(self.now);
        r.next_recovery_at = None;
        r.run_requested_at = None;
        r.stalled_since = None;
        r.nudges = 0;
        self.announce(kind, msg);
        self.next = self.now + FINAL_RECHECK_MS;
    }

    /// In `recovering` and waiting: issue the recovery once it is due.
    fn recover_when_due(&mut self, mode: RecoverMode) {
        if self.over_budget().is_some() {
            self.budget_exceeded();
            return;
        }
        let due = self.held(self.rec.next_recovery_at.unwrap_or(self.now));
        if due > self.now {
            self.rec.next_recovery_at = Some(due);
            self.look_at(due);
            return;
        }
        // Recorded in the same output as the action: the host persists this before acting,
        // so the same crash is never recovered twice.
        self.rec.attempts = self.rec.attempts.saturating_add(1);
        self.rec.state = TaskState::Recovering;
        self.rec.run_requested_at = Some(self.now);
        self.rec.next_recovery_at = None;
        self.rec.nudges = 0;
        self.reset_live();
        self.actions.push(Action::Recover { mode, attempt: self.rec.attempts });
        self.look_at(self.now + self.cfg.poll_ms);
    }

    /// `at`, or later when the host's recovery scheduler holds this task's recovery until then.
    fn held(&self, at: Millis) -> Millis {
        match self.obs.hold_recovery_until {
            Some(t) if t.is_finite() && t > at => t,
            _ => at,
        }
    }

    /// Takes in the usage the host read from the current attempt's events.
    fn note_usage(&mut self) {
        let (Some(reading), true) = (&self.obs.usage, self.obs.attempt == self.rec.attempts) else { return };
        let Some(data) = &crate::profiles::profile(self.agent()).data.usage else { return };
        crate::usage::record_attempt(&mut self.rec.usage, data, self.rec.attempts, reading);
    }

    /// Which budget limit the task's usage has reached, if any.
    fn over_budget(&self) -> Option<String> {
        let total = self.rec.usage.as_ref()?.total;
        self.rec.budget.as_ref()?.exceeded_by(&total)
    }

    /// The task crossed its budget: `failed` (class `budget_exceeded`, announced once) and its
    /// agent stopped if it still runs. A manual resume needs a higher budget.
    fn budget_exceeded(&mut self) {
        let detail = self.over_budget().unwrap_or_default();
        let evidence = format!("{detail} ({})", crate::usage::summary(&self.rec.usage.as_ref().map(|u| u.total).unwrap_or_default()));
        let running = matches!(self.obs.pane, PaneFacts::Alive { .. });
        let end = if running { "the agent was stopped" } else { "not resumed" };
        let msg = format!("{} failed (budget_exceeded): {}; {end}", self.rec.session, clip(&evidence));
        if matches!(self.obs.pane, PaneFacts::Alive { .. } | PaneFacts::Dead { .. }) {
            // Ends the session as `stop` does (a dead pane's too: the task is over).
            self.actions.push(Action::StopAgent);
        }
        let failure = Failure { class: FailureClass::BudgetExceeded, evidence: clip(&evidence), reset: None };
        self.finish_failed(failure, false, EventKind::Failed, msg);
    }

    fn announce(&mut self, kind: EventKind, message: String) {
        let ev = event(&self.rec, kind, self.now, message);
        self.actions.push(Action::Announce { event: ev });
    }
}

fn event(rec: &TaskRecord, kind: EventKind, at: Millis, message: String) -> TaskEvent {
    TaskEvent {
        kind,
        session: rec.session.clone(),
        state: rec.state,
        failure: rec.failure.clone(),
        attempts: rec.attempts,
        at,
        next_recovery_at: rec.next_recovery_at,
        message: crate::redact::redact(&message),
        usage: rec.usage.as_ref().map(|u| u.total),
    }
}

/// At most [`MAX_EVIDENCE_CHARS`] characters of one line.
fn clip(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() <= MAX_EVIDENCE_CHARS {
        line.to_string()
    } else {
        let mut out: String = line.chars().take(MAX_EVIDENCE_CHARS).collect();
        out.push('…');
        out
    }
}

/// "45 s", "3 min", "2 h 5 min".
fn human_ms(ms: Millis) -> String {
    let secs = (ms.max(0.0) / 1000.0).round();
    if secs < 60.0 {
        format!("{} s", Num(secs))
    } else if secs < 3600.0 {
        format!("{} min", Num((secs / 60.0).round()))
    } else {
        let mins = (secs / 60.0).round();
        let h = (mins / 60.0).floor();
        let m = mins - h * 60.0;
        if m == 0.0 {
            format!("{} h", Num(h))
        } else {
            format!("{} h {} min", Num(h), Num(m))
        }
    }
}
