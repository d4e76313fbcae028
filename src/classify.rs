//! Classification of finished and live agent runs (DESIGN §3.7).
//!
//! Success is read from the agent's event stream, because exit codes lie: Claude exits 0 on
//! SIGINT with no `result` line, Pi `--mode json` exits 0 on API errors, OpenCode exits 0 after
//! auto-rejecting a permission. Each agent's stream is read by its event grammar (profile data,
//! see [`crate::event_grammar`]). A failure gets a class and one line of evidence, chosen in
//! tiers: first the run's own final error (Codex `turn.failed`, Claude `result`, OpenCode
//! `error`, Pi's last `stopReason:"error"`), then stderr, the pane and transient retry events,
//! then the exit status. Within a tier the most specific class wins (see
//! [`patterns::CLASS_PRIORITY`]); the texts themselves are data (`patterns/common.json`, read by
//! [`crate::patterns`], and the agent's profile).

use crate::model::{AgentKind, Failure, FailureClass};
use crate::patterns;
use crate::redact::redact;
use crate::reset_hint::parse_reset_hint_with;
use serde::{Deserialize, Serialize};

/// Facts about an agent run that has ended, gathered by the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct ExitFacts {
    /// Exit status from the wrapper's exit file, else tmux's `pane_dead_status`.
    #[serde(default)]
    pub exit_status: Option<i32>,
    /// tmux's `pane_dead_signal`, when the wrapper itself was killed.
    #[serde(default)]
    pub signal: Option<i32>,
    /// Last part (≤ 64 KiB) of the attempt's event file (the agent's stdout).
    #[serde(default)]
    pub events_tail: String,
    /// Last part (≤ 64 KiB) of the attempt's stderr file.
    #[serde(default)]
    pub stderr_tail: String,
    /// Last lines of the pane, as captured before any respawn.
    #[serde(default)]
    pub pane_tail: String,
}

/// How an agent run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Failed { failure: Failure },
}

/// What a live pane shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, tsify::Tsify)]
#[tsify(missing_as_null)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum LiveVerdict {
    Working,
    WaitingForInput { evidence: String },
    /// Only network-wait or retry lines lately (Codex waits for the network forever).
    RetryLoop { evidence: String },
}

/// Longest evidence line, in characters.
pub const MAX_EVIDENCE_CHARS: usize = 300;
/// Only this much of the end of each input is read: the host sends ≤ 64 KiB tails, and this
/// bounds the work when it sends more (a whole 10,000-line capture, say). The tail is sliced
/// off the end in O(1); nothing before it is looked at.
pub(crate) const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Decides whether an ended run completed, and if not, why it failed.
pub fn classify_exit(agent: AgentKind, facts: &ExitFacts) -> Outcome {
    if let Some(failure) = project_dir_missing(facts) {
        return failed(failure);
    }
    let events = tail_str(&facts.events_tail, MAX_INPUT_BYTES);
    let profile = crate::profiles::profile(agent);
    let mut stream = crate::event_grammar::read_stream(&profile.events, events);
    if stream.succeeded {
        return Outcome::Completed;
    }
    let status_desc = describe_exit(facts.exit_status, facts.signal);

    // Tier 2: everything else the run printed. Non-JSON lines of the event file are the
    // output of text modes (e.g. `claude -p` without stream-json). The newest match wins, and
    // the list runs from the least to the most telling source: pane, stderr, event-file text,
    // the agent's own retry events.
    let mut others: Vec<Candidate> = Vec::new();
    for line in tail_str(&facts.pane_tail, MAX_INPUT_BYTES).lines() {
        if !looks_like_json(line) && line.trim() != "__TASK_DONE__" {
            push_text_line(&mut others, line);
        }
    }
    for line in tail_str(&facts.stderr_tail, MAX_INPUT_BYTES).lines() {
        push_text_line(&mut others, line);
    }
    for line in events.lines() {
        if !looks_like_json(line) {
            push_text_line(&mut others, line);
        }
    }
    others.append(&mut stream.transient);

    let exit_zero = facts.exit_status == Some(0) && facts.signal.is_none();
    if exit_zero && !stream.structured {
        // No machine-readable events at all: a text-mode run (e.g. `pi -p`), whose exit status
        // is truthful (text modes exit 1 on errors). Its text is the agent's answer and may
        // mention "rate limit" without meaning it, so it is not searched.
        return Outcome::Completed;
    }
    if let Some(failure) = classify_candidates(profile, &stream.finals).or_else(|| classify_candidates(profile, &others)) {
        return failed(failure);
    }
    if is_signal(facts.exit_status, facts.signal) {
        return failed(Failure { class: FailureClass::Signal, evidence: status_desc, reset: None });
    }
    if let (true, Some(evidence)) = (exit_zero, &profile.data.interrupted_exit_zero) {
        return failed(Failure { class: FailureClass::Signal, evidence: evidence.clone(), reset: None });
    }
    // A crash: show the run's own last error if it had one, else an error-looking line, else
    // the bare status.
    let evidence = stream
        .finals
        .last()
        .map(|c| c.text.clone())
        .or_else(|| others.iter().rev().find(|c| looks_like_error(&c.text)).map(|c| c.text.clone()))
        .map(|t| evidence_line(&t))
        .unwrap_or_else(|| {
            if exit_zero {
                format!("exit status 0 before the run finished ({})", stream.unfinished)
            } else {
                status_desc
            }
        });
    failed(Failure { class: FailureClass::Crash, evidence, reset: None })
}

