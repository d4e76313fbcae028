//! Hand-written conversions between the boundary types and plain JS values, used only by
//! `wasm_api`. They replace serde-wasm-bindgen (and the serde machinery it pulls into the wasm):
//! the same shapes as the serde derives (camelCase fields, snake_case enum values, tagged enums,
//! `None` as `null` on output; `null`/`undefined`/absent as `None` on input), at a fraction of
//! the code size. The serde derives stay for native use (JSON in tests); the wasm never links them.
//!
//! Errors are plain strings naming the field path (`spec: agent: unknown variant "x"`); the
//! caller wraps them in the right [`crate::CoreError`].

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

pub type ConvResult<T> = Result<T, String>;

/// Reads a value of this type from a JS value.
pub trait FromJs: Sized {
    fn from_js(v: &JsValue) -> ConvResult<Self>;
    /// The value of an absent (or `undefined`) key, if the type has one (`Option` → `None`).
    fn absent() -> Option<Self> {
        None
    }
}

/// Writes this value as a plain JS value.
pub trait ToJs {
    fn to_js(&self) -> JsValue;
}

/// `v` as an object (not an array), or an error naming what it is.
pub fn object(v: &JsValue) -> ConvResult<&Object> {
    if v.is_object() && !Array::is_array(v) {
        Ok(v.unchecked_ref::<Object>())
    } else {
        Err(format!("invalid type: {}, expected an object", kind(v)))
    }
}

fn kind(v: &JsValue) -> &'static str {
    if v.is_null() {
        "null"
    } else if v.is_undefined() {
        "undefined"
    } else if v.as_bool().is_some() {
        "boolean"
    } else if v.as_f64().is_some() {
        "number"
    } else if v.is_string() {
        "string"
    } else if Array::is_array(v) {
        "array"
    } else if v.is_object() {
        "object"
    } else {
        "value"
    }
}

/// The raw value of `key` (`undefined` when absent).
#[inline(never)]
pub fn raw(o: &Object, key: &str) -> ConvResult<JsValue> {
    Reflect::get(o, &JsValue::from_str(key)).map_err(|_| format!("{key}: cannot be read"))
}

/// An error inside field `key`, prefixed with its name.
#[inline(never)]
fn at(key: &str, e: String) -> String {
    format!("{key}: {e}")
}

#[inline(never)]
fn missing(key: &str) -> String {
    format!("missing field `{key}`")
}

/// A key that must be present (unless the type has an absent value, like `Option`).
#[inline(never)]
pub fn get<T: FromJs>(o: &Object, key: &str) -> ConvResult<T> {
    let v = raw(o, key)?;
    if v.is_undefined() {
        return T::absent().ok_or_else(|| missing(key));
    }
    T::from_js(&v).map_err(|e| at(key, e))
}

/// Sets `slot` from a key that must be present (unless the type has an absent value).
#[inline(never)]
pub fn put_required<T: FromJs>(o: &Object, key: &str, slot: &mut T) -> ConvResult<()> {
    *slot = get(o, key)?;
    Ok(())
}

/// Sets `slot` from a key where absent or `null` means the default.
#[inline(never)]
pub fn put_null_default<T: FromJs + Default>(o: &Object, key: &str, slot: &mut T) -> ConvResult<()> {
    let v = raw(o, key)?;
    *slot = if v.is_undefined() || v.is_null() { T::default() } else { T::from_js(&v).map_err(|e| at(key, e))? };
    Ok(())
}

/// Overwrites `slot` when `key` is present (struct-level `#[serde(default)]`).
#[inline(never)]
pub fn get_over<T: FromJs>(o: &Object, key: &str, slot: &mut T) -> ConvResult<()> {
    let v = raw(o, key)?;
    if !v.is_undefined() {
        *slot = T::from_js(&v).map_err(|e| at(key, e))?;
    }
    Ok(())
}

/// At most this many UTF-16 units of a long text cross into the core. The classifier reads only
/// the last 64 KiB (bytes) of each text, and those bytes always lie within the last 64 Ki units
/// (every unit encodes to at least one byte); the 4 extra units keep a surrogate pair cut by the
/// slice outside that window. Slicing on the JS side spares copying a whole 10,000-line capture
/// into wasm only for the core to skip it.
pub const TAIL_UNITS: u32 = crate::classify::MAX_INPUT_BYTES as u32 + 4;

