//! The agent's own conversation id, read from the start of its first run's output, and checked
//! before it is ever put on a resume command line.
//!
//! Where each agent says it (see reference/agent-clis.md):
//! - Codex (and the demo agent): `{"type":"thread.started","thread_id":"<uuid>"}`, first line
//!   of `--json`; in text mode a `session id: <uuid>` line in the stderr header.
//! - Claude: `"session_id":"<uuid>"` on every stream-json line (the host usually presets it).
//! - OpenCode: `"sessionID":"ses_…"` on every `--format json` line.
//! - Pi: `{"type":"session","id":"<uuid>",…}`, first line of `--mode json`.
//!
//! Validation matters: Codex takes a non-UUID resume argument as a thread *name* and silently
//! starts a new thread when none matches.

use crate::classify::jsonl;
use crate::error::{CoreError, CoreResult};
use crate::model::AgentKind;
use crate::validate::truncate_for_message;

/// Only this much of the head is read.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Only this many lines of the head are read.
pub const MAX_HEAD_LINES: usize = 400;

/// Finds the agent's session id in the first lines of its output (`head`: the start of the
/// first attempt's event file, or Codex text-mode stderr). Returns only ids that pass
/// [`validate_session_id`]. Partial last lines, junk and replacement characters are skipped.
pub fn extract_session_id(agent: AgentKind, head: &str) -> Option<String> {
    let head = head_str(head, MAX_HEAD_BYTES);
    let mut text_fallback: Option<String> = None;
    for line in head.lines().take(MAX_HEAD_LINES) {
        if let Some(fields) = jsonl::object(line) {
            if let Some(id) = id_from_event(agent, &fields) {
                if validate_session_id(agent, &id).is_ok() {
                    return Some(id);
                }
            }
        } else if matches!(agent, AgentKind::Codex | AgentKind::Demo) && text_fallback.is_none() {
            text_fallback = codex_header_id(line);
        }
    }
    text_fallback
}

fn id_from_event(agent: AgentKind, fields: &[(String, &str)]) -> Option<String> {
    let kind = jsonl::str_field(fields, "type");
    match agent {
        AgentKind::Codex | AgentKind::Demo => {
            (kind.as_deref() == Some("thread.started")).then(|| jsonl::str_field(fields, "thread_id"))?
        }
        AgentKind::Claude => jsonl::str_field(fields, "session_id"),
        AgentKind::Opencode => jsonl::str_field(fields, "sessionID"),
        AgentKind::Pi => (kind.as_deref() == Some("session")).then(|| jsonl::str_field(fields, "id"))?,
    }
}

/// Codex text mode prints `session id: <uuid>` in its stderr header.
fn codex_header_id(line: &str) -> Option<String> {
    let t = line.trim();
    let rest = t.get(..11).filter(|p| p.eq_ignore_ascii_case("session id:")).and_then(|_| t.get(11..))?;
    let id = rest.trim();
    is_uuid(id).then(|| id.to_string())
}

/// Checks that `id` has the shape of `agent`'s session ids: a UUID (8-4-4-4-12 hex digits, any
/// version; not the nil UUID) for Codex, Claude, Pi and the demo; for OpenCode `ses_` followed
/// by 26 letters and digits (seen: 12 hex digits of time then 14 base62 characters).
pub fn validate_session_id(agent: AgentKind, id: &str) -> CoreResult<()> {
    let reason = match agent {
        AgentKind::Opencode => (!is_opencode_id(id)).then_some("expected ses_ followed by 26 letters and digits"),
        _ if !is_uuid(id) => Some("expected a UUID (8-4-4-4-12 hexadecimal digits)"),
        _ if id.bytes().all(|b| b == b'0' || b == b'-') => Some("the nil UUID is not a session"),
        _ => None,
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(CoreError::InvalidSessionId {
            agent: agent.as_str(),
            id: truncate_for_message(id),
            reason,
        }),
    }
}

fn is_uuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_opencode_id(id: &str) -> bool {
    id.strip_prefix("ses_")
        .is_some_and(|rest| rest.len() == 26 && rest.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// The first `max` bytes of `s`, ending on a character boundary.
fn head_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}
