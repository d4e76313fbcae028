//! Command plans: the exact tmux argv arrays (and files) the host runs to start, recover,
//! observe, talk to and stop a task (DESIGN §3.2-3.4, §3.6, §3.8).
//!
//! The host runs every [`Command`] with `execFile(argv[0], argv.slice(1), { env, input: stdin })`
//! — never through a shell — and writes every [`FileWrite`] before running the commands.
//!
//! How user data travels (the security argument of the package):
//! - The only strings a shell ever interprets are [`WRAPPER_SCRIPT`] (the `bash -c` argument)
//!   and the `sh -c` one-liner inside it. Both are constants.
//! - The prompt is a file (`prompt.<n>`) that the wrapper puts on the agent's stdin.
//! - The project directory is tmux's `-c`; the task directory and attempt are `-e` values; the
//!   agent's argv (model, ids, paths) are separate argv elements after `--`.
//! - The agent's environment (the operator's variables, the task's `--env`, API keys among them)
//!   is never on tmux's argv: a tmux server keeps the argv of the client that started it for its
//!   whole life, readable by every local user in `/proc/<pid>/cmdline`. It is the file
//!   [`ENV_FILE`] (0600, written once by the plan of attempt 1), exported by the wrapper.
//! - tmux itself interprets two things in its argv, both handled by [`tmux_arg`] and
//!   [`tmux_dir_arg`] (checked on tmux 3.3a): an argument ending in `;` is a command separator
//!   (written `\;` to mean a literal `;`), and `-c` is expanded as a format (`#` is written `##`).
//!
//! Targets are exact: a session is `=name` and a pane is `=name:` or its id `%N` (a plain name is
//! a prefix match in tmux; `=name` alone does not name a pane).

use crate::error::{CoreError, CoreResult};
use crate::model::{AgentKind, Autonomy, TaskSpec};
use crate::profiles::{self, Arg, ArgValues, IdSource, RESUME_PROMPT};
use crate::spec::{self, check_abs_path};
use crate::validate::truncate_for_message;
use crate::wrapper::{prompt_file, ENV_FILE, WRAPPER_NAME, WRAPPER_SCRIPT};
use serde::{Deserialize, Serialize};

/// Pane size of new sessions (wide enough that agent output is rarely wrapped).
pub const PANE_WIDTH: u32 = 200;
pub const PANE_HEIGHT: u32 = 50;
/// Mode of every file the plans ask the host to write.
pub const FILE_MODE: u32 = 0o600;
/// Highest attempt number accepted (far above any schedule; keeps file names short).
pub const MAX_ATTEMPT: u32 = 1_000_000;
/// Longest text sent with `send-keys -l` (one argv string; Linux caps those at 128 KiB).
/// Longer text, or text with line breaks, is pasted through a buffer instead.
pub const MAX_SEND_KEYS_BYTES: usize = 64 * 1024;
/// Format of [`plan_list_panes`]; parsed by [`parse_pane_list`]. The session name is last so a
/// hand-made session name with a tab cannot shift the other fields.
pub const PANE_FORMAT: &str = "rca1\t#{pane_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{pid}\t#{session_name}";
const PANE_LINE_PREFIX: &str = "rca1\t";

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// What the host knows and the core cannot: paths, identity, environment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct HostContext {
    /// Absolute path of the task directory (mkdtemp, 0700).
    pub task_dir: String,
    /// tmux server socket name (`tmux -L <socket>`); `None` = the user's default server.
    #[serde(default)]
    pub socket: Option<String>,
    /// Environment for the agent, written to [`ENV_FILE`] by the plan of attempt 1 and exported
    /// by the wrapper of every attempt (PATH included: the wrapper sets it, so the tmux client's
    /// PATH no longer matters). Never put on tmux's argv.
    #[serde(default)]
    pub env: Vec<EnvVar>,
    /// Whether the host runs as root (Claude's bypass mode then needs `IS_SANDBOX=1`).
    #[serde(default)]
    pub is_root: bool,
    /// The agent program to run instead of the profile's name: the absolute path the host
    /// resolved once at start on the operator's PATH (a bare name would be looked up on the
    /// pane's PATH, in a directory the agent may have written).
    #[serde(default)]
    pub program: Option<String>,
    /// The demo agent's argv prefix, e.g. `["node", "/abs/host-shim/demo-agent.js"]`. Required
    /// for the demo agent.
    #[serde(default)]
    pub demo_agent: Option<Vec<String>>,
    /// The Claude session id (a UUID) the host chose for this task. Required to start Claude.
    #[serde(default)]
    pub preset_session_id: Option<String>,
    /// A unique tag for OpenCode's `--title`, so the host can find the session id with
    /// `opencode session list` before the first event. Optional.
    #[serde(default)]
    pub title_tag: Option<String>,
    /// The project directory as the agent's `getcwd()` reports it (the host's `realpath`; it
    /// differs from the spec's path when that goes through a symlink). Claude names its
    /// conversation folder after it ([`crate::conversation::conversation_probe`]). Optional:
    /// the spec's path is used when absent.
    #[serde(default)]
    pub project_real_dir: Option<String>,
}