/// The end of a JS string (at most [`TAIL_UNITS`] units) as a Rust string.
pub fn tail_text(v: &JsValue) -> ConvResult<String> {
    let s = v
        .dyn_ref::<js_sys::JsString>()
        .ok_or_else(|| format!("invalid type: {}, expected a string", kind(v)))?;
    let len = s.length();
    let tail = if len > TAIL_UNITS { s.slice(len - TAIL_UNITS, len) } else { s.clone() };
    Ok(String::from(tail))
}

/// Like [`get_over`] for a text of which only the end is read.
#[inline(never)]
fn get_tail_over(o: &Object, key: &str, slot: &mut String) -> ConvResult<()> {
    let v = raw(o, key)?;
    if !v.is_undefined() {
        *slot = tail_text(&v).map_err(|e| at(key, e))?;
    }
    Ok(())
}

/// Sets `key` on a fresh plain object.
#[inline(never)]
pub fn set(o: &Object, key: &str, v: JsValue) {
    // Defining a property on a fresh plain object cannot fail; ignore the Result deliberately.
    let _ = Reflect::set(o, &JsValue::from_str(key), &v);
}

/// The string tag of an internally tagged enum.
pub fn tag(o: &Object, key: &str) -> ConvResult<String> {
    get::<String>(o, key)
}

pub fn unknown_variant(v: &str, expected: &str) -> String {
    format!("unknown variant {:?}, expected one of {expected}", crate::validate::truncate_for_message(v))
}

// ------------------------------------------------------------------------------------------
// primitives

impl FromJs for String {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        v.as_string().ok_or_else(|| format!("invalid type: {}, expected a string", kind(v)))
    }
}
impl ToJs for String {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}
impl ToJs for str {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl FromJs for bool {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        v.as_bool().ok_or_else(|| format!("invalid type: {}, expected a boolean", kind(v)))
    }
}
impl ToJs for bool {
    fn to_js(&self) -> JsValue {
        JsValue::from_bool(*self)
    }
}

impl FromJs for f64 {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        v.as_f64().ok_or_else(|| format!("invalid type: {}, expected a number", kind(v)))
    }
}
impl ToJs for f64 {
    fn to_js(&self) -> JsValue {
        JsValue::from_f64(*self)
    }
}

/// A JS number that is a whole number within `min..=max`.
fn integer(v: &JsValue, min: f64, max: f64, what: &str) -> ConvResult<f64> {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x >= min && x <= max => Ok(x),
        Some(_) => Err(format!("invalid value: expected {what}")),
        None => Err(format!("invalid type: {}, expected {what}", kind(v))),
    }
}

macro_rules! int_impl {
    ($t:ty, $min:expr, $max:expr, $what:literal) => {
        impl FromJs for $t {
            fn from_js(v: &JsValue) -> ConvResult<Self> {
                // Whole and within the type's range (checked above), so the cast is exact.
                integer(v, $min as f64, $max as f64, $what).map(|x| x as $t)
            }
        }
        impl ToJs for $t {
            fn to_js(&self) -> JsValue {
                JsValue::from_f64(*self as f64)
            }
        }
    };
}
int_impl!(u8, 0, u8::MAX, "an integer 0-255");
int_impl!(u32, 0, u32::MAX, "a non-negative 32-bit integer");
int_impl!(i32, i32::MIN, i32::MAX, "a 32-bit integer");
int_impl!(u64, 0, 9_007_199_254_740_991u64, "a non-negative safe integer");

impl<T: FromJs> FromJs for Option<T> {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        if v.is_null() || v.is_undefined() {
            Ok(None)
        } else {
            T::from_js(v).map(Some)
        }
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}
impl<T: ToJs> ToJs for Option<T> {
    fn to_js(&self) -> JsValue {
        match self {
            Some(x) => x.to_js(),
            None => JsValue::NULL,
        }
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        if !Array::is_array(v) {
            return Err(format!("invalid type: {}, expected an array", kind(v)));
        }
        let arr = v.unchecked_ref::<Array>();
        let mut out = Vec::new();
        for (i, item) in arr.iter().enumerate() {
            out.push(T::from_js(&item).map_err(|e| format!("[{i}]: {e}"))?);
        }
        Ok(out)
    }
}
impl<T: ToJs> ToJs for Vec<T> {
    fn to_js(&self) -> JsValue {
        let arr = Array::new();
        for x in self {
            arr.push(&x.to_js());
        }
        arr.into()
    }
}

