//! Secrets and terminal control sequences removed from text before it leaves the package
//! (DESIGN §3: anything returned to a model, a chat or a terminal passes through here).
//!
//! Two steps. First every terminal control sequence and control character except `\n` and `\t`
//! goes ([`strip_controls`]): the text is safe to print, and a colour code in front of a key
//! cannot hide it. Then the rules of [`rules::RULES`] (data: a regex-lite expression and the
//! literal keywords that must occur for it to match) replace what they find with `[REDACTED]`.
//! One pass over the text finds every keyword hit (a 2-byte index, ignoring ASCII case); each
//! rule's expression then runs only on the windows around its hits (the hit's line, or a block
//! before or after it), so 1 MB of ordinary output costs one scan plus the few lines that
//! mention a secret-looking word. The spans all rules found are merged and replaced at once, so
//! the result does not depend on rule order, and a second call changes nothing (idempotent).
//!
//! Not covered (no shape to recognise): a bare secret with no provider prefix and no name in
//! front of it (`hunter2` alone on a line). UUIDs and agent session ids are kept: they are
//! needed to resume and are not credentials.

mod controls;
mod rules;

pub use controls::strip_controls;
pub use rules::PRIVATE_KEY_MARK;

use regex_lite::Regex;
use std::sync::OnceLock;

/// What a secret is replaced with.
pub const MARK: &str = "[REDACTED]";

/// Where a rule's expression runs around a keyword hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The hit's line (for a line longer than [`LONG_LINE`], a window of it around the hit).
    Line,
    /// From the start of the hit's line to this many bytes after it (a block that follows).
    After(usize),
    /// From this many bytes before the end of the hit's line (at a line start) to that end.
    Before(usize),
}

/// One redaction rule (see `redact/rules.rs`).
#[derive(Debug)]
pub struct Rule {
    /// Stable name, used by tests and reports.
    pub id: &'static str,
    /// Lowercase literals, at least 2 bytes; one must occur (ignoring ASCII case) in the text
    /// for the expression to run, and it runs only around the occurrences.
    pub keywords: &'static [&'static str],
    /// regex-lite expression; group `s`, when present, is the part replaced.
    pub regex: &'static str,
    pub scope: Scope,
    /// The replacement text.
    pub mark: &'static str,
    /// Characters that, right after the replaced part, mean it is not a secret (regex-lite has
    /// no look-ahead): `(` after `token = getToken` is a call.
    pub not_followed_by: &'static str,
}

/// Lines longer than this are searched in windows around each hit, not whole.
const LONG_LINE: usize = 4096;
/// A long-line window: this much before the hit …
const LONG_BEFORE: usize = 1024;
/// … and this much after it. A match reaching the window's end is extended to the next space.
const LONG_AFTER: usize = 4096;

/// Every rule, in the order of `redact/rules.rs`.
pub fn rules() -> &'static [Rule] {
    rules::RULES
}

/// Rules whose expression does not compile, with the error: empty unless the data is wrong
/// (a test asserts it; at run time such a rule is skipped, never a panic).
pub fn rule_errors() -> Vec<(&'static str, String)> {
    rules::RULES.iter().filter_map(|r| Regex::new(r.regex).err().map(|e| (r.id, e.to_string()))).collect()
}

/// Returns `text` without control sequences and with secrets replaced by `[REDACTED]` (or
/// `[REDACTED PRIVATE KEY]`). Never fails; idempotent.
pub fn redact(text: &str) -> String {
    let clean = strip_controls(text);
    redact_clean(&clean)
}

/// A piece of the text to replace.
struct Span {
    start: usize,
    end: usize,
    mark: &'static str,
}

fn redact_clean(text: &str) -> String {
    let windows = windows_by_rule(text);
    let mut spans: Vec<Span> = Vec::new();
    for (i, rule_windows) in windows.iter().enumerate() {
        let (Some(rule), Some(re)) = (rules::RULES.get(i), compiled(i)) else { continue };
        for &(lo, hi) in rule_windows {
            find_in_window(text, lo, hi, rule, re, &mut spans);
        }
    }
    replace_spans(text, spans)
}

/// The rule's expression compiled at first use, or None when it does not compile.
fn compiled(i: usize) -> Option<&'static Regex> {
    static COMPILED: OnceLock<Vec<OnceLock<Option<Regex>>>> = OnceLock::new();
    let all = COMPILED.get_or_init(|| rules::RULES.iter().map(|_| OnceLock::new()).collect());
    let rule = rules::RULES.get(i)?;
    all.get(i)?.get_or_init(|| Regex::new(rule.regex).ok()).as_ref()
}

/// Matches of one rule in `text[lo..hi]`, added to `spans` (the replaced part of each).
fn find_in_window(text: &str, lo: usize, hi: usize, rule: &Rule, re: &Regex, spans: &mut Vec<Span>) {
    let Some(hay) = text.get(lo..hi) else { return };
    let b = text.as_bytes();
    for caps in re.captures_iter(hay) {
        let Some(m) = caps.name("s").or_else(|| caps.get(0)) else { continue };
        let (mut start, mut end) = (lo + m.start(), lo + m.end());
        if let Some(&next) = b.get(end) {
            if end < hi && rule.not_followed_by.as_bytes().contains(&next) {
                continue;
            }
        }
        // A window cut inside a long line: the secret may go on past it.
        if end == hi && hi < b.len() {
            while b.get(end).is_some_and(|c| !c.is_ascii_whitespace()) {
                end += 1;
            }
        }
        // A quoted value keeps its quotes.
        let q = b.get(start).copied();
        if end >= start + 2 && matches!(q, Some(b'"' | b'\'')) && b.get(end - 1).copied() == q {
            start += 1;
            end -= 1;
        }
        let Some(secret) = text.get(start..end) else { continue };
        if !is_placeholder(secret) {
            spans.push(Span { start, end, mark: rule.mark });
        }
    }
}

