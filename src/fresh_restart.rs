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

use crate::error::{CoreError, CoreResult};
use crate::profiles::{FailurePatternData, Profile};
use serde::{Deserialize, Serialize};

/// Most texts a profile may list.
const MAX_PATTERNS: usize = 64;
/// Longest line looked at (a longer one is cut: the texts are short CLI error lines).
const MAX_LINE: usize = 4096;

/// A checked `nothing_to_resume` text: its regex runs only on a line holding one of `keywords`.
#[derive(Debug, Clone)]
pub struct NothingToResume {
    /// Lowercased.
    pub keywords: Vec<String>,
    pub re: regex_lite::Regex,
}

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

/// Checks and compiles a profile's `nothing_to_resume` list (`invalid_agent_profile` naming the
/// entry).
pub fn compile(agent: &str, list: &[FailurePatternData]) -> CoreResult<Vec<NothingToResume>> {
    let bad = |field: String, why: String| CoreError::InvalidAgentProfile(format!("agents.{agent}.{field}: {why}"));
    if list.len() > MAX_PATTERNS {
        return Err(bad("nothing_to_resume".into(), format!("at most {MAX_PATTERNS} patterns")));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let at = format!("nothing_to_resume[{i}]");
        if p.keywords.is_empty() || p.keywords.iter().any(|k| k.trim().is_empty() || k.len() > 64) {
            return Err(bad(format!("{at}.keywords"), "give 1 or more literal words (at most 64 bytes each) the line must hold before the regex runs".into()));
        }
        let re = crate::profiles::compile(&p.regex).map_err(|e| bad(at, e))?;
        out.push(NothingToResume { keywords: p.keywords.iter().map(|k| k.to_lowercase()).collect(), re });
    }
    Ok(out)
}

/// The first line of `texts` that says the resumed conversation holds nothing, per `profile`.
pub fn matching_line(profile: &Profile, texts: &[&str]) -> Option<String> {
    if profile.nothing_to_resume.is_empty() {
        return None;
    }
    for text in texts {
        for line in text.lines() {
            let line = cut(line.trim(), MAX_LINE);
            let lower = line.to_lowercase();
            let hit = profile
                .nothing_to_resume
                .iter()
                .any(|p| p.keywords.iter().any(|k| lower.contains(k.as_str())) && p.re.is_match(line));
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
