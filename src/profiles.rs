//! How each agent CLI is run and resumed, as data.
//!
//! A profile is a JSON document, not code: the built-in ones are `agents/<name>.json` (embedded
//! in the core, see [`crate::agents`]), and an operator adds or overrides agents with the same
//! shape in the configuration (`agents: { "<name>": <profile> }`). [`ProfileData`] is that
//! shape; [`Profile`] is the checked form the planner ([`crate::plan`]) and the classifier use.
//!
//! Rules every profile follows:
//! - The prompt always reaches the agent on **stdin** (the wrapper redirects it from a file),
//!   never as an argv string: Linux caps one argv string at 128 KiB, prompts can be larger.
//! - Resume names the conversation explicitly (id or session file) and runs from the original
//!   project directory; never `--last`, `--continue` or a bare `--resume`.
//! - Machine-readable output on stdout, so the session id and the outcome can be read from the
//!   event file.

use crate::error::{CoreError, CoreResult};
use crate::model::Autonomy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the agent's own conversation id comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum IdSource {
    /// Read from the first attempt's event stream (Codex `thread_id`, OpenCode `sessionID`).
    FromEvents,
    /// Chosen by the host before launch and passed in (Claude `--session-id <uuid>`).
    Preset,
    /// The conversation lives in a session file whose path the host chooses inside the task
    /// directory (Pi `--session <task_dir>/pi-session.jsonl`); resume passes the same path.
    SessionFile,
}

/// What [`Autonomy::Sandboxed`] really restricts for an agent CLI. Tool calls from a model are
/// refused a `sandboxed` task on an agent whose sandbox is [`Sandbox::None`] unless the
/// operator allows it (`policy.allowUnsandboxed`), since it would run with the user's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum Sandbox {
    /// An operating-system sandbox around everything the agent runs, shell commands included
    /// (Codex `--sandbox workspace-write`: writes only inside the project).
    Os,
    /// The CLI's own permission rules: file edits inside the project, shell commands and
    /// anything outside the project refused (nothing stops code the agent could still run).
    Permissions,
    /// Nothing: the CLI has no sandbox or permission system (Pi).
    None,
    /// The simulated agent, which changes nothing.
    Simulated,
}

impl Sandbox {
    /// The stable name (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Sandbox::Os => "os",
            Sandbox::Permissions => "permissions",
            Sandbox::None => "none",
            Sandbox::Simulated => "simulated",
        }
    }
}

/// One element of an argv template: a literal, or one of the placeholders `{autonomy}`,
/// `{model}`, `{session_id}`, `{session_file}`, `{title}` (written like that in the JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A fixed argument.
    Lit(String),
    /// The autonomy flags of the profile for the task's autonomy (zero or more arguments).
    Autonomy,
    /// The model flags (zero arguments when the task names no model).
    Model,
    /// The conversation id: the host's preset id on start, the recorded id on resume.
    SessionId,
    /// The absolute path of the session file (`<task_dir>/<session_id.file>`).
    SessionFile,
    /// `<title_flag> <tag>` when the host gave a title tag (OpenCode early id discovery), else
    /// nothing.
    Title,
}

impl Arg {
    fn parse(s: &str) -> Result<Arg, String> {
        Ok(match s {
            "{autonomy}" => Arg::Autonomy,
            "{model}" => Arg::Model,
            "{session_id}" => Arg::SessionId,
            "{session_file}" => Arg::SessionFile,
            "{title}" => Arg::Title,
            _ if s.starts_with('{') && s.ends_with('}') => {
                return Err(format!(
                    "unknown placeholder {s:?}: use {{autonomy}}, {{model}}, {{session_id}}, {{session_file}} or {{title}}"
                ))
            }
            _ => Arg::Lit(s.to_string()),
        })
    }
}

/// How the model is passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelFlag {
    /// `<flag> <model>`.
    Flag(String),
    /// `provider/model` split at the first `/` into `<provider flag> <provider> <model flag>
    /// <model>`; a model without `/` is passed as `<model flag> <model>` only.
    ProviderModel { provider: String, model: String },
}

