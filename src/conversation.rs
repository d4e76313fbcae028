//! Whether an agent's conversation can be resumed, or must be started again.
//!
//! Some agents save a conversation only a moment after it starts: Pi writes its session file
//! after the first assistant message, Claude its transcript ~100 ms after reading the prompt.
//! An agent killed before that has nothing to resume: `pi --session <file>` on a missing file
//! silently starts a NEW conversation without the original prompt, and `claude --resume <id>`
//! fails ("No conversation found"). So before a recovery the host checks whether the file named
//! by [`conversation_probe`] exists and passes that fact to [`choose_recovery`], which decides
//! between resuming and starting again with the original prompt (same preset id, same session
//! file). Where the file lives is profile data ([`crate::profiles::ProfileData::conversation`]).

use crate::error::CoreResult;
use crate::model::{Millis, TaskSpec};
use crate::plan::{check_context, HostContext};
use crate::profiles::{self, CutSuffix, IdSource, PathPart, ProjectKeyData};
use crate::record::TaskRecord;
use serde::{Deserialize, Serialize};

/// The file that exists once the agent has saved conversation `agent_session_id` of this task,
/// or `None` when the agent needs no check (its conversation exists as soon as its id is known:
/// Codex, OpenCode, the demo) or when the path cannot be known from the host's agent
/// environment (no `HOME`, a relative `CLAUDE_CONFIG_DIR`): then the recovery resumes as usual.
///
/// Errors: an invalid spec, context or session id (the same checks as the plans).
pub fn conversation_probe(spec: &TaskSpec, agent_session_id: &str, ctx: &HostContext) -> CoreResult<Option<String>> {
    crate::spec::check_spec(spec)?;
    check_context(ctx)?;
    crate::session_id::validate_session_id(spec.agent, agent_session_id)?;
    let Some(parts) = &profiles::profile(spec.agent).data.conversation else {
        return Ok(None);
    };
    let mut path = String::new();
    for part in parts {
        let piece = match part {
            PathPart::TaskDir => ctx.task_dir.trim_end_matches('/').to_string(),
            PathPart::Lit(s) => s.clone(),
            PathPart::EnvOrHome { env, home_sub } => match env_value(ctx, env) {
                Some(v) if v.starts_with('/') => v.trim_end_matches('/').to_string(),
                // A relative value is resolved by the agent against a directory we cannot be
                // sure of; unknown, so no probe.
                Some(v) if !v.is_empty() => return Ok(None),
                _ => match env_value(ctx, "HOME") {
                    Some(home) if home.starts_with('/') => format!("{}/{home_sub}", home.trim_end_matches('/')),
                    _ => return Ok(None),
                },
            },
            PathPart::ProjectKey(rule) => {
                let custom = env_value(ctx, &rule.config_env).is_some_and(|v| !v.is_empty());
                match env_value(ctx, &rule.override_env) {
                    Some(name) if custom && valid_override(rule, name) => name.to_string(),
                    _ => {
                        let dir = ctx.project_real_dir.as_deref().unwrap_or(&spec.project_dir);
                        project_key(trim_dir(dir), rule)
                    }
                }
            }
            PathPart::SessionId { suffix } => format!("{agent_session_id}{suffix}"),
        };
        if !path.is_empty() && !path.ends_with('/') {
            path.push('/');
        }
        path.push_str(&piece);
    }
    Ok(Some(path))
}

fn env_value<'a>(ctx: &'a HostContext, name: &str) -> Option<&'a str> {
    // The last one wins, as in an environment built from a list.
    ctx.env.iter().rev().find(|v| v.name == name).map(|v| v.value.as_str())
}

/// `/a/b/` → `/a/b` (what `getcwd()` reports); `/` stays `/`.
fn trim_dir(dir: &str) -> &str {
    let t = dir.trim_end_matches('/');
    if t.is_empty() {
        "/"
    } else {
        t
    }
}

/// Whether an override names a folder the agent would use (Claude Code's
/// `CLAUDE_CODE_PROJECT_DIR_NAME`: 1-64 characters of `[A-Za-z0-9_-]`, not a reserved Windows
/// device name; profile data).
fn valid_override(rule: &ProjectKeyData, name: &str) -> bool {
    let chars = ascii_set(&rule.override_chars).unwrap_or([false; 128]);
    !name.is_empty()
        && name.len() <= rule.override_max_len
        && name.bytes().all(|b| chars.get(usize::from(b)).copied().unwrap_or(false))
        && !rule.override_reserved.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// The folder name `rule` gives directory `dir` (Claude Code 2.1.330, `projects/<key>`, with
/// the rule in agents/claude.json): each UTF-16 code unit that is not in `keep` becomes
/// `replace` (so `é` gives one, an emoji two); a key longer than `max_len` is cut to `max_len`
/// and followed by `replace` and the `cut_suffix` hash of the directory.
pub fn project_key(dir: &str, rule: &ProjectKeyData) -> String {
    let keep = ascii_set(&rule.keep).unwrap_or([false; 128]);
    let replace = rule.replace.chars().next().filter(char::is_ascii).unwrap_or('-');
    let mut key = String::with_capacity(dir.len());
    let mut hash: i32 = 0;
    for unit in dir.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
        let c = match char::from_u32(u32::from(unit)) {
            Some(c) if c.is_ascii() && keep.get(c as usize).copied().unwrap_or(false) => c,
            _ => replace,
        };
        key.push(c);
    }
    // Every char pushed is ASCII, so byte length = number of UTF-16 units.
    if key.len() <= rule.max_len {
        return key;
    }
    key.truncate(rule.max_len);
    key.push(replace);
    match rule.cut_suffix {
        CutSuffix::JavaHashBase36 => key.push_str(&base36(i64::from(hash).unsigned_abs())),
    }
    key
}

