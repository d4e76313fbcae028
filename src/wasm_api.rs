//! The wasm boundary: the only module with `#[wasm_bindgen]`.
//!
//! Every value crosses through serde: serde-wasm-bindgen reads plain JS objects into the Rust
//! types and writes them back (camelCase fields, snake_case enum values, `None` as `null`), and
//! tsify writes the TypeScript declaration of each type into the generated `.d.ts`
//! (`Ts<T>` parameters and results are typed by them). Scalars arrive as `JsValue` and are read
//! by serde too, so a wrong type is an error with a code rather than a trap in the glue.
//!
//! Every error reaches JS as a real `Error` whose `name` is `"CoreError"` and whose `code` is
//! the stable code of [`CoreError`]; a value of the wrong shape is `invalid_input`
//! (`invalid_record` for a record, `invalid_config` for a monitor config). A panic (a bug) reaches
//! JS the same way with code `internal` and the panic's message, thrown by the panic hook; the
//! host (host-shim/core.js) then instantiates the core afresh. JS names are camelCase.

use crate::error::CoreError;
use crate::model::{AgentKind, Millis, TaskSpec};
use crate::validate::{self, truncate_for_message};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

type JsResult<T> = Result<T, JsValue>;

/// `Error { name: "CoreError", code, message }`.
fn js_error(code: &str, message: &str) -> JsValue {
    let js = js_sys::Error::new(message);
    js.set_name("CoreError");
    // Setting a property on a fresh Error object cannot fail; ignore the Result deliberately.
    let _ = js_sys::Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(code));
    js.into()
}

fn to_js_error(err: CoreError) -> JsValue {
    js_error(err.code(), &err.to_string())
}

/// A panic is a bug, never an answer to input: the hook throws it to the JS caller as
/// `internal` with its message (with `panic = "abort"` the alternative is a bare trap). The
/// throw unwinds past the wasm frames without running destructors, so the instance is not to be
/// trusted afterwards: host-shim/core.js loads a fresh one.
/// (wasm-bindgen exports a start function too; calling it again only sets the same hook.)
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start, js_name = __installPanicHook)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("the core panicked (a bug, please report it): {info}");
        wasm_bindgen::throw_val(js_error("internal", &message))
    }));
}

/// Test only, reached by nothing in the host: panics on purpose so the tests can prove that a
/// panic reaches JS as `internal` with its message and that the host carries on with a fresh
/// instance.
#[wasm_bindgen(js_name = __panicForTest)]
pub fn panic_for_test() {
    panic!("deliberate panic for a test");
}

/// Reads a JS value with serde; a wrong shape is the error `err` makes of the message.
fn read_as<T: DeserializeOwned>(value: JsValue, what: &str, err: fn(String) -> CoreError) -> JsResult<T> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| to_js_error(err(truncate_for_message(&format!("{what}: {e}")))))
}

/// Reads an argument; a wrong shape or type is `invalid_input`.
fn arg<T: DeserializeOwned>(value: JsValue, what: &str) -> JsResult<T> {
    read_as(value, what, CoreError::InvalidInput)
}

/// Reads a typed argument (declared in the `.d.ts` by tsify).
fn ts_arg<T: Tsify + DeserializeOwned>(value: Ts<T>, what: &str) -> JsResult<T> {
    arg(value.into(), what)
}

/// Writes a value as plain JS (`None` as `null`, as every type's declaration says).
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    const SERIALIZER: serde_wasm_bindgen::Serializer =
        serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    // Only a number beyond 2^53 or a non-string map key fails, and the core returns neither.
    value.serialize(&SERIALIZER).map_err(|e| js_error("internal", &format!("cannot return a value: {e}")))
}

/// Writes a typed value (declared in the `.d.ts` by tsify).
fn out<T: Tsify + Serialize>(value: &T) -> JsResult<Ts<T>> {
    to_js(value).map(Ts::new_unchecked)
}

/// A time in ms that must be finite.
fn time_arg(value: JsValue, what: &str) -> JsResult<Millis> {
    let t: f64 = arg(value, what)?;
    if t.is_finite() {
        Ok(t)
    } else {
        Err(to_js_error(CoreError::InvalidInput(format!("{what} must be a finite time in ms, got {}", validate::Num(t)))))
    }
}

/// The first key of a plain object that serde does not know for `T`. serde-wasm-bindgen reads
/// only the declared fields, so `deny_unknown_fields` never fires in wasm: a typo in a config
/// must not silently fall back to a default.
fn unknown_key<'de, T: serde::Deserialize<'de>>(value: &JsValue) -> Option<String> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return None;
    }
    let known = serde_aux::serde_introspection::serde_introspect::<T>();
    js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .find(|k| !known.contains(&k.as_str()))
}

