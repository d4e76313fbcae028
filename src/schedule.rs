//! The recovery schedule, as pure arithmetic (DESIGN §3.8).
//!
//! - The first recovery after a healthy run starts right away; while failures are consecutive
//!   the delay doubles from `recoveryBaseDelayMs` (3, 6, 12 … min), capped at
//!   `recoveryMaxDelayMs`.
//! - No automatic recovery starts after `windowStartedAt + giveUpAfterMs` (5 h). Time spent
//!   waiting for a limit to reset does not use up that budget, so an overnight run outlives a
//!   subscription limit.
//! - A reset time named by the agent ("try again at 1:22 AM") is honoured: the recovery waits
//!   until then plus `resetMarginMs`, but never longer than `maxResetWaitMs` (+ margin).
//!
//! Detection is fast; only recovery backs off.

use crate::model::Millis;
use crate::monitor::MonitorConfig;

/// The delay before the recovery that follows failure number `failures` (1-based count of
/// consecutive failures, including the one just seen).
pub fn backoff_delay(cfg: &MonitorConfig, failures: u32) -> Millis {
    // Number of doublings of the base delay; `None` means "right away".
    let doublings = match (cfg.first_recovery_immediate, failures) {
        (_, 0) => return 0.0,
        (true, 1) => return 0.0,
        (true, n) => n - 2,
        (false, n) => n - 1,
    };
    // 2^60 × any valid base already exceeds any valid cap; clamping keeps powi finite.
    let factor = 2f64.powi(doublings.min(60) as i32);
    (cfg.recovery_base_delay_ms * factor).min(cfg.recovery_max_delay_ms)
}

/// How long to wait for a named reset instant: until `reset_at` + margin, the wait capped at
/// `maxResetWaitMs`. A reset time in the past means "now" (plus the margin).
pub fn reset_wait(cfg: &MonitorConfig, now: Millis, reset_at: Millis) -> Millis {
    let until = if reset_at.is_finite() { reset_at - now } else { cfg.max_reset_wait_ms };
    until.clamp(0.0, cfg.max_reset_wait_ms) + cfg.reset_margin_ms
}

/// The last moment an automatic recovery may start.
pub fn give_up_deadline(cfg: &MonitorConfig, window_started_at: Millis, reset_wait_ms: Millis) -> Millis {
    window_started_at + cfg.give_up_after_ms + reset_wait_ms
}

/// What to do after a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Recover at this instant (`now` when right away). `hint_wait` is the part of the wait
    /// owed to a reset hint (added to the record's `resetWaitMs`).
    RecoverAt { at: Millis, hint_wait: Millis },
    /// The recovery would start after the deadline: give up.
    GiveUp,
}

/// Decides when the recovery after a retryable failure starts, or that it never does.
///
/// `failures`: consecutive failures including this one; `reset_at`: the instant named by the
/// agent, if any; `window_started_at`/`reset_wait_ms`: from the record.
pub fn decide(
    cfg: &MonitorConfig,
    now: Millis,
    failures: u32,
    reset_at: Option<Millis>,
    window_started_at: Millis,
    reset_wait_ms: Millis,
) -> Decision {
    let backoff = backoff_delay(cfg, failures);
    let hint_wait = reset_at.map_or(0.0, |r| reset_wait(cfg, now, r));
    let at = now + backoff.max(hint_wait);
    if at <= give_up_deadline(cfg, window_started_at, reset_wait_ms + hint_wait) {
        Decision::RecoverAt { at, hint_wait }
    } else {
        Decision::GiveUp
    }
}