/// What a live pane shows: a prompt waiting for a person, a retry loop, or work.
pub fn classify_live(agent: AgentKind, pane_tail: &str) -> LiveVerdict {
    let profile = crate::profiles::profile(agent);
    let text = tail_str(pane_tail, MAX_INPUT_BYTES);
    // The last WAITING_WINDOW_LINES non-empty lines (cleaned), newest first, read from the end
    // of the text: only the bottom of the screen matters.
    let recent: Vec<String> = text
        .lines()
        .rev()
        .map(|l| clean_line(l).trim().to_string())
        .filter(|l| !l.is_empty())
        .take(patterns::WAITING_WINDOW_LINES.max(patterns::RETRY_WINDOW_LINES))
        .collect();
    // The prompt nearest the bottom of the screen is the live one. JSON lines are the agent's
    // own event stream (assistant text may quote a prompt), never a prompt.
    for line in recent.iter().take(patterns::WAITING_WINDOW_LINES) {
        if looks_like_json(line) {
            continue;
        }
        if patterns::is_waiting(line) || profile.waiting.iter().any(|w| patterns::contains_ci(line, w)) {
            return LiveVerdict::WaitingForInput { evidence: evidence_line(line) };
        }
    }
    let window = recent.get(..patterns::RETRY_WINDOW_LINES.min(recent.len())).unwrap_or(&[]);
    if window.len() >= patterns::RETRY_MIN_LINES
        && window.iter().all(|l| patterns::is_retry(l) || profile.retry.iter().any(|p| p.is_match(l)))
    {
        // window[0] is the newest line.
        if let Some(last) = window.first() {
            return LiveVerdict::RetryLoop { evidence: evidence_line(&display_text(last)) };
        }
    }
    LiveVerdict::Working
}

// ---------------------------------------------------------------------------------------------
// Reading the event streams.

/// One line that may explain a failure.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The human text (already decoded from JSON).
    pub(crate) text: String,
    /// An HTTP status the agent reported in a structured field.
    pub(crate) status: Option<u16>,
    /// Where to look for a reset hint besides `text` (e.g. the raw JSON with `retry-after`).
    pub(crate) raw: Option<String>,
}

impl Candidate {
    fn text(text: String) -> Candidate {
        Candidate { text: clip(text), status: None, raw: None }
    }
}

/// Longest part of one line that is searched (error lines are short; this bounds the work on
/// hostile input).
pub(crate) const MAX_LINE_BYTES: usize = 4096;

