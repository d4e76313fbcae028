//! The task record: everything the monitor knows about one task, persisted by the host as JSON
//! after every step that changes it (DESIGN §3.9). The record is the monitor's whole memory, so
//! one read from disk plus one observation is enough to decide what to do next.
//!
//! Records come back from disk, where anything can happen to them (a truncated write by an old
//! version, a hand edit, another program), so [`parse_record_from`] checks every field before
//! the monitor trusts it: version, the spec (re-validated), finite times, known enum values and
//! states that are consistent with the other fields.

use crate::clock::ClockAnchor;
use crate::error::{CoreError, CoreResult};
use crate::model::{AgentKind, Failure, Millis, TaskSpec, TaskState};
use crate::validate;
use serde::{Deserialize, Serialize};

/// The record format written by this version of the core.
pub const RECORD_VERSION: u32 = 1;

/// Longest task directory path accepted in a record (same bound as project directories).
const MAX_PATH_LEN: usize = 4096;
/// Longest text (evidence, reasons) accepted in a record; the core itself writes ≤ 300 chars.
const MAX_TEXT_LEN: usize = 4096;

/// What the last look at a live pane showed (from `classify::classify_live`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    #[default]
    Working,
    WaitingForInput,
    /// Only network-wait or retry lines lately: counts as stalled.
    RetryLoop,
}

/// One task, as persisted by the host (`task.json` in the task directory).
///
/// Times are ms since the epoch, supplied by the host as `now`. Counters are `u32`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskRecord {
    /// Record format; always [`RECORD_VERSION`].
    pub version: u32,
    /// tmux session name, `<agent>-<name>`.
    pub session: String,
    pub spec: TaskSpec,
    /// Absolute path of the task directory (prompt, wrapper files, transcript, this record).
    pub task_dir: String,
    pub created_at: Millis,
    /// When the record last changed; the host persists the record whenever this moves.
    pub updated_at: Millis,
    pub state: TaskState,
    /// Why the last run ended badly (kept while recovering; cleared on completion).
    pub failure: Option<Failure>,
    /// True when the task is `failed` because the retry budget ran out (not a fatal class).
    pub gave_up: bool,
    /// Agent runs started so far, 1 after start. Run `n` writes the wrapper files `*.n`.
    pub attempts: u32,
    /// Failures since the agent last ran normally for `healthyResetMs`; drives the backoff.
    pub consecutive_failures: u32,
    /// The agent's own conversation id, once known (preset for Claude).
    pub agent_session_id: Option<String>,
    /// tmux pane id (`%N`) last seen for the session.
    pub pane_id: Option<String>,
    /// When the current run was first seen running (or was started).
    pub last_run_started_at: Millis,
    /// Newest activity time (transcript/event file mtime) reported by the host.
    pub last_activity_at: Option<Millis>,
    /// Set while a run has been asked for (start or `recover`) and not yet seen: the time asked.
    pub run_requested_at: Option<Millis>,
    /// While `recovering` and waiting: when the next recovery is due.
    pub next_recovery_at: Option<Millis>,
    /// Why the task is recovering, in words ("crash: exit status 1", "manual resume").
    pub recovery_reason: Option<String>,
    /// When the task entered `stalled`.
    pub stalled_since: Option<Millis>,
    /// What the last look at the live pane showed.
    pub live_status: LiveStatus,
    /// The line that showed it (waiting prompt or retry line).
    pub live_evidence: Option<String>,
    /// When the live pane was last captured and classified.
    pub live_checked_at: Option<Millis>,
    /// `lastActivityAt` at that check: a new check is due only after newer activity.
    pub live_checked_activity_at: Option<Millis>,
    /// `nudge_server` actions sent for the current dead pane with no exit status yet.
    pub nudges: u32,
    /// Start of the automatic-recovery budget: `createdAt`, or the last manual resume.
    pub window_started_at: Millis,
    /// Time spent waiting on reset hints in this window; extends the give-up deadline.
    pub reset_wait_ms: Millis,
    /// When the task reached a final state.
    pub finished_at: Option<Millis>,
    /// The project directory as it was at the start (host data): a recovery first checks that
    /// the path still names this directory, else the task fails with `project_dir_missing`.
    /// Absent in records of older versions.
    #[serde(default)]
    pub project_identity: Option<ProjectIdentity>,
    /// A wall and a monotonic reading taken together when the record last changed: tells a
    /// wall-clock step from elapsed time ([`crate::clock`]).
    #[serde(default)]
    pub clock_anchor: Option<ClockAnchor>,
    /// False when the operator turned automatic recovery off for this task: a failure that
    /// would be recovered leaves it `failed` (not given up), waiting for a manual resume.
    /// Fixed at start by the host; absent in records of older versions (true).
    #[serde(default = "auto_resume_default")]
    pub auto_resume: bool,
    /// Something the host found at the start that the user should hear once (e.g. no model
    /// named by the task nor by the CLI's own configuration); said in the `started` event.
    #[serde(default)]
    pub start_warning: Option<String>,
    /// Tokens and cost per attempt and in total, read from the agent's events
    /// ([`crate::usage`]). Absent until the agent reports any, and in older records.
    #[serde(default)]
    pub usage: Option<crate::usage::TaskUsage>,
    /// The task's limits, fixed at start by the host (operator default and ceiling applied);
    /// a manual resume may raise them. Absent: no limit.
    #[serde(default)]
    pub budget: Option<crate::usage::Budget>,
    /// A resume found nothing to resume and the task started again with its original prompt
    /// ([`crate::fresh_restart`]): the attempt that does so and the session that was empty.
    /// Kept until the chain of failures ends, so it happens at most once per chain.
    #[serde(default)]
    pub fresh_restart: Option<crate::fresh_restart::FreshRestart>,
}