/// One process for the host to run: `argv[0]` is `tmux`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    pub argv: Vec<String>,
    /// Text for the process's stdin (`None`: no input).
    pub stdin: Option<String>,
    /// Variables to set (override) in the tmux client's environment, on top of the host's own.
    /// Empty in every plan today: the agent's environment, PATH included, is [`ENV_FILE`].
    /// (Both always present: a command is only ever written by the core.)
    pub env: Vec<EnvVar>,
}

/// A file for the host to write in the task directory before running the commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct FileWrite {
    /// Relative to the task directory; a plain file name.
    pub path: String,
    pub contents: String,
    /// Always 0o600.
    pub mode: u32,
    /// Create exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`): fail if it exists.
    pub exclusive: bool,
}

/// Files to write, then commands to run, in order; stop at the first failure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub files: Vec<FileWrite>,
    pub commands: Vec<Command>,
}

/// How to bring a failed task back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RecoverMode {
    /// The session and pane still exist (dead, or alive but to be restarted): `respawn-pane -k`
    /// in place, same pane id. Capture the pane first: respawn wipes its screen.
    #[serde(rename_all = "camelCase")]
    Respawn { pane_id: String },
    /// The session is gone (tmux server killed, reboot): create it again.
    Recreate,
}

/// One line of [`plan_list_panes`] output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct PaneInfo {
    pub session: String,
    /// `%N`.
    pub pane_id: String,
    pub pane_pid: Option<u32>,
    pub dead: bool,
    /// Exit status of a dead pane's program, when tmux has it (tmux 3.3a sometimes loses it:
    /// nudge the server with SIGCHLD, and prefer the wrapper's `exit.<n>`).
    pub dead_status: Option<i32>,
    /// Signal that killed a dead pane's program, when tmux has it.
    pub dead_signal: Option<i32>,
    /// The tmux server's pid (to send it SIGCHLD).
    pub server_pid: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// tmux argv building

/// Escapes one argv element for tmux: an argument ending in `;` is a command separator to tmux
/// (3.3a), and `\;` at the end means a literal `;`. Nothing else in an argv element is special.
pub fn tmux_arg(s: &str) -> String {
    match s.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => s.to_string(),
    }
}

/// Escapes a start directory (`-c`), which tmux expands as a format: `#` is written `##`.
pub fn tmux_dir_arg(dir: &str) -> String {
    tmux_arg(&dir.replace('#', "##"))
}

/// Collects a tmux invocation; every pushed value goes through [`tmux_arg`].
struct Tmux {
    argv: Vec<String>,
}

