//! How an agent's stdout says whether its run succeeded, as data (`events` in
//! `agents/<name>.json`), and the one reader that interprets it.
//!
//! Two formats:
//! - `{"jsonl": {…}}`: one JSON event per line (every built-in agent). An ordered list of
//!   `rules`; the **first** rule whose `when` ([`EventMatch`]) fits an event applies, and an
//!   event no rule fits is not this agent's (it is ignored). A rule may give the event an
//!   `outcome` (`success`, `failure`, or `pending`: still working), the texts of a failure
//!   (`error`) or of an error the agent is retrying (`retry`), the field holding an HTTP status
//!   (`status`), a field whose raw JSON may name a reset time (`raw`), and a field that says why
//!   a step stopped (`reason`, shown when the run ends unfinished). The run succeeded when the
//!   newest outcome is `success`, no `sticky` failure happened, and (with `finished_by`) the
//!   last event a rule fitted is the one that ends a run.
//! - `{"lines": {"success": "<regex>", "failure": "<regex>"}}`: any other CLI, line by line.
//!
//! The run's own final errors are tier 1 of the classifier ([`crate::classify`]); the newest
//! non-sticky failure replaces older ones (a later outcome supersedes them), sticky ones stay.

use crate::classify::{clean_line, clip, Candidate, MAX_LINE_BYTES};
use crate::events::{event, EventMatch, FieldPath, Template};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The `events` field of a profile, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventGrammar {
    /// One JSON event per line, read by rules.
    Jsonl(JsonlGrammar),
    /// Any CLI, line by line: success is a line matching `success` with no `failure` line after
    /// it; a line matching `failure` is the run's own final error (its first capture group, or
    /// the whole line), classified with the shared failure texts.
    Lines {
        success: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<String>,
    },
}

/// A JSONL grammar, as written (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonlGrammar {
    /// What the format is and why the rules look the way they do (documentation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Tried in order; the first whose `when` fits an event applies.
    pub rules: Vec<RuleData>,
    /// When set, a run succeeded only if the last event a rule fitted matches this (Pi's
    /// `agent_end`: a successful message is followed by more work until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_by: Option<BTreeMap<String, Value>>,
    /// Why a run that exited 0 is unfinished, when no rule recorded a `reason`
    /// (`"no result event"`).
    pub unfinished: String,
    /// The same with the last recorded reason: `{reason}` is replaced by it, quoted
    /// (`"last step_finish reason {reason}"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfinished_reason: Option<String>,
    /// For a final event so large it outgrows the 64 KiB tail that is read (Pi's `agent_end`
    /// repeats the whole conversation): when no rule gave an outcome, the last raw
    /// `"<key>":"…"` anywhere in the tail is the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_fallback: Option<ReasonFallback>,
}

/// What one rule does with the events it fits, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleData {
    /// Field path → value(s) every fitting event holds (see [`EventMatch`]).
    pub when: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeKind>,
    /// A failure that fails the run whatever follows (Codex `turn.failed`, OpenCode `error`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub sticky: bool,
    /// Templates for the failure's text; the first that yields a text is used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error: Vec<String>,
    /// Templates for an error the agent reports and retries itself (evidence when the run
    /// ends without a final error).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<String>,
    /// Path of a numeric HTTP status (100-599) the error carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Path of a value whose raw JSON is also searched for a reset time (response headers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Path of the text that says why this step stopped (shown for an unfinished run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What an event says about the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The run finished successfully (unless a later outcome says otherwise).
    Success,
    /// The run failed; `error` gives the text.
    Failure,
    /// A step ended but the run goes on (earlier non-sticky failures were recovered from).
    Pending,
}

/// See [`JsonlGrammar::reason_fallback`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonFallback {
    /// The key whose last string value is the reason (`stopReason`).
    pub key: String,
    /// Reasons that mean success.
    pub success: Vec<String>,
    /// Reasons that mean failure.
    pub failure: Vec<String>,
    /// The key whose last string value is then the error text, when the tail holds no event
    /// a rule fits (`errorMessage`).
    pub error_key: String,
    /// With no event a rule fits, the tail ending with this text counts as the finished event
    /// (`]}`: the end of Pi's `agent_end`).
    pub ends_with: String,
}