/// Reads a monitor config (any subset of fields; the rest default) and validates it.
fn monitor_config_from_js(value: JsValue) -> JsResult<crate::monitor::MonitorConfig> {
    use crate::monitor::MonitorConfig;
    let cfg: MonitorConfig = if value.is_undefined() || value.is_null() {
        MonitorConfig::default()
    } else {
        if let Some(k) = unknown_key::<MonitorConfig>(&value) {
            return Err(to_js_error(CoreError::InvalidConfig(format!("unknown field {:?}", truncate_for_message(&k)))));
        }
        read_as(value, "config", CoreError::InvalidConfig)?
    };
    cfg.validate().map_err(to_js_error)?;
    Ok(cfg)
}

/// Reads and fully validates a task record passed from JS (`invalid_record` if it is not one).
fn record_from_js(value: JsValue) -> JsResult<crate::record::TaskRecord> {
    use crate::record::TaskRecord;
    if let Some(k) = unknown_key::<TaskRecord>(&value) {
        return Err(to_js_error(CoreError::InvalidRecord(format!("unknown field {:?}", truncate_for_message(&k)))));
    }
    crate::record::parse_record_from(serde_wasm_bindgen::Deserializer::from(value)).map_err(to_js_error)
}

/// Reads an agent name (`invalid_agent` for any other string).
fn agent_arg(value: JsValue) -> JsResult<AgentKind> {
    let agent: String = arg(value, "agent")?;
    AgentKind::parse(&agent).ok_or_else(|| to_js_error(CoreError::unknown_agent(&agent)))
}

/// Checks a task name (`^[a-z0-9]+(-[a-z0-9]+)*$`, at most 48 characters).
/// Throws a `CoreError` with code `invalid_task_name` when it does not match.
#[wasm_bindgen(js_name = validateTaskName)]
pub fn validate_task_name(#[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) -> JsResult<()> {
    validate::validate_task_name(&arg::<String>(name, "name")?).map_err(to_js_error)
}

// --- monitor (H3): task records, the monitor state machine, recovery schedule ---

// Every field of a MonitorConfig has a default, so its declaration makes them all optional (what
// a caller passes); the two exports below return every field.

/// The default monitor settings (3 min doubling backoff, 5 h budget, 10 min stall, …).
#[wasm_bindgen(js_name = defaultMonitorConfig, unchecked_return_type = "Required<MonitorConfig>")]
pub fn default_monitor_config() -> JsResult<JsValue> {
    to_js(&crate::monitor::MonitorConfig::default())
}

/// Fills a partial config with defaults and checks it. Throws `invalid_config`.
#[wasm_bindgen(js_name = validateMonitorConfig, unchecked_return_type = "Required<MonitorConfig>")]
pub fn validate_monitor_config(
    #[wasm_bindgen(unchecked_param_type = "MonitorConfig | null | undefined")] config: JsValue,
) -> JsResult<JsValue> {
    to_js(&monitor_config_from_js(config)?)
}

/// A fresh record (state `starting`, attempt 1) for a task the host is about to start.
/// `presetSessionId`: the id chosen before launch (Claude's `--session-id`), else null.
#[wasm_bindgen(js_name = newRecord)]
pub fn new_record(
    spec: Ts<TaskSpec>,
    #[wasm_bindgen(unchecked_param_type = "string")] task_dir: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] preset_session_id: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::record::TaskRecord>> {
    let spec = ts_arg(spec, "spec")?;
    let task_dir: String = arg(task_dir, "taskDir")?;
    let preset: Option<String> = arg(preset_session_id, "presetSessionId")?;
    let now: f64 = arg(now, "now")?;
    crate::record::validate_new_record_input(&spec, &task_dir, preset.as_deref(), now).map_err(to_js_error)?;
    out(&crate::record::new_record(&spec, &task_dir, preset, now))
}

/// The record with the project directory's identity at the start (its real path, device and
/// inode): every recovery checks that the project path still names this directory.
#[wasm_bindgen(js_name = withProjectIdentity)]
pub fn with_project_identity(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    identity: Ts<crate::record::ProjectIdentity>,
) -> JsResult<Ts<crate::record::TaskRecord>> {
    let mut record = record_from_js(record)?;
    let identity = ts_arg(identity, "projectIdentity")?;
    crate::record::check_project_identity(&identity)
        .map_err(|e| to_js_error(CoreError::InvalidInput(format!("projectIdentity: {e}"))))?;
    record.project_identity = Some(identity);
    out(&record)
}