/// How a task's model, when it names one, must be written for this agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelFormat {
    /// `provider/model` (OpenCode).
    ProviderModel,
}

/// How to ask a CLI which model its own configuration names ([`ProfileData::default_model`]):
/// run the program with `args` (in the project, with the task's environment) and read the
/// string field `field` of the JSON it prints. A task that names no model relies on it; when
/// it names none either, the task's first event says so (a warning, not a refusal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultModelProbe {
    pub args: Vec<String>,
    pub field: String,
}

/// One piece of the path of an agent's saved conversation ([`Profile::conversation`]), joined
/// with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PathPart {
    /// The task directory.
    TaskDir,
    /// The agent's environment variable `env` when it is set to an absolute path, else
    /// `$HOME/<home_sub>` (both from the host's agent environment).
    EnvOrHome { env: String, home_sub: String },
    /// A fixed name.
    Lit(String),
    /// A folder name made from the project directory (as the agent's `getcwd()` sees it), or
    /// from an override variable: see [`ProjectKeyData`].
    ProjectKey(ProjectKeyData),
    /// The session id followed by `suffix`.
    SessionId { suffix: String },
}

/// How an agent names a folder after the project directory (Claude Code's
/// `projects/<key>`): every character not in `keep` becomes `replace`, once per UTF-16 code
/// unit (an emoji gives two); a key longer than `max_len` units is cut there and followed by
/// `replace` and the `cut_suffix` hash of the whole directory. With `config_env` set
/// (non-empty), `override_env` replaces the name when it is 1-`override_max_len` characters of
/// `override_chars` and not one of `override_reserved` (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectKeyData {
    /// ASCII characters kept as they are, as ranges: `"A-Za-z0-9"` (a last `-` is itself).
    pub keep: String,
    /// The one ASCII character everything else becomes.
    pub replace: String,
    pub max_len: usize,
    pub cut_suffix: CutSuffix,
    pub override_env: String,
    pub config_env: String,
    /// The characters an override may hold, as ranges like `keep`.
    pub override_chars: String,
    pub override_max_len: usize,
    #[serde(default)]
    pub override_reserved: Vec<String>,
}

/// The hash that tells apart two project directories whose keys were cut to the same text.
/// An algorithm, so code: data names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutSuffix {
    /// Base 36 of the absolute value of Java's `String.hashCode` (`h = 31*h + unit` over the
    /// UTF-16 units, 32-bit), as Claude Code computes it.
    JavaHashBase36,
}

/// The grammar of an agent's stdout (success, its own final error, retried errors): data, read
/// by the one generic reader in [`crate::event_grammar`].
pub use crate::event_grammar::EventGrammar;

/// One pattern (a failure text, a retry line, a reset-time form), in a profile and in
/// `patterns/common.json` alike: a regex that runs only on a line holding one of `keywords`
/// (literal, ASCII case-insensitive), so most lines cost a substring search. Every text the
/// regex matches must contain one of the keywords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternData {
    pub keywords: Vec<String>,
    pub regex: String,
}

/// A checked failure [`PatternData`] and its class.
#[derive(Debug, Clone)]
pub struct FailurePattern {
    pub class: crate::model::FailureClass,
    pub pattern: crate::patterns::Pattern,
}

/// An event that carries the session id: a JSON line whose `type` is `type` (any line when
/// absent) and whose string field `field` holds the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdEvent {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub field: String,
}

/// The shape every session id of an agent has; checked before an id reaches a command line
/// (Codex takes a non-UUID resume argument as a thread *name* and silently starts a new one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IdFormatData {
    /// `"uuid"`: 8-4-4-4-12 hex digits, any version, not the nil UUID.
    Named(String),
    /// A whole-id regex (anchor it) and the sentence that explains it.
    Pattern { pattern: String, hint: String },
}