fn auto_resume_default() -> bool {
    true
}

/// Which directory the project path named at the start: its real path and its device and inode
/// numbers (decimal strings: an inode number may not fit a JS number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectIdentity {
    pub real_path: String,
    pub dev: String,
    pub ino: String,
}

/// A fresh record for a task that the host is about to start (attempt 1, state `starting`).
///
/// `preset_session_id` is the id the host chose before launch (Claude's `--session-id`).
pub fn new_record(
    spec: &TaskSpec,
    task_dir: &str,
    preset_session_id: Option<String>,
    now: Millis,
) -> TaskRecord {
    TaskRecord {
        version: RECORD_VERSION,
        session: session_name(spec),
        spec: spec.clone(),
        task_dir: task_dir.to_string(),
        created_at: now,
        updated_at: now,
        state: TaskState::Starting,
        failure: None,
        gave_up: false,
        attempts: 1,
        consecutive_failures: 0,
        agent_session_id: preset_session_id,
        pane_id: None,
        last_run_started_at: now,
        last_activity_at: None,
        run_requested_at: Some(now),
        next_recovery_at: None,
        recovery_reason: None,
        stalled_since: None,
        live_status: LiveStatus::Working,
        live_evidence: None,
        live_checked_at: None,
        live_checked_activity_at: None,
        nudges: 0,
        window_started_at: now,
        reset_wait_ms: 0.0,
        finished_at: None,
        project_identity: None,
        clock_anchor: None,
        auto_resume: true,
        start_warning: None,
        usage: None,
        budget: None,
        fresh_restart: None,
    }
}

/// Checks the inputs of [`new_record`] (the wasm export calls this before building one).
pub fn validate_new_record_input(
    spec: &TaskSpec,
    task_dir: &str,
    preset_session_id: Option<&str>,
    now: Millis,
) -> CoreResult<()> {
    let bad = |m: String| CoreError::InvalidInput(m);
    check_spec(spec).map_err(bad)?;
    check_path("taskDir", task_dir).map_err(bad)?;
    if let Some(id) = preset_session_id {
        check_session_id(spec.agent, id).map_err(bad)?;
    }
    if !(now.is_finite() && now >= 0.0) {
        return Err(bad(format!("now must be a finite, non-negative time in ms, got {}", validate::Num(now))));
    }
    Ok(())
}

/// `<agent>-<name>`, the tmux session of a task.
fn session_name(spec: &TaskSpec) -> String {
    format!("{}-{}", spec.agent.as_str(), spec.name)
}

/// Reads a record with any serde deserializer (JSON text natively, a JS value in wasm) and
/// validates it. Any problem is [`CoreError::InvalidRecord`] with a message naming the field.
pub fn parse_record_from<'de, D>(deserializer: D) -> CoreResult<TaskRecord>
where
    D: serde::Deserializer<'de>,
{
    let record = TaskRecord::deserialize(deserializer)
        .map_err(|e| CoreError::InvalidRecord(validate::truncate_for_message(&e.to_string())))?;
    validate_record(&record)?;
    Ok(record)
}

/// Checks a record's fields and their consistency (see the module docs).
pub fn validate_record(r: &TaskRecord) -> CoreResult<()> {
    check_record(r).map_err(CoreError::InvalidRecord)
}