impl Tmux {
    fn new(socket: Option<&str>) -> Tmux {
        let mut argv = vec!["tmux".to_string()];
        if let Some(s) = socket {
            argv.push("-L".to_string());
            argv.push(tmux_arg(s));
        }
        Tmux { argv }
    }
    fn arg(mut self, s: &str) -> Tmux {
        self.argv.push(tmux_arg(s));
        self
    }
    fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, it: I) -> Tmux {
        for s in it {
            self.argv.push(tmux_arg(s.as_ref()));
        }
        self
    }
    fn dir(mut self, d: &str) -> Tmux {
        self.argv.push(tmux_dir_arg(d));
        self
    }
    /// A bare `;`: ends one tmux command and starts the next in the same invocation.
    fn separator(mut self) -> Tmux {
        self.argv.push(";".to_string());
        self
    }
    fn command(self) -> Command {
        Command { argv: self.argv, stdin: None, env: Vec::new() }
    }
}

/// The exact-match target of a session.
pub fn session_target(session: &str) -> String {
    format!("={session}")
}

/// The exact-match target of a session's (only) pane.
pub fn pane_target_of_session(session: &str) -> String {
    format!("={session}:")
}

// ---------------------------------------------------------------------------------------------
// input checks

fn invalid(field: &'static str, value: &str, reason: &'static str) -> CoreError {
    CoreError::InvalidOption { field, value: truncate_for_message(value), reason }
}

/// `tmux -L` socket name: 1-64 of `[A-Za-z0-9._-]`, not starting with `.` or `-` (it becomes a
/// file name in tmux's socket directory).
pub fn validate_socket(socket: &str) -> CoreResult<()> {
    let ok = !socket.is_empty()
        && socket.len() <= 64
        && !socket.starts_with('.')
        && !socket.starts_with('-')
        && socket.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid("socket", socket, "use 1-64 characters of A-Z a-z 0-9 . _ - (not starting with . or -)"))
    }
}

fn check_socket(socket: Option<&str>) -> CoreResult<()> {
    match socket {
        Some(s) => validate_socket(s),
        None => Ok(()),
    }
}

/// A pane id as tmux prints it: `%` and digits.
pub fn validate_pane_id(pane_id: &str) -> CoreResult<()> {
    let ok = pane_id
        .strip_prefix('%')
        .is_some_and(|d| !d.is_empty() && d.len() <= 10 && d.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(invalid("paneId", pane_id, "expected a tmux pane id such as %3"))
    }
}

fn check_attempt(attempt: u32, min: u32) -> CoreResult<()> {
    if attempt < min || attempt > MAX_ATTEMPT {
        Err(CoreError::InvalidInput(format!(
            "attempt {attempt} out of range (expected {min}..={MAX_ATTEMPT})"
        )))
    } else {
        Ok(())
    }
}

/// Names the wrapper and tmux reserve; the host may not set them through `env`.
const RESERVED_ENV: [&str; 5] = ["RCA_TASK_DIR", "RCA_ATTEMPT", "RCA_PROJECT_DIR", "TMUX", "TMUX_PANE"];

/// Variables bash refuses to export (read-only in every bash): the wrapper would stop on them.
const BASH_READONLY: [&str; 6] = ["BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"];

fn check_env(env: &[EnvVar]) -> CoreResult<()> {
    for var in env {
        let name = var.name.as_str();
        let ok_name = !name.is_empty()
            && name.len() <= 256
            && !name.as_bytes().first().is_some_and(|b| b.is_ascii_digit())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok_name {
            return Err(invalid("env", name, "variable names are letters, digits and _ (not starting with a digit)"));
        }
        if RESERVED_ENV.contains(&name) {
            return Err(invalid("env", name, "this variable is set by the package itself"));
        }
        if BASH_READONLY.contains(&name) {
            return Err(invalid("env", name, "bash keeps this variable read-only: the wrapper could not export it"));
        }
        if var.value.contains('\0') {
            return Err(invalid("env", name, "the value contains a NUL byte"));
        }
    }
    Ok(())
}

/// One argv element for a program (program path, demo argv): non-empty, no control characters.
fn check_argv_element(field: &'static str, s: &str) -> CoreResult<()> {
    if s.is_empty() {
        return Err(invalid(field, s, "must not be empty"));
    }
    if s.len() > spec::MAX_PATH_LEN {
        return Err(invalid(field, s, "longer than 4096 bytes"));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(field, s, "must not contain control characters"));
    }
    Ok(())
}

