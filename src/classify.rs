//! Classification of finished and live agent runs. (Stub signatures; being written.)

use crate::model::{AgentKind, Failure, FailureClass};
use serde::{Deserialize, Serialize};

/// Facts about an agent run that has ended, gathered by the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitFacts {
    /// Exit status from the wrapper's exit file, else tmux's `pane_dead_status`.
    #[serde(default)]
    pub exit_status: Option<i32>,
    /// tmux's `pane_dead_signal`, when the wrapper itself was killed.
    #[serde(default)]
    pub signal: Option<i32>,
    /// Last part (≤ 64 KiB) of the attempt's event file (the agent's stdout).
    #[serde(default)]
    pub events_tail: String,
    /// Last part (≤ 64 KiB) of the attempt's stderr file.
    #[serde(default)]
    pub stderr_tail: String,
    /// Last lines of the pane, as captured before any respawn.
    #[serde(default)]
    pub pane_tail: String,
}

/// How an agent run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Failed { failure: Failure },
}

/// What a live pane shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum LiveVerdict {
    Working,
    WaitingForInput { evidence: String },
    /// Only network-wait or retry lines lately (Codex waits for the network forever).
    RetryLoop { evidence: String },
}

pub fn classify_exit(_agent: AgentKind, facts: &ExitFacts) -> Outcome {
    if facts.exit_status == Some(0) {
        Outcome::Completed
    } else {
        Outcome::Failed {
            failure: Failure { class: FailureClass::Crash, evidence: String::new(), reset: None },
        }
    }
}

pub fn classify_live(_agent: AgentKind, _pane_tail: &str) -> LiveVerdict {
    LiveVerdict::Working
}