/// Parses and validates a task record read from disk (JSON text). Throws `invalid_record`, or
/// `invalid_agent` for a well-formed agent name this process has no profile for (an operator
/// agent missing from this configuration): such a record is not corrupt, it is kept.
#[wasm_bindgen(js_name = parseRecord)]
pub fn parse_record(
    #[wasm_bindgen(unchecked_param_type = "string")] json_text: JsValue,
) -> JsResult<Ts<crate::record::TaskRecord>> {
    let text: String = arg(json_text, "record text")?;
    let value = js_sys::JSON::parse(&text).map_err(|e| {
        let why = js_sys::Error::from(e).message();
        to_js_error(CoreError::InvalidRecord(format!("not JSON: {}", String::from(why))))
    })?;
    let agent = js_sys::Reflect::get(&value, &"spec".into())
        .ok()
        .and_then(|spec| js_sys::Reflect::get(&spec, &"agent".into()).ok())
        .and_then(|a| a.as_string());
    if let Some(name) = agent {
        if AgentKind::parse(&name).is_none() && crate::agents::check_agent_name(&name).is_ok() {
            return Err(to_js_error(CoreError::unknown_agent(&name)));
        }
    }
    out(&record_from_js(value)?)
}

/// One monitor step for one task. Persist `record` if `updatedAt` changed, then perform
/// `actions` in order; answer `capture` / `resolve_reset_time` by stepping again at once.
#[wasm_bindgen(js_name = monitorStep)]
pub fn monitor_step(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    observation: Ts<crate::monitor::Observation>,
    #[wasm_bindgen(unchecked_param_type = "MonitorConfig | null | undefined")] config: JsValue,
) -> JsResult<Ts<crate::monitor::StepOutput>> {
    let record = record_from_js(record)?;
    let obs = ts_arg(observation, "observation")?;
    obs.validate().map_err(to_js_error)?;
    let cfg = monitor_config_from_js(config)?;
    out(&crate::monitor::step(&record, &obs, &cfg))
}

/// A monitor's settings, validated once when it is made (`new MonitorStepper(config)`, throws
/// `invalid_config`), and its step: the host's loop steps every task with it, and the settings
/// are not read or checked again on each step (`monitorStep` is the one-shot form).
#[wasm_bindgen]
pub struct MonitorStepper {
    cfg: crate::monitor::MonitorConfig,
}

#[wasm_bindgen]
impl MonitorStepper {
    /// Fills a partial config with defaults and checks it. Throws `invalid_config`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "MonitorConfig | null | undefined")] config: JsValue,
    ) -> JsResult<MonitorStepper> {
        Ok(MonitorStepper { cfg: monitor_config_from_js(config)? })
    }

    /// The settings, every field (as `validateMonitorConfig` returns them).
    #[wasm_bindgen(unchecked_return_type = "Required<MonitorConfig>")]
    pub fn config(&self) -> JsResult<JsValue> {
        to_js(&self.cfg)
    }

    /// One monitor step for one task with these settings (see `monitorStep`).
    pub fn step(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
        observation: Ts<crate::monitor::Observation>,
    ) -> JsResult<Ts<crate::monitor::StepOutput>> {
        let record = record_from_js(record)?;
        let obs = ts_arg(observation, "observation")?;
        obs.validate().map_err(to_js_error)?;
        out(&crate::monitor::step(&record, &obs, &self.cfg))
    }
}

/// A resume asked for by a person. Throws `not_resumable` for completed or running tasks.
/// Persist the returned record, then call `monitorStep` at once (it emits the `recover`).
#[wasm_bindgen(js_name = manualResume)]
pub fn manual_resume(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::monitor::StepOutput>> {
    let record = record_from_js(record)?;
    let now: f64 = arg(now, "now")?;
    out(&crate::monitor::manual_resume(&record, now).map_err(to_js_error)?)
}

/// The host found the project directory gone (or its path naming another directory) before a
/// recovery: the task fails with `project_dir_missing` (announced once). Persist the record,
/// then announce; do not perform the `recover`.
#[wasm_bindgen(js_name = projectDirMissing)]
pub fn project_dir_missing(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] evidence: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::monitor::StepOutput>> {
    let record = record_from_js(record)?;
    let evidence: String = arg(evidence, "evidence")?;
    let now: f64 = arg(now, "now")?;
    out(&crate::monitor::project_dir_missing(&record, &evidence, now).map_err(to_js_error)?)
}

/// The host refused a `recover` (`failureClass`: `"project_dir_missing"` or
/// `"task_file_unsafe"`, `evidence` says why): the task fails with that class, announced once,
/// instead of being recovered again and again. Persist the record, then announce.
#[wasm_bindgen(js_name = recoveryRefused)]
pub fn recovery_refused(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "FailureClass")] failure_class: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] evidence: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::monitor::StepOutput>> {
    let record = record_from_js(record)?;
    let class: crate::model::FailureClass = arg(failure_class, "failureClass")?;
    let evidence: String = arg(evidence, "evidence")?;
    let now: f64 = arg(now, "now")?;
    out(&crate::monitor::recovery_refused(&record, class, &evidence, now).map_err(to_js_error)?)
}