/// Where the session id comes from and what it looks like (the JSON `session_id` object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionIdData {
    pub source: IdSource,
    /// Events that carry the id (first match in the head of the first attempt's output wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<IdEvent>,
    /// A regex with one capture group, tried on the non-JSON lines (a text-mode header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub format: IdFormatData,
    /// The session file's name inside the task directory, for [`IdSource::SessionFile`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Flags per autonomy level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutonomyFlags {
    /// Flags for [`Autonomy::Sandboxed`] (edits inside the project, no prompts).
    pub sandboxed: Vec<String>,
    /// Flags for [`Autonomy::Full`] (no approvals, no sandbox).
    pub full: Vec<String>,
}

/// How the prompt reaches the agent. Only stdin today (see the module rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptDelivery {
    Stdin,
}

/// What `doctor` and the installer of the test CLIs know about an agent's CLI
/// ([`ProfileData::cli`]). Checked where it is read (host-shim/doctor/facts.js); the core only
/// carries it, so the verified version is written once, in the agent's data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliFacts {
    /// The npm package the CLI is installed from.
    pub package: String,
    /// The newest version the conformance suite passed with (the test CLIs' pin).
    pub verified_version: String,
    /// The oldest version this profile is known to work with.
    pub min_version: String,
    /// The Node.js major a JavaScript CLI needs on the agent's PATH (`null`: any, or not Node).
    #[serde(default)]
    pub needs_node: Option<u32>,
    /// How to ask the CLI its version.
    pub version_args: Vec<String>,
    /// `--help` invocations and the flags each must list (the flags our argv relies on).
    pub help: Vec<HelpCheck>,
    /// A non-interactive command that exits 0 only when logged in (`null`: the CLI has none).
    #[serde(default)]
    pub login_check: Option<Vec<String>>,
}

/// One `--help` a [`CliFacts`] check runs, and the flags it must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpCheck {
    pub args: Vec<String>,
    pub flags: Vec<String>,
}

