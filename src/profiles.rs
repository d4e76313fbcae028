//! How each agent CLI is run and resumed, as data (facts from agent-clis.md).
//!
//! A profile is a table, not code: the argv templates below are the only place that knows a
//! CLI's flags, so a CLI release that renames a flag is a one-line change here. The planner
//! ([`crate::plan`]) expands the templates with [`expand`].
//!
//! Rules every profile follows:
//! - The prompt always reaches the agent on **stdin** (the wrapper redirects it from a file),
//!   never as an argv string: Linux caps one argv string at 128 KiB, prompts can be larger.
//!   Codex reads stdin when the prompt argument is `-`; Claude, OpenCode and Pi read it when no
//!   prompt argument is given and stdin is not a terminal.
//! - Resume names the conversation explicitly (id or session file) and runs from the original
//!   project directory; never `--last`, `--continue` or a bare `--resume`.
//! - Machine-readable output on stdout (JSONL), so the session id and the outcome can be read
//!   from the event file.

use crate::model::{AgentKind, Autonomy};
use serde::{Deserialize, Serialize};

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

/// One element of an argv template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A fixed argument.
    Lit(&'static str),
    /// The autonomy flags of the profile for the task's autonomy (zero or more arguments).
    Autonomy,
    /// The model flags (zero arguments when the task names no model).
    Model,
    /// The conversation id: the host's preset id on start, the recorded id on resume.
    SessionId,
    /// The absolute path of the session file (`<task_dir>/<SESSION_FILE>`).
    SessionFile,
    /// `--title <tag>` when the host gave a title tag (OpenCode early id discovery), else nothing.
    Title,
}

/// How the model is passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFlag {
    /// `<flag> <model>`.
    Flag(&'static str),
    /// `provider/model` split at the first `/` into `<provider flag> <provider> <model flag>
    /// <model>`; a model without `/` is passed as `<model flag> <model>` only.
    ProviderModel { provider: &'static str, model: &'static str },
}

/// Everything the planner needs to know about one agent CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub agent: AgentKind,
    /// Program name looked up on `PATH` (the host may override it with an absolute path). The
    /// demo agent has none: the host always gives its argv prefix (`node /abs/demo-agent.js`).
    pub program: Option<&'static str>,
    /// Arguments after the program to start a new conversation (prompt on stdin).
    pub start: &'static [Arg],
    /// Arguments after the program to resume the recorded conversation (prompt on stdin).
    pub resume: &'static [Arg],
    /// Flags for [`Autonomy::Sandboxed`] (edits inside the project, no prompts).
    pub sandboxed: &'static [&'static str],
    /// Environment for [`Autonomy::Sandboxed`], for CLIs whose restrictions are configured
    /// rather than passed as flags. Set on the pane at every attempt, so a resume runs under
    /// the same rules; the agent cannot change its own environment.
    pub sandboxed_env: &'static [(&'static str, &'static str)],
    /// How real the sandboxed mode is.
    pub sandbox: Sandbox,
    /// Flags for [`Autonomy::Full`] (no approvals, no sandbox).
    pub full: &'static [&'static str],
    /// Environment for the agent when autonomy is full and the host runs as root (Claude's
    /// bypass modes refuse to run as root unless `IS_SANDBOX=1`).
    pub full_root_env: &'static [(&'static str, &'static str)],
    /// Variables this CLI reads its login from (API keys, base URLs). A host that builds the
    /// agent's environment from its own (no explicit `env`) copies those it has into the task's
    /// 0600 env file, so an API key in the operator's shell still reaches the agent now that no
    /// tmux server inherits the caller's environment. Never on a command line.
    pub credential_env: &'static [&'static str],
    /// Variables this CLI must never inherit (the wrapper unsets them, whatever the tmux server
    /// or the operator's environment holds): with Claude's `CLAUDE_CODE_RETRY_WATCHDOG` set,
    /// `claude -p` sleeps silently through a usage limit instead of printing it, which the
    /// monitor would see as a stall instead of a limit it can wait out.
    pub unset_env: &'static [&'static str],
    pub model_flag: ModelFlag,
    pub id_source: IdSource,
    /// Where the agent keeps a conversation once it has saved it, for agents that can be
    /// killed before saving (see [`crate::conversation`]); `None` when the conversation exists
    /// as soon as its id is known.
    pub conversation: Option<&'static [PathPart]>,
}

