//! The wasm boundary: the only module with `#[wasm_bindgen]`.
//!
//! Plain objects cross in both directions through serde-wasm-bindgen; their TypeScript shapes
//! are written out below (`typescript_custom_section`) so the generated `.d.ts` is typed rather
//! than `any`. Every error reaches JS as a real `Error` whose `name` is `"CoreError"` and whose
//! `code` is the stable code of [`CoreError`]. JS names are camelCase.

use crate::error::CoreError;
use crate::validate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

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
fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> JsResult<T> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("{what}: {e}"))))
}

/// Writes a Rust value as a plain JS object (maps as objects, `None` as `null`).
#[allow(dead_code)]
fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let ser = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    value
        .serialize(&ser)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("cannot return value: {e}"))))
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

/// serde-wasm-bindgen reads only the declared fields of a struct, so `deny_unknown_fields`
/// never fires in wasm: name the first unknown key of a plain object ourselves.
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
        serde_wasm_bindgen::from_value(value)
            .map_err(|e| to_js_error(CoreError::InvalidConfig(e.to_string())))?
    };
    cfg.validate().map_err(to_js_error)?;
    Ok(cfg)
}

/// Reads and fully validates a task record passed from JS (`invalid_record` if it is not one).
fn record_from_js(value: JsValue) -> JsResult<crate::record::TaskRecord> {
    if let Some(k) = unknown_key(&value, crate::record::TaskRecord::FIELDS) {
        return Err(to_js_error(CoreError::InvalidRecord(format!("unknown field {k:?}"))));
    }
    crate::record::parse_record_from(serde_wasm_bindgen::Deserializer::from(value)).map_err(to_js_error)
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

/// The record after the host stopped the task (completed/failed stay as they are).
#[wasm_bindgen(js_name = markStopped, unchecked_return_type = "TaskRecord")]
pub fn mark_stopped(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    now: f64,
) -> JsResult<JsValue> {
    let record = record_from_js(record)?;
    if !now.is_finite() {
        return Err(to_js_error(CoreError::InvalidInput(format!("now must be a finite time in ms, got {now}"))));
    }
    to_js(&crate::monitor::mark_stopped(&record, now))
}