/// One agent profile exactly as written in `agents/<name>.json` or in the operator's
/// configuration. See the README ("Adding an agent") for every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileData {
    /// What this CLI is and why the profile looks the way it does (documentation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Program name looked up on `PATH` (the host may override it with an absolute path).
    /// `null`: the host always gives its argv prefix (the demo agent: `node /abs/demo-agent.js`).
    #[serde(default)]
    pub program: Option<String>,
    /// How the CLI is installed and checked (`doctor`, the installer of the test CLIs): the one
    /// place its verified version lives. `null` for an agent with no CLI of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<CliFacts>,
    /// Arguments after the program to start a new conversation (prompt on stdin).
    pub start: Vec<String>,
    /// Arguments after the program to resume the recorded conversation (prompt on stdin).
    pub resume: Vec<String>,
    pub prompt: PromptDelivery,
    pub model: ModelFlag,
    /// How a model, when given, must be written (`None`: any model name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_format: Option<ModelFormat>,
    /// Where the CLI's own default model can be read, for a task that names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_model: Option<DefaultModelProbe>,
    /// The flag `{title}` expands to (followed by the host's title tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_flag: Option<String>,
    pub autonomy: AutonomyFlags,
    pub sandbox: Sandbox,
    /// Environment for [`Autonomy::Sandboxed`], for CLIs whose restrictions are configured
    /// rather than passed as flags. Set on the pane at every attempt, so a resume runs under
    /// the same rules; the agent cannot change its own environment.
    #[serde(default)]
    pub sandboxed_env: BTreeMap<String, String>,
    /// Environment when autonomy is full and the host runs as root (Claude's bypass modes
    /// refuse to run as root unless `IS_SANDBOX=1`).
    #[serde(default)]
    pub full_root_env: BTreeMap<String, String>,
    /// Variables this CLI reads its login from (API keys, base URLs), copied from the host's
    /// environment into the task's 0600 env file. Never on a command line.
    #[serde(default)]
    pub credential_env: Vec<String>,
    /// Variables this CLI must never inherit (the wrapper unsets them): with Claude's
    /// `CLAUDE_CODE_RETRY_WATCHDOG` set, `claude -p` sleeps silently through a usage limit.
    #[serde(default)]
    pub unset_env: Vec<String>,
    /// Variables set for each task, fixed at its start ([`crate::task_env`]): values may name
    /// `{task_tmp}`, a private directory of the task's own (Gemini writes its error reports to
    /// the OS temporary directory, shared by every task and user otherwise).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub task_env: BTreeMap<String, String>,
    pub session_id: SessionIdData,
    /// Where the agent keeps a conversation once it has saved it, for agents that can be
    /// killed before saving (see [`crate::conversation`]); absent when the conversation exists
    /// as soon as its id is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Vec<PathPart>>,
    /// The grammar of the agent's stdout.
    pub events: EventGrammar,
    /// When set, an exit status 0 without a successful final event is an interruption (class
    /// `signal`) with this text as evidence, not a crash (Claude exits 0 on SIGINT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted_exit_zero: Option<String>,
    /// Texts (matched case-insensitively) of this CLI's prompts that wait for a person.
    #[serde(default)]
    pub waiting: Vec<String>,
    /// This CLI's own failure texts by class (`auth`, `usage_limit`, `rate_limit`, `network`,
    /// `context_overflow`, `bad_invocation`), on top of the shared ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failure: BTreeMap<String, Vec<PatternData>>,
    /// Which events carry token counts and cost, and where ([`crate::usage`]); absent: the
    /// agent reports none (its tasks show no usage and only a cost/token budget cannot apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::usage::UsageData>,
    /// Texts with which a resume says the conversation it names holds nothing (Gemini's
    /// "Invalid session identifier" after a failed first call): the task starts again with its
    /// original prompt ([`crate::fresh_restart`]). Only texts that cannot mean "a conversation
    /// that recorded work is gone".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nothing_to_resume: Vec<PatternData>,
    /// This CLI's own retry lines (a pane whose last lines all match is a retry loop), on top
    /// of the shared ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<PatternData>,
    /// This CLI's own reset-time forms, tried before the shared ones (named captures: see
    /// [`crate::reset_hint`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reset: Vec<PatternData>,
}