/// The event of a recovery circuit-breaker edge for the task that caused it (`paused`: its
/// login's other recoveries are paused; else they continue after its manual resume).
#[wasm_bindgen(js_name = breakerEvent)]
pub fn breaker_event(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "boolean")] paused: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::monitor::TaskEvent>> {
    let record = record_from_js(record)?;
    let paused: bool = arg(paused, "paused")?;
    let now: f64 = arg(now, "now")?;
    out(&crate::breaker::breaker_event(&record, paused, now).map_err(to_js_error)?)
}

/// The record after the host stopped the task (completed/failed stay as they are).
#[wasm_bindgen(js_name = markStopped)]
pub fn mark_stopped(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::record::TaskRecord>> {
    let record = record_from_js(record)?;
    let now = time_arg(now, "now")?;
    out(&crate::monitor::mark_stopped(&record, now))
}

// --- text analysis (H1): session ids, classification, reset hints, redaction ---

/// At most this many UTF-16 units of a long text cross into the core. The classifier reads only
/// the last 64 KiB (bytes) of each text, and those bytes always lie within the last 64 Ki units
/// (every unit encodes to at least one byte); the 4 extra units keep a surrogate pair cut by the
/// slice outside that window. Slicing on the JS side spares copying a whole 10,000-line capture
/// into wasm only for the core to skip it.
const TAIL_UNITS: u32 = crate::classify::MAX_INPUT_BYTES as u32 + 4;

/// The end of a JS string (at most [`TAIL_UNITS`] units); other values pass unchanged.
fn tail_of(value: JsValue) -> JsValue {
    match value.dyn_ref::<js_sys::JsString>() {
        Some(s) if s.length() > TAIL_UNITS => s.slice(s.length() - TAIL_UNITS, s.length()).into(),
        _ => value,
    }
}

/// A shallow copy of a plain object with every long string cut to its end (the texts of exit
/// facts are all tails); anything else passes unchanged, for serde to judge.
fn tails_of(value: JsValue) -> JsValue {
    if !value.is_object() || js_sys::Array::is_array(&value) {
        return value;
    }
    let copy = js_sys::Object::assign(&js_sys::Object::new(), value.unchecked_ref());
    for key in js_sys::Object::keys(&copy).iter() {
        if let Ok(v) = js_sys::Reflect::get(&copy, &key) {
            // Setting a data property on a fresh plain object cannot fail.
            let _ = js_sys::Reflect::set(&copy, &key, &tail_of(v));
        }
    }
    copy.into()
}

/// The agent's own session id found in the head (first ≤ 16 KiB) of its first run's event file,
/// or of Codex text-mode stderr; `null` when not (yet) there. Only valid ids are returned.
#[wasm_bindgen(js_name = extractSessionId, unchecked_return_type = "string | null")]
pub fn extract_session_id(
    #[wasm_bindgen(unchecked_param_type = "AgentKind")] agent: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] head: JsValue,
) -> JsResult<JsValue> {
    let agent = agent_arg(agent)?;
    let head: String = arg(head, "head")?;
    to_js(&crate::session_id::extract_session_id(agent, &head))
}

/// Checks a session id before it is used to resume: a UUID for codex, claude, pi and demo;
/// `ses_` + 26 letters/digits for opencode. Throws `invalid_session_id`.
#[wasm_bindgen(js_name = validateSessionId)]
pub fn validate_session_id(
    #[wasm_bindgen(unchecked_param_type = "AgentKind")] agent: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
) -> JsResult<()> {
    let agent = agent_arg(agent)?;
    crate::session_id::validate_session_id(agent, &arg::<String>(id, "id")?).map_err(to_js_error)
}

/// Whether an ended run completed, and if not its failure class, evidence and reset hint.
#[wasm_bindgen(js_name = classifyExit)]
pub fn classify_exit(
    #[wasm_bindgen(unchecked_param_type = "AgentKind")] agent: JsValue,
    facts: Ts<crate::classify::ExitFacts>,
) -> JsResult<Ts<crate::classify::Outcome>> {
    let agent = agent_arg(agent)?;
    // Only the end of each text is read (see TAIL_UNITS): cut before copying.
    let facts: crate::classify::ExitFacts = arg(tails_of(facts.into()), "exit facts")?;
    out(&crate::classify::classify_exit(agent, &facts))
}

/// What a live pane's last lines show: working, waiting for input, or a retry loop.
#[wasm_bindgen(js_name = classifyLive)]
pub fn classify_live(
    #[wasm_bindgen(unchecked_param_type = "AgentKind")] agent: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] pane_tail: JsValue,
) -> JsResult<Ts<crate::classify::LiveVerdict>> {
    let agent = agent_arg(agent)?;
    let tail: String = arg(tail_of(pane_tail), "pane tail")?;
    out(&crate::classify::classify_live(agent, &tail))
}

/// The reset time named in a message ("try again at 1:22 AM", "resets 3:50pm (Asia/Tokyo)",
/// "retry-after: 20", "try again in 5 minutes"), or `null`.
#[wasm_bindgen(js_name = parseResetHint, unchecked_return_type = "ResetHint | null")]
pub fn parse_reset_hint(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> JsResult<JsValue> {
    to_js(&crate::reset_hint::parse_reset_hint(&arg::<String>(text, "text")?))
}

/// The next instant (ms) at or after `now` when local time (UTC + `utcOffsetMin` minutes) is
/// `hour:minute`. Throws `invalid_input` for a non-finite `now` or out-of-range values.
#[wasm_bindgen(js_name = nextClockOccurrence)]
pub fn next_clock_occurrence(
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] hour: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] minute: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] utc_offset_min: JsValue,
) -> JsResult<f64> {
    let (now, hour, minute, utc_offset_min): (f64, f64, f64, f64) =
        (arg(now, "now")?, arg(hour, "hour")?, arg(minute, "minute")?, arg(utc_offset_min, "utcOffsetMin")?);
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
pub fn redact(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> JsResult<String> {
    Ok(crate::redact::redact(&arg::<String>(text, "text")?))
}

// --- spec, profiles, plans, wrapper (H2): task specs, tmux command plans, the pane wrapper ---

/// Checks a task description and returns the validated `TaskSpec`.
/// Throws `invalid_agent`, `invalid_task_name`, `invalid_project_dir`, `invalid_option` (model) or
/// `invalid_autonomy`.
#[wasm_bindgen(js_name = validateSpec)]
pub fn validate_spec(input: Ts<crate::spec::TaskSpecInput>) -> JsResult<Ts<TaskSpec>> {
    let input = ts_arg(input, "task spec")?;
    out(&crate::spec::validate_spec(&input).map_err(to_js_error)?)
}

/// Checks a prompt: not blank, at most 4 MiB, no NUL. Throws `invalid_prompt`.
#[wasm_bindgen(js_name = validatePrompt)]
pub fn validate_prompt(#[wasm_bindgen(unchecked_param_type = "string")] prompt: JsValue) -> JsResult<()> {
    crate::spec::validate_prompt(&arg::<String>(prompt, "prompt")?).map_err(to_js_error)
}

/// The tmux session name of a task, `<agent>-<name>`. Throws if the spec is not valid.
#[wasm_bindgen(js_name = sessionName)]
pub fn session_name(spec: Ts<TaskSpec>) -> JsResult<String> {
    let spec = ts_arg(spec, "spec")?;
    crate::spec::check_spec(&spec).map_err(to_js_error)?;
    Ok(crate::spec::session_name(&spec))
}

/// A task's tmux session split into its parts.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct SessionParts {
    pub agent: AgentKind,
    pub name: String,
}

/// Splits `<agent>-<name>` back into its parts. Throws `invalid_session` for other names
/// (sessions started by hand).
#[wasm_bindgen(js_name = parseSession)]
pub fn parse_session(#[wasm_bindgen(unchecked_param_type = "string")] session: JsValue) -> JsResult<Ts<SessionParts>> {
    let session: String = arg(session, "session")?;
    let (agent, name) = crate::spec::parse_session(&session).map_err(to_js_error)?;
    out(&SessionParts { agent, name: name.to_string() })
}

/// The plan that starts a task as attempt `attempt` (1, or later for a fresh start): writes
/// `prompt.<attempt>` and creates the tmux session running the wrapper around the agent.
#[wasm_bindgen(js_name = planStart)]
pub fn plan_start(
    spec: Ts<TaskSpec>,
    #[wasm_bindgen(unchecked_param_type = "string")] prompt: JsValue,
    ctx: Ts<crate::plan::HostContext>,
    #[wasm_bindgen(unchecked_param_type = "number")] attempt: JsValue,
) -> JsResult<Ts<crate::plan::Plan>> {
    let spec = ts_arg(spec, "spec")?;
    let prompt: String = arg(prompt, "prompt")?;
    let ctx = ts_arg(ctx, "host context")?;
    let attempt: u32 = arg(attempt, "attempt")?;
    out(&crate::plan::plan_start(&spec, &prompt, &ctx, attempt).map_err(to_js_error)?)
}

/// The plan that resumes the recorded conversation `agentSessionId` as attempt `attempt` (≥ 2),
/// in place (`respawn`) or in a re-created session (`recreate`). Throws `invalid_session_id`
/// for an id of the wrong shape.
#[wasm_bindgen(js_name = planRecover)]
pub fn plan_recover(
    spec: Ts<TaskSpec>,
    #[wasm_bindgen(unchecked_param_type = "string")] agent_session_id: JsValue,
    ctx: Ts<crate::plan::HostContext>,
    mode: Ts<crate::plan::RecoverMode>,
    #[wasm_bindgen(unchecked_param_type = "number")] attempt: JsValue,
) -> JsResult<Ts<crate::plan::Plan>> {
    let spec = ts_arg(spec, "spec")?;
    let id: String = arg(agent_session_id, "agentSessionId")?;
    let ctx = ts_arg(ctx, "host context")?;
    let mode = ts_arg(mode, "recover mode")?;
    let attempt: u32 = arg(attempt, "attempt")?;
    out(&crate::plan::plan_recover(&spec, &id, &ctx, &mode, attempt).map_err(to_js_error)?)
}

/// One `tmux list-panes -a -F …` for every pane on the server; parse its stdout with
/// `parsePaneList` ("no server running" means no panes).
#[wasm_bindgen(js_name = planListPanes)]
pub fn plan_list_panes(
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] socket: JsValue,
) -> JsResult<Ts<crate::plan::Command>> {
    let socket: Option<String> = arg(socket, "socket")?;
    out(&crate::plan::plan_list_panes(socket.as_deref()).map_err(to_js_error)?)
}