/// One piece of the path of an agent's saved conversation ([`Profile::conversation`]), joined
/// with `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPart {
    /// The task directory.
    TaskDir,
    /// The agent's environment variable `env` when it is set to an absolute path, else
    /// `$HOME/<home_sub>` (both from the host's agent environment).
    EnvOrHome { env: &'static str, home_sub: &'static str },
    /// A fixed name.
    Lit(&'static str),
    /// Claude Code's folder name for the project directory (as the agent's `getcwd()` sees it):
    /// every UTF-16 unit that is not `[A-Za-z0-9]` becomes `-`; names longer than
    /// `max_len` are cut to `max_len` and get `-<base36 of |Java hashCode(dir)|>`. With
    /// `config_env` set, a valid `override_env` (`[A-Za-z0-9_-]{1,64}`) replaces the name.
    ClaudeProjectKey { max_len: usize, override_env: &'static str, config_env: &'static str },
    /// The session id followed by `suffix`.
    SessionId { suffix: &'static str },
}

/// File name (inside the task directory) of a session file for [`IdSource::SessionFile`].
pub const SESSION_FILE: &str = "pi-session.jsonl";

/// The text given on stdin when a conversation is resumed after a failure.
pub const RESUME_PROMPT: &str = "Continue the task. Your previous run was interrupted before it finished (the process crashed, was killed or hit a temporary error). Pick up where you left off, check what is already done, and complete the original request.\n";

use Arg::{Autonomy as A, Lit as L, Model as M, SessionFile as F, SessionId as I, Title as T};

/// Codex: `codex exec --json --skip-git-repo-check [autonomy] [-m M] -`; resume puts the
/// autonomy flags before `resume` (`--sandbox` is rejected after it).
static CODEX: Profile = Profile {
    agent: AgentKind::Codex,
    program: Some("codex"),
    start: &[L("exec"), L("--json"), L("--skip-git-repo-check"), A, M, L("-")],
    resume: &[L("exec"), L("--json"), L("--skip-git-repo-check"), A, M, L("resume"), I, L("-")],
    sandboxed: &["--sandbox", "workspace-write"],
    sandboxed_env: &[],
    sandbox: Sandbox::Os,
    full: &["--dangerously-bypass-approvals-and-sandbox"],
    full_root_env: &[],
    credential_env: &["OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL"],
    unset_env: &[],
    model_flag: ModelFlag::Flag("-m"),
    id_source: IdSource::FromEvents,
    // The rollout file is created with the thread, before `thread.started` is printed (checked
    // with codex 0.169.0: `resume <id>` after a kill during the first model call carries the
    // prompt), so there is nothing to probe.
    conversation: None,
};

/// Claude Code: print mode, stream-json (which requires `--verbose`), id preset by the host.
/// `--resume` takes an optional value, so the id always follows it directly.
static CLAUDE: Profile = Profile {
    agent: AgentKind::Claude,
    program: Some("claude"),
    start: &[
        L("-p"),
        L("--output-format"),
        L("stream-json"),
        L("--verbose"),
        L("--session-id"),
        I,
        A,
        M,
    ],
    resume: &[
        L("-p"),
        L("--resume"),
        I,
        L("--output-format"),
        L("stream-json"),
        L("--verbose"),
        A,
        M,
    ],
    // acceptEdits: edits inside the working directories are accepted; in print mode every other
    // tool that needs a permission (Bash, edits outside the project) is denied, never asked.
    sandboxed: &["--permission-mode", "acceptEdits"],
    sandboxed_env: &[],
    sandbox: Sandbox::Permissions,
    full: &["--permission-mode", "bypassPermissions"],
    full_root_env: &[("IS_SANDBOX", "1")],
    credential_env: &["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN"],
    unset_env: &["CLAUDE_CODE_RETRY_WATCHDOG"],
    model_flag: ModelFlag::Flag("--model"),
    id_source: IdSource::Preset,
    // `<CLAUDE_CONFIG_DIR or ~/.claude>/projects/<project key>/<id>.jsonl`, written ~100 ms
    // after the prompt is read (claude 2.1.330). Before that `--resume <id>` fails ("No
    // conversation found"), while `--session-id <id>` still starts it afresh.
    conversation: Some(&[
        PathPart::EnvOrHome { env: "CLAUDE_CONFIG_DIR", home_sub: ".claude" },
        PathPart::Lit("projects"),
        PathPart::ClaudeProjectKey {
            max_len: 200,
            override_env: "CLAUDE_CODE_PROJECT_DIR_NAME",
            config_env: "CLAUDE_CONFIG_DIR",
        },
        PathPart::SessionId { suffix: ".jsonl" },
    ]),
};

/// OpenCode: `run --format json -m provider/model`; `--title` tags the session so the host can
/// find its id with `opencode session list` before the first event. Without `--auto`, `ask`
/// permissions are auto-rejected. Sandboxed has no flag: it is OpenCode's permission config in
/// `OPENCODE_PERMISSION` (merged over every config file, checked with opencode 1.18.33): no
/// shell (a bash command can write anywhere, whatever its path checks see), no file access
/// outside the project. `OPENCODE_DISABLE_PROJECT_CONFIG` keeps the project's own
/// `opencode.json` and `.opencode/` (which the agent can edit, and which can start MCP servers
/// and plugins with the user's rights) from being loaded when the task is resumed.
static OPENCODE: Profile = Profile {
    agent: AgentKind::Opencode,
    program: Some("opencode"),
    start: &[L("run"), L("--format"), L("json"), M, T, A],
    resume: &[L("run"), L("--format"), L("json"), L("--session"), I, M, A],
    sandboxed: &[],
    sandboxed_env: &[
        ("OPENCODE_PERMISSION", r#"{"bash":"deny","external_directory":"deny"}"#),
        ("OPENCODE_DISABLE_PROJECT_CONFIG", "1"),
    ],
    sandbox: Sandbox::Permissions,
    full: &["--auto"],
    full_root_env: &[],
    credential_env: &["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENERATIVE_AI_API_KEY", "GROQ_API_KEY", "XAI_API_KEY", "DEEPSEEK_API_KEY", "MISTRAL_API_KEY"],
    unset_env: &[],
    model_flag: ModelFlag::Flag("-m"),
    id_source: IdSource::FromEvents,
    // The session is created (and stored) before `sessionID` is printed (opencode 1.18.33:
    // `--session <id>` after a kill during the first model call carries the prompt).
    conversation: None,
};

/// Pi: JSON mode with a session file we own; the same flag resumes and appends. Pi has no
/// approval prompts and no sandbox (pi 0.73.1): autonomy adds nothing, and its "sandboxed" is
/// [`Sandbox::None`].
static PI: Profile = Profile {
    agent: AgentKind::Pi,
    program: Some("pi"),
    start: &[L("--mode"), L("json"), L("--session"), F, M],
    resume: &[L("--mode"), L("json"), L("--session"), F, M],
    sandboxed: &[],
    sandboxed_env: &[],
    sandbox: Sandbox::None,
    full: &[],
    full_root_env: &[],
    credential_env: &["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY", "GROQ_API_KEY", "XAI_API_KEY", "CEREBRAS_API_KEY", "MISTRAL_API_KEY"],
    unset_env: &[],
    model_flag: ModelFlag::ProviderModel { provider: "--provider", model: "--model" },
    id_source: IdSource::SessionFile,
    // Pi writes the session file only after the first assistant message (pi 0.73.1); on a
    // missing file `--session` silently starts a new conversation without the prompt.
    conversation: Some(&[PathPart::TaskDir, PathPart::Lit(SESSION_FILE)]),
};

/// The simulated agent: Codex's interface on another program (host-shim/demo-agent.js).
static DEMO: Profile = Profile {
    agent: AgentKind::Demo,
    program: None,
    start: &[L("exec"), L("--json"), A, M, L("-")],
    resume: &[L("exec"), L("--json"), L("resume"), I, L("-")],
    sandboxed: &["--sandbox", "workspace-write"],
    sandboxed_env: &[],
    sandbox: Sandbox::Simulated,
    full: &["--dangerously-bypass-approvals-and-sandbox"],
    full_root_env: &[],
    credential_env: &[],
    unset_env: &[],
    model_flag: ModelFlag::Flag("-m"),
    id_source: IdSource::FromEvents,
    // The demo agent keeps no conversation on disk: its resume needs only the id.
    conversation: None,
};

/// The profile of an agent.
pub fn profile(agent: AgentKind) -> &'static Profile {
    match agent {
        AgentKind::Codex => &CODEX,
        AgentKind::Claude => &CLAUDE,
        AgentKind::Opencode => &OPENCODE,
        AgentKind::Pi => &PI,
        AgentKind::Demo => &DEMO,
    }
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
        match *arg {
            Arg::Lit(s) => out.push(s.to_string()),
            Arg::Autonomy => {
                let flags = match v.autonomy {
                    Autonomy::Sandboxed => profile.sandboxed,
                    Autonomy::Full => profile.full,
                };
                out.extend(flags.iter().map(|s| s.to_string()));
            }
            Arg::Model => {
                if let Some(m) = v.model {
                    match profile.model_flag {
                        ModelFlag::Flag(flag) => {
                            out.push(flag.to_string());
                            out.push(m.to_string());
                        }
                        ModelFlag::ProviderModel { provider, model } => match m.split_once('/') {
                            Some((p, rest)) if !p.is_empty() && !rest.is_empty() => {
                                out.push(provider.to_string());
                                out.push(p.to_string());
                                out.push(model.to_string());
                                out.push(rest.to_string());
                            }
                            _ => {
                                out.push(model.to_string());
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
                if let Some(t) = v.title {
                    out.push("--title".to_string());
                    out.push(t.to_string());
                }
            }
        }
    }
    out
}

/// Whether a template uses a placeholder.
pub fn uses(template: &[Arg], arg: Arg) -> bool {
    template.contains(&arg)
}