pub(crate) fn check_context(ctx: &HostContext) -> CoreResult<()> {
    check_abs_path(&ctx.task_dir).map_err(|reason| invalid("taskDir", &ctx.task_dir, reason))?;
    check_socket(ctx.socket.as_deref())?;
    check_env(&ctx.env)?;
    if let Some(p) = &ctx.program {
        check_argv_element("program", p)?;
        if p.starts_with('-') {
            return Err(invalid("program", p, "must not start with -"));
        }
    }
    if let Some(prefix) = &ctx.demo_agent {
        if prefix.is_empty() || prefix.len() > 16 {
            return Err(invalid("demoAgent", "", "expected 1-16 argv elements, e.g. [\"node\", \"/abs/demo-agent.js\"]"));
        }
        for s in prefix {
            check_argv_element("demoAgent", s)?;
        }
    }
    if let Some(d) = &ctx.project_real_dir {
        check_abs_path(d).map_err(|reason| invalid("projectRealDir", d, reason))?;
    }
    if let Some(t) = &ctx.title_tag {
        let ok = !t.is_empty()
            && t.len() <= 64
            && !t.starts_with('-')
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
        if !ok {
            return Err(invalid("titleTag", t, "use 1-64 characters of A-Z a-z 0-9 . _ : - (not starting with -)"));
        }
    }
    Ok(())
}

/// Session id check before it is put on a command line (H1's rules: a UUID for
/// codex/claude/pi/demo — a non-UUID makes `codex resume` silently start a new thread — and
/// `ses_…` for opencode).
fn check_session_id(agent: AgentKind, id: &str) -> CoreResult<()> {
    crate::session_id::validate_session_id(agent, id)
}

// ---------------------------------------------------------------------------------------------
// start / recover

/// The agent's argv (program first), from the profile's start or resume template.
fn agent_argv(spec: &TaskSpec, ctx: &HostContext, resume_id: Option<&str>) -> CoreResult<Vec<String>> {
    let profile = profiles::profile(spec.agent);
    let template = if resume_id.is_some() { &profile.resume } else { &profile.start };

    // A profile without a program (the demo agent) always gets its argv prefix from the host.
    let mut argv: Vec<String> = match (&profile.program, &ctx.demo_agent, &ctx.program) {
        (None, Some(prefix), _) => prefix.clone(),
        (None, None, _) => {
            return Err(invalid("demoAgent", "", "this agent has no program: it needs its argv prefix, e.g. [\"node\", \"/abs/demo-agent.js\"]"))
        }
        (Some(_), _, Some(program)) => vec![program.clone()],
        (Some(name), _, None) => vec![name.clone()],
    };

    let session_id = match resume_id {
        Some(id) => Some(id),
        None if profiles::uses(template, &Arg::SessionId) => match (profile.id_source, &ctx.preset_session_id) {
            (IdSource::Preset, Some(id)) => {
                check_session_id(spec.agent, id)?;
                Some(id.as_str())
            }
            (IdSource::Preset, None) => {
                return Err(invalid("presetSessionId", "", "this agent needs a session id chosen by the host (its id source is preset)"))
            }
            _ => None,
        },
        None => None,
    };
    let session_file = format!("{}/{}", ctx.task_dir.trim_end_matches('/'), profile.session_file());
    let values = ArgValues {
        autonomy: spec.autonomy,
        model: spec.model.as_deref(),
        session_id,
        session_file: Some(session_file.as_str()),
        title: if resume_id.is_none() { ctx.title_tag.as_deref() } else { None },
    };
    argv.extend(profiles::expand(profile, template, &values));
    Ok(argv)
}