/// Parses `planListPanes` output; junk lines are skipped.
#[wasm_bindgen(js_name = parsePaneList, unchecked_return_type = "PaneInfo[]")]
pub fn parse_pane_list(#[wasm_bindgen(unchecked_param_type = "string")] stdout: JsValue) -> JsResult<JsValue> {
    to_js(&crate::plan::parse_pane_list(&arg::<String>(stdout, "stdout")?))
}

/// `capture-pane -p -J -S -<lines>` of a pane (`%N`) or of a task's session (`<agent>-<name>`).
#[wasm_bindgen(js_name = planCapture)]
pub fn plan_capture(
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] socket: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] pane: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] lines: JsValue,
) -> JsResult<Ts<crate::plan::Command>> {
    let socket: Option<String> = arg(socket, "socket")?;
    let pane: String = arg(pane, "pane")?;
    let lines: u32 = arg(lines, "lines")?;
    out(&crate::plan::plan_capture(socket.as_deref(), &pane, lines).map_err(to_js_error)?)
}

/// Types `text` into a task's pane, then Enter (`send-keys -l`, or a bracketed paste from a
/// buffer loaded on stdin when `paste`, multi-line or long).
#[wasm_bindgen(js_name = planSend)]
pub fn plan_send(
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] socket: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] session: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "boolean")] paste: JsValue,
) -> JsResult<Ts<crate::plan::Plan>> {
    let socket: Option<String> = arg(socket, "socket")?;
    let session: String = arg(session, "session")?;
    let text: String = arg(text, "text")?;
    let paste: bool = arg(paste, "paste")?;
    out(&crate::plan::plan_send(socket.as_deref(), &session, &text, paste).map_err(to_js_error)?)
}