/// Checks a [`ProjectKeyData`]; an error is `(its field, why)`.
pub fn check_project_key(rule: &ProjectKeyData) -> Result<(), (String, String)> {
    let err = |f: &str, why: &str| (f.to_string(), why.to_string());
    ascii_set(&rule.keep).map_err(|e| (String::from("keep"), e))?;
    ascii_set(&rule.override_chars).map_err(|e| (String::from("override_chars"), e))?;
    if rule.replace.len() != 1 || !rule.replace.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(err("replace", "expected one printable ASCII character other than /"));
    }
    if !(1..=4096).contains(&rule.max_len) {
        return Err(err("max_len", "expected 1-4096"));
    }
    if !(1..=255).contains(&rule.override_max_len) {
        return Err(err("override_max_len", "expected 1-255"));
    }
    if rule.override_reserved.len() > 64 || rule.override_reserved.iter().any(|r| r.is_empty() || r.len() > 64) {
        return Err(err("override_reserved", "at most 64 names of 1-64 bytes"));
    }
    for (f, v) in [("override_env", &rule.override_env), ("config_env", &rule.config_env)] {
        let mut b = v.bytes();
        let ok = v.len() <= 128 && b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_');
        if !ok {
            return Err(err(f, "expected a variable name ([A-Za-z_][A-Za-z0-9_]*)"));
        }
    }
    Ok(())
}

/// `"A-Za-z0-9_-"` → the set of those ASCII characters (a `-` first or last is itself). Only
/// printable ASCII other than `/`, so a kept character never adds a path component.
fn ascii_set(spec: &str) -> Result<[bool; 128], String> {
    let b = spec.as_bytes();
    if b.is_empty() || b.len() > 128 || !b.iter().all(|c| c.is_ascii_graphic() && *c != b'/') {
        return Err("expected 1-128 printable ASCII characters (not /) and ranges like A-Z".into());
    }
    let mut set = [false; 128];
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match (b.get(i + 1), b.get(i + 2)) {
            (Some(b'-'), Some(&end)) => {
                if end < c {
                    return Err(format!("the range {}-{} runs backwards", char::from(c), char::from(end)));
                }
                for x in c..=end {
                    if let Some(slot) = set.get_mut(usize::from(x)) {
                        *slot = x != b'/';
                    }
                }
                i += 3;
            }
            _ => {
                if let Some(slot) = set.get_mut(usize::from(c)) {
                    *slot = true;
                }
                i += 1;
            }
        }
    }
    Ok(set)
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        // n % 36 < 36, so the index is in range.
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    out.into_iter().map(char::from).collect()
}

/// How a recovery runs the agent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryKind {
    /// The agent's native resume of the recorded conversation ([`crate::plan::plan_recover`]).
    Resume,
    /// A new run with the original prompt ([`crate::plan::plan_start`] with the attempt
    /// number): no id was ever recorded, or the agent had not saved the conversation yet.
    FreshStart,
}

/// The decision for one recovery, and the record to persist before acting on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryChoice {
    pub kind: RecoveryKind,
    /// The record with the agent's session id forgotten when the fresh start will make the
    /// agent choose a new one (Pi names a new session; the monitor reads it from the new
    /// attempt's events). A preset id (Claude) is kept and passed again. Same as the input
    /// when nothing changes.
    pub record: TaskRecord,
}

/// Resume or start again. `conversation_saved` is whether the [`conversation_probe`] file
/// exists (`true` when there is no probe). `now` stamps the record if it changes.
pub fn choose_recovery(record: &TaskRecord, conversation_saved: bool, now: Millis) -> RecoveryChoice {
    match (&record.agent_session_id, conversation_saved) {
        (Some(_), true) => RecoveryChoice { kind: RecoveryKind::Resume, record: record.clone() },
        (None, _) => RecoveryChoice { kind: RecoveryKind::FreshStart, record: record.clone() },
        (Some(_), false) => {
            let mut rec = record.clone();
            if profiles::profile(record.spec.agent).id_source != IdSource::Preset {
                rec.agent_session_id = None;
                if now.is_finite() && now > rec.updated_at {
                    rec.updated_at = now;
                }
            }
            RecoveryChoice { kind: RecoveryKind::FreshStart, record: rec }
        }
    }
}
