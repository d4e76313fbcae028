//! Task specs and prompts from outside, checked into a [`TaskSpec`] (DESIGN §3.1, §3.3).
//!
//! Everything here is a pure string check: the host still checks that the project directory
//! exists and is a directory. Values that pass end up only as whole argv elements, `-c`/`-e`
//! values or file contents (see [`crate::plan`]), never inside a shell string; the checks below
//! are there to give a clear error early and to keep the CLIs from misreading a value as a flag.

use crate::error::{CoreError, CoreResult};
use crate::model::{AgentKind, Autonomy, TaskSpec};
use crate::profiles::ModelFormat;
use crate::validate::{truncate_for_message, validate_task_name};
use serde::{Deserialize, Serialize};

/// Longest project directory path accepted, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;
/// Longest model name accepted, in bytes.
pub const MAX_MODEL_LEN: usize = 128;
/// Largest prompt accepted, in bytes. The prompt reaches the agent on stdin from a file, so the
/// 128 KiB limit of a single argv string does not apply.
pub const MAX_PROMPT_BYTES: usize = 4 * 1024 * 1024;

/// A task as a caller describes it (CLI flags, tool call, JS object). Unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct TaskSpecInput {
    pub agent: String,
    pub name: String,
    pub project_dir: String,
    #[serde(default)]
    pub model: Option<String>,
    /// `"sandboxed"` (the default when absent) or `"full"`.
    #[serde(default)]
    pub autonomy: Option<String>,
}

/// Checks a task description and returns the validated [`TaskSpec`].
///
/// - `agent`: a registered agent (built-in or from the operator's configuration).
/// - `name`: see [`validate_task_name`].
/// - `project_dir`: absolute, no control characters, no `.`/`..` components, at most 4096 bytes.
/// - `model`: optional; 1-128 characters of `[A-Za-z0-9._:/@+-]`, not starting with `-`.
///   A profile with `model_format` (OpenCode) wants it written `provider/model`. Without a
///   model the CLI uses the one its own configuration names (the host checks, and warns).
/// - `autonomy`: `sandboxed` (default) or `full`.
pub fn validate_spec(input: &TaskSpecInput) -> CoreResult<TaskSpec> {
    // A new task: only an agent of the configuration or a built-in one (not one adopted from an
    // existing task's host.json).
    let agent = crate::agents::find_for_new_task(&input.agent)
        .map(|p| p.agent)
        .ok_or_else(|| CoreError::unknown_agent(&input.agent))?;
    validate_task_name(&input.name)?;
    validate_project_dir(&input.project_dir)?;
    if let Some(model) = &input.model {
        validate_model(model)?;
    }
    let autonomy = match input.autonomy.as_deref() {
        None | Some("sandboxed") => Autonomy::Sandboxed,
        Some("full") => Autonomy::Full,
        Some(other) => return Err(CoreError::InvalidAutonomy(truncate_for_message(other))),
    };
    let spec = TaskSpec {
        agent,
        name: input.name.clone(),
        project_dir: input.project_dir.clone(),
        model: input.model.clone(),
        autonomy,
    };
    check_agent_requirements(&spec)?;
    Ok(spec)
}

/// Re-checks a [`TaskSpec`] that came back from outside (a JS object, a task record on disk).
/// Same rules as [`validate_spec`]; the planners call it before building any command.
pub fn check_spec(spec: &TaskSpec) -> CoreResult<()> {
    validate_task_name(&spec.name)?;
    validate_project_dir(&spec.project_dir)?;
    if let Some(model) = &spec.model {
        validate_model(model)?;
    }
    check_agent_requirements(spec)
}

fn check_agent_requirements(spec: &TaskSpec) -> CoreResult<()> {
    // Profile data (`model_format`): a model, when named, must be written the CLI's way. None
    // named is allowed: the CLI then uses its own configured default (the host warns when its
    // configuration names none, `default_model`).
    if crate::profiles::profile(spec.agent).data.model_format == Some(ModelFormat::ProviderModel) {
        if let Some(m) = &spec.model {
            if !is_provider_model(m) {
                return Err(CoreError::InvalidOption {
                    field: "model",
                    value: truncate_for_message(m),
                    reason: "this agent's models are written provider/model (e.g. anthropic/claude-sonnet-4-5)",
                });
            }
        }
    }
    Ok(())
}

fn is_provider_model(m: &str) -> bool {
    match m.split_once('/') {
        Some((provider, model)) => !provider.is_empty() && !model.is_empty(),
        None => false,
    }
}

/// Checks an absolute path given by a caller (project directory).
pub fn validate_project_dir(path: &str) -> CoreResult<()> {
    let err = |reason: &'static str| CoreError::InvalidProjectDir {
        path: truncate_for_message(path),
        reason,
    };
    check_abs_path(path).map_err(err)
}

/// The shared rules for absolute paths that reach tmux (`-c`, `-e`) or an agent's argv.
/// Returns the reason on failure.
pub(crate) fn check_abs_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("must not be empty");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("longer than 4096 bytes");
    }
    if !path.starts_with('/') {
        return Err("must be an absolute path (starting with /)");
    }
    if path.chars().any(char::is_control) {
        return Err("must not contain control characters (newline, tab, NUL, ...)");
    }
    if path.split('/').any(|c| c == "." || c == "..") {
        return Err("must not contain . or .. components");
    }
    Ok(())
}

/// Checks a model name: 1-128 characters of `[A-Za-z0-9._:/@+-]`, not starting with `-`
/// (a CLI would read it as a flag).
pub fn validate_model(model: &str) -> CoreResult<()> {
    let err = |reason: &'static str| CoreError::InvalidOption {
        field: "model",
        value: truncate_for_message(model),
        reason,
    };
    if model.is_empty() {
        return Err(err("must not be empty (leave it out to use the agent's default)"));
    }
    if model.len() > MAX_MODEL_LEN {
        return Err(err("longer than 128 characters"));
    }
    if model.starts_with('-') {
        return Err(err("must not start with -"));
    }
    let ok = model
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._:/@+-".contains(&b));
    if !ok {
        return Err(err("use only letters, digits and . _ : / @ + -"));
    }
    Ok(())
}

/// Checks a prompt: not blank, at most 4 MiB, no NUL byte.
pub fn validate_prompt(prompt: &str) -> CoreResult<()> {
    if prompt.trim().is_empty() {
        return Err(CoreError::InvalidPrompt("it is empty"));
    }
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(CoreError::InvalidPrompt("it is larger than 4 MiB"));
    }
    if prompt.contains('\0') {
        return Err(CoreError::InvalidPrompt("it contains a NUL byte"));
    }
    Ok(())
}

/// The tmux session name of a task: `<agent>-<name>` (the original skill's convention).
pub fn session_name(spec: &TaskSpec) -> String {
    format!("{}-{}", spec.agent.as_str(), spec.name)
}

/// Splits a session name made by [`session_name`] back into agent and task name.
/// Sessions that do not follow the convention (started by hand) are `invalid_session`.
pub fn parse_session(session: &str) -> CoreResult<(AgentKind, String)> {
    // The agents of this process, then those adopted from existing tasks' host.json.
    let adopted = crate::agents::adopted_names().into_iter().filter_map(AgentKind::parse);
    for agent in AgentKind::all().into_iter().chain(adopted) {
        if let Some(rest) = session
            .strip_prefix(agent.as_str())
            .and_then(|r| r.strip_prefix('-'))
        {
            if validate_task_name(rest).is_ok() {
                return Ok((agent, rest.to_string()));
            }
        }
    }
    Err(CoreError::InvalidSession(truncate_for_message(session)))
}