// ------------------------------------------------------------------------------------------
// generators

/// Both directions for a struct with camelCase keys. A field is `name: "key"` (required, or
/// `None` when absent for an `Option`), `name: "key" = default` (`#[serde(default)]`) or
/// `name: "key" = null_default` (absent or null ⇒ default).
macro_rules! js_struct {
    (both $ty:path { $($body:tt)* } $(init $init:expr)?) => {
        js_struct!(from $ty { $($body)* } $(init $init)?);
        js_struct!(to $ty { $($body)* });
    };
    (from $ty:path { $($f:ident : $k:literal $(= $d:ident)?),* $(,)? }) => {
        js_struct!(from $ty { $($f : $k $(= $d)?),* } init Default::default());
    };
    // Fills a placeholder field by field (one drop on the error path instead of one per field;
    // the placeholder's values of `default` fields must be their defaults).
    (from $ty:path { $($f:ident : $k:literal $(= $d:ident)?),* $(,)? } init $init:expr) => {
        impl FromJs for $ty {
            fn from_js(v: &wasm_bindgen::JsValue) -> ConvResult<Self> {
                let o = object(v)?;
                let mut r: $ty = $init;
                $(js_struct!(@get o, $k, r.$f $(, $d)?);)*
                Ok(r)
            }
        }
    };
    (to $ty:path { $($f:ident : $k:literal $(= $d:ident)?),* $(,)? }) => {
        impl ToJs for $ty {
            fn to_js(&self) -> wasm_bindgen::JsValue {
                let o = js_sys::Object::new();
                $(set(&o, $k, ToJs::to_js(&self.$f));)*
                o.into()
            }
        }
    };
    (@get $o:ident, $k:literal, $slot:expr) => { put_required($o, $k, &mut $slot)? };
    (@get $o:ident, $k:literal, $slot:expr, default) => { get_over($o, $k, &mut $slot)? };
    (@get $o:ident, $k:literal, $slot:expr, null_default) => { put_null_default($o, $k, &mut $slot)? };
}

/// Both directions for a unit-only enum written as strings.
macro_rules! js_str_enum {
    ($ty:ident { $($v:ident = $s:literal),* $(,)? }) => {
        impl FromJs for $ty {
            fn from_js(v: &wasm_bindgen::JsValue) -> ConvResult<Self> {
                let s = <String as FromJs>::from_js(v)?;
                match s.as_str() {
                    $($s => Ok($ty::$v),)*
                    _ => Err(unknown_variant(&s, concat!($("`", $s, "` "),*))),
                }
            }
        }
        impl ToJs for $ty {
            fn to_js(&self) -> wasm_bindgen::JsValue {
                wasm_bindgen::JsValue::from_str(match self { $($ty::$v => $s,)* })
            }
        }
    };
}

// ------------------------------------------------------------------------------------------
// the boundary types

use crate::classify::{ExitFacts, LiveVerdict, Outcome};
use crate::conversation::{RecoveryChoice, RecoveryKind};
use crate::model::{AgentKind, Autonomy, Failure, FailureClass, ResetHint, TaskSpec, TaskState};
use crate::monitor::{Action, EventKind, MonitorConfig, Observation, PaneFacts, StepOutput, TaskEvent};
use crate::plan::{Command, EnvVar, FileWrite, HostContext, PaneInfo, Plan, RecoverMode};
use crate::profiles::IdSource;
use crate::clock::{ClockAnchor, MonoReading};
use crate::record::{LiveStatus, ProjectIdentity, TaskRecord};
use crate::spec::TaskSpecInput;
use crate::wrapper::AttemptFiles;

/// A value to fill in (every field is then read from JS).
fn placeholder_spec() -> TaskSpec {
    TaskSpec {
        agent: AgentKind::Demo,
        name: String::new(),
        project_dir: String::new(),
        model: None,
        autonomy: Autonomy::default(),
    }
}