/// `kill-session -t =<session>`.
#[wasm_bindgen(js_name = planStop)]
pub fn plan_stop(
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] socket: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] session: JsValue,
) -> JsResult<Ts<crate::plan::Command>> {
    let socket: Option<String> = arg(socket, "socket")?;
    let session: String = arg(session, "session")?;
    out(&crate::plan::plan_stop(socket.as_deref(), &session).map_err(to_js_error)?)
}

/// `kill-session -t $N`: the one session a start created (its id as `new-session` printed it).
#[wasm_bindgen(js_name = planStopSessionId)]
pub fn plan_stop_session_id(
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] socket: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
) -> JsResult<Ts<crate::plan::Command>> {
    let socket: Option<String> = arg(socket, "socket")?;
    let id: String = arg(id, "id")?;
    out(&crate::plan::plan_stop_session_id(socket.as_deref(), &id).map_err(to_js_error)?)
}

/// The constant bash wrapper the pane runs (`bash -c <script> rca-wrapper <agent argv…>`).
#[wasm_bindgen(js_name = wrapperScript)]
pub fn wrapper_script() -> String {
    crate::wrapper::WRAPPER_SCRIPT.to_string()
}

/// The file names attempt `n` uses in the task directory.
#[wasm_bindgen(js_name = attemptFiles)]
pub fn attempt_files(
    #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
) -> JsResult<Ts<crate::wrapper::AttemptFiles>> {
    out(&crate::wrapper::attempt_files(arg(n, "attempt")?))
}

// --- conversation (H10): resume or start again; the agent's id source ---

/// The file that exists once the agent has saved conversation `agentSessionId` of this task
/// (Pi: `<taskDir>/pi-session.jsonl`; Claude: `<CLAUDE_CONFIG_DIR or $HOME/.claude>/projects/
/// <project key>/<id>.jsonl`, from `ctx.env` and `ctx.projectRealDir`), or undefined when there is
/// nothing to check (Codex, OpenCode, demo; or the path is unknowable). The host checks that
/// the file exists (lstat) and passes the fact to `chooseRecovery`. Throws like `planRecover`
/// on a bad spec, context or id.
#[wasm_bindgen(js_name = conversationProbe)]
pub fn conversation_probe(
    spec: Ts<TaskSpec>,
    #[wasm_bindgen(unchecked_param_type = "string")] agent_session_id: JsValue,
    ctx: Ts<crate::plan::HostContext>,
) -> JsResult<Option<String>> {
    let spec = ts_arg(spec, "spec")?;
    let id: String = arg(agent_session_id, "agentSessionId")?;
    let ctx = ts_arg(ctx, "host context")?;
    crate::conversation::conversation_probe(&spec, &id, &ctx).map_err(to_js_error)
}

