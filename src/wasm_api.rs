//! The wasm boundary: the only module with `#[wasm_bindgen]`.
//!
//! Plain objects cross in both directions through the hand-written conversions of `js_conv`
//! (same shapes as the serde derives, without linking serde into the wasm); their TypeScript shapes
//! are written out below (`typescript_custom_section`) so the generated `.d.ts` is typed rather
//! than `any`. Every error reaches JS as a real `Error` whose `name` is `"CoreError"` and whose
//! `code` is the stable code of [`CoreError`]. JS names are camelCase.

use crate::error::CoreError;
use crate::validate;
use wasm_bindgen::prelude::*;

#[path = "js_conv.rs"]
pub(crate) mod js_conv;
use js_conv::{FromJs, ToJs};

type JsResult<T> = Result<T, JsValue>;

/// Turns a [`CoreError`] into `Error { name: "CoreError", code, message }`.
fn to_js_error(err: CoreError) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("CoreError");
    // Setting a property on a fresh Error object cannot fail; ignore the Result deliberately.
    let _ = js_sys::Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(err.code()));
    js.into()
}

/// Reads a plain JS object into a Rust value; a wrong shape is an `invalid_input` error.
#[allow(dead_code)]
fn from_js<T: FromJs>(value: JsValue, what: &str) -> JsResult<T> {
    T::from_js(&value).map_err(|e| to_js_error(CoreError::InvalidInput(format!("{what}: {e}"))))
}

