//! "Nothing to resume": a resume that the agent refuses because the conversation it names holds
//! nothing (profile data: [`crate::profiles::ProfileData::nothing_to_resume`]) starts the task
//! again with its original prompt, once per chain of failures.
//!
//! Why: Gemini CLI 0.61 takes the prompt back out of its session file when its first model call
//! fails (a 429 beyond its own retries); `gemini --resume <id>` then exits 42 "Invalid session
//! identifier". The conversation never recorded any work, so the only way on is the original
//! prompt in a new session. Texts that can also mean "the conversation existed and is gone" (a
//! deleted store: work would be silently redone) are not listed for an agent; where an agent can
//! be killed before it saves its conversation, the conversation probe decides before the resume
//! instead ([`crate::conversation`]).
//!
//! The monitor step that sees such a text (see `Machine::nothing_to_resume` in
//! [`crate::monitor`]) records a [`FreshRestart`] for the next attempt, gives the record the
//! fresh id the host offered in the observation (agents whose id is preset) or none (the new run
//! names its own), announces "nothing to resume in session X; started again as Y" and asks for
//! the recovery at once, not counted as a failure. [`crate::conversation::choose_recovery`] then
//! chooses a fresh start for that attempt.

use crate::profiles::Profile;
use serde::{Deserialize, Serialize};

/// Longest line looked at (a longer one is cut: the texts are short CLI error lines).
const MAX_LINE: usize = 4096;

/// A fresh start that replaced a resume with nothing to resume. Kept in the record: the attempt
/// it runs as (for the resume-or-start choice) and, until the chain of failures ends, as the
/// guard that stops a second one (no loop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FreshRestart {
    /// The session the refused resume named.
    pub from_session_id: String,
    /// The attempt that starts again with the original prompt.
    pub attempt: u32,
}

/// The first line of `texts` that says the resumed conversation holds nothing, per `profile`.
pub fn matching_line(profile: &Profile, texts: &[&str]) -> Option<String> {
    if profile.nothing_to_resume.is_empty() {
        return None;
    }
    for text in texts {
        for line in text.lines() {
            let line = cut(line.trim(), MAX_LINE);
            let hit = profile.nothing_to_resume.iter().any(|p| p.is_match(line));
            if hit {
                return Some(line.to_string());
            }
        }
    }
    None
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
