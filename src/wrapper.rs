//! The constant bash wrapper that runs one agent attempt inside a tmux pane (DESIGN §3.4).
//!
//! The pane runs `bash -c WRAPPER_SCRIPT rca-wrapper <agent argv...>`. The script is a
//! constant: everything that varies reaches it as whole argv elements (`"$@"`), through the
//! environment (`RCA_TASK_DIR`, `RCA_ATTEMPT`, set with tmux `-e`) or in files. No user data is
//! ever part of a shell string.
//!
//! ## File protocol (all in `$RCA_TASK_DIR`, mode 0600 via `umask 077`; `n` = `$RCA_ATTEMPT`)
//! | file | written by | contents |
//! | --- | --- | --- |
//! | `agent.env` | host (plan of attempt 1) | the agent's extra environment, `NAME=VALUE` entries each ended by a NUL byte (a bare `NAME` is unset); read by the wrapper of every attempt |
//! | `prompt.<n>` | host (plan) | the agent's stdin: the task prompt (attempt 1 / a fresh start) or [`crate::profiles::RESUME_PROMPT`] |
//! | `started.<n>` | wrapper | start time, ms since the epoch, one line |
//! | `pid.<n>` | wrapper | the agent's own pid (the `sh` that `exec`s it), one line |
//! | `events.<n>.jsonl` | wrapper | the agent's stdout (JSONL events) |
//! | `stderr.<n>.log` | wrapper | the agent's stderr |
//! | `exit.<n>` | wrapper | the agent's exit status (128+signal when killed), one line, written atomically (tmp + rename) after the output is flushed |
//! | `transcript.log` | wrapper | everything shown in the pane, all attempts, appended |
//! | `pi-session.jsonl` | Pi | Pi's session file (resume by path) |
//!
//! ## The project directory (`RCA_PROJECT_DIR`)
//! tmux's `-c DIR` silently starts the pane somewhere else (the server's directory) when DIR is
//! gone, so the wrapper `cd -P`s to the recorded directory itself (the path reaches it through
//! the environment, never the script) and, when that fails, runs no agent: in its place a
//! constant command prints [`PROJECT_DIR_MISSING_LINE`] and exits [`PROJECT_DIR_MISSING_STATUS`],
//! through the normal status path, which the classifier reads as `project_dir_missing` (fatal).
//! The host passes the project's real path (fixed when the task started), and the wrapper also
//! refuses when the physical directory it reached is another one (`$PWD` after `cd -P`): a path
//! component swapped for a symlink between the host's identity check and the pane's start
//! would otherwise take the agent, with its sandbox's write access, somewhere else.
//!
//! On status 0 the wrapper prints `__TASK_DONE__` (the original skill's marker), then exits with
//! the agent's status, so tmux's `pane_dead_status` agrees with `exit.<n>`.
//!
//! ## Nothing it writes goes through a symlink (DESIGN §3a)
//! Every per-attempt file is new: the script runs with `set -C` (noclobber: `>` creates with
//! `O_EXCL`, which also refuses a dangling symlink), and first refuses to run at all when any of
//! them already exists or is a symlink (noclobber alone would open a symlink to a FIFO or a
//! device). The tees write to descriptors the script opened itself (`tee -a /dev/fd/N >&M`: the
//! file is the tee's stdout), never to a path they open on their own. The one appended file,
//! `transcript.log`, is created exclusively by the first attempt and refused when it is a
//! symlink or not a plain file. `exit.<n>` is renamed into place (a rename replaces a link, it
//! never writes through one).
//!
//! ## What the agent's environment holds
//! The variables of `agent.env` (the operator's agent environment and the task's `--env`, never
//! on tmux's command line, where other users could read them in `/proc/<pid>/cmdline`) are
//! exported first. `RCA_TASK_DIR`, `RCA_ATTEMPT`, `TMUX` and `TMUX_PANE` are unset before
//! anything else runs: nothing in the agent's environment points at the state directory or
//! lets it drive the tmux server. `PATH` keeps only its absolute entries, for the wrapper's own
//! helpers (`tee`, `sh`, `mv`, `sleep`) and for the agent (whose `#!/usr/bin/env node` looks up
//! its interpreter): the working directory is the project, which the agent (or a cloned
//! repository) fills, and an empty or relative entry would run a `tee` or a `node` found there
//! outside the sandbox. (The host also drops absolute entries inside the project at start.)
//!
//! ## Why the wrapper writes the transcript (and not `pipe-pane`)
//! Checked on tmux 3.3a: the `pipe-pane` command runs under `/bin/sh` with the *server's*
//! environment and working directory, not the session's `-e` variables, so a constant
//! `pipe-pane` command cannot find the task directory. The only routes left would put the path
//! into the shell string (tmux format expansion `#{q:RCA_TASK_DIR}`, or a literal path), i.e.
//! user data interpolated into shell code. The wrapper tees its own output instead: same bytes,
//! same file, constant script.
//!
//! ## Why output is tee'd through process substitutions
//! The wrapper waits for the agent itself, not for the tees: a process the agent leaves behind
//! (a dev server started in the background, an MCP helper) may keep the output pipes open
//! forever. After the agent exits the wrapper gives the event and stderr tees up to 3 s to
//! flush, records the status, prints the marker, closes its own output and gives the transcript
//! tee up to 3 s more, then exits: the pane dies (and shows everything) even when a leftover
//! process holds a pipe.
//!
//! Portable to bash 3.2 (macOS): no `$BASHPID` (the pid comes from `sh -c 'echo $$; exec'`),
//! `EPOCHREALTIME` is optional (falls back to `date +%s`), `$!` of a process substitution is
//! used only when bash sets it, `read -d ''` reads the NUL-separated environment file.