/// Writes a Rust value as a plain JS object (`None` as `null`).
#[allow(dead_code)]
fn to_js<T: ToJs + ?Sized>(value: &T) -> JsResult<JsValue> {
    Ok(value.to_js())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Stable error codes of CoreError (see the README's error table). */
export type CoreErrorCode =
  | "invalid_task_name" | "invalid_agent" | "invalid_project_dir" | "invalid_option"
  | "invalid_autonomy" | "invalid_prompt" | "invalid_session_id" | "invalid_session"
  | "invalid_record" | "invalid_config" | "invalid_input" | "not_resumable";
"#;

/// Checks a task name (`^[a-z0-9]+(-[a-z0-9]+)*$`, at most 48 characters).
/// Throws a `CoreError` with code `invalid_task_name` when it does not match.
#[wasm_bindgen(js_name = validateTaskName)]
pub fn validate_task_name(name: &str) -> JsResult<()> {
    validate::validate_task_name(name).map_err(to_js_error)
}

// --- monitor (H3): task records, the monitor state machine, recovery schedule ---

#[wasm_bindgen(typescript_custom_section)]
const TS_MONITOR: &'static str = r#"
/** Monitor settings; every field optional when passed in (defaults shown). Durations in ms. */
export interface MonitorConfig {
  /** Delay before the 2nd consecutive recovery; doubles after that. 180000 (3 min). */
  recoveryBaseDelayMs: number;
  /** Longest delay between recoveries. 3600000 (1 h). */
  recoveryMaxDelayMs: number;
  /** The first recovery after a healthy run starts right away. true. */
  firstRecoveryImmediate: boolean;
  /** Running normally this long resets the consecutive-failure count. 600000 (10 min). */
  healthyResetMs: number;
  /** No automatic recovery starts later than this after the task started or was resumed by hand (waits for named reset times excluded). 18000000 (5 h). */
  giveUpAfterMs: number;
  /** No output this long ⇒ stalled. 600000 (10 min). */
  stallMs: number;
  /** Opt-in watchdog: restart a task stalled this long. null = never (default). */
  stallRestartMs: number | null;
  /** Longest wait for a reset time named by the agent. 21600000 (6 h). */
  maxResetWaitMs: number;
  /** Added to a named reset time. 30000. */
  resetMarginMs: number;
  /** Normal time between looks. 2000. */
  pollMs: number;
  /** Lines to capture from a pane. 200. */
  captureLines: number;
  /** A live pane is classified once its output has been quiet this long. 3000. */
  liveQuietMs: number;
  /** …or, while output keeps coming, at most this often. 60000. */
  liveRecheckMs: number;
  /** How long a requested run may take to show up before it counts as a failed attempt. 30000. */
  startGraceMs: number;
  /** SIGCHLD nudges for a dead pane with no exit status before it counts as a crash. 3. */
  maxNudges: number;
}

/** Task states, as reported everywhere (DESIGN §3). completed/failed/stopped are final. */
export type TaskState =
  | "starting" | "running" | "waiting_for_input" | "stalled" | "recovering"
  | "completed" | "failed" | "stopped";

/** What the last look at a live pane showed. */
export type LiveStatus = "working" | "waiting_for_input" | "retry_loop";

/** One task as persisted (task.json). Persist it whenever `updatedAt` changes, before acting. */
export interface TaskRecord {
  version: 1;
  /** tmux session, `<agent>-<name>`. */
  session: string;
  spec: TaskSpec;
  taskDir: string;
  createdAt: number;
  updatedAt: number;
  state: TaskState;
  failure: Failure | null;
  /** failed because the recovery budget ran out (not a fatal class). */
  gaveUp: boolean;
  /** Agent runs started (1 after start); run n writes started.n / exit.n / events.n.jsonl / stderr.n.log. */
  attempts: number;
  consecutiveFailures: number;
  agentSessionId: string | null;
  paneId: string | null;
  lastRunStartedAt: number;
  lastActivityAt: number | null;
  /** Set while a requested run (start/recover) has not been seen yet. */
  runRequestedAt: number | null;
  /** While recovering and waiting: when the recovery is due. */
  nextRecoveryAt: number | null;
  recoveryReason: string | null;
  stalledSince: number | null;
  liveStatus: LiveStatus;
  liveEvidence: string | null;
  liveCheckedAt: number | null;
  liveCheckedActivityAt: number | null;
  nudges: number;
  windowStartedAt: number;
  resetWaitMs: number;
  finishedAt: number | null;
  /** The project directory at the start: a recovery checks its path still names it. */
  projectIdentity?: ProjectIdentity | null;
  /** Wall and monotonic readings taken together when the record last changed. */
  clockAnchor?: ClockAnchor | null;
}

/** Which directory the project path named at the start (dev/ino as decimal strings). */
export interface ProjectIdentity {
  realPath: string;
  dev: string;
  ino: string;
}

/** A monotonic reading; readings of the same `clock` are comparable. */
export interface MonoReading {
  clock: string;
  ms: number;
}

export interface ClockAnchor {
  clock: string;
  wall: number;
  mono: number;
}

/** The task's session in this tick's single `list-panes -a`. */
export type PaneFacts =
  | { kind: "missing" }
  | { kind: "alive"; paneId: string; pid?: number | null }
  | { kind: "dead"; paneId: string; status?: number | null; signal?: number | null };

/** What the host saw for one task. */
export interface Observation {
  now: number;
  pane: PaneFacts;
  /** Which attempt's wrapper files were read (normally record.attempts; others are ignored). */
  attempt: number;
  /** started.<attempt> exists. */
  started?: boolean;
  /** Status in exit.<attempt>. */
  exitStatus?: number | null;
  /** Newest mtime of transcript/event file; null disables stall detection. */
  activityAt?: number | null;
  /** First ≤16 KiB of events.<attempt>.jsonl, only while record.agentSessionId is null. */
  eventsHead?: string | null;
  /** Last ≤64 KiB of events.<attempt>.jsonl (needed when the pane is dead or missing). */
  eventsTail?: string | null;
  /** Last ≤64 KiB of stderr.<attempt>.log (needed when the pane is dead or missing). */
  stderrTail?: string | null;
  /** Pane capture, only in answer to a `capture` action ("" if capturing failed). */
  capture?: string | null;
  /** The machine's UTC offset now, minutes (-new Date().getTimezoneOffset()). */
  utcOffsetMin?: number | null;
  /** The instant computed for a `resolve_reset_time` action. */
  resetAt?: number | null;
  /** A monotonic reading taken with `now` (wall-clock steps are then not counted as time). */
  mono?: MonoReading | null;
  /** This process issued the run the record asks for (false after a monitor restart). */
  runIssued?: boolean | null;
}

export type RecoverMode = { mode: "respawn"; paneId: string } | { mode: "recreate" };

export type EventKind =
  | "started" | "resumed" | "recovering" | "completed" | "failed"
  | "waiting_for_input" | "stalled" | "gave_up";

/** Announced once per state change. */
export interface TaskEvent {
  kind: EventKind;
  session: string;
  state: TaskState;
  failure: Failure | null;
  attempts: number;
  at: number;
  nextRecoveryAt: number | null;
  /** One redacted human-readable line. */
  message: string;
}

/** Performed in order, after persisting the record. */
export type Action =
  /** Capture the pane (save a dead pane's capture to the transcript), then step again with `capture`. */
  | { type: "capture"; lines: number }
  /** Run attempt `attempt`: planRecover with record.agentSessionId (planStart if null). Once. */
  | { type: "recover"; mode: RecoverMode; attempt: number }
  /** kill -CHLD the tmux server pid (tmux 3.3a loses exit statuses). */
  | { type: "nudge_server" }
  /** Compute the next instant at/after now when it is hour:minute in `zone` (local if null); step again with `resetAt`. */
  | { type: "resolve_reset_time"; hour: number; minute: number; zone: string | null }
  | { type: "announce"; event: TaskEvent };

export interface StepOutput {
  record: TaskRecord;
  actions: Action[];
  /** Look at this task again no later than this. */
  nextCheckAt: number;
}
"#;

/// The conversions read only the declared fields of a struct (as serde-wasm-bindgen did, so
/// `deny_unknown_fields` never applied in wasm): name the first unknown key of a plain object ourselves.
fn unknown_key(value: &JsValue, known: &[&str]) -> Option<String> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return None;
    }
    js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .find(|k| !known.contains(&k.as_str()))
}