fn check_record(r: &TaskRecord) -> Result<(), String> {
    if r.version != RECORD_VERSION {
        return Err(format!(
            "unsupported version {} (this version of the package reads version {RECORD_VERSION})",
            r.version
        ));
    }
    check_spec(&r.spec).map_err(|e| format!("spec: {e}"))?;
    let expected = session_name(&r.spec);
    if r.session != expected {
        return Err(format!(
            "session {:?} does not match the spec (expected {expected:?})",
            validate::truncate_for_message(&r.session)
        ));
    }
    check_path("taskDir", &r.task_dir)?;

    for (field, t) in [
        ("createdAt", r.created_at),
        ("updatedAt", r.updated_at),
        ("lastRunStartedAt", r.last_run_started_at),
        ("windowStartedAt", r.window_started_at),
        ("resetWaitMs", r.reset_wait_ms),
    ] {
        check_time(field, t)?;
    }
    for (field, t) in [
        ("lastActivityAt", r.last_activity_at),
        ("runRequestedAt", r.run_requested_at),
        ("nextRecoveryAt", r.next_recovery_at),
        ("stalledSince", r.stalled_since),
        ("liveCheckedAt", r.live_checked_at),
        ("liveCheckedActivityAt", r.live_checked_activity_at),
        ("finishedAt", r.finished_at),
    ] {
        if let Some(t) = t {
            check_time(field, t)?;
        }
    }

    if let Some(id) = &r.project_identity {
        check_project_identity(id).map_err(|e| format!("projectIdentity: {e}"))?;
    }
    if let Some(a) = &r.clock_anchor {
        crate::clock::check(&a.clock, a.mono).map_err(|e| format!("clockAnchor: {e}"))?;
        check_time("clockAnchor.wall", a.wall)?;
    }
    if r.attempts == 0 {
        return Err("attempts must be at least 1 (the first run counts)".into());
    }
    if let Some(id) = &r.agent_session_id {
        check_session_id(r.spec.agent, id).map_err(|e| format!("agentSessionId: {e}"))?;
    }
    if let Some(f) = &r.fresh_restart {
        check_session_id(r.spec.agent, &f.from_session_id).map_err(|e| format!("freshRestart.fromSessionId: {e}"))?;
        // The attempt may still be to come (the recovery is held, or was refused and not counted).
        if f.attempt < 2 || f.attempt > r.attempts.saturating_add(1) {
            return Err(format!("freshRestart.attempt {} is not an attempt of this task (2..={})", f.attempt, r.attempts.saturating_add(1)));
        }
    }
    if let Some(p) = &r.pane_id {
        if !is_pane_id(p) {
            return Err(format!(
                "paneId {:?} is not a tmux pane id like \"%3\"",
                validate::truncate_for_message(p)
            ));
        }
    }
    if let Some(f) = &r.failure {
        check_text("failure.evidence", &f.evidence)?;
    }
    for (field, text) in [("recoveryReason", &r.recovery_reason), ("liveEvidence", &r.live_evidence), ("startWarning", &r.start_warning)] {
        if let Some(t) = text {
            check_text(field, t)?;
        }
    }

    crate::usage::check_record_fields(r.usage.as_ref(), r.budget.as_ref())?;

    // Consistency between the state and the fields the monitor relies on in that state.
    if r.gave_up && r.state != TaskState::Failed {
        return Err(format!("gaveUp is true but the state is {:?}, not failed", r.state));
    }
    if r.state == TaskState::Failed && r.failure.is_none() {
        return Err("state failed without a failure".into());
    }
    if r.state == TaskState::Recovering && r.next_recovery_at.is_none() && r.run_requested_at.is_none() {
        return Err("state recovering with neither nextRecoveryAt nor runRequestedAt".into());
    }
    if r.state == TaskState::Stalled && r.stalled_since.is_none() {
        return Err("state stalled without stalledSince".into());
    }
    Ok(())
}

/// The largest time in ms a JS `Date` holds (±100,000,000 days from the epoch): a record time
/// beyond it would make the host's ISO formatting throw instead of showing the task.
const MAX_TIME_MS: Millis = 8.64e15;

fn check_time(field: &str, t: Millis) -> Result<(), String> {
    if t.is_finite() && (0.0..=MAX_TIME_MS).contains(&t) {
        Ok(())
    } else {
        Err(format!("{field} must be a time in ms from 0 to {MAX_TIME_MS:e}, got {}", validate::Num(t)))
    }
}

fn check_text(field: &str, t: &str) -> Result<(), String> {
    if t.len() > MAX_TEXT_LEN {
        Err(format!("{field} is longer than {MAX_TEXT_LEN} bytes"))
    } else {
        Ok(())
    }
}

fn check_path(field: &str, p: &str) -> Result<(), String> {
    if p.is_empty() || !p.starts_with('/') {
        return Err(format!("{field} {:?} must be an absolute path", validate::truncate_for_message(p)));
    }
    if p.len() > MAX_PATH_LEN {
        return Err(format!("{field} is longer than {MAX_PATH_LEN} bytes"));
    }
    if p.chars().any(char::is_control) {
        return Err(format!("{field} contains a control character"));
    }
    Ok(())
}

/// Checks a project identity (from the host at start, or from disk).
pub fn check_project_identity(id: &ProjectIdentity) -> Result<(), String> {
    check_path("realPath", &id.real_path)?;
    for (field, v) in [("dev", &id.dev), ("ino", &id.ino)] {
        if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{field} must be a decimal number of 1-20 digits"));
        }
    }
    Ok(())
}

fn is_pane_id(p: &str) -> bool {
    match p.strip_prefix('%') {
        Some(digits) => !digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Re-validates a spec read from disk (same rules as a new task's spec).
fn check_spec(spec: &TaskSpec) -> Result<(), String> {
    crate::spec::check_spec(spec).map_err(|e| e.to_string())
}

/// The agent's session id as stored in a record (same rules as a freshly read one).
fn check_session_id(agent: AgentKind, id: &str) -> Result<(), String> {
    crate::session_id::validate_session_id(agent, id).map_err(|e| e.to_string())
}