/// The checked form of a session-id shape.
#[derive(Debug, Clone)]
pub enum IdFormat {
    Uuid,
    Pattern { re: regex_lite::Regex, hint: &'static str },
}

/// Everything the planner and classifier need to know about one agent CLI (a checked
/// [`ProfileData`], kept for the life of the process).
#[derive(Debug, Clone)]
pub struct Profile {
    /// The agent's name (the configuration key, or the built-in file's name).
    pub name: &'static str,
    pub agent: crate::model::AgentKind,
    pub data: ProfileData,
    pub program: Option<String>,
    pub start: Vec<Arg>,
    pub resume: Vec<Arg>,
    pub sandbox: Sandbox,
    pub id_source: IdSource,
    /// Regex for the text-mode session id header.
    pub id_text: Option<regex_lite::Regex>,
    pub id_format: IdFormat,
    /// Lowercased [`ProfileData::waiting`].
    pub waiting: Vec<String>,
    /// [`ProfileData::events`], checked.
    pub events: crate::event_grammar::Grammar,
    /// [`ProfileData::failure`], checked.
    pub failure: Vec<FailurePattern>,
    /// [`ProfileData::nothing_to_resume`], checked.
    pub nothing_to_resume: Vec<crate::patterns::Pattern>,
    /// [`ProfileData::retry`], checked.
    pub retry: Vec<crate::patterns::Pattern>,
    /// [`ProfileData::reset`], checked.
    pub reset: Vec<crate::reset_hint::ResetForm>,
}

/// File name (inside the task directory) of a session file when the profile names none.
pub const SESSION_FILE: &str = "session.jsonl";

/// The text given on stdin when a conversation is resumed after a failure.
pub const RESUME_PROMPT: &str = "Continue the task. Your previous run was interrupted before it finished (the process crashed, was killed or hit a temporary error). Pick up where you left off, check what is already done, and complete the original request.\n";

/// Longest list or string a profile may hold (bounds the work on a hostile configuration).
const MAX_ITEMS: usize = 64;
const MAX_TEXT: usize = 1024;

impl Profile {
    /// Checks `data` and builds the profile of agent `name` (`invalid_agent_profile` naming the
    /// field, e.g. `agents.aider.session_id.text: regex parse error …`).
    pub fn build(name: &'static str, data: ProfileData) -> CoreResult<Profile> {
        let bad = |field: &str, why: String| CoreError::InvalidAgentProfile(format!("agents.{name}.{field}: {why}"));
        let start = parse_template(&data.start).map_err(|(i, e)| bad(&format!("start[{i}]"), e))?;
        let resume = parse_template(&data.resume).map_err(|(i, e)| bad(&format!("resume[{i}]"), e))?;
        if let Some(p) = &data.program {
            if p.is_empty() || p.starts_with('-') || p.len() > MAX_TEXT || p.chars().any(char::is_control) {
                return Err(bad("program", "expected a program name or absolute path, not starting with -".into()));
            }
        }
        for (field, list) in [
            ("autonomy.sandboxed", &data.autonomy.sandboxed),
            ("autonomy.full", &data.autonomy.full),
            ("start", &data.start),
            ("resume", &data.resume),
            ("credential_env", &data.credential_env),
            ("unset_env", &data.unset_env),
            ("waiting", &data.waiting),
        ] {
            check_strings(list).map_err(|(i, e)| bad(&format!("{field}[{i}]"), e))?;
        }
        for (field, list) in [("credential_env", &data.credential_env), ("unset_env", &data.unset_env)] {
            if let Some((i, _)) = list.iter().enumerate().find(|(_, v)| !is_env_name(v)) {
                return Err(bad(&format!("{field}[{i}]"), "expected a variable name ([A-Za-z_][A-Za-z0-9_]*)".into()));
            }
        }
        for (field, map) in [("sandboxed_env", &data.sandboxed_env), ("full_root_env", &data.full_root_env)] {
            for (k, v) in map {
                if !is_env_name(k) || v.len() > MAX_TEXT || v.contains('\0') || v.contains('\n') {
                    return Err(bad(&format!("{field}.{k}"), "expected NAME: value (one line)".into()));
                }
            }
        }
        crate::task_env::check(&data.task_env).map_err(|(k, why)| bad(&format!("task_env.{k}"), why))?;
        if data.waiting.iter().any(|w| w.trim().is_empty()) {
            return Err(bad("waiting", "an empty text would match every line".into()));
        }
        let uses = |a: &Arg| start.contains(a) || resume.contains(a);
        if uses(&Arg::Title) && data.title_flag.is_none() {
            return Err(bad("title_flag", "{title} is used but no title_flag is given".into()));
        }
        let sid = &data.session_id;
        if !resume.iter().any(|a| matches!(a, Arg::SessionId | Arg::SessionFile)) {
            return Err(bad("resume", "must name the conversation with {session_id} or {session_file}".into()));
        }
        if sid.source == IdSource::Preset && !start.contains(&Arg::SessionId) {
            return Err(bad("session_id.source", "preset ids must be passed at start with {session_id}".into()));
        }
        if sid.source == IdSource::SessionFile && sid.file.is_none() {
            return Err(bad("session_id.file", "a session_file source needs the file's name".into()));
        }
        if let Some(f) = &sid.file {
            let ok = !f.is_empty() && f.len() <= 64 && !f.starts_with('.') && f.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                return Err(bad("session_id.file", "use 1-64 characters of A-Z a-z 0-9 . _ - (not starting with .)".into()));
            }
        }
        for (i, part) in data.conversation.iter().flatten().enumerate() {
            if let PathPart::ProjectKey(k) = part {
                crate::conversation::check_project_key(k).map_err(|(f, e)| bad(&format!("conversation[{i}].project_key.{f}"), e))?;
            }
        }
        if sid.source == IdSource::FromEvents && sid.events.is_empty() && sid.text.is_none() {
            return Err(bad("session_id.events", "a from_events source needs events or a text regex".into()));
        }
        let id_text = match &sid.text {
            None => None,
            Some(t) => {
                let re = compile(t).map_err(|e| bad("session_id.text", e))?;
                if re.captures_len() != 2 {
                    return Err(bad("session_id.text", "expected exactly one capture group (the id)".into()));
                }
                Some(re)
            }
        };
        let id_format = match &sid.format {
            IdFormatData::Named(n) if n == "uuid" => IdFormat::Uuid,
            IdFormatData::Named(n) => return Err(bad("session_id.format", format!("unknown format {n:?}: use \"uuid\" or {{\"pattern\", \"hint\"}}"))),
            IdFormatData::Pattern { pattern, hint } => IdFormat::Pattern {
                re: compile(pattern).map_err(|e| bad("session_id.format.pattern", e))?,
                hint: Box::leak(hint.clone().into_boxed_str()),
            },
        };
        let events = data.events.check().map_err(|(field, why)| bad(&format!("events.{field}"), why))?;
        if let Some(u) = &data.usage {
            u.check().map_err(|(field, why)| bad(&field, why))?;
        }
        let mut failure = Vec::new();
        for (class_name, list) in &data.failure {
            let class = crate::patterns::class_named(class_name)
                .ok_or_else(|| bad(&format!("failure.{class_name}"), "unknown class: use auth, usage_limit, rate_limit, network, context_overflow or bad_invocation".into()))?;
            if list.len() > MAX_ITEMS {
                return Err(bad(&format!("failure.{class_name}"), format!("at most {MAX_ITEMS} patterns")));
            }
            for (i, p) in list.iter().enumerate() {
                let pattern = check_pattern(p).map_err(|(sub, e)| bad(&format!("failure.{class_name}[{i}]{sub}"), e))?;
                failure.push(FailurePattern { class, pattern });
            }
        }
        for (field, list) in [("retry", &data.retry), ("reset", &data.reset), ("nothing_to_resume", &data.nothing_to_resume)] {
            if list.len() > MAX_ITEMS {
                return Err(bad(field, format!("at most {MAX_ITEMS} patterns")));
            }
        }
        let retry = data
            .retry
            .iter()
            .enumerate()
            .map(|(i, p)| check_pattern(p).map_err(|(sub, e)| bad(&format!("retry[{i}]{sub}"), e)))
            .collect::<CoreResult<Vec<_>>>()?;
        let nothing_to_resume = data
            .nothing_to_resume
            .iter()
            .enumerate()
            .map(|(i, p)| check_pattern(p).map_err(|(sub, e)| bad(&format!("nothing_to_resume[{i}]{sub}"), e)))
            .collect::<CoreResult<Vec<_>>>()?;
        let reset = data
            .reset
            .iter()
            .enumerate()
            .map(|(i, p)| {
                crate::reset_hint::ResetForm::build(p).map_err(|e| {
                    let (sub, why) = pattern_error(e);
                    bad(&format!("reset[{i}]{sub}"), why)
                })
            })
            .collect::<CoreResult<Vec<_>>>()?;
        Ok(Profile {
            failure,
            nothing_to_resume,
            retry,
            reset,
            events,
            name,
            agent: crate::model::AgentKind::named(name),
            program: data.program.clone(),
            start,
            resume,
            sandbox: data.sandbox,
            id_source: sid.source,
            id_text,
            id_format,
            waiting: data.waiting.iter().map(|w| w.to_lowercase()).collect(),
            data,
        })
    }