/// Reads a monitor config (any subset of fields; the rest default) and validates it.
fn monitor_config_from_js(value: JsValue) -> JsResult<crate::monitor::MonitorConfig> {
    let cfg: crate::monitor::MonitorConfig = if value.is_undefined() || value.is_null() {
        crate::monitor::MonitorConfig::default()
    } else {
        if let Some(k) = unknown_key(&value, crate::monitor::MonitorConfig::FIELDS) {
            return Err(to_js_error(CoreError::InvalidConfig(format!("unknown field {k:?}"))));
        }
        crate::monitor::MonitorConfig::from_js(&value)
            .map_err(|e| to_js_error(CoreError::InvalidConfig(validate::truncate_for_message(&e))))?
    };
    cfg.validate().map_err(to_js_error)?;
    Ok(cfg)
}

/// Reads and fully validates a task record passed from JS (`invalid_record` if it is not one).
fn record_from_js(value: JsValue) -> JsResult<crate::record::TaskRecord> {
    if let Some(k) = unknown_key(&value, crate::record::TaskRecord::FIELDS) {
        return Err(to_js_error(CoreError::InvalidRecord(format!("unknown field {k:?}"))));
    }
    let record = crate::record::TaskRecord::from_js(&value)
        .map_err(|e| to_js_error(CoreError::InvalidRecord(validate::truncate_for_message(&e))))?;
    crate::record::validate_record(&record).map_err(to_js_error)?;
    Ok(record)
}

/// The default monitor settings (3 min doubling backoff, 5 h budget, 10 min stall, …).
#[wasm_bindgen(js_name = defaultMonitorConfig, unchecked_return_type = "MonitorConfig")]
pub fn default_monitor_config() -> JsResult<JsValue> {
    to_js(&crate::monitor::MonitorConfig::default())
}

/// Fills a partial config with defaults and checks it. Throws `invalid_config`.
#[wasm_bindgen(js_name = validateMonitorConfig, unchecked_return_type = "MonitorConfig")]
pub fn validate_monitor_config(
    #[wasm_bindgen(unchecked_param_type = "Partial<MonitorConfig> | null | undefined")] config: JsValue,
) -> JsResult<JsValue> {
    to_js(&monitor_config_from_js(config)?)
}

/// A fresh record (state `starting`, attempt 1) for a task the host is about to start.
/// `presetSessionId`: the id chosen before launch (Claude's `--session-id`), else null.
#[wasm_bindgen(js_name = newRecord, unchecked_return_type = "TaskRecord")]
pub fn new_record(
    #[wasm_bindgen(unchecked_param_type = "TaskSpec")] spec: JsValue,
    task_dir: &str,
    preset_session_id: Option<String>,
    now: f64,
) -> JsResult<JsValue> {
    let spec: crate::model::TaskSpec = from_js(spec, "spec")?;
    crate::record::validate_new_record_input(&spec, task_dir, preset_session_id.as_deref(), now)
        .map_err(to_js_error)?;
    to_js(&crate::record::new_record(&spec, task_dir, preset_session_id, now))
}

/// The record with the project directory's identity at the start (its real path, device and
/// inode): every recovery checks that the project path still names this directory.
#[wasm_bindgen(js_name = withProjectIdentity, unchecked_return_type = "TaskRecord")]
pub fn with_project_identity(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ProjectIdentity")] identity: JsValue,
) -> JsResult<JsValue> {
    let mut record = record_from_js(record)?;
    let identity: crate::record::ProjectIdentity = from_js(identity, "projectIdentity")?;
    crate::record::check_project_identity(&identity)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("projectIdentity: {e}"))))?;
    record.project_identity = Some(identity);
    to_js(&record)
}

/// Parses and validates a task record read from disk (JSON text). Throws `invalid_record`.
#[wasm_bindgen(js_name = parseRecord, unchecked_return_type = "TaskRecord")]
pub fn parse_record(json_text: &str) -> JsResult<JsValue> {
    let value = js_sys::JSON::parse(json_text).map_err(|e| {
        let why = js_sys::Error::from(e).message();
        to_js_error(CoreError::InvalidRecord(format!("not JSON: {}", String::from(why))))
    })?;
    to_js(&record_from_js(value)?)
}

/// One monitor step for one task. Persist `record` if `updatedAt` changed, then perform
/// `actions` in order; answer `capture` / `resolve_reset_time` by stepping again at once.
#[wasm_bindgen(js_name = monitorStep, unchecked_return_type = "StepOutput")]
pub fn monitor_step(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Observation")] observation: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Partial<MonitorConfig> | null | undefined")] config: JsValue,
) -> JsResult<JsValue> {
    let record = record_from_js(record)?;
    let obs: crate::monitor::Observation = from_js(observation, "observation")?;
    obs.validate().map_err(to_js_error)?;
    let cfg = monitor_config_from_js(config)?;
    to_js(&crate::monitor::step(&record, &obs, &cfg))
}

/// A resume asked for by a person. Throws `not_resumable` for completed or running tasks.
/// Persist the returned record, then call `monitorStep` at once (it emits the `recover`).
#[wasm_bindgen(js_name = manualResume, unchecked_return_type = "StepOutput")]
pub fn manual_resume(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    now: f64,
) -> JsResult<JsValue> {
    let record = record_from_js(record)?;
    to_js(&crate::monitor::manual_resume(&record, now).map_err(to_js_error)?)
}