/// The exit status of a run whose project directory was missing: the wrapper ran no agent.
pub const PROJECT_DIR_MISSING_STATUS: i32 = 125;

/// The line the wrapper prints (to the run's stderr) with [`PROJECT_DIR_MISSING_STATUS`].
pub const PROJECT_DIR_MISSING_LINE: &str =
    "rca-wrapper: the project directory is missing or not a directory; the agent was not started";

/// `$0` of the wrapper (shows in `ps` and in bash's own error messages).
pub const WRAPPER_NAME: &str = "rca-wrapper";

/// The printed marker on success (compatibility with the original skill; not proof of success).
pub const DONE_MARKER: &str = "__TASK_DONE__";

/// File name of the pane transcript (all attempts).
pub const TRANSCRIPT_FILE: &str = "transcript.log";

/// File name of the agent's environment (NUL-separated `NAME=VALUE`), written once at start.
pub const ENV_FILE: &str = "agent.env";

/// The wrapper script, run as `bash -c WRAPPER_SCRIPT rca-wrapper <agent argv...>`.
pub const WRAPPER_SCRIPT: &str = r#"umask 077
set -C
case ${RCA_ATTEMPT-} in ''|*[!0-9]*) echo 'rca-wrapper: RCA_ATTEMPT must be a number' >&2; exit 126;; esac
case ${RCA_TASK_DIR-} in /*) ;; *) echo 'rca-wrapper: RCA_TASK_DIR must be an absolute path' >&2; exit 126;; esac
case ${RCA_PROJECT_DIR-} in /*) ;; *) echo 'rca-wrapper: RCA_PROJECT_DIR must be an absolute path' >&2; exit 126;; esac
if [ "$#" -eq 0 ]; then echo 'rca-wrapper: no agent command given' >&2; exit 126; fi
d=$RCA_TASK_DIR
n=$RCA_ATTEMPT
p=$RCA_PROJECT_DIR
unset RCA_TASK_DIR RCA_ATTEMPT RCA_PROJECT_DIR TMUX TMUX_PANE
settle() {
  i=0
  while [ "$i" -lt 30 ]; do
    alive=
    for p in "$@"; do
      if kill -0 "$p" 2>/dev/null; then alive=1; fi
    done
    if [ -z "$alive" ]; then return 0; fi
    sleep 0.1
    i=$((i + 1))
  done
}
pt=
refuse() {
  printf 'rca-wrapper: %s is a symlink or already exists; refusing to use it\n' "$1" >&2
  if [ -n "$pt" ]; then exec >&- 2>&-; settle "$pt"; fi
  exit 126
}
fresh() { for f in "$@"; do if [ -e "$f" ] || [ -L "$f" ]; then refuse "$f"; fi; done; }
e=$d/agent.env
if [ -L "$e" ]; then refuse "$e"; fi
if [ -f "$e" ]; then
  while IFS= read -r -d '' kv; do
    case ${kv%%=*} in ''|[0-9]*|*[!A-Za-z0-9_]*|RCA_TASK_DIR|RCA_ATTEMPT|RCA_PROJECT_DIR|TMUX|TMUX_PANE) echo 'rca-wrapper: agent.env holds a bad variable name' >&2; exit 126;; esac
    case $kv in *=*) export "$kv" || exit 126;; *) unset "$kv" || exit 126;; esac
  done <"$e"
fi
wp=
set -f
IFS=:
for x in ${PATH-}; do case $x in /*) wp=$wp${wp:+:}$x;; esac; done
unset IFS
set +f
PATH=${wp:-/usr/bin:/bin}
tr=$d/transcript.log
if [ -L "$tr" ] || { [ -e "$tr" ] && [ ! -f "$tr" ]; }; then refuse "$tr"; fi
if [ ! -e "$tr" ]; then : >"$tr"; fi
exec 7>>"$tr" 8>&1
exec > >(exec tee -a /dev/fd/8 >&7 7>&-) 2>&1
pt=$!
exec 7>&- 8>&-
fresh "$d/started.$n" "$d/pid.$n" "$d/events.$n.jsonl" "$d/stderr.$n.log" "$d/exit.$n" "$d/exit.$n.tmp"
t=${EPOCHREALTIME-}
t=${t/[!0-9]/}
if [ -n "$t" ]; then t=${t%???}; else t=$(date +%s)000; fi
printf '%s\n' "$t" >"$d/started.$n"
exec 5>"$d/events.$n.jsonl" 6>"$d/stderr.$n.log"
exec 3> >(exec tee -a /dev/fd/2 >&5 5>&- 6>&-)
p3=$!
exec 4> >(exec tee -a /dev/fd/2 >&6 3>&- 5>&- 6>&-)
p4=$!
exec 5>&- 6>&-
cd -P -- "$p" 2>/dev/null && [ "$PWD" = "$p" ] || set -- sh -c 'echo "rca-wrapper: the project directory is missing or not a directory; the agent was not started" >&2; exit 125'
sh -c 'set -C; printf "%s\n" "$$" >"$0" && exec "$@"' "$d/pid.$n" "$@" <"$d/prompt.$n" >&3 2>&4 3>&- 4>&-
st=$?
exec 3>&- 4>&-
settle $p3 $p4
printf '%s\n' "$st" >"$d/exit.$n.tmp" && mv -f "$d/exit.$n.tmp" "$d/exit.$n"
if [ "$st" -eq 0 ]; then printf '%s\n' __TASK_DONE__; fi
exec >&- 2>&-
settle $pt
exit "$st"
"#;

/// The names of one attempt's files, relative to the task directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct AttemptFiles {
    pub prompt: String,
    pub started: String,
    pub pid: String,
    pub events: String,
    pub stderr: String,
    pub exit: String,
    pub transcript: String,
    /// The agent's environment ([`ENV_FILE`]), the same for every attempt.
    pub env: String,
}

/// File names used by attempt `n` (see the module docs).
pub fn attempt_files(n: u32) -> AttemptFiles {
    AttemptFiles {
        prompt: prompt_file(n),
        started: format!("started.{n}"),
        pid: format!("pid.{n}"),
        events: format!("events.{n}.jsonl"),
        stderr: format!("stderr.{n}.log"),
        exit: format!("exit.{n}"),
        transcript: TRANSCRIPT_FILE.to_string(),
        env: ENV_FILE.to_string(),
    }
}

/// The stdin file of attempt `n`, written by the host from the plan.
pub fn prompt_file(n: u32) -> String {
    format!("prompt.{n}")
}
