//! The registry of agents: the built-in profiles (`agents/<name>.json`, embedded here) and
//! those the operator's configuration adds or overrides ([`set_operator_agents`]).
//!
//! Adding a built-in agent is one JSON file and one line in [`BUILT_IN`]. Profiles come only
//! from this data and from operator configuration, never from a tool call or a task's files:
//! a task's effective profile is kept in its host.json at start (see the README), so a later
//! configuration edit cannot change how an existing task is resumed.
//!
//! Profiles are built once and kept for the life of the process (leaked: a handful per
//! configuration load), so an [`AgentKind`] is a `Copy` name and [`profile_of`] a lookup.

use crate::error::{CoreError, CoreResult};
use crate::model::AgentKind;
use crate::profiles::{Profile, ProfileData};
use std::collections::BTreeMap;
use std::sync::{OnceLock, RwLock};

/// The built-in agents, in the order they are listed.
const BUILT_IN: &[(&str, &str)] = &[
    ("codex", include_str!("../agents/codex.json")),
    ("claude", include_str!("../agents/claude.json")),
    ("opencode", include_str!("../agents/opencode.json")),
    ("pi", include_str!("../agents/pi.json")),
    ("gemini", include_str!("../agents/gemini.json")),
    ("demo", include_str!("../agents/demo.json")),
];

/// Most agents an operator may configure.
pub const MAX_OPERATOR_AGENTS: usize = 64;

fn built_in() -> &'static [&'static Profile] {
    static CELL: OnceLock<Vec<&'static Profile>> = OnceLock::new();
    CELL.get_or_init(|| {
        // A file that does not parse is a bug caught by tests/core_profiles.rs; it is left out
        // rather than taking the process down.
        BUILT_IN
            .iter()
            .filter_map(|(name, json)| {
                let data: ProfileData = serde_json::from_str(json).ok()?;
                Profile::build(name, data).ok().map(|p| &*Box::leak(Box::new(p)))
            })
            .collect()
    })
}

/// Parses a built-in profile file (for tests: the error says what is wrong with it).
pub fn parse_built_in(name: &'static str) -> CoreResult<Profile> {
    let json = BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, j)| *j).ok_or_else(|| CoreError::unknown_agent(name))?;
    let data: ProfileData = serde_json::from_str(json).map_err(|e| CoreError::InvalidAgentProfile(format!("agents.{name}: {e}")))?;
    Profile::build(name, data)
}

/// The operator's agents: the active set, and every profile ever registered (so a name made
/// before a reload still finds a profile).
struct Operator {
    active: Vec<&'static Profile>,
    all: Vec<&'static Profile>,
    /// Profiles existing tasks fixed in their host.json, adopted by a process whose
    /// configuration does not define them ([`adopt_task_profile`]): for those tasks only.
    adopted: Vec<&'static Profile>,
}

static OPERATOR: RwLock<Operator> = RwLock::new(Operator { active: Vec::new(), all: Vec::new(), adopted: Vec::new() });

fn read<T>(f: impl FnOnce(&Operator) -> T) -> T {
    match OPERATOR.read() {
        Ok(g) => f(&g),
        Err(poisoned) => f(&poisoned.into_inner()),
    }
}

/// The profile named `name` for an existing task: the operator's active one, else the built-in
/// one, else one adopted from a task's host.json.
pub fn find(name: &str) -> Option<&'static Profile> {
    find_for_new_task(name).or_else(|| read(|o| o.adopted.iter().rev().find(|p| p.name == name).copied()))
}

/// The profile a NEW task named `name` runs with: the operator's active one, else the built-in
/// one. Never an adopted one: the configuration is the only source of policy for new tasks.
pub fn find_for_new_task(name: &str) -> Option<&'static Profile> {
    read(|o| o.active.iter().find(|p| p.name == name).copied()).or_else(|| built_in().iter().find(|p| p.name == name).copied())
}

/// The profile of an agent. An [`AgentKind`] is only made from a registered name, so the last
/// fallbacks are never reached in practice; they keep this total (the core never panics).
pub fn profile_of(agent: AgentKind) -> &'static Profile {
    let name = agent.as_str();
    find(name)
        .or_else(|| read(|o| o.all.iter().rev().find(|p| p.name == name).copied()))
        .or_else(|| built_in().last().copied())
        .unwrap_or_else(fallback)
}

fn fallback() -> &'static Profile {
    // Only reached if every embedded profile were broken, which tests/core_profiles.rs rules
    // out (each built-in file is parsed and checked there).
    std::process::abort()
}

/// Every agent name that can be used now: built-ins first (in their order), then the
/// operator's new ones (sorted).
pub fn names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = built_in().iter().map(|p| p.name).collect();
    let mut extra: Vec<&'static str> = read(|o| o.active.iter().map(|p| p.name).filter(|n| !out.contains(n)).collect());
    extra.sort_unstable();
    out.extend(extra);
    out
}

/// Whether `name` is a built-in agent.
pub fn is_built_in(name: &str) -> bool {
    BUILT_IN.iter().any(|(n, _)| *n == name)
}