/// The host found the project directory gone (or its path naming another directory) before a
/// recovery: the task fails with `project_dir_missing` (announced once). Persist the record,
/// then announce; do not perform the `recover`.
#[wasm_bindgen(js_name = projectDirMissing, unchecked_return_type = "StepOutput")]
pub fn project_dir_missing(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    evidence: &str,
    now: f64,
) -> JsResult<JsValue> {
    let record = record_from_js(record)?;
    to_js(&crate::monitor::project_dir_missing(&record, evidence, now).map_err(to_js_error)?)
}

/// The record after the host stopped the task (completed/failed stay as they are).
#[wasm_bindgen(js_name = markStopped, unchecked_return_type = "TaskRecord")]
pub fn mark_stopped(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    now: f64,
) -> JsResult<JsValue> {
    let record = record_from_js(record)?;
    if !now.is_finite() {
        return Err(to_js_error(CoreError::InvalidInput(format!("now must be a finite time in ms, got {}", validate::Num(now)))));
    }
    to_js(&crate::monitor::mark_stopped(&record, now))
}

// --- text analysis (H1): session ids, classification, reset hints, redaction ---

#[wasm_bindgen(typescript_custom_section)]
const TS_TEXT: &'static str = r#"
/** Why an agent run failed. crash, signal, network, rate_limit are retryable; the rest fatal
 * (a usage_limit with a reset hint means "wait until then, then retry"). */
export type FailureClass =
  | "crash" | "signal" | "network" | "rate_limit"
  | "auth" | "usage_limit" | "bad_invocation" | "context_overflow" | "project_dir_missing";

/** A wait named by the agent: a delay, or a time of day in `zone` (IANA) or, when null, in the
 * machine's local zone. */
export type ResetHint =
  | { kind: "after"; ms: number }
  | { kind: "clock_time"; hour: number; minute: number; zone: string | null };

/** A classified failure and the (redacted, single, ≤ 300 characters) line that shows it. */
export interface Failure {
  class: FailureClass;
  evidence: string;
  reset: ResetHint | null;
}

/** What the host knows about an ended run. Tails are the last ≤ 64 KiB of each file. */
export interface ExitFacts {
  /** From the wrapper's exit.<n> file, else tmux's pane_dead_status. */
  exitStatus?: number | null;
  /** tmux's pane_dead_signal. */
  signal?: number | null;
  /** End of events.<n>.jsonl (the agent's stdout). */
  eventsTail?: string;
  /** End of stderr.<n>.log. */
  stderrTail?: string;
  /** Last lines of the pane, captured before any respawn. */
  paneTail?: string;
}

/** How an ended run went, judged from its event stream (exit codes lie). */
export type Outcome = { outcome: "completed" } | { outcome: "failed"; failure: Failure };

/** What a live pane shows. */
export type LiveVerdict =
  | { verdict: "working" }
  | { verdict: "waiting_for_input"; evidence: string }
  | { verdict: "retry_loop"; evidence: string };
"#;

/// Reads an agent name for the text-analysis exports (`invalid_agent` otherwise).
fn text_agent(agent: &str) -> JsResult<crate::model::AgentKind> {
    crate::model::AgentKind::parse(agent).ok_or_else(|| {
        to_js_error(CoreError::InvalidAgent(crate::validate::truncate_for_message(agent)))
    })
}

/// The agent's own session id found in the head (first ≤ 16 KiB) of its first run's event file,
/// or of Codex text-mode stderr; `null` when not (yet) there. Only valid ids are returned.
#[wasm_bindgen(js_name = extractSessionId, unchecked_return_type = "string | null")]
pub fn extract_session_id(
    #[wasm_bindgen(unchecked_param_type = "\"codex\" | \"claude\" | \"opencode\" | \"pi\" | \"demo\"")] agent: &str,
    head: &str,
) -> JsResult<JsValue> {
    to_js(&crate::session_id::extract_session_id(text_agent(agent)?, head))
}

/// Checks a session id before it is used to resume: a UUID for codex, claude, pi and demo;
/// `ses_` + 26 letters/digits for opencode. Throws `invalid_session_id`.
#[wasm_bindgen(js_name = validateSessionId)]
pub fn validate_session_id(
    #[wasm_bindgen(unchecked_param_type = "\"codex\" | \"claude\" | \"opencode\" | \"pi\" | \"demo\"")] agent: &str,
    id: &str,
) -> JsResult<()> {
    crate::session_id::validate_session_id(text_agent(agent)?, id).map_err(to_js_error)
}

/// Whether an ended run completed, and if not its failure class, evidence and reset hint.
#[wasm_bindgen(js_name = classifyExit, unchecked_return_type = "Outcome")]
pub fn classify_exit(
    #[wasm_bindgen(unchecked_param_type = "\"codex\" | \"claude\" | \"opencode\" | \"pi\" | \"demo\"")] agent: &str,
    #[wasm_bindgen(unchecked_param_type = "ExitFacts")] facts: JsValue,
) -> JsResult<JsValue> {
    let agent = text_agent(agent)?;
    let facts: crate::classify::ExitFacts = from_js(facts, "exit facts")?;
    to_js(&crate::classify::classify_exit(agent, &facts))
}