js_str_enum!(AgentKind { Codex = "codex", Claude = "claude", Opencode = "opencode", Pi = "pi", Demo = "demo" });
js_str_enum!(Autonomy { Sandboxed = "sandboxed", Full = "full" });
js_str_enum!(TaskState {
    Starting = "starting", Running = "running", WaitingForInput = "waiting_for_input",
    Stalled = "stalled", Recovering = "recovering", Completed = "completed", Failed = "failed",
    Stopped = "stopped",
});
js_str_enum!(FailureClass {
    Crash = "crash", Signal = "signal", Network = "network", RateLimit = "rate_limit", Auth = "auth",
    UsageLimit = "usage_limit", BadInvocation = "bad_invocation", ContextOverflow = "context_overflow",
    ProjectDirMissing = "project_dir_missing",
});
js_str_enum!(LiveStatus { Working = "working", WaitingForInput = "waiting_for_input", RetryLoop = "retry_loop" });
js_str_enum!(EventKind {
    Started = "started", Resumed = "resumed", Recovering = "recovering", Completed = "completed",
    Failed = "failed", WaitingForInput = "waiting_for_input", Stalled = "stalled", GaveUp = "gave_up",
});
js_str_enum!(RecoveryKind { Resume = "resume", FreshStart = "fresh_start" });
js_str_enum!(IdSource { FromEvents = "from_events", Preset = "preset", SessionFile = "session_file" });

js_struct!(both TaskSpec { agent: "agent", name: "name", project_dir: "projectDir", model: "model" = default, autonomy: "autonomy" = default } init placeholder_spec());
js_struct!(from TaskSpecInput { agent: "agent", name: "name", project_dir: "projectDir", model: "model" = default, autonomy: "autonomy" = default });
js_struct!(both Failure { class: "class", evidence: "evidence", reset: "reset" = default }
    init Failure { class: FailureClass::Crash, evidence: String::new(), reset: None });
js_struct!(both EnvVar { name: "name", value: "value" } init EnvVar { name: String::new(), value: String::new() });
js_struct!(from HostContext {
    task_dir: "taskDir", socket: "socket" = default, env: "env" = default, is_root: "isRoot" = default,
    program: "program" = default, demo_agent: "demoAgent" = default,
    preset_session_id: "presetSessionId" = default, title_tag: "titleTag" = default,
    project_real_dir: "projectRealDir" = default,
});
js_struct!(to Command { argv: "argv", stdin: "stdin" = default, env: "env" = default });
js_struct!(to FileWrite { path: "path", contents: "contents", mode: "mode", exclusive: "exclusive" });
js_struct!(to Plan { files: "files", commands: "commands" });
js_struct!(to PaneInfo {
    session: "session", pane_id: "paneId", pane_pid: "panePid", dead: "dead",
    dead_status: "deadStatus", dead_signal: "deadSignal", server_pid: "serverPid",
});
impl FromJs for ExitFacts {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        let o = object(v)?;
        let mut r = ExitFacts::default();
        get_over(o, "exitStatus", &mut r.exit_status)?;
        get_over(o, "signal", &mut r.signal)?;
        get_tail_over(o, "eventsTail", &mut r.events_tail)?;
        get_tail_over(o, "stderrTail", &mut r.stderr_tail)?;
        get_tail_over(o, "paneTail", &mut r.pane_tail)?;
        Ok(r)
    }
}
js_struct!(from Observation {
    now: "now", pane: "pane", attempt: "attempt", started: "started" = default,
    exit_status: "exitStatus" = default, activity_at: "activityAt" = default,
    events_head: "eventsHead" = default, events_tail: "eventsTail" = null_default,
    stderr_tail: "stderrTail" = null_default, capture: "capture" = default,
    utc_offset_min: "utcOffsetMin" = default, reset_at: "resetAt" = default,
    mono: "mono" = default, run_issued: "runIssued" = default,
} init Observation::new(0.0, PaneFacts::Missing, 0));
js_struct!(both MonoReading { clock: "clock", ms: "ms" } init MonoReading { clock: String::new(), ms: 0.0 });
js_struct!(both ClockAnchor { clock: "clock", wall: "wall", mono: "mono" }
    init ClockAnchor { clock: String::new(), wall: 0.0, mono: 0.0 });
js_struct!(both ProjectIdentity { real_path: "realPath", dev: "dev", ino: "ino" }
    init ProjectIdentity { real_path: String::new(), dev: String::new(), ino: String::new() });