/// Resume (`planRecover`) or start again with the original prompt (`planStart` with the
/// attempt): `conversationSaved` is whether the `conversationProbe` file exists (true when the
/// probe is null). A fresh start is chosen when no id was ever recorded, or when the agent had
/// not saved the conversation yet. Persist `record` before acting when it changed.
#[wasm_bindgen(js_name = chooseRecovery)]
pub fn choose_recovery(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "boolean")] conversation_saved: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::conversation::RecoveryChoice>> {
    let record = record_from_js(record)?;
    let saved: bool = arg(conversation_saved, "conversationSaved")?;
    let now = time_arg(now, "now")?;
    out(&crate::conversation::choose_recovery(&record, saved, now))
}

/// Where the agent's conversation id comes from: `"preset"` (the host chooses a UUID and
/// passes it as `presetSessionId` at start: Claude), `"from_events"` (read from the first
/// events: Codex, OpenCode, demo) or `"session_file"` (Pi). Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentIdSource)]
pub fn agent_id_source(
    #[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue,
) -> JsResult<Ts<crate::profiles::IdSource>> {
    out(&crate::profiles::profile(agent_arg(agent)?).id_source)
}

/// The program name an agent's profile runs (`"codex"`, …), or undefined when its argv comes
/// from the host (the demo agent). The host resolves it to an absolute path once, at start, on
/// the operator's PATH, and passes that as `program` for the start and every recovery.
#[wasm_bindgen(js_name = agentProgram)]
pub fn agent_program(#[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue) -> JsResult<Option<String>> {
    Ok(crate::profiles::profile(agent_arg(agent)?).program.clone())
}

/// How real an agent's `sandboxed` autonomy is: `"os"` (an OS sandbox around everything it
/// runs: Codex), `"permissions"` (the CLI's permission rules: Claude, OpenCode), `"none"` (no
/// sandbox at all: Pi) or `"simulated"` (the demo agent). Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentSandbox)]
pub fn agent_sandbox(
    #[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue,
) -> JsResult<Ts<crate::profiles::Sandbox>> {
    out(&crate::profiles::profile(agent_arg(agent)?).sandbox)
}

/// The variables an agent CLI reads its login from (API keys, base URLs: profile data), which a
/// host copies from its own environment into the task's 0600 env file. Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentCredentialEnv)]
pub fn agent_credential_env(#[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue) -> JsResult<Vec<String>> {
    Ok(crate::profiles::profile(agent_arg(agent)?).data.credential_env.clone())
}

/// The agent's per-task variables (profile `task_env`), `{task_tmp}` filled with `taskTmp`, and
/// whether the host must make that private directory before the agent runs.
#[wasm_bindgen(js_name = agentTaskEnv)]
pub fn agent_task_env(
    #[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] task_tmp: JsValue,
) -> JsResult<Ts<crate::task_env::TaskEnv>> {
    let agent = agent_arg(agent)?;
    let task_tmp: String = arg(task_tmp, "taskTmp")?;
    out(&crate::task_env::task_env(agent, &task_tmp).map_err(to_js_error)?)
}

/// Every agent that can be used now: the built-ins (`agents/*.json`) first, then those the
/// operator's configuration adds (see `setAgentProfiles`).
#[wasm_bindgen(js_name = agentNames)]
pub fn agent_names() -> Vec<String> {
    crate::agents::names().into_iter().map(str::to_string).collect()
}

/// The effective profiles (`{ "<name>": <profile> }`, the JSON shape of agents/*.json and of
/// the configuration's `agents`), as JSON text: for `agents list|show` and for a task's host.json.
#[wasm_bindgen(js_name = agentProfilesJson)]
pub fn agent_profiles_json() -> JsResult<String> {
    let all: std::collections::BTreeMap<&str, &crate::profiles::ProfileData> =
        crate::agents::names().into_iter().filter_map(|n| crate::agents::find(n).map(|p| (n, &p.data))).collect();
    serde_json::to_string(&all).map_err(|e| js_error("internal", &format!("cannot write the profiles: {e}")))
}