/// What a live pane's last lines show: working, waiting for input, or a retry loop.
#[wasm_bindgen(js_name = classifyLive, unchecked_return_type = "LiveVerdict")]
pub fn classify_live(
    #[wasm_bindgen(unchecked_param_type = "\"codex\" | \"claude\" | \"opencode\" | \"pi\" | \"demo\"")] agent: &str,
    pane_tail: js_sys::JsString,
) -> JsResult<JsValue> {
    // Only the end of the pane is read (see `js_conv::TAIL_UNITS`): slice before copying.
    let tail = js_conv::tail_text(&pane_tail)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("pane tail: {e}"))))?;
    to_js(&crate::classify::classify_live(text_agent(agent)?, &tail))
}

/// The reset time named in a message ("try again at 1:22 AM", "resets 3:50pm (Asia/Tokyo)",
/// "retry-after: 20", "try again in 5 minutes"), or `null`.
#[wasm_bindgen(js_name = parseResetHint, unchecked_return_type = "ResetHint | null")]
pub fn parse_reset_hint(text: &str) -> JsResult<JsValue> {
    to_js(&crate::reset_hint::parse_reset_hint(text))
}

/// The next instant (ms) at or after `now` when local time (UTC + `utcOffsetMin` minutes) is
/// `hour:minute`. Throws `invalid_input` for a non-finite `now` or out-of-range values.
#[wasm_bindgen(js_name = nextClockOccurrence)]
pub fn next_clock_occurrence(now: f64, hour: f64, minute: f64, utc_offset_min: f64) -> JsResult<f64> {
    let int_in = |v: f64, lo: f64, hi: f64| v.fract() == 0.0 && v >= lo && v <= hi;
    if !now.is_finite() || !int_in(hour, 0.0, 23.0) || !int_in(minute, 0.0, 59.0) || !int_in(utc_offset_min, -1440.0, 1440.0) {
        return Err(to_js_error(CoreError::InvalidInput(format!(
            "nextClockOccurrence needs a finite now, hour 0-23, minute 0-59 and an offset within ±1440 min; got {}, {}, {}, {}",
            validate::Num(now), validate::Num(hour), validate::Num(minute), validate::Num(utc_offset_min)
        ))));
    }
    // All three were just checked to be integers within u8/i32 range, so the casts are exact.
    Ok(crate::reset_hint::next_clock_occurrence(now, hour as u8, minute as u8, utc_offset_min as i32))
}

/// `text` with API keys, bearer tokens, auth headers, private keys and secret `NAME=value`
/// assignments replaced by `[REDACTED]`.
#[wasm_bindgen(js_name = redact)]
pub fn redact(text: &str) -> String {
    crate::redact::redact(text)
}

// --- spec, profiles, plans, wrapper (H2): task specs, tmux command plans, the pane wrapper ---

#[wasm_bindgen(typescript_custom_section)]
const TS_PLAN: &'static str = r#"
/** A task as a caller describes it. Unchecked; `validateSpec` turns it into a TaskSpec. */
export interface TaskSpecInput {
  /** "codex" | "claude" | "opencode" | "pi" | "demo". */
  agent: string;
  /** `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 48 characters. */
  name: string;
  /** Absolute path of the project directory (the host checks that it exists). */
  projectDir: string;
  /** `[A-Za-z0-9._:/@+-]`, 1-128 characters, not starting with "-". Required for opencode, as provider/model. */
  model?: string | null;
  /** "sandboxed" (default) or "full". */
  autonomy?: string | null;
}

/** A validated task. */
export interface TaskSpec {
  agent: "codex" | "claude" | "opencode" | "pi" | "demo";
  name: string;
  projectDir: string;
  model: string | null;
  autonomy: "sandboxed" | "full";
}

/** An environment variable. */
export interface EnvVar {
  name: string;
  value: string;
}

/** What the host knows and the core cannot. */
export interface HostContext {
  /** Absolute path of the task directory (mkdtemp, 0700). */
  taskDir: string;
  /** tmux socket name (`tmux -L`); null = the user's default server. */
  socket?: string | null;
  /** Environment for the agent: written to the task's `agent.env` by the plan of attempt 1 (never on tmux's argv) and exported by the wrapper. RCA_TASK_DIR, RCA_ATTEMPT, TMUX, TMUX_PANE are reserved. */
  env?: EnvVar[];
  /** The host runs as root (Claude's bypass mode then gets IS_SANDBOX=1). */
  isRoot?: boolean;
  /** Agent program instead of the profile's name: the absolute path the host resolved at start (see `agentProgram`). */
  program?: string | null;
  /** Demo agent argv prefix, e.g. ["node", "/abs/demo-agent.js"]. Required for the demo agent. */
  demoAgent?: string[] | null;
  /** Claude's session id (a UUID chosen by the host). Required to start Claude. */
  presetSessionId?: string | null;
  /** OpenCode `--title` tag, to find the session id with `opencode session list` early. `[A-Za-z0-9._:-]{1,64}`. */
  titleTag?: string | null;
  /** The project directory as the agent's getcwd() sees it (realpath); Claude names its conversation folder after it. Default: the spec's projectDir. */
  projectRealDir?: string | null;
}