/// Values that are not secrets whatever their name: empty, an earlier mark, the words of
/// [`rules::NOT_SECRETS`], short numbers (counts, ports: `tokens.input=0`, `max_tokens: 4096`).
fn is_placeholder(v: &str) -> bool {
    v.is_empty()
        || v.contains("[REDACTED")
        || rules::NOT_SECRETS.iter().any(|w| v.eq_ignore_ascii_case(w))
        || (v.len() < 6 && v.bytes().all(|c| c.is_ascii_digit()))
}

/// `text` with every span replaced by its mark; overlapping or touching spans become one.
fn replace_spans(text: &str, mut spans: Vec<Span>) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut it = spans.into_iter().peekable();
    while let Some(mut cur) = it.next() {
        while let Some(next) = it.next_if(|n| n.start <= cur.end) {
            cur.end = cur.end.max(next.end);
            if next.mark.len() > cur.mark.len() {
                cur.mark = next.mark;
            }
        }
        if cur.start < copied {
            continue;
        }
        out.push_str(text.get(copied..cur.start).unwrap_or(""));
        out.push_str(cur.mark);
        copied = cur.end;
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// The keyword index: which 2-byte lowercase prefixes start a keyword, and the keywords.
struct Keywords {
    /// One bit per `(first << 8) | second` lowercase byte pair.
    starts: Vec<u64>,
    /// `(pair, keyword, rule index)`, sorted by pair.
    entries: Vec<(u16, &'static [u8], usize)>,
}

fn keywords() -> &'static Keywords {
    static KW: OnceLock<Keywords> = OnceLock::new();
    KW.get_or_init(|| {
        let mut starts = vec![0u64; 1024];
        let mut entries = Vec::new();
        for (i, rule) in rules::RULES.iter().enumerate() {
            for kw in rule.keywords {
                let k = kw.as_bytes();
                let (Some(&a), Some(&b)) = (k.first(), k.get(1)) else { continue };
                let pair = u16::from_be_bytes([a.to_ascii_lowercase(), b.to_ascii_lowercase()]);
                if let Some(w) = starts.get_mut(usize::from(pair) / 64) {
                    *w |= 1 << (pair % 64);
                }
                entries.push((pair, k, i));
            }
        }
        entries.sort_by_key(|e| e.0);
        Keywords { starts, entries }
    })
}

/// For each rule, the merged, ascending byte ranges of `text` its expression must search.
fn windows_by_rule(text: &str) -> Vec<Vec<(usize, usize)>> {
    let kw = keywords();
    let b = text.as_bytes();
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); rules::RULES.len()];
    let mut line_start = 0;
    let mut line_end = 0; // end of the line holding `line_start`, once looked up (else ≤ line_start)
    for i in 0..b.len().saturating_sub(1) {
        let (Some(&c0), Some(&c1)) = (b.get(i), b.get(i + 1)) else { break };
        if c0 == b'\n' {
            line_start = i + 1;
            continue;
        }
        let pair = u16::from_be_bytes([c0.to_ascii_lowercase(), c1.to_ascii_lowercase()]);
        if kw.starts.get(usize::from(pair) / 64).is_none_or(|w| w & (1 << (pair % 64)) == 0) {
            continue;
        }
        let from = kw.entries.partition_point(|e| e.0 < pair);
        for &(_, k, r) in kw.entries.get(from..).unwrap_or(&[]).iter().take_while(|e| e.0 == pair) {
            let Some(w) = b.get(i..i + k.len()) else { continue };
            if !w.eq_ignore_ascii_case(k) {
                continue;
            }
            if line_end <= i {
                line_end = b.get(i..).and_then(|t| t.iter().position(|&c| c == b'\n')).map_or(b.len(), |p| i + p);
            }
            let Some(rule) = rules::RULES.get(r) else { continue };
            let (lo, hi) = window(text, rule.scope, line_start, line_end, i);
            let Some(list) = out.get_mut(r) else { continue };
            match list.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => list.push((lo, hi)),
            }
        }
    }
    out
}

/// The range a rule with `scope` searches for a keyword hit at `at` on the line
/// `line_start..line_end`, on character boundaries.
fn window(text: &str, scope: Scope, line_start: usize, line_end: usize, at: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let (lo, hi) = match scope {
        Scope::Line if line_end - line_start <= LONG_LINE => (line_start, line_end),
        Scope::Line => (at.saturating_sub(LONG_BEFORE).max(line_start), (at + LONG_AFTER).min(line_end)),
        Scope::After(n) => (line_start, (at + n).min(b.len())),
        Scope::Before(n) => {
            let from = line_end.saturating_sub(n);
            // From a line start, unless the block has no newline at all.
            let lo = if from == 0 {
                0
            } else {
                b.get(from..line_start).and_then(|t| t.iter().position(|&c| c == b'\n')).map_or(from, |p| from + p + 1)
            };
            (lo, line_end)
        }
    };
    (floor_char(text, lo), ceil_char(text, hi))
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}