pub(crate) fn clip(mut text: String) -> String {
    if text.len() > MAX_LINE_BYTES {
        let mut end = MAX_LINE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Choosing a class and evidence.

fn classify_candidates(profile: &crate::profiles::Profile, cands: &[Candidate]) -> Option<Failure> {
    // One pass over each line finds the shared patterns' keywords (see patterns::line_facts).
    let classified: Vec<(&Candidate, u8)> = cands
        .iter()
        .filter_map(|c| {
            let facts = patterns::line_facts(&c.text);
            if facts.ignored {
                return None;
            }
            let mut classes = facts.classes;
            if let Some(class) = c.status.and_then(patterns::class_of_status) {
                classes |= patterns::class_bit(class);
            }
            // The profile's own failure texts: a regex runs only behind one of its keywords.
            for p in &profile.failure {
                if p.pattern.is_match(&c.text) {
                    classes |= patterns::class_bit(p.class);
                }
            }
            Some((c, classes))
        })
        .collect();
    for class in patterns::CLASS_PRIORITY {
        let bit = patterns::class_bit(class);
        // The newest line of the winning class is the evidence.
        let Some((cand, _)) = classified.iter().rev().find(|(_, cs)| cs & bit != 0) else {
            continue;
        };
        let hint = |text: &str| parse_reset_hint_with(&profile.reset, text);
        let reset = if matches!(class, FailureClass::UsageLimit | FailureClass::RateLimit) {
            hint(&cand.text)
                .or_else(|| cand.raw.as_deref().and_then(hint))
                .or_else(|| classified.iter().rev().filter(|(_, cs)| cs & bit != 0).find_map(|(c, _)| hint(&c.text)))
        } else {
            None
        };
        return Some(Failure { class, evidence: evidence_line(&cand.text), reset });
    }
    None
}

/// The wrapper found no project directory and ran no agent (its status and its own line both say
/// so): fatal, never resumed elsewhere.
fn project_dir_missing(facts: &ExitFacts) -> Option<Failure> {
    use crate::wrapper::{PROJECT_DIR_MISSING_LINE, PROJECT_DIR_MISSING_STATUS};
    let said = tail_str(&facts.stderr_tail, MAX_INPUT_BYTES).lines().any(|l| l.trim_end() == PROJECT_DIR_MISSING_LINE);
    (facts.exit_status == Some(PROJECT_DIR_MISSING_STATUS) && said).then(|| Failure {
        class: FailureClass::ProjectDirMissing,
        evidence: PROJECT_DIR_MISSING_LINE.to_string(),
        reset: None,
    })
}

fn failed(failure: Failure) -> Outcome {
    Outcome::Failed { failure }
}

fn push_text_line(out: &mut Vec<Candidate>, line: &str) {
    let clean = clean_line(line.get(..MAX_LINE_BYTES).unwrap_or(line));
    let t = clean.trim();
    if !t.is_empty() {
        out.push(Candidate::text(t.to_string()));
    }
}

fn looks_like_json(line: &str) -> bool {
    line.trim_start().starts_with('{')
}

fn looks_like_error(text: &str) -> bool {
    patterns::contains_any(text, &["error", "fatal", "panic", "exception", "failed", "traceback"])
        && !patterns::is_ignored(text)
}

fn is_signal(status: Option<i32>, signal: Option<i32>) -> bool {
    signal.is_some() || status.is_some_and(|s| (129..=192).contains(&s))
}

fn describe_exit(status: Option<i32>, signal: Option<i32>) -> String {
    match (status, signal) {
        (_, Some(sig)) => format!("killed by signal {sig}{}", signal_name(sig)),
        (Some(s), None) if (129..=192).contains(&s) => format!("exit status {s}{}", signal_name(s - 128)),
        (Some(s), None) => format!("exit status {s}"),
        (None, None) => "exit status unknown".into(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => " (SIGHUP)",
        2 => " (SIGINT)",
        3 => " (SIGQUIT)",
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        13 => " (SIGPIPE)",
        15 => " (SIGTERM)",
        _ => "",
    }
}

/// A JSON event line shown as its `message` (what a person would read), else as is.
fn display_text(line: &str) -> String {
    jsonl::object(line)
        .and_then(|f| jsonl::str_field(&f, "message"))
        .unwrap_or_else(|| line.to_string())
}

/// One redacted line of at most [`MAX_EVIDENCE_CHARS`] characters.
pub fn evidence_line(text: &str) -> String {
    let clean = strip_ansi(text);
    let one: String = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let red = redact(&one);
    if red.chars().count() <= MAX_EVIDENCE_CHARS {
        red
    } else {
        let mut out: String = red.chars().take(MAX_EVIDENCE_CHARS - 1).collect();
        out.push('…');
        out
    }
}

/// Removes terminal escape sequences (CSI, OSC, two-byte ESC) and other control characters
/// except tab.
pub fn strip_ansi(s: &str) -> String {
    clean_line(s).into_owned()
}

/// [`strip_ansi`], borrowing `s` when it has nothing to remove (the usual case).
pub(crate) fn clean_line(s: &str) -> std::borrow::Cow<'_, str> {
    let b = s.as_bytes();
    // Control characters are C0 (< 0x20), DEL and C1 (U+0080..U+009F = 0xC2 0x80..0x9F); ESC is C0.
    let mut i = 0;
    let mut dirty = false;
    while let Some(&c) = b.get(i) {
        i += 1;
        if (c < 0x20 && c != b'\t') || c == 0x7f || (c == 0xc2 && b.get(i).is_some_and(|&n| n < 0xa0)) {
            dirty = true;
            break;
        }
    }
    if !dirty {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    // Parameters and intermediates, then one final byte in @..~.
                    for n in chars.by_ref() {
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    // OSC runs to BEL or ESC \.
                    while let Some(n) = chars.next() {
                        if n == '\u{7}' {
                            break;
                        }
                        if n == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
        } else if c == '\t' || !c.is_control() {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The last `max` bytes of `s`, starting on a character boundary.
fn tail_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or("")
}

/// A small, forgiving reader for one line of JSON: the top-level fields of an object with their
/// raw value text, nested objects read on demand. It never fails; a truncated or broken line
/// yields the fields read before the damage. Iterative (no recursion), so hostile nesting
/// cannot overflow the stack. The crate carries no JSON parser, and the events need only this.
pub(crate) mod jsonl {
    /// `(key, raw value)` pairs of one object.
    pub type Fields<'a> = Vec<(String, &'a str)>;

    /// Top-level fields of the object `line` starts with (after whitespace), or `None` when
    /// the line is not an object at all.
    pub fn object(line: &str) -> Option<Fields<'_>> {
        let s = line.trim_start();
        let b = s.as_bytes();
        if b.first() != Some(&b'{') {
            return None;
        }
        let mut out = Vec::new();
        let mut i = 1;
        loop {
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b'}') | None => return Some(out),
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(b'"') => {}
                Some(_) => return Some(out),
            }
            let Some(key_end) = scan_string(b, i) else { return Some(out) };
            let key = decode_string(s.get(i..key_end).unwrap_or(""));
            i = skip_ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return Some(out);
            }
            i = skip_ws(b, i + 1);
            let Some(val_end) = scan_value(b, i) else { return Some(out) };
            match s.get(i..val_end) {
                Some(raw) => out.push((key, raw)),
                None => return Some(out),
            }
            i = val_end;
        }
    }

    /// The raw text of a field's value.
    pub fn raw_field<'a>(fields: &[(String, &'a str)], key: &str) -> Option<&'a str> {
        fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// A string field, decoded.
    pub fn str_field(fields: &[(String, &str)], key: &str) -> Option<String> {
        raw_field(fields, key).filter(|r| r.starts_with('"')).map(decode_string)
    }

    /// The fields of a nested object (empty when absent or not an object).
    pub fn object_field<'a>(fields: &[(String, &'a str)], key: &str) -> Fields<'a> {
        raw_field(fields, key).and_then(object).unwrap_or_default()
    }

    /// The raw object elements of a JSON array.
    pub fn array_objects(raw: &str) -> Vec<&str> {
        array_items(raw).into_iter().filter(|r| r.starts_with('{')).collect()
    }

    /// The string elements of a JSON array, decoded.
    pub fn array_strings(raw: &str) -> Vec<String> {
        array_items(raw).into_iter().filter(|r| r.starts_with('"')).map(decode_string).collect()
    }

    fn array_items(raw: &str) -> Vec<&str> {
        let b = raw.as_bytes();
        let mut out = Vec::new();
        if b.first() != Some(&b'[') {
            return out;
        }
        let mut i = 1;
        loop {
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b']') | None => return out,
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let Some(end) = scan_value(b, i) else { return out };
            match raw.get(i..end) {
                Some(item) => out.push(item),
                None => return out,
            }
            i = end;
        }
    }

    /// The value of the last `"key":"…"` anywhere in `text` (any nesting level), decoded.
    pub fn last_raw_string(text: &str, key: &str) -> Option<String> {
        let pat = format!("\"{key}\":\"");
        let pos = text.rfind(&pat)?;
        let start = pos + pat.len() - 1;
        let end = scan_string(text.as_bytes(), start)?;
        text.get(start..end).map(decode_string)
    }

    fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    }

    /// `b[i]` is `"`; returns the index just past the closing quote.
    fn scan_string(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            match b.get(j)? {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
    }

    /// Returns the index just past the value starting at `i`.
    fn scan_value(b: &[u8], i: usize) -> Option<usize> {
        match b.get(i)? {
            b'"' => scan_string(b, i),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                loop {
                    match b.get(j)? {
                        b'"' => {
                            j = scan_string(b, j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
            }
            _ => {
                let mut j = i;
                while b.get(j).is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace()) {
                    j += 1;
                }
                (j > i).then_some(j)
            }
        }
    }

    /// Decodes a JSON string literal (with or without its quotes); bad escapes are kept as
    /// text, bad `\u` code points become U+FFFD.
    pub fn decode_string(raw: &str) -> String {
        let inner = raw.strip_prefix('"').unwrap_or(raw);
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('u') => {
                    let hi = hex4(&mut chars);
                    let code = match hi {
                        Some(h @ 0xD800..=0xDBFF) => {
                            let mut look = chars.clone();
                            if look.next() == Some('\\') && look.next() == Some('u') {
                                match hex4(&mut look) {
                                    Some(lo @ 0xDC00..=0xDFFF) => {
                                        chars = look;
                                        Some(0x10000 + ((h - 0xD800) << 10) + (lo - 0xDC00))
                                    }
                                    _ => None,
                                }
                            } else {
                                None
                            }
                        }
                        other => other,
                    };
                    out.push(code.and_then(char::from_u32).unwrap_or('\u{FFFD}'));
                }
                Some(other) => out.push(other), // \" \\ \/ and anything unknown
                None => out.push('\\'),
            }
        }
        out
    }

    fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + chars.next()?.to_digit(16)?;
        }
        Some(v)
    }
}