/** One process: run `execFile(argv[0], argv.slice(1), { env: { ...process.env, ...env }, input: stdin })`, never a shell. */
export interface Command {
  /** argv[0] is "tmux". */
  argv: string[];
  /** Text for stdin; null = none. */
  stdin: string | null;
  /** Variables to set in the tmux client's environment on top of the host's own (none today: the agent's environment travels in `agent.env`). */
  env: EnvVar[];
}

/** A file to write in the task directory, before the commands run. */
export interface FileWrite {
  /** A plain file name, relative to the task directory. */
  path: string;
  contents: string;
  /** 0o600 (384). */
  mode: number;
  /** Create with O_CREAT|O_EXCL|O_NOFOLLOW (fail if it exists). */
  exclusive: boolean;
}

/** Write `files`, then run `commands` in order; stop at the first failure. */
export interface Plan {
  files: FileWrite[];
  commands: Command[];
}

/** One pane from `parsePaneList`. */
export interface PaneInfo {
  session: string;
  /** "%N". */
  paneId: string;
  panePid: number | null;
  dead: boolean;
  /** Exit status of a dead pane (tmux 3.3a sometimes loses it: nudge the server with SIGCHLD; prefer exit.<n>). */
  deadStatus: number | null;
  deadSignal: number | null;
  /** tmux server pid (for the SIGCHLD nudge). */
  serverPid: number | null;
}

/** File names of attempt n, relative to the task directory (see wrapperScript). */
export interface AttemptFiles {
  /** The agent's stdin (written by the host from a plan). */
  prompt: string;
  /** Start time, ms since the epoch. */
  started: string;
  /** The agent's own pid. */
  pid: string;
  /** The agent's stdout (JSONL), appended. */
  events: string;
  /** The agent's stderr, appended. */
  stderr: string;
  /** The agent's exit status (128+signal if killed), written atomically when it ended. */
  exit: string;
  /** Everything the pane showed, all attempts. */
  transcript: string;
  /** The agent's environment (NUL-separated NAME=VALUE), written at start, read by every attempt's wrapper. */
  env: string;
}
"#;

/// A JS number that must be a whole number in `0..=u32::MAX`.
fn js_u32(x: f64, what: &str) -> JsResult<u32> {
    if x.is_finite() && x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x) {
        // In range and integral, so the cast is exact.
        Ok(x as u32)
    } else {
        Err(to_js_error(CoreError::InvalidInput(format!("{what} must be a whole number, got {}", validate::Num(x)))))
    }
}

/// Checks a task description and returns the validated `TaskSpec`.
/// Throws `invalid_agent`, `invalid_task_name`, `invalid_project_dir`, `invalid_option` (model) or
/// `invalid_autonomy`.
#[wasm_bindgen(js_name = validateSpec, unchecked_return_type = "TaskSpec")]
pub fn validate_spec(#[wasm_bindgen(unchecked_param_type = "TaskSpecInput")] input: JsValue) -> JsResult<JsValue> {
    let input: crate::spec::TaskSpecInput = from_js(input, "task spec")?;
    to_js(&crate::spec::validate_spec(&input).map_err(to_js_error)?)
}

/// Checks a prompt: not blank, at most 4 MiB, no NUL. Throws `invalid_prompt`.
#[wasm_bindgen(js_name = validatePrompt)]
pub fn validate_prompt(prompt: &str) -> JsResult<()> {
    crate::spec::validate_prompt(prompt).map_err(to_js_error)
}

/// The tmux session name of a task, `<agent>-<name>`. Throws if the spec is not valid.
#[wasm_bindgen(js_name = sessionName)]
pub fn session_name(#[wasm_bindgen(unchecked_param_type = "TaskSpec")] spec: JsValue) -> JsResult<String> {
    let spec: crate::model::TaskSpec = from_js(spec, "spec")?;
    crate::spec::check_spec(&spec).map_err(to_js_error)?;
    Ok(crate::spec::session_name(&spec))
}

/// Splits `<agent>-<name>` back into its parts. Throws `invalid_session` for other names
/// (sessions started by hand).
#[wasm_bindgen(js_name = parseSession, unchecked_return_type = "{ agent: TaskSpec[\"agent\"]; name: string }")]
pub fn parse_session(session: &str) -> JsResult<JsValue> {
    let (agent, name) = crate::spec::parse_session(session).map_err(to_js_error)?;
    let parts = js_sys::Object::new();
    js_conv::set(&parts, "agent", agent.to_js());
    js_conv::set(&parts, "name", name.to_js());
    Ok(parts.into())
}