/// `-e` variables for the pane: only where the wrapper finds its files (not secret), and the
/// profile's constant root variables. The agent's own environment is [`ENV_FILE`].
fn pane_env(spec: &TaskSpec, ctx: &HostContext, attempt: u32) -> Vec<String> {
    let mut e = vec![
        format!("RCA_TASK_DIR={}", ctx.task_dir),
        format!("RCA_ATTEMPT={attempt}"),
        // The wrapper cd's there itself: tmux's -c falls back to another directory when it is gone.
        // The real path when the host knows it: the wrapper then also refuses a path that now
        // resolves elsewhere (a component swapped for a symlink after the host's check).
        format!("RCA_PROJECT_DIR={}", ctx.project_real_dir.as_deref().unwrap_or(&spec.project_dir)),
    ];
    // Sandboxed restrictions that a CLI takes from its environment (profile data, constants:
    // set on every attempt from the spec kept at start, never from the agent.env file).
    if spec.autonomy == Autonomy::Sandboxed {
        for (k, v) in &profiles::profile(spec.agent).data.sandboxed_env {
            e.push(format!("{k}={v}"));
        }
    }
    if spec.autonomy == Autonomy::Full && ctx.is_root {
        for (k, v) in &profiles::profile(spec.agent).data.full_root_env {
            e.push(format!("{k}={v}"));
        }
    }
    e
}

/// The variables the agent must never inherit (profile data).
fn unset_env(spec: &TaskSpec) -> Vec<&'static str> {
    profiles::profile(spec.agent).data.unset_env.iter().map(String::as_str).collect()
}

/// The contents of [`ENV_FILE`]: `NAME=VALUE` entries, each ended by a NUL byte (a value may hold
/// any other byte, line breaks included; names and values were checked by [`check_context`]),
/// then the bare `NAME`s the wrapper unsets: variables the CLI must never inherit, even from a
/// tmux server that has them (profile data, e.g. Claude's `CLAUDE_CODE_RETRY_WATCHDOG`).
pub fn env_file_contents(env: &[EnvVar], unset: &[&str]) -> String {
    let mut out = String::new();
    for var in env.iter().filter(|v| !unset.contains(&v.name.as_str())) {
        out.push_str(&var.name);
        out.push('=');
        out.push_str(&var.value);
        out.push('\0');
    }
    for name in unset {
        out.push_str(name);
        out.push('\0');
    }
    out
}

/// Appends `-c dir -e ... -- bash -c WRAPPER rca-wrapper <agent argv>`.
fn pane_program(mut t: Tmux, spec: &TaskSpec, env: &[String], agent: &[String]) -> Tmux {
    t = t.arg("-c").dir(&spec.project_dir);
    for e in env {
        t = t.arg("-e").arg(e);
    }
    t.arg("--")
        .arg("bash")
        .arg("-c")
        .arg(WRAPPER_SCRIPT)
        .arg(WRAPPER_NAME)
        .args(agent)
}

/// What `new-session -P -F` prints: the new session's id (`$N`). A host that must undo a start
/// that failed half-way kills that id, never the name (the name may be another's session).
pub const SESSION_ID_FORMAT: &str = "#{session_id}";

/// `new-session` running the wrapper, with `remain-on-exit` set in the same tmux invocation
/// (the queue runs both before tmux can notice the program exit).
fn new_session_command(spec: &TaskSpec, ctx: &HostContext, attempt: u32, agent: &[String]) -> Command {
    let session = spec::session_name(spec);
    let env = pane_env(spec, ctx, attempt);
    let t = Tmux::new(ctx.socket.as_deref())
        .arg("new-session")
        .arg("-d")
        .arg("-s")
        .arg(&session)
        .arg("-x")
        .arg(&PANE_WIDTH.to_string())
        .arg("-y")
        .arg(&PANE_HEIGHT.to_string())
        .arg("-P")
        .arg("-F")
        .arg(SESSION_ID_FORMAT);
    let t = pane_program(t, spec, &env, agent)
        .separator()
        .arg("set-option")
        .arg("-w")
        .arg("-t")
        .arg(&pane_target_of_session(&session))
        .arg("remain-on-exit")
        .arg("on");
    t.command()
}