/// A checked [`EventGrammar`].
#[derive(Debug, Clone)]
pub enum Grammar {
    Jsonl(JsonlRules),
    Lines(LineRules),
}

/// The checked regexes of [`EventGrammar::Lines`].
#[derive(Debug, Clone)]
pub struct LineRules {
    pub success: regex_lite::Regex,
    pub failure: Option<regex_lite::Regex>,
}

/// A checked [`JsonlGrammar`].
#[derive(Debug, Clone)]
pub struct JsonlRules {
    rules: Vec<Rule>,
    finished_by: Option<EventMatch>,
    unfinished: String,
    unfinished_reason: Option<String>,
    reason_fallback: Option<ReasonFallback>,
}

#[derive(Debug, Clone)]
struct Rule {
    when: EventMatch,
    outcome: Option<OutcomeKind>,
    sticky: bool,
    error: Vec<Template>,
    retry: Vec<Template>,
    status: Option<FieldPath>,
    raw: Option<FieldPath>,
    reason: Option<FieldPath>,
}

/// Most rules, templates or reasons one grammar may hold.
const MAX_ITEMS: usize = 64;
/// Longest text (regex, reason key, unfinished text).
const MAX_TEXT: usize = 1024;

impl EventGrammar {
    /// Checks the grammar; an error is `(field under "events", why)`, e.g.
    /// `("jsonl.rules[2].when.type", "expected a string …")`.
    pub fn check(&self) -> Result<Grammar, (String, String)> {
        match self {
            EventGrammar::Lines { success, failure } => Ok(Grammar::Lines(LineRules {
                success: compile(success).map_err(|e| ("lines.success".to_string(), e))?,
                failure: match failure {
                    Some(f) => Some(compile(f).map_err(|e| ("lines.failure".to_string(), e))?),
                    None => None,
                },
            })),
            EventGrammar::Jsonl(g) => g.check().map(Grammar::Jsonl).map_err(|(f, e)| (format!("jsonl.{f}"), e)),
        }
    }
}

