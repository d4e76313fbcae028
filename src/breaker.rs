//! The recovery circuit breaker's notices as task events. The host's recovery queue
//! (host-shim/recovery-queue.js) decides *when* a login's recoveries run; when an `auth`
//! failure right after a recovery pauses the rest of that login's queue, and when a manual
//! resume reopens it, the operator must hear it the way every other edge is heard: as a
//! [`TaskEvent`] (the notify command, `watch`, the event journal of a remote host), not as a
//! problem on stderr. The queue says each edge once; this makes the event of it.
use crate::error::{CoreError, CoreResult};
use crate::monitor::{EventKind, TaskEvent};
use crate::model::Millis;
use crate::record::TaskRecord;
use crate::validate::Num;

/// The event of a breaker edge for the task that caused it: `paused` (its `auth` failure
/// right after a recovery paused its login's other recoveries) or not (its manual resume runs,
/// so they continue).
pub fn breaker_event(record: &TaskRecord, paused: bool, now: Millis) -> CoreResult<TaskEvent> {
    if !(now.is_finite() && now >= 0.0) {
        return Err(CoreError::InvalidInput(format!("now must be a finite time in ms, got {}", Num(now))));
    }
    let (kind, message) = if paused {
        (
            EventKind::RecoveryPaused,
            format!(
                "{} failed to authenticate right after a recovery: the other recoveries of its login ({}, same credentials) are paused; log in again, then resume one of its tasks by hand",
                record.session,
                record.spec.agent.as_str()
            ),
        )
    } else {
        (
            EventKind::RecoveryResumed,
            format!("{} runs again after a manual resume: the paused recoveries of its login continue", record.session),
        )
    };
    Ok(TaskEvent {
        kind,
        session: record.session.clone(),
        state: record.state,
        failure: record.failure.clone(),
        attempts: record.attempts,
        at: now,
        next_recovery_at: record.next_recovery_at,
        message: crate::redact::redact(&message),
        usage: record.usage.as_ref().map(|u| u.total),
    })
}
