//! Wall-clock steps, told apart from elapsed time (DESIGN §3a: "the wall clock may jump
//! (schedules use a monotonic clock)").
//!
//! Records live on disk and outlive any process, so their times are wall-clock times (ms since
//! the epoch): meaningful to a person and to the next process. Every schedule in them (backoff
//! due times, stall silence, healthy reset, the give-up budget) is a *duration* measured between
//! two such times, and a wall-clock step (NTP fixing a wrong clock, a person setting the time)
//! would add itself to every one of those durations: +6 h makes a healthy task "stalled" and
//! spends the whole recovery budget at once; −1 h makes a recovery due in 5 s wait an hour.
//!
//! So the host also passes a monotonic reading ([`MonoReading`]), and the record keeps one
//! [`ClockAnchor`]: a wall time and a monotonic time read at the same instant. The wall time
//! that elapsed since the anchor should equal the monotonic time that elapsed; when they
//! disagree by more than [`tolerance`], the wall clock stepped by the difference, and every
//! schedule time in the record is moved by that step ([`rebase`]), so the durations stay what
//! really elapsed. A monotonic clock only means something within its own `clock` (one boot, or
//! one process): an anchor of another clock is replaced, never compared.
//!
//! The monotonic clock does not count a suspended machine (Linux `CLOCK_MONOTONIC`): a suspend
//! looks like a forward step and is not charged either (the agent was suspended too).

use crate::model::{Millis, ResetHint, TaskState};
use crate::record::TaskRecord;
use serde::{Deserialize, Serialize};

/// Always tolerated: a tick's two readings are not taken at exactly the same instant.
const BASE_TOLERANCE_MS: f64 = 2_000.0;
/// Tolerated per elapsed ms: NTP slews a clock by at most 500 ppm; twice that.
const SLEW_TOLERANCE: f64 = 0.001;
/// Longest clock identity accepted.
const MAX_CLOCK_ID_LEN: usize = 128;

/// A monotonic reading from the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonoReading {
    /// Which monotonic clock: readings of the same `clock` are comparable (e.g. `boot:<boot id>`
    /// for Linux's `CLOCK_MONOTONIC`, `proc:<uuid>` for a clock that starts with the process).
    pub clock: String,
    /// The reading, ms (any origin).
    pub ms: Millis,
}

/// A wall time and a monotonic reading taken together (kept in the record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClockAnchor {
    pub clock: String,
    pub wall: Millis,
    pub mono: Millis,
}

impl ClockAnchor {
    pub fn at(now: Millis, mono: &MonoReading) -> ClockAnchor {
        ClockAnchor { clock: mono.clock.clone(), wall: now, mono: mono.ms }
    }
}

/// Checks a clock identity and a reading (from the host or from disk).
pub fn check(clock: &str, ms: Millis) -> Result<(), String> {
    if clock.is_empty() || clock.len() > MAX_CLOCK_ID_LEN || clock.chars().any(char::is_control) {
        return Err(format!("clock must be 1-{MAX_CLOCK_ID_LEN} characters without control characters"));
    }
    if !ms.is_finite() {
        return Err("a monotonic reading must be finite".into());
    }
    Ok(())
}

/// How far wall and monotonic elapsed times may disagree without counting as a step.
pub fn tolerance(mono_elapsed: Millis) -> Millis {
    BASE_TOLERANCE_MS + SLEW_TOLERANCE * mono_elapsed.abs()
}

/// The wall-clock step since `anchor` (positive: the clock jumped forward), or `None` when
/// there was none to speak of, or the readings cannot be compared (another clock, or a
/// monotonic reading older than the anchor).
pub fn wall_step(anchor: &ClockAnchor, now: Millis, mono: &MonoReading) -> Option<Millis> {
    if anchor.clock != mono.clock {
        return None;
    }
    let mono_elapsed = mono.ms - anchor.mono;
    if mono_elapsed < 0.0 {
        return None;
    }
    let step = (now - anchor.wall) - mono_elapsed;
    (step.abs() > tolerance(mono_elapsed)).then_some(step)
}

/// Moves every schedule time of an unfinished record by `step`, so each duration measured from
/// it is what really elapsed. A recovery due at a time of day named by the agent ("try again at
/// 1:22 AM") stays at that wall time (that is what the agent named), at most `max_wait` away.
/// History (`createdAt`, `finishedAt`) is left as it was.
pub fn rebase(rec: &mut TaskRecord, step: Millis, now: Millis, max_wait: Millis) {
    if rec.state.is_final() {
        return;
    }
    let shift = |t: &mut Millis| *t = (*t + step).max(0.0);
    let shift_opt = |t: &mut Option<Millis>| {
        if let Some(v) = t {
            *v = (*v + step).max(0.0);
        }
    };
    shift(&mut rec.last_run_started_at);
    shift(&mut rec.window_started_at);
    shift_opt(&mut rec.last_activity_at);
    shift_opt(&mut rec.run_requested_at);
    shift_opt(&mut rec.stalled_since);
    shift_opt(&mut rec.live_checked_at);
    shift_opt(&mut rec.live_checked_activity_at);
    let named_time = matches!(rec.failure.as_ref().and_then(|f| f.reset.as_ref()), Some(ResetHint::ClockTime { .. }));
    match (&mut rec.next_recovery_at, named_time && rec.state == TaskState::Recovering) {
        (Some(at), true) => *at = at.min(now + max_wait),
        (at, false) => shift_opt(at),
        (None, true) => {}
    }
}