impl JsonlGrammar {
    fn check(&self) -> Result<JsonlRules, (String, String)> {
        let err = |field: &str, why: String| (field.to_string(), why);
        if self.rules.is_empty() || self.rules.len() > MAX_ITEMS {
            return Err(err("rules", format!("give 1-{MAX_ITEMS} rules")));
        }
        let mut rules = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let at = |sub: &str| format!("rules[{i}].{sub}");
            let when = EventMatch::parse(&r.when).map_err(|(f, e)| (selector_field(&at("when"), &f), e))?;
            let templates = |list: &[String], sub: &str| -> Result<Vec<Template>, (String, String)> {
                if list.len() > MAX_ITEMS {
                    return Err(err(&at(sub), format!("at most {MAX_ITEMS} templates")));
                }
                list.iter().enumerate().map(|(j, t)| Template::parse(t).map_err(|e| err(&format!("{}[{j}]", at(sub)), e))).collect()
            };
            let path = |p: &Option<String>, sub: &str| -> Result<Option<FieldPath>, (String, String)> {
                p.as_deref().map(FieldPath::parse).transpose().map_err(|e| err(&at(sub), e))
            };
            let is_failure = r.outcome == Some(OutcomeKind::Failure);
            if !r.error.is_empty() && !is_failure {
                return Err(err(&at("error"), "error texts are read only for \"outcome\": \"failure\" (use retry for errors the agent retries)".into()));
            }
            if r.sticky && !is_failure {
                return Err(err(&at("sticky"), "only a failure can be sticky".into()));
            }
            rules.push(Rule {
                when,
                outcome: r.outcome,
                sticky: r.sticky,
                error: templates(&r.error, "error")?,
                retry: templates(&r.retry, "retry")?,
                status: path(&r.status, "status")?,
                raw: path(&r.raw, "raw")?,
                reason: path(&r.reason, "reason")?,
            });
        }
        let finished_by = match &self.finished_by {
            Some(m) => Some(EventMatch::parse(m).map_err(|(f, e)| (selector_field("finished_by", &f), e))?),
            None => None,
        };
        check_text(&self.unfinished).map_err(|e| err("unfinished", e))?;
        if let Some(t) = &self.unfinished_reason {
            check_text(t).map_err(|e| err("unfinished_reason", e))?;
            if !t.contains("{reason}") {
                return Err(err("unfinished_reason", "must contain {reason}".into()));
            }
            if !self.rules.iter().any(|r| r.reason.is_some()) && self.reason_fallback.is_none() {
                return Err(err("unfinished_reason", "no rule records a reason".into()));
            }
        }
        if let Some(f) = &self.reason_fallback {
            for (sub, key) in [("key", &f.key), ("error_key", &f.error_key)] {
                if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    return Err(err(&format!("reason_fallback.{sub}"), "expected a JSON key of 1-64 letters, digits or _".into()));
                }
            }
            for (sub, list) in [("success", &f.success), ("failure", &f.failure)] {
                if list.is_empty() || list.len() > MAX_ITEMS || list.iter().any(|s| check_text(s).is_err()) {
                    return Err(err(&format!("reason_fallback.{sub}"), format!("give 1-{MAX_ITEMS} non-empty reasons")));
                }
            }
            check_text(&f.ends_with).map_err(|e| err("reason_fallback.ends_with", e))?;
        }
        Ok(JsonlRules {
            rules,
            finished_by,
            unfinished: self.unfinished.clone(),
            unfinished_reason: self.unfinished_reason.clone(),
            reason_fallback: self.reason_fallback.clone(),
        })
    }
}

/// `rules[0].when` and the selector's own field (`type`) → `rules[0].when.type`.
fn selector_field(at: &str, field: &str) -> String {
    if field.is_empty() {
        at.to_string()
    } else {
        format!("{at}.{field}")
    }
}

fn check_text(s: &str) -> Result<(), String> {
    if s.trim().is_empty() || s.len() > MAX_TEXT || s.contains('\0') {
        return Err(format!("expected 1-{MAX_TEXT} bytes of text"));
    }
    Ok(())
}

