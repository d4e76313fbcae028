//! The one error type of the core. Every rejection carries a stable `code` (documented in the
//! README) and a message a person can act on. Codes never change once published; messages may.

use thiserror::Error;

/// An input the core refuses. Never a bug: bugs are not represented as errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    #[error("invalid task name {0:?}: use 1-48 characters of a-z and 0-9, in words joined by single hyphens (e.g. \"fix-login-bug\")")]
    InvalidTaskName(String),

    #[error("unknown agent {name:?}: expected one of {known}")]
    InvalidAgent { name: String, known: String },

    #[error("invalid agent profile: {0}")]
    InvalidAgentProfile(String),

    #[error("invalid project directory {path:?}: {reason}")]
    InvalidProjectDir { path: String, reason: &'static str },

    #[error("invalid {field} {value:?}: {reason}")]
    InvalidOption { field: &'static str, value: String, reason: &'static str },

    #[error("invalid autonomy {0:?}: expected \"sandboxed\" (the default) or \"full\"")]
    InvalidAutonomy(String),

    #[error("invalid prompt: {0}")]
    InvalidPrompt(&'static str),

    #[error("invalid session id {id:?} for {agent}: {reason}")]
    InvalidSessionId { agent: &'static str, id: String, reason: &'static str },

    #[error("invalid session {0:?}: expected <agent>-<task name>, e.g. \"codex-fix-login-bug\"")]
    InvalidSession(String),

    #[error("invalid task record: {0}")]
    InvalidRecord(String),

    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("cannot resume {session:?}: {reason}")]
    NotResumable { session: String, reason: &'static str },

    #[error("cannot resume {session:?}: {detail}; raise the budget to resume it (resume --max-cost-usd / --max-tokens)")]
    BudgetExceeded { session: String, detail: String },
}

impl CoreError {
    /// The stable, machine-readable code of this error (snake_case).
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidTaskName(_) => "invalid_task_name",
            CoreError::InvalidAgent { .. } => "invalid_agent",
            CoreError::InvalidAgentProfile(_) => "invalid_agent_profile",
            CoreError::InvalidProjectDir { .. } => "invalid_project_dir",
            CoreError::InvalidOption { .. } => "invalid_option",
            CoreError::InvalidAutonomy(_) => "invalid_autonomy",
            CoreError::InvalidPrompt(_) => "invalid_prompt",
            CoreError::InvalidSessionId { .. } => "invalid_session_id",
            CoreError::InvalidSession(_) => "invalid_session",
            CoreError::InvalidRecord(_) => "invalid_record",
            CoreError::InvalidConfig(_) => "invalid_config",
            CoreError::InvalidInput(_) => "invalid_input",
            CoreError::NotResumable { .. } => "not_resumable",
            CoreError::BudgetExceeded { .. } => "budget_exceeded",
        }
    }
}

impl CoreError {
    /// `invalid_agent` for a name no profile has, listing the registered ones.
    pub fn unknown_agent(name: &str) -> CoreError {
        CoreError::InvalidAgent {
            name: crate::validate::truncate_for_message(name),
            known: crate::agents::names().join(", "),
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