/// The plan that starts a task as attempt `attempt` (1, or later for a fresh start): writes
/// `prompt.<attempt>` and creates the tmux session running the wrapper around the agent.
#[wasm_bindgen(js_name = planStart, unchecked_return_type = "Plan")]
pub fn plan_start(
    #[wasm_bindgen(unchecked_param_type = "TaskSpec")] spec: JsValue,
    prompt: &str,
    #[wasm_bindgen(unchecked_param_type = "HostContext")] ctx: JsValue,
    attempt: f64,
) -> JsResult<JsValue> {
    let spec: crate::model::TaskSpec = from_js(spec, "spec")?;
    let ctx: crate::plan::HostContext = from_js(ctx, "host context")?;
    let attempt = js_u32(attempt, "attempt")?;
    to_js(&crate::plan::plan_start(&spec, prompt, &ctx, attempt).map_err(to_js_error)?)
}

/// The plan that resumes the recorded conversation `agentSessionId` as attempt `attempt` (≥ 2),
/// in place (`respawn`) or in a re-created session (`recreate`). Throws `invalid_session_id`
/// for an id of the wrong shape.
#[wasm_bindgen(js_name = planRecover, unchecked_return_type = "Plan")]
pub fn plan_recover(
    #[wasm_bindgen(unchecked_param_type = "TaskSpec")] spec: JsValue,
    agent_session_id: &str,
    #[wasm_bindgen(unchecked_param_type = "HostContext")] ctx: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RecoverMode")] mode: JsValue,
    attempt: f64,
) -> JsResult<JsValue> {
    let spec: crate::model::TaskSpec = from_js(spec, "spec")?;
    let ctx: crate::plan::HostContext = from_js(ctx, "host context")?;
    let mode: crate::plan::RecoverMode = from_js(mode, "recover mode")?;
    let attempt = js_u32(attempt, "attempt")?;
    to_js(&crate::plan::plan_recover(&spec, agent_session_id, &ctx, &mode, attempt).map_err(to_js_error)?)
}

/// One `tmux list-panes -a -F …` for every pane on the server; parse its stdout with
/// `parsePaneList` ("no server running" means no panes).
#[wasm_bindgen(js_name = planListPanes, unchecked_return_type = "Command")]
pub fn plan_list_panes(socket: Option<String>) -> JsResult<JsValue> {
    to_js(&crate::plan::plan_list_panes(socket.as_deref()).map_err(to_js_error)?)
}

/// Parses `planListPanes` output; junk lines are skipped.
#[wasm_bindgen(js_name = parsePaneList, unchecked_return_type = "PaneInfo[]")]
pub fn parse_pane_list(stdout: &str) -> JsResult<JsValue> {
    to_js(&crate::plan::parse_pane_list(stdout))
}

/// `capture-pane -p -J -S -<lines>` of a pane (`%N`) or of a task's session (`<agent>-<name>`).
#[wasm_bindgen(js_name = planCapture, unchecked_return_type = "Command")]
pub fn plan_capture(socket: Option<String>, pane: &str, lines: f64) -> JsResult<JsValue> {
    let lines = js_u32(lines, "lines")?;
    to_js(&crate::plan::plan_capture(socket.as_deref(), pane, lines).map_err(to_js_error)?)
}

/// Types `text` into a task's pane, then Enter (`send-keys -l`, or a bracketed paste from a
/// buffer loaded on stdin when `paste`, multi-line or long).
#[wasm_bindgen(js_name = planSend, unchecked_return_type = "Plan")]
pub fn plan_send(socket: Option<String>, session: &str, text: &str, paste: bool) -> JsResult<JsValue> {
    to_js(&crate::plan::plan_send(socket.as_deref(), session, text, paste).map_err(to_js_error)?)
}

/// `kill-session -t =<session>`.
#[wasm_bindgen(js_name = planStop, unchecked_return_type = "Command")]
pub fn plan_stop(socket: Option<String>, session: &str) -> JsResult<JsValue> {
    to_js(&crate::plan::plan_stop(socket.as_deref(), session).map_err(to_js_error)?)
}

/// `kill-session -t $N`: the one session a start created (its id as `new-session` printed it).
#[wasm_bindgen(js_name = planStopSessionId, unchecked_return_type = "Command")]
pub fn plan_stop_session_id(socket: Option<String>, id: &str) -> JsResult<JsValue> {
    to_js(&crate::plan::plan_stop_session_id(socket.as_deref(), id).map_err(to_js_error)?)
}

/// The constant bash wrapper the pane runs (`bash -c <script> rca-wrapper <agent argv…>`).
#[wasm_bindgen(js_name = wrapperScript)]
pub fn wrapper_script() -> String {
    crate::wrapper::WRAPPER_SCRIPT.to_string()
}

/// The file names attempt `n` uses in the task directory.
#[wasm_bindgen(js_name = attemptFiles, unchecked_return_type = "AttemptFiles")]
pub fn attempt_files(n: f64) -> JsResult<JsValue> {
    to_js(&crate::wrapper::attempt_files(js_u32(n, "attempt")?))
}

// --- conversation (H10): resume or start again; the agent's id source ---