/// Checks an agent name an operator chose: 1-24 characters of `a-z 0-9`, starting with a
/// letter (it is the first word of the task's tmux session name `<agent>-<task>`).
pub fn check_agent_name(name: &str) -> Result<(), String> {
    let ok = (1..=24).contains(&name.len())
        && name.as_bytes()[0].is_ascii_lowercase()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err("agent names are 1-24 characters of a-z and 0-9, starting with a letter".into())
    }
}

/// Replaces the operator's agents with `agents` (name → profile), after checking every one
/// (`invalid_agent_profile`; nothing changes when one is invalid). An empty map goes back to
/// the built-ins alone.
pub fn set_operator_agents(agents: BTreeMap<String, ProfileData>) -> CoreResult<()> {
    if agents.len() > MAX_OPERATOR_AGENTS {
        return Err(CoreError::InvalidAgentProfile(format!("agents: at most {MAX_OPERATOR_AGENTS} agents")));
    }
    let mut built = Vec::new();
    for (name, data) in agents {
        check_agent_name(&name).map_err(|e| CoreError::InvalidAgentProfile(format!("agents.{}: {e}", crate::validate::truncate_for_message(&name))))?;
        // Interned: the same name keeps one allocation across reloads.
        let name: &'static str = interned(&name);
        built.push(Profile::build(name, data)?);
    }
    let mut guard = match OPERATOR.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    guard.active.clear();
    for p in built {
        let p: &'static Profile = Box::leak(Box::new(p));
        guard.active.push(p);
        guard.all.push(p);
    }
    Ok(())
}

fn interned(name: &str) -> &'static str {
    if let Some(p) = built_in().iter().find(|p| p.name == name) {
        return p.name;
    }
    if let Some(n) = read(|o| o.all.iter().find(|p| p.name == name).map(|p| p.name)) {
        return n;
    }
    Box::leak(name.to_string().into_boxed_str())
}

/// [`set_operator_agents`] from JSON text (`{ "<name>": <profile> }`), with errors that name
/// the agent and the field serde stopped at.
pub fn set_operator_agents_json(json: &str) -> CoreResult<()> {
    let bad = |what: String| CoreError::InvalidAgentProfile(what);
    if json.len() > 1 << 20 {
        return Err(bad("agents: more than 1 MiB of profiles".into()));
    }
    let raw: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| bad(format!("agents: expected an object of profiles by name ({e})")))?;
    let mut agents = BTreeMap::new();
    for (name, value) in raw {
        check_agent_name(&name).map_err(|e| bad(format!("agents.{}: {e}", crate::validate::truncate_for_message(&name))))?;
        let data: ProfileData = serde_json::from_value(value).map_err(|e| bad(format!("agents.{name}: {e}")))?;
        agents.insert(name, data);
    }
    set_operator_agents(agents)
}

/// Whether the active profile named `name` comes from the operator's configuration.
pub fn is_operator_defined(name: &str) -> bool {
    read(|o| o.active.iter().any(|p| p.name == name))
}

/// The names of adopted profiles that no active or built-in profile shadows.
pub fn adopted_names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = read(|o| o.adopted.iter().map(|p| p.name).collect());
    out.retain(|n| find_for_new_task(n).is_none());
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether `name` resolves only to a profile adopted from a task's host.json.
pub fn is_adopted(name: &str) -> bool {
    find_for_new_task(name).is_none() && read(|o| o.adopted.iter().any(|p| p.name == name))
}

/// Adopts the operator profile an existing task fixed in its host.json at start, so that a
/// process whose configuration does not define that agent (another `--config`, none, another
/// TaskManager's) still reads, monitors and resumes the task with the profile it started with.
/// New tasks never get it ([`find_for_new_task`]). Nothing changes when `name` already has a
/// profile here (a recovery then compares it with the kept one and refuses a different one).
/// Returns whether the profile was adopted; `invalid_agent_profile` for a bad one.
pub fn adopt_task_profile(name: &str, data: ProfileData) -> CoreResult<bool> {
    check_agent_name(name).map_err(|e| CoreError::InvalidAgentProfile(format!("agents.{}: {e}", crate::validate::truncate_for_message(name))))?;
    if find(name).is_some() {
        return Ok(false);
    }
    let name: &'static str = interned(name);
    let built = Profile::build(name, data)?;
    let mut guard = match OPERATOR.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if guard.adopted.len() >= MAX_OPERATOR_AGENTS * 4 {
        return Err(CoreError::InvalidAgentProfile(format!("agents: at most {} adopted task profiles", MAX_OPERATOR_AGENTS * 4)));
    }
    let p: &'static Profile = Box::leak(Box::new(built));
    guard.adopted.push(p);
    guard.all.push(p);
    Ok(true)
}

/// [`adopt_task_profile`] from JSON text (host.json's `agentProfile.profile`).
pub fn adopt_task_profile_json(name: &str, json: &str) -> CoreResult<bool> {
    if json.len() > 1 << 20 {
        return Err(CoreError::InvalidAgentProfile(format!("agents.{}: more than 1 MiB", crate::validate::truncate_for_message(name))));
    }
    let data: ProfileData = serde_json::from_str(json)
        .map_err(|e| CoreError::InvalidAgentProfile(format!("agents.{}: {e}", crate::validate::truncate_for_message(name))))?;
    adopt_task_profile(name, data)
}
