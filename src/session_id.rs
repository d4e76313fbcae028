//! The agent's own conversation id, read from the start of its first run's output, and checked
//! before it is ever put on a resume command line.
//!
//! Where each agent says it is profile data (`session_id` in `agents/<name>.json`): events
//! that carry it (a JSON line's `type` and the field holding the id) and, for text modes, a
//! regex with one capture group; its shape is `"uuid"` or a pattern.
//!
//! Validation matters: Codex takes a non-UUID resume argument as a thread *name* and silently
//! starts a new thread when none matches.

use crate::classify::jsonl;
use crate::error::{CoreError, CoreResult};
use crate::model::AgentKind;
use crate::profiles::IdFormat;
use crate::validate::truncate_for_message;

/// Only this much of the head is read.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Only this many lines of the head are read.
pub const MAX_HEAD_LINES: usize = 400;

/// Finds the agent's session id in the first lines of its output (`head`: the start of the
/// first attempt's event file, or Codex text-mode stderr). Returns only ids that pass
/// [`validate_session_id`]. Partial last lines, junk and replacement characters are skipped.
pub fn extract_session_id(agent: AgentKind, head: &str) -> Option<String> {
    let profile = crate::profiles::profile(agent);
    let rules = &profile.data.session_id;
    let head = head_str(head, MAX_HEAD_BYTES);
    let mut text_fallback: Option<String> = None;
    for line in head.lines().take(MAX_HEAD_LINES) {
        if let Some(fields) = jsonl::object(line) {
            let kind = jsonl::str_field(&fields, "type");
            for ev in &rules.events {
                if ev.kind.is_some() && ev.kind != kind {
                    continue;
                }
                if let Some(id) = jsonl::str_field(&fields, &ev.field) {
                    if validate_session_id(agent, &id).is_ok() {
                        return Some(id);
                    }
                }
            }
        } else if let (Some(re), None) = (&profile.id_text, &text_fallback) {
            text_fallback = re
                .captures(line)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
                .filter(|id| validate_session_id(agent, id).is_ok());
        }
    }
    text_fallback
}

/// Checks that `id` has the shape of `agent`'s session ids (profile data): for `"uuid"`,
/// 8-4-4-4-12 hex digits, any version, not the nil UUID; else the profile's pattern (OpenCode:
/// `ses_` followed by 26 letters and digits).
pub fn validate_session_id(agent: AgentKind, id: &str) -> CoreResult<()> {
    let reason = match &crate::profiles::profile(agent).id_format {
        IdFormat::Pattern { re, hint } => (id.len() > 256 || !re.is_match(id)).then_some(*hint),
        IdFormat::Uuid if !is_uuid(id) => Some("expected a UUID (8-4-4-4-12 hexadecimal digits)"),
        IdFormat::Uuid if id.bytes().all(|b| b == b'0' || b == b'-') => Some("the nil UUID is not a session"),
        IdFormat::Uuid => None,
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