    /// Flags for an autonomy level.
    pub fn autonomy_flags(&self, autonomy: Autonomy) -> &[String] {
        match autonomy {
            Autonomy::Sandboxed => &self.data.autonomy.sandboxed,
            Autonomy::Full => &self.data.autonomy.full,
        }
    }

    /// The session file's name inside the task directory.
    pub fn session_file(&self) -> &str {
        self.data.session_id.file.as_deref().unwrap_or(SESSION_FILE)
    }
}

pub(crate) fn compile(re: &str) -> Result<regex_lite::Regex, String> {
    if re.len() > MAX_TEXT {
        return Err(format!("longer than {MAX_TEXT} bytes"));
    }
    regex_lite::Regex::new(re).map_err(|e| format!("regex parse error: {}", one_line(&e.to_string())))
}

/// Checks one pattern: the error is the sub-field (`.keywords` or empty for the regex) and why.
fn check_pattern(p: &PatternData) -> Result<crate::patterns::Pattern, (&'static str, String)> {
    crate::patterns::compile_pattern(p).map_err(pattern_error)
}

/// Splits an error of [`crate::patterns::compile_pattern`] into the sub-field it is about and why.
fn pattern_error(e: String) -> (&'static str, String) {
    match e.strip_prefix("keywords: ") {
        Some(why) => (".keywords", why.to_string()),
        None => ("", e.strip_prefix("regex: ").unwrap_or(&e).to_string()),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_template(list: &[String]) -> Result<Vec<Arg>, (usize, String)> {
    list.iter().enumerate().map(|(i, s)| Arg::parse(s).map_err(|e| (i, e))).collect()
}

fn check_strings(list: &[String]) -> Result<(), (usize, String)> {
    if list.len() > MAX_ITEMS {
        return Err((MAX_ITEMS, format!("at most {MAX_ITEMS} items")));
    }
    for (i, s) in list.iter().enumerate() {
        if s.len() > MAX_TEXT || s.contains('\0') {
            return Err((i, format!("at most {MAX_TEXT} bytes, no NUL")));
        }
    }
    Ok(())
}

fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    s.len() <= 128
        && b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The profile of an agent (see [`crate::agents`] for where profiles come from).
pub fn profile(agent: crate::model::AgentKind) -> &'static Profile {
    crate::agents::profile_of(agent)
}

/// Values that fill an argv template.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArgValues<'a> {
    pub autonomy: Autonomy,
    pub model: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub session_file: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// Expands a template into arguments (without the program). A placeholder whose value is
/// missing expands to nothing; the planner checks beforehand that required values are present.
pub fn expand(profile: &Profile, template: &[Arg], v: &ArgValues<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for arg in template {
        match arg {
            Arg::Lit(s) => out.push(s.clone()),
            Arg::Autonomy => out.extend(profile.autonomy_flags(v.autonomy).iter().cloned()),
            Arg::Model => {
                if let Some(m) = v.model {
                    match &profile.data.model {
                        ModelFlag::Flag(flag) => {
                            out.push(flag.clone());
                            out.push(m.to_string());
                        }
                        ModelFlag::ProviderModel { provider, model } => match m.split_once('/') {
                            Some((p, rest)) if !p.is_empty() && !rest.is_empty() => {
                                out.push(provider.clone());
                                out.push(p.to_string());
                                out.push(model.clone());
                                out.push(rest.to_string());
                            }
                            _ => {
                                out.push(model.clone());
                                out.push(m.to_string());
                            }
                        },
                    }
                }
            }
            Arg::SessionId => {
                if let Some(id) = v.session_id {
                    out.push(id.to_string());
                }
            }
            Arg::SessionFile => {
                if let Some(f) = v.session_file {
                    out.push(f.to_string());
                }
            }
            Arg::Title => {
                if let (Some(t), Some(flag)) = (v.title, &profile.data.title_flag) {
                    out.push(flag.clone());
                    out.push(t.to_string());
                }
            }
        }
    }
    out
}

/// Whether a template uses a placeholder.
pub fn uses(template: &[Arg], arg: &Arg) -> bool {
    template.contains(arg)
}