#[wasm_bindgen(typescript_custom_section)]
const TS_CONVERSATION: &'static str = r#"
/** How a recovery runs the agent again. */
export type RecoveryKind = "resume" | "fresh_start";

/** The decision for one recovery, and the record to persist before acting on it. */
export interface RecoveryChoice {
  kind: RecoveryKind;
  /** The record to persist first (the agent's id forgotten when a fresh start makes the agent choose a new one). */
  record: TaskRecord;
}

/** Where an agent's conversation id comes from. */
export type IdSource = "from_events" | "preset" | "session_file";
export type AgentSandbox = "os" | "permissions" | "none" | "simulated";
"#;

/// The file that exists once the agent has saved conversation `agentSessionId` of this task
/// (Pi: `<taskDir>/pi-session.jsonl`; Claude: `<CLAUDE_CONFIG_DIR or $HOME/.claude>/projects/
/// <project key>/<id>.jsonl`, from `ctx.env` and `ctx.projectRealDir`), or undefined when there is
/// nothing to check (Codex, OpenCode, demo; or the path is unknowable). The host checks that
/// the file exists (lstat) and passes the fact to `chooseRecovery`. Throws like `planRecover`
/// on a bad spec, context or id.
#[wasm_bindgen(js_name = conversationProbe)]
pub fn conversation_probe(
    #[wasm_bindgen(unchecked_param_type = "TaskSpec")] spec: JsValue,
    agent_session_id: &str,
    #[wasm_bindgen(unchecked_param_type = "HostContext")] ctx: JsValue,
) -> JsResult<Option<String>> {
    let spec: crate::model::TaskSpec = from_js(spec, "spec")?;
    let ctx: crate::plan::HostContext = from_js(ctx, "host context")?;
    crate::conversation::conversation_probe(&spec, agent_session_id, &ctx).map_err(to_js_error)
}

/// Resume (`planRecover`) or start again with the original prompt (`planStart` with the
/// attempt): `conversationSaved` is whether the `conversationProbe` file exists (true when the
/// probe is null). A fresh start is chosen when no id was ever recorded, or when the agent had
/// not saved the conversation yet. Persist `record` before acting when it changed.
#[wasm_bindgen(js_name = chooseRecovery, unchecked_return_type = "RecoveryChoice")]
pub fn choose_recovery(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    conversation_saved: bool,
    now: f64,
) -> JsResult<JsValue> {
    let record = record_from_js(record)?;
    if !now.is_finite() {
        return Err(to_js_error(CoreError::InvalidInput(format!("now must be a finite time in ms, got {}", validate::Num(now)))));
    }
    to_js(&crate::conversation::choose_recovery(&record, conversation_saved, now))
}

/// Where the agent's conversation id comes from: `"preset"` (the host chooses a UUID and
/// passes it as `presetSessionId` at start: Claude), `"from_events"` (read from the first
/// events: Codex, OpenCode, demo) or `"session_file"` (Pi). Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentIdSource, unchecked_return_type = "IdSource")]
pub fn agent_id_source(agent: &str) -> JsResult<JsValue> {
    let agent = crate::model::AgentKind::parse(agent)
        .ok_or_else(|| to_js_error(CoreError::InvalidAgent(validate::truncate_for_message(agent))))?;
    to_js(&crate::profiles::profile(agent).id_source)
}

/// The program name an agent's profile runs (`"codex"`, …), or undefined when its argv comes
/// from the host (the demo agent). The host resolves it to an absolute path once, at start, on
/// the operator's PATH, and passes that as `program` for the start and every recovery.
#[wasm_bindgen(js_name = agentProgram)]
pub fn agent_program(agent: &str) -> JsResult<Option<String>> {
    let agent = crate::model::AgentKind::parse(agent)
        .ok_or_else(|| to_js_error(CoreError::InvalidAgent(validate::truncate_for_message(agent))))?;
    Ok(crate::profiles::profile(agent).program.map(str::to_string))
}

/// How real an agent's `sandboxed` autonomy is: `"os"` (an OS sandbox around everything it
/// runs: Codex), `"permissions"` (the CLI's permission rules: Claude, OpenCode), `"none"` (no
/// sandbox at all: Pi) or `"simulated"` (the demo agent). Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentSandbox, unchecked_return_type = "AgentSandbox")]
pub fn agent_sandbox(agent: &str) -> JsResult<String> {
    let agent = crate::model::AgentKind::parse(agent)
        .ok_or_else(|| to_js_error(CoreError::InvalidAgent(validate::truncate_for_message(agent))))?;
    Ok(crate::profiles::profile(agent).sandbox.as_str().to_string())
}

/// The variables an agent CLI reads its login from (API keys, base URLs: profile data), which a
/// host copies from its own environment into the task's 0600 env file. Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentCredentialEnv)]
pub fn agent_credential_env(agent: &str) -> JsResult<Vec<String>> {
    let agent = crate::model::AgentKind::parse(agent)
        .ok_or_else(|| to_js_error(CoreError::InvalidAgent(validate::truncate_for_message(agent))))?;
    Ok(crate::profiles::profile(agent).credential_env.iter().map(|s| s.to_string()).collect())
}
