//! Plain data shared by every part of the core and carried across the wasm boundary.
//!
//! Serde names are camelCase for fields and snake_case for enum values, so JS sees
//! `{ agent: "codex", projectDir: "/src/app", state: "waiting_for_input" }`.
//! Times are milliseconds since the Unix epoch as `f64` (safe in JS); the core never reads a
//! clock, the host passes `now` in.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, supplied by the host.
#[tsify::declare]
pub type Millis = f64;

/// A registered agent's name (a built-in profile or one from the operator's configuration,
/// see [`crate::agents`]). Made only from a registered name, so it always has a profile.
/// Serialized as the plain name (`"codex"`); reading one checks the registry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentKind(&'static str);

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const AGENT_KIND_TS: &str = "/** A registered agent's name (`agentNames()` lists them). */\nexport type AgentKind = string;";

/// The built-in agents by name, for tests and examples. No code decides anything by an agent's
/// name: what differs between agents is in their profiles.
#[allow(non_upper_case_globals)]
impl AgentKind {
    pub const Codex: AgentKind = AgentKind("codex");
    pub const Claude: AgentKind = AgentKind("claude");
    pub const Opencode: AgentKind = AgentKind("opencode");
    pub const Pi: AgentKind = AgentKind("pi");
    pub const Gemini: AgentKind = AgentKind("gemini");
    pub const Demo: AgentKind = AgentKind("demo");
    /// The built-in agents (tests/core_profiles.rs checks this matches `agents/`).
    pub const ALL: [AgentKind; 6] = [AgentKind::Codex, AgentKind::Claude, AgentKind::Opencode, AgentKind::Pi, AgentKind::Gemini, AgentKind::Demo];
}

impl AgentKind {
    /// The name used on the command line, in session names and in records.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The registered agent called `s`, if any.
    pub fn parse(s: &str) -> Option<AgentKind> {
        crate::agents::find(s).map(|p| p.agent)
    }

    /// Every registered agent.
    pub fn all() -> Vec<AgentKind> {
        crate::agents::names().into_iter().map(AgentKind).collect()
    }

    /// For the registry only: the name of a profile it has just built.
    pub(crate) fn named(name: &'static str) -> AgentKind {
        AgentKind(name)
    }
}

impl std::fmt::Debug for AgentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Display for AgentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for AgentKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for AgentKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AgentKind, D::Error> {
        let name = String::deserialize(d)?;
        AgentKind::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown agent {:?}: expected one of {}",
                crate::validate::truncate_for_message(&name),
                crate::agents::names().join(", ")
            ))
        })
    }
}

/// How much the agent may do without asking. `Sandboxed` is the default; `Full` is opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "lowercase")]
pub enum Autonomy {
    #[default]
    Sandboxed,
    Full,
}

/// A validated task: what to run, where. Built only by `spec::validate_spec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct TaskSpec {
    pub agent: AgentKind,
    pub name: String,
    /// Absolute path of the project directory the agent works in (and resumes from).
    pub project_dir: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub autonomy: Autonomy,
}

/// Task states, as reported everywhere (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Starting,
    Running,
    WaitingForInput,
    Stalled,
    Recovering,
    Completed,
    Failed,
    Stopped,
}

impl TaskState {
    /// Finished states are never recovered automatically.
    pub fn is_final(self) -> bool {
        matches!(self, TaskState::Completed | TaskState::Failed | TaskState::Stopped)
    }
}

/// Why an agent run ended badly (DESIGN §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Exited non-zero with nothing more specific in its output. Retryable.
    Crash,
    /// Killed by a signal. Retryable.
    Signal,
    /// Could not reach the model service. Retryable.
    Network,
    /// Rate limited or the service is overloaded. Retryable (after the named wait, if any).
    RateLimit,
    /// Not logged in or the key was rejected. Fatal.
    Auth,
    /// Subscription or quota exhausted. Fatal unless it names when it resets.
    UsageLimit,
    /// The CLI rejected its arguments or environment. Fatal.
    BadInvocation,
    /// The conversation no longer fits the model's context window. Fatal.
    ContextOverflow,
    /// The project directory is gone, or its path now names another directory: the agent is
    /// never run anywhere else. Fatal.
    ProjectDirMissing,
    /// A file a recovery is built from (host.json, agent.env, prompt.1) is a symlink, not ours,
    /// open to others, or disagrees with the spec kept at start: the task is not resumed from
    /// it. Fatal (a person must look; `resume` after fixing the file).
    TaskFileUnsafe,
    /// The task's usage crossed its budget (`--max-cost-usd`, `--max-tokens`, or the
    /// operator's): the agent was stopped. Fatal, never resumed automatically; a manual resume
    /// needs a higher budget.
    BudgetExceeded,
}

impl FailureClass {
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FailureClass::Crash | FailureClass::Signal | FailureClass::Network | FailureClass::RateLimit
        )
    }
}

/// A wait named by the agent's own message ("try again in 20s", "resets 3:50pm (Asia/Tokyo)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResetHint {
    /// A relative delay.
    #[serde(rename_all = "camelCase")]
    After { ms: u64 },
    /// A wall-clock time of day (24 h), in the named IANA zone or, when `zone` is `None`, in the
    /// machine's local zone. The host turns it into an instant (it has the time-zone database).
    #[serde(rename_all = "camelCase")]
    ClockTime { hour: u8, minute: u8, zone: Option<String> },
}

/// A classified failure: its class and the line of output that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub class: FailureClass,
    /// The (redacted, single) line of output the class was read from, or a description such as
    /// "exit status 137" when no line says more.
    pub evidence: String,
    #[serde(default)]
    pub reset: Option<ResetHint>,
}