js_struct!(to TaskEvent {
    kind: "kind", session: "session", state: "state", failure: "failure", attempts: "attempts",
    at: "at", next_recovery_at: "nextRecoveryAt", message: "message",
});
js_struct!(to StepOutput { record: "record", actions: "actions", next_check_at: "nextCheckAt" });
js_struct!(to RecoveryChoice { kind: "kind", record: "record" });
js_struct!(to AttemptFiles {
    prompt: "prompt", started: "started", pid: "pid", events: "events", stderr: "stderr",
    exit: "exit", transcript: "transcript", env: "env",
});
js_struct!(both TaskRecord {
    version: "version", session: "session", spec: "spec", task_dir: "taskDir",
    created_at: "createdAt", updated_at: "updatedAt", state: "state", failure: "failure",
    gave_up: "gaveUp", attempts: "attempts", consecutive_failures: "consecutiveFailures",
    agent_session_id: "agentSessionId", pane_id: "paneId", last_run_started_at: "lastRunStartedAt",
    last_activity_at: "lastActivityAt", run_requested_at: "runRequestedAt",
    next_recovery_at: "nextRecoveryAt", recovery_reason: "recoveryReason",
    stalled_since: "stalledSince", live_status: "liveStatus", live_evidence: "liveEvidence",
    live_checked_at: "liveCheckedAt", live_checked_activity_at: "liveCheckedActivityAt",
    nudges: "nudges", window_started_at: "windowStartedAt", reset_wait_ms: "resetWaitMs",
    finished_at: "finishedAt", project_identity: "projectIdentity" = default,
    clock_anchor: "clockAnchor" = default,
} init crate::record::new_record(&placeholder_spec(), "", None, 0.0));

impl ToJs for MonitorConfig {
    fn to_js(&self) -> JsValue {
        let o = Object::new();
        set(&o, "recoveryBaseDelayMs", self.recovery_base_delay_ms.to_js());
        set(&o, "recoveryMaxDelayMs", self.recovery_max_delay_ms.to_js());
        set(&o, "firstRecoveryImmediate", self.first_recovery_immediate.to_js());
        set(&o, "healthyResetMs", self.healthy_reset_ms.to_js());
        set(&o, "giveUpAfterMs", self.give_up_after_ms.to_js());
        set(&o, "stallMs", self.stall_ms.to_js());
        set(&o, "stallRestartMs", self.stall_restart_ms.to_js());
        set(&o, "maxResetWaitMs", self.max_reset_wait_ms.to_js());
        set(&o, "resetMarginMs", self.reset_margin_ms.to_js());
        set(&o, "pollMs", self.poll_ms.to_js());
        set(&o, "captureLines", self.capture_lines.to_js());
        set(&o, "liveQuietMs", self.live_quiet_ms.to_js());
        set(&o, "liveRecheckMs", self.live_recheck_ms.to_js());
        set(&o, "startGraceMs", self.start_grace_ms.to_js());
        set(&o, "maxNudges", self.max_nudges.to_js());
        o.into()
    }
}

impl FromJs for MonitorConfig {
    /// Any subset of the fields; the rest keep their defaults.
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        let o = object(v)?;
        let mut c = MonitorConfig::default();
        get_over(o, "recoveryBaseDelayMs", &mut c.recovery_base_delay_ms)?;
        get_over(o, "recoveryMaxDelayMs", &mut c.recovery_max_delay_ms)?;
        get_over(o, "firstRecoveryImmediate", &mut c.first_recovery_immediate)?;
        get_over(o, "healthyResetMs", &mut c.healthy_reset_ms)?;
        get_over(o, "giveUpAfterMs", &mut c.give_up_after_ms)?;
        get_over(o, "stallMs", &mut c.stall_ms)?;
        get_over(o, "stallRestartMs", &mut c.stall_restart_ms)?;
        get_over(o, "maxResetWaitMs", &mut c.max_reset_wait_ms)?;
        get_over(o, "resetMarginMs", &mut c.reset_margin_ms)?;
        get_over(o, "pollMs", &mut c.poll_ms)?;
        get_over(o, "captureLines", &mut c.capture_lines)?;
        get_over(o, "liveQuietMs", &mut c.live_quiet_ms)?;
        get_over(o, "liveRecheckMs", &mut c.live_recheck_ms)?;
        get_over(o, "startGraceMs", &mut c.start_grace_ms)?;
        get_over(o, "maxNudges", &mut c.max_nudges)?;
        Ok(c)
    }
}