fn prompt_write(attempt: u32, contents: &str) -> FileWrite {
    FileWrite { path: prompt_file(attempt), contents: contents.to_string(), mode: FILE_MODE, exclusive: true }
}

/// Starts a task: writes `prompt.<attempt>` (and, for attempt 1, the agent's environment file
/// [`ENV_FILE`], kept for every later attempt) and creates the session `<agent>-<name>` running
/// the wrapper around the agent's start command. Attempt 1 normally; a higher attempt starts a
/// fresh conversation again (when no session id was ever recorded).
pub fn plan_start(spec: &TaskSpec, prompt: &str, ctx: &HostContext, attempt: u32) -> CoreResult<Plan> {
    spec::check_spec(spec)?;
    spec::validate_prompt(prompt)?;
    check_context(ctx)?;
    check_attempt(attempt, 1)?;
    let agent = agent_argv(spec, ctx, None)?;
    let mut files = vec![prompt_write(attempt, prompt)];
    if attempt == 1 {
        files.push(FileWrite { path: ENV_FILE.to_string(), contents: env_file_contents(&ctx.env, &unset_env(spec)), mode: FILE_MODE, exclusive: true });
    }
    Ok(Plan { files, commands: vec![new_session_command(spec, ctx, attempt, &agent)] })
}

/// Resumes the recorded conversation as attempt `attempt` (≥ 2): writes `prompt.<attempt>` with
/// [`RESUME_PROMPT`] and either respawns the pane in place or re-creates the session. The
/// session id is validated first (a wrong id must never become "start something new").
/// For Pi the conversation is the session file in the task directory; the id is still checked.
pub fn plan_recover(
    spec: &TaskSpec,
    agent_session_id: &str,
    ctx: &HostContext,
    mode: &RecoverMode,
    attempt: u32,
) -> CoreResult<Plan> {
    spec::check_spec(spec)?;
    check_context(ctx)?;
    check_attempt(attempt, 2)?;
    check_session_id(spec.agent, agent_session_id)?;
    let agent = agent_argv(spec, ctx, Some(agent_session_id))?;
    let command = match mode {
        RecoverMode::Respawn { pane_id } => {
            validate_pane_id(pane_id)?;
            let env = pane_env(spec, ctx, attempt);
            let t = Tmux::new(ctx.socket.as_deref()).arg("respawn-pane").arg("-k").arg("-t").arg(pane_id);
            pane_program(t, spec, &env, &agent).command()
        }
        RecoverMode::Recreate => new_session_command(spec, ctx, attempt, &agent),
    };
    Ok(Plan { files: vec![prompt_write(attempt, RESUME_PROMPT)], commands: vec![command] })
}

// ---------------------------------------------------------------------------------------------
// observe / talk / stop

/// One `list-panes -a` for every pane on the server (the monitor's only per-tick tmux call).
/// "no server running" on stderr with a non-zero exit means no panes.
pub fn plan_list_panes(socket: Option<&str>) -> CoreResult<Command> {
    check_socket(socket)?;
    Ok(Tmux::new(socket).arg("list-panes").arg("-a").arg("-F").arg(PANE_FORMAT).command())
}

/// Parses [`plan_list_panes`] output. Lines that are not in the expected shape are skipped.
pub fn parse_pane_list(stdout: &str) -> Vec<PaneInfo> {
    stdout.lines().filter_map(parse_pane_line).collect()
}

fn parse_pane_line(line: &str) -> Option<PaneInfo> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let rest = line.strip_prefix(PANE_LINE_PREFIX)?;
    let mut f = rest.splitn(7, '\t');
    let pane_id = f.next()?;
    let pane_pid = f.next()?;
    let dead = f.next()?;
    let status = f.next()?;
    let signal = f.next()?;
    let server_pid = f.next()?;
    let session = f.next()?;
    validate_pane_id(pane_id).ok()?;
    if session.is_empty() {
        return None;
    }
    let dead = match dead {
        "1" => true,
        "0" | "" => false,
        _ => return None,
    };
    Some(PaneInfo {
        session: session.to_string(),
        pane_id: pane_id.to_string(),
        pane_pid: pane_pid.parse().ok(),
        dead,
        dead_status: if dead { status.parse().ok() } else { None },
        dead_signal: if dead { signal.parse().ok() } else { None },
        server_pid: server_pid.parse().ok(),
    })
}