fn compile(re: &str) -> Result<regex_lite::Regex, String> {
    if re.len() > MAX_TEXT {
        return Err(format!("longer than {MAX_TEXT} bytes"));
    }
    regex_lite::Regex::new(re).map_err(|e| format!("regex parse error: {}", e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")))
}

/// What the event stream of one ended run says.
#[derive(Debug, Default)]
pub(crate) struct StreamView {
    /// At least one event of this agent's format was seen.
    pub structured: bool,
    /// The event stream says the run finished successfully.
    pub succeeded: bool,
    /// The run's own final error(s), oldest first (tier 1).
    pub finals: Vec<Candidate>,
    /// Errors the agent was retrying when it ended (tier 2).
    pub transient: Vec<Candidate>,
    /// Why the run looks unfinished (evidence for a run that exited 0 without success).
    pub unfinished: String,
}

/// Reads an event stream (the tail of the attempt's event file) with a checked grammar.
pub(crate) fn read_stream(grammar: &Grammar, events: &str) -> StreamView {
    match grammar {
        Grammar::Jsonl(rules) => read_jsonl(rules, events),
        Grammar::Lines(rules) => read_lines(rules, events),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    None,
    Success,
    Failed,
    Pending,
}

fn read_jsonl(g: &JsonlRules, events: &str) -> StreamView {
    let mut v = StreamView::default();
    let mut verdict = Verdict::None;
    let mut sticky_failed = false;
    let mut sticky: Vec<Candidate> = Vec::new();
    let mut latest: Option<Candidate> = None;
    let mut last_reason: Option<String> = None;
    // Whether the last event a rule fitted is `finished_by` (None: no event fitted).
    let mut last_finished: Option<bool> = None;
    for fields in events.lines().filter_map(event) {
        let Some(rule) = g.rules.iter().find(|r| r.when.matches(&fields)) else { continue };
        v.structured = true;
        last_finished = Some(g.finished_by.as_ref().is_none_or(|m| m.matches(&fields)));
        if let Some(p) = &rule.reason {
            last_reason = p.text(&fields);
        }
        let status = rule.status.as_ref().and_then(|p| p.number(&fields)).and_then(to_status);
        let raw = rule.raw.as_ref().and_then(|p| p.raw(&fields)).map(|r| clip(r.to_string()));
        if let Some(text) = Template::first(&rule.retry, &fields) {
            v.transient.push(Candidate { text: clip(text), status, raw: raw.clone() });
        }
        match rule.outcome {
            None => {}
            Some(OutcomeKind::Success) | Some(OutcomeKind::Pending) => {
                verdict = if rule.outcome == Some(OutcomeKind::Success) { Verdict::Success } else { Verdict::Pending };
                latest = None;
            }
            Some(OutcomeKind::Failure) => {
                verdict = Verdict::Failed;
                let cand = Template::first(&rule.error, &fields).map(|text| Candidate { text: clip(text), status, raw });
                if rule.sticky {
                    sticky_failed = true;
                    sticky.extend(cand);
                } else {
                    latest = cand;
                }
            }
        }
    }
    let mut finished = last_finished.unwrap_or(false) || g.finished_by.is_none();
    if let (Some(fb), Verdict::None, None) = (&g.reason_fallback, verdict, &last_reason) {
        // The final event outgrew the tail: read its last reason from the raw text.
        last_reason = crate::classify::jsonl::last_raw_string(events, &fb.key);
        v.structured |= last_reason.is_some();
        if let Some(r) = &last_reason {
            if fb.success.contains(r) {
                verdict = Verdict::Success;
            } else if fb.failure.contains(r) {
                verdict = Verdict::Failed;
                if last_finished.is_none() {
                    latest = crate::classify::jsonl::last_raw_string(events, &fb.error_key).map(|t| Candidate { text: clip(t), status: None, raw: None });
                }
            }
            finished |= last_finished.is_none() && events.trim_end().ends_with(fb.ends_with.as_str());
        }
    }
    v.succeeded = verdict == Verdict::Success && !sticky_failed && finished;
    v.finals = sticky;
    v.finals.extend(latest);
    v.unfinished = match (&last_reason, &g.unfinished_reason) {
        (Some(r), Some(t)) => t.replace("{reason}", &format!("{r:?}")),
        _ => g.unfinished.clone(),
    };
    v
}

/// A profile's own line grammar ([`EventGrammar::Lines`]).
fn read_lines(rules: &LineRules, events: &str) -> StreamView {
    let mut v = StreamView { unfinished: "no line matching the profile's success pattern".into(), ..Default::default() };
    for line in events.lines() {
        let line = clean_line(line);
        let line = line.get(..MAX_LINE_BYTES.min(line.len())).unwrap_or(&line);
        if line.trim().is_empty() {
            continue;
        }
        // Any output at all is this CLI's "format": exit 0 without the success line is then an
        // unfinished run, not a text-mode answer.
        v.structured = true;
        if let Some(c) = rules.failure.as_ref().and_then(|re| re.captures(line)) {
            let text = c.get(1).or_else(|| c.get(0)).map(|m| m.as_str()).unwrap_or(line);
            v.finals.push(Candidate { text: clip(text.to_string()), status: None, raw: None });
            v.succeeded = false;
        } else if rules.success.is_match(line) {
            v.succeeded = true;
            v.finals.clear();
        }
    }
    v
}

fn to_status(n: f64) -> Option<u16> {
    (n.fract() == 0.0 && (100.0..=599.0).contains(&n)).then_some(n as u16)
}