/// Replaces the operator's agents with `json` (JSON text of `{ "<name>": <profile> }`; `{}`
/// for none), overriding built-ins of the same name. Every profile is checked first; nothing
/// changes when one is invalid. Throws `invalid_agent_profile` naming the field
/// (`agents.aider.session_id.text: regex parse error …`). Only operator configuration (a
/// config file, the plugin config, a task's own host.json) may be passed here, never a tool
/// call's input.
#[wasm_bindgen(js_name = setAgentProfiles)]
pub fn set_agent_profiles(#[wasm_bindgen(unchecked_param_type = "string")] json: JsValue) -> JsResult<()> {
    let json: String = arg(json, "agent profiles")?;
    crate::agents::set_operator_agents_json(&json).map_err(to_js_error)
}

/// One agent's effective profile as JSON text: `{"name", "source": "built_in" | "operator" |
/// "task" (adopted from a task's host.json, see `adoptTaskProfile`), "profile"}`. A task keeps it in its host.json at start (see `checkSameProfile` in
/// host-shim/task-files.js). Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentProfileJson)]
pub fn agent_profile_json(#[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue) -> JsResult<String> {
    let agent = agent_arg(agent)?;
    let p = crate::profiles::profile(agent);
    let source = if crate::agents::is_operator_defined(agent.as_str()) {
        "operator"
    } else if crate::agents::is_adopted(agent.as_str()) {
        "task"
    } else {
        "built_in"
    };
    let info = serde_json::json!({ "name": p.name, "source": source, "profile": &p.data });
    serde_json::to_string(&info).map_err(|e| js_error("internal", &format!("cannot write the profile: {e}")))
}

// --- usage and budgets (issue 15 §2) ---

/// Folds new complete lines of an attempt's event file (`text`) into that attempt's usage so
/// far (`prev`, null at the start of the file), per the agent's `usage` profile data. Returns
/// null while no line carried usage, and always for an agent whose profile has no `usage`.
/// Pass the result as `Observation.usage`. Throws `invalid_agent`, `invalid_input`.
#[wasm_bindgen(js_name = readUsage, unchecked_return_type = "Usage | null")]
pub fn read_usage(
    #[wasm_bindgen(unchecked_param_type = "AgentKind")] agent: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Usage | null")] prev: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> JsResult<JsValue> {
    let agent = agent_arg(agent)?;
    let prev: Option<crate::usage::Usage> = arg(prev, "prev")?;
    let text: String = arg(text, "text")?;
    let result = crate::profiles::profile(agent).data.usage.as_ref().and_then(|d| crate::usage::read_usage(d, prev, &text));
    to_js(&result)
}

/// The record with a budget (validated: `invalid_option` naming `maxCostUsd` / `maxTokens`;
/// null removes it). The host applies the operator's default and ceiling first. Persist it.
#[wasm_bindgen(js_name = withBudget)]
pub fn with_budget(
    #[wasm_bindgen(unchecked_param_type = "TaskRecord")] record: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Budget | null")] budget: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<Ts<crate::record::TaskRecord>> {
    let record = record_from_js(record)?;
    let budget: Option<crate::usage::Budget> = arg(budget, "budget")?;
    let now = time_arg(now, "now")?;
    out(&crate::usage::with_budget(&record, budget, now).map_err(to_js_error)?)
}

/// Whether an agent's profile says where its events report usage (tokens, and cost when
/// `reportsCost`). Throws `invalid_agent`.
#[wasm_bindgen(js_name = agentUsageReport)]
pub fn agent_usage_report(
    #[wasm_bindgen(unchecked_param_type = "string")] agent: JsValue,
) -> JsResult<Ts<crate::usage::UsageReport>> {
    out(&crate::usage::UsageReport::of(crate::profiles::profile(agent_arg(agent)?).data.usage.as_ref()))
}

/// Every failure class the core reports, by its stable name.
#[wasm_bindgen(js_name = failureClasses)]
pub fn failure_classes() -> Vec<String> {
    use crate::model::FailureClass::*;
    [Crash, Signal, Network, RateLimit, Auth, UsageLimit, BadInvocation, ContextOverflow, ProjectDirMissing, TaskFileUnsafe, BudgetExceeded]
        .into_iter()
        .map(|c| crate::patterns::class_name(c).to_string())
        .collect()
}

/// Adopts the operator profile an existing task fixed in its host.json (`agentProfile.name`,
/// `agentProfile.profile` as JSON text) when this process has no profile of that name: the task
/// is then read, monitored and resumed with it; new tasks never get it. Returns whether it was
/// adopted (false: the name already has a profile here). Throws `invalid_agent_profile`. Only a
/// task's own host.json (a private file of the state directory) may be passed here.
#[wasm_bindgen(js_name = adoptTaskProfile)]
pub fn adopt_task_profile(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] json: JsValue,
) -> JsResult<bool> {
    let name: String = arg(name, "agent")?;
    let json: String = arg(json, "agent profile")?;
    crate::agents::adopt_task_profile_json(&name, &json).map_err(to_js_error)
}