/// A pane target from a pane id (`%N`) or a task's session name (`<agent>-<name>` → `=name:`).
fn pane_target(target: &str) -> CoreResult<String> {
    if target.starts_with('%') {
        validate_pane_id(target)?;
        Ok(target.to_string())
    } else {
        spec::parse_session(target)?;
        Ok(pane_target_of_session(target))
    }
}

/// The last `lines` lines of a pane (history included), wrapped lines joined:
/// `capture-pane -p -J -S -<lines> -t <target>`. `pane` is `%N` or a session name.
pub fn plan_capture(socket: Option<&str>, pane: &str, lines: u32) -> CoreResult<Command> {
    check_socket(socket)?;
    let target = pane_target(pane)?;
    Ok(Tmux::new(socket)
        .args(["capture-pane", "-p", "-J", "-S"])
        .arg(&format!("-{lines}"))
        .arg("-t")
        .arg(&target)
        .command())
}

/// Types text into a task's pane, then Enter. Short single-line text goes as
/// `send-keys -l -- <text>`; with `paste`, a line break, or more than 64 KiB, it goes through a
/// named buffer (`load-buffer` from stdin, then `paste-buffer -p -d`: bracketed paste keeps
/// multi-line input in one piece). Empty text sends only Enter.
pub fn plan_send(socket: Option<&str>, session: &str, text: &str, paste: bool) -> CoreResult<Plan> {
    check_socket(socket)?;
    spec::parse_session(session)?;
    if text.contains('\0') {
        return Err(CoreError::InvalidInput("text to send contains a NUL byte".to_string()));
    }
    if text.len() > spec::MAX_PROMPT_BYTES {
        return Err(CoreError::InvalidInput("text to send is larger than 4 MiB".to_string()));
    }
    let target = pane_target_of_session(session);
    let mut commands = Vec::new();
    let use_paste = paste || text.len() > MAX_SEND_KEYS_BYTES || text.contains(['\n', '\r']);
    if text.is_empty() {
        // Nothing to type.
    } else if use_paste {
        let buffer = format!("rca-{session}");
        let mut load = Tmux::new(socket).args(["load-buffer", "-b"]).arg(&buffer).arg("-").command();
        load.stdin = Some(text.to_string());
        commands.push(load);
        commands.push(
            Tmux::new(socket)
                .args(["paste-buffer", "-p", "-d", "-b"])
                .arg(&buffer)
                .arg("-t")
                .arg(&target)
                .command(),
        );
    } else {
        commands.push(
            Tmux::new(socket).args(["send-keys", "-l", "-t"]).arg(&target).arg("--").arg(text).command(),
        );
    }
    commands.push(Tmux::new(socket).args(["send-keys", "-t"]).arg(&target).arg("Enter").command());
    Ok(Plan { files: Vec::new(), commands })
}

/// Ends the one session with tmux id `id` (`$N`, as printed by a start): `kill-session -t $N`.
/// Used to undo a start of ours, which must never touch another session of the same name.
pub fn plan_stop_session_id(socket: Option<&str>, id: &str) -> CoreResult<Command> {
    check_socket(socket)?;
    let digits = id.strip_prefix('$').unwrap_or("");
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("sessionId", id, "must be a tmux session id like $3"));
    }
    Ok(Tmux::new(socket).arg("kill-session").arg("-t").arg(id).command())
}

/// Ends a task's session: `kill-session -t =<session>`.
pub fn plan_stop(socket: Option<&str>, session: &str) -> CoreResult<Command> {
    check_socket(socket)?;
    spec::parse_session(session)?;
    Ok(Tmux::new(socket).arg("kill-session").arg("-t").arg(&session_target(session)).command())
}