/// A fresh object with its tag set first (internally tagged enums).
fn tagged(key: &str, value: &str) -> Object {
    let o = Object::new();
    set(&o, key, JsValue::from_str(value));
    o
}

impl FromJs for ResetHint {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        let o = object(v)?;
        match tag(o, "kind")?.as_str() {
            "after" => Ok(ResetHint::After { ms: get(o, "ms")? }),
            "clock_time" => Ok(ResetHint::ClockTime {
                hour: get(o, "hour")?,
                minute: get(o, "minute")?,
                zone: get(o, "zone")?,
            }),
            other => Err(format!("kind: {}", unknown_variant(other, "`after` `clock_time`"))),
        }
    }
}
impl ToJs for ResetHint {
    fn to_js(&self) -> JsValue {
        match self {
            ResetHint::After { ms } => {
                let o = tagged("kind", "after");
                set(&o, "ms", ms.to_js());
                o.into()
            }
            ResetHint::ClockTime { hour, minute, zone } => {
                let o = tagged("kind", "clock_time");
                set(&o, "hour", hour.to_js());
                set(&o, "minute", minute.to_js());
                set(&o, "zone", zone.to_js());
                o.into()
            }
        }
    }
}

impl FromJs for RecoverMode {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        let o = object(v)?;
        match tag(o, "mode")?.as_str() {
            "respawn" => Ok(RecoverMode::Respawn { pane_id: get(o, "paneId")? }),
            "recreate" => Ok(RecoverMode::Recreate),
            other => Err(format!("mode: {}", unknown_variant(other, "`respawn` `recreate`"))),
        }
    }
}
impl ToJs for RecoverMode {
    fn to_js(&self) -> JsValue {
        match self {
            RecoverMode::Respawn { pane_id } => {
                let o = tagged("mode", "respawn");
                set(&o, "paneId", pane_id.to_js());
                o.into()
            }
            RecoverMode::Recreate => tagged("mode", "recreate").into(),
        }
    }
}

impl FromJs for PaneFacts {
    fn from_js(v: &JsValue) -> ConvResult<Self> {
        let o = object(v)?;
        match tag(o, "kind")?.as_str() {
            "missing" => Ok(PaneFacts::Missing),
            "alive" => Ok(PaneFacts::Alive { pane_id: get(o, "paneId")?, pid: get(o, "pid")? }),
            "dead" => Ok(PaneFacts::Dead {
                pane_id: get(o, "paneId")?,
                status: get(o, "status")?,
                signal: get(o, "signal")?,
            }),
            other => Err(format!("kind: {}", unknown_variant(other, "`missing` `alive` `dead`"))),
        }
    }
}

impl ToJs for Action {
    fn to_js(&self) -> JsValue {
        match self {
            Action::Capture { lines } => {
                let o = tagged("type", "capture");
                set(&o, "lines", lines.to_js());
                o.into()
            }
            Action::Recover { mode, attempt } => {
                let o = tagged("type", "recover");
                set(&o, "mode", mode.to_js());
                set(&o, "attempt", attempt.to_js());
                o.into()
            }
            Action::NudgeServer => tagged("type", "nudge_server").into(),
            Action::ResolveResetTime { hour, minute, zone } => {
                let o = tagged("type", "resolve_reset_time");
                set(&o, "hour", hour.to_js());
                set(&o, "minute", minute.to_js());
                set(&o, "zone", zone.to_js());
                o.into()
            }
            Action::Announce { event } => {
                let o = tagged("type", "announce");
                set(&o, "event", event.to_js());
                o.into()
            }
        }
    }
}

impl ToJs for Outcome {
    fn to_js(&self) -> JsValue {
        match self {
            Outcome::Completed => tagged("outcome", "completed").into(),
            Outcome::Failed { failure } => {
                let o = tagged("outcome", "failed");
                set(&o, "failure", failure.to_js());
                o.into()
            }
        }
    }
}

impl ToJs for LiveVerdict {
    fn to_js(&self) -> JsValue {
        let (verdict, evidence) = match self {
            LiveVerdict::Working => return tagged("verdict", "working").into(),
            LiveVerdict::WaitingForInput { evidence } => ("waiting_for_input", evidence),
            LiveVerdict::RetryLoop { evidence } => ("retry_loop", evidence),
        };
        let o = tagged("verdict", verdict);
        set(&o, "evidence", evidence.to_js());
        o.into()
    }
}
