//! Secrets and terminal control sequences removed from text before it leaves the package
//! (DESIGN §3: anything returned to a model, a chat or a terminal passes through here).
//!
//! Two steps. First every terminal control sequence and control character except `\n` and `\t`
//! goes ([`strip_controls`]): the text is safe to print, and a colour code in front of a key
//! cannot hide it. The rules see JSON `\uXXXX` escapes of name characters decoded
//! (`redact/escapes.rs`: `"\u0070assword"` is `"password"` to a JSON reader). Then the rules
//! of `redact/rules.rs` (data: a regex-lite expression, the literal keywords that must occur
//! for it to match, and where its match starts relative to a keyword) replace what they find with `[REDACTED]`. One pass over the text finds every keyword
//! hit (a 2-byte index, ignoring ASCII case); at each hit the rule's expression is tried once,
//! anchored where its match would start (a provider prefix, the start of a header or URL, the
//! end of a variable name), after cheap byte checks; the few rules for blocks (private keys)
//! search a window around their rare keyword instead. regex-lite has no literal optimisations,
//! so this keeps 1 MB of output that mentions "token" and "key" on every line cheap. The spans
//! all rules found are merged and replaced at once, so the result does not depend on rule order;
//! redacting the result again changes nothing (checked on the corpora of the tests).
//!
//! Not covered (no shape to recognise): a bare secret with no provider prefix and no name in
//! front of it (`hunter2` alone on a line). UUIDs and agent session ids are kept: they are
//! needed to resume and are not credentials.

mod controls;
mod escapes;
mod rules;

pub use controls::strip_controls;
pub use rules::PRIVATE_KEY_MARK;

use regex_lite::Regex;
use std::sync::OnceLock;

/// What a secret is replaced with.
pub const MARK: &str = "[REDACTED]";

/// Where a match can start, relative to a keyword hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// `back` bytes before the keyword (0: the keyword is the match's literal start); with
    /// `word`, only where a word starts (`\b`: the byte before is not `[A-Za-z0-9_]`).
    Keyword { back: usize, word: bool },
    /// At the start of the run of [`Run`] characters that holds the keyword (a name, a header,
    /// a URL scheme, a flag), when the byte before the run is one of `before` ("" = any) or
    /// the run starts the line.
    Run { run: Run, before: &'static str },
    /// Right after the run of [`Run`] characters that holds the keyword, when the whole run
    /// matches the expression `name` (regex-lite, "" = any run): `NAME = value` with the
    /// name's shape checked on the name alone, so the value's expression stays small.
    AfterRun { run: Run, name: &'static str },
    /// Anywhere in the [`Scope`] window: an unanchored search, for rules whose keyword is rare
    /// and sits at no fixed place in the match (a PEM block's BEGIN line).
    Search,
}

/// The character classes of [`Start::Run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// `[A-Za-z0-9_.-]`: a variable, field or property name (`AWS_SECRET_ACCESS_KEY`, `db.password`).
    Name,
    /// `[A-Za-z0-9_-]`: a header or parameter name (`Proxy-Authorization`, `X-Amz-Signature`).
    Word,
    /// `[A-Za-z0-9+.-]`: a URL scheme (`mongodb+srv`).
    Scheme,
    /// `[A-Za-z-]`: a command-line flag (`--password`).
    Flag,
    /// `[0-9]`.
    Digits,
}

impl Run {
    fn has(self, c: u8) -> bool {
        match self {
            Run::Name => c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'),
            Run::Word => c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'),
            Run::Scheme => c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'),
            Run::Flag => c.is_ascii_alphabetic() || c == b'-',
            Run::Digits => c.is_ascii_digit(),
        }
    }
}

/// Which part of the text a rule searches around a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The hit's line (for a line longer than [`LONG_LINE`], a window of it around the hit).
    Line,
    /// From the start of the hit's line to this many bytes after it (a block that follows).
    After(usize),
    /// From this many bytes before the end of the hit's line (at a line start) to that end.
    Before(usize),
    /// The hit's line (as [`Scope::Line`]) and the line after it: a value printed on the line
    /// after its name (`password:` then an indented `hunter2`, `export KEY=\` then the value).
    NextLine,
}

/// One redaction rule (see `redact/rules.rs`).
#[derive(Debug)]
pub struct Rule {
    /// Stable name, used by tests and reports.
    pub id: &'static str,
    /// Lowercase literals, at least 2 bytes; one must occur (ignoring ASCII case) in the text
    /// for the expression to run, and it runs only around the occurrences.
    pub keywords: &'static [&'static str],
    /// regex-lite expression, matched from the [`Start`] on (anchored there, unless `Search`);
    /// group `s`, when present, is the part replaced.
    pub regex: &'static str,
    pub start: Start,
    pub scope: Scope,
    /// The replacement text.
    pub mark: &'static str,
    /// Characters that, right after the replaced part, mean it is not a secret (regex-lite has
    /// no look-ahead): `(` after `token = getToken` is a call.
    pub not_followed_by: &'static str,
    /// Cheap checks before the expression runs ("" = none), so a keyword in ordinary text
    /// rarely costs a regex call: the first byte at the start (for [`Start::AfterRun`], after
    /// an optional quote and spaces) is one of `lead` …
    pub lead: &'static str,
    /// … and one of `needs` occurs between the start and the end of the window.
    pub needs: &'static str,
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
    let check = |p: &str| Regex::new(p).err().map(|e| e.to_string());
    rules::RULES
        .iter()
        .filter_map(|r| check(&pattern(r)).or_else(|| name_pattern(r).and_then(|n| check(&n))).map(|e| (r.id, e)))
        .collect()
}

/// The expression as compiled: anchored at the start unless the rule searches.
fn pattern(rule: &Rule) -> String {
    match rule.start {
        Start::Search => rule.regex.to_string(),
        _ => format!("^(?:{})", rule.regex),
    }
}

/// The name expression of a [`Start::AfterRun`] rule, matching a whole run.
fn name_pattern(rule: &Rule) -> Option<String> {
    match rule.start {
        Start::AfterRun { name, .. } if !name.is_empty() => Some(format!("^(?:{name})$")),
        _ => None,
    }
}

/// Returns `text` without control sequences and with secrets replaced by `[REDACTED]` (or
/// `[REDACTED PRIVATE KEY]`). Never fails.
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
    let Some(decoded) = escapes::decode_name_escapes(text) else {
        return replace_spans(text, find_spans(text));
    };
    let spans = find_spans(&decoded.text)
        .into_iter()
        .map(|s| Span { start: decoded.original(s.start), end: decoded.original(s.end), mark: s.mark })
        .collect();
    replace_spans(text, spans)
}

/// What every rule finds in `text`.
fn find_spans(text: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let windows = scan(text, &mut spans);
    for (i, rule_windows) in windows.iter().enumerate().filter(|(_, w)| !w.is_empty()) {
        // Compiled only when needed: all the rules at once cost ~80 ms in wasm.
        let (Some(rule), Some((re, _))) = (rules::RULES.get(i), compiled(i)) else { continue };
        for &(lo, hi) in rule_windows {
            find_in_window(text, lo, hi, rule, re, &mut spans);
        }
    }
    spans
}

/// The part of a match that is replaced: group `s`, else group `e` or `n` (the same value in
/// another alternative: names cannot repeat), else the whole match.
fn replaced<'h>(caps: &regex_lite::Captures<'h>) -> Option<regex_lite::Match<'h>> {
    caps.name("s").or_else(|| caps.name("e")).or_else(|| caps.name("n")).or_else(|| caps.get(0))
}

/// The rule's expression compiled at first use (and whether it has a group `s`), or None when
/// it does not compile.
fn compiled(i: usize) -> Option<&'static (Regex, bool)> {
    static COMPILED: OnceLock<Vec<OnceLock<Option<(Regex, bool)>>>> = OnceLock::new();
    let all = COMPILED.get_or_init(|| rules::RULES.iter().map(|_| OnceLock::new()).collect());
    let rule = rules::RULES.get(i)?;
    let compile = || Regex::new(&pattern(rule)).ok().map(|re| (re.clone(), re.capture_names().any(|n| matches!(n, Some("s" | "e" | "n")))));
    all.get(i)?.get_or_init(compile).as_ref()
}

/// Whether `name` has the shape a [`Start::AfterRun`] rule asks for.
fn name_matches(i: usize, name: &str) -> bool {
    static COMPILED: OnceLock<Vec<OnceLock<Option<Regex>>>> = OnceLock::new();
    let all = COMPILED.get_or_init(|| rules::RULES.iter().map(|_| OnceLock::new()).collect());
    let Some(rule) = rules::RULES.get(i) else { return false };
    if !matches!(rule.start, Start::AfterRun { name, .. } if !name.is_empty()) {
        return true;
    }
    let compile = || name_pattern(rule).and_then(|p| Regex::new(&p).ok());
    all.get(i).and_then(|c| c.get_or_init(compile).as_ref()).is_some_and(|re| re.is_match(name))
}

/// Matches of one rule in `text[lo..hi]` (only at `lo` when the rule is anchored), added to
/// `spans` (the replaced part of each).
fn find_in_window(text: &str, lo: usize, hi: usize, rule: &Rule, re: &Regex, spans: &mut Vec<Span>) {
    let Some(hay) = text.get(lo..hi) else { return };
    for caps in re.captures_iter(hay) {
        let Some(m) = replaced(&caps) else { continue };
        add_span(text, lo + m.start(), lo + m.end(), hi, rule, spans);
    }
}

/// The replaced part `start..end` of a match found in a window ending at `hi`, unless it is
/// not a secret after all.
fn add_span(text: &str, mut start: usize, mut end: usize, hi: usize, rule: &Rule, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    {
        if let Some(&next) = b.get(end) {
            if end < hi && rule.not_followed_by.as_bytes().contains(&next) {
                return;
            }
        }
        // A window cut inside a long line: the secret may go on past it.
        if end == hi && hi < b.len() {
            while b.get(end).is_some_and(|c| !c.is_ascii_whitespace()) {
                end += 1;
            }
        }
        // A quoted value keeps its quotes (JSON-escaped ones too: `\"…\"`).
        let q = b.get(start).copied();
        if end >= start + 4 && q == Some(b'\\') && b.get(start + 1) == Some(&b'"') && b.get(end - 2..end) == Some(b"\\\"") {
            start += 2;
            end -= 2;
        } else if end >= start + 2 && matches!(q, Some(b'"' | b'\'')) && b.get(end - 1).copied() == q {
            start += 1;
            end -= 1;
        }
        let Some(secret) = text.get(start..end) else { return };
        if !is_placeholder(secret) {
            spans.push(Span { start, end, mark: rule.mark });
        }
    }
}

/// Values that are not secrets whatever their name: empty, an earlier mark (or its start, cut
/// at its space: `[REDACTED` of `[REDACTED PRIVATE KEY]`), the words of [`rules::NOT_SECRETS`],
/// short numbers (counts, ports: `tokens.input=0`, `max_tokens: 4096`).
fn is_placeholder(v: &str) -> bool {
    v.is_empty()
        || MARK.starts_with(v)
        || PRIVATE_KEY_MARK.starts_with(v)
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

/// One pass over `text` for keyword hits. An anchored rule is tried at once where its match
/// would start (each start once), adding to `spans`; for a searching rule the window to
/// search is noted: the returned merged, ascending byte ranges, per rule.
fn scan(text: &str, spans: &mut Vec<Span>) -> Vec<Vec<(usize, usize)>> {
    let kw = keywords();
    let b = text.as_bytes();
    let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); rules::RULES.len()];
    // Per rule, the last start tried (several keywords of one name lead to the same start).
    let mut tried: Vec<usize> = vec![usize::MAX; rules::RULES.len()];
    let mut last_try: (usize, *const u8) = (usize::MAX, std::ptr::null());
    let mut runs = Runs::default();
    let mut needs = vec![(usize::MAX, 0usize); rules::RULES.len()];
    let mut line_start = 0;
    let mut line_end = 0; // end of the line holding `line_start`, once looked up (else ≤ line_start)
    let mut next_end = 0; // end of the line after it, once looked up (else ≤ line_end)
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
            if rule.scope == Scope::NextLine && next_end <= line_end {
                let next = line_end + 1;
                next_end = b.get(next..).and_then(|t| t.iter().position(|&c| c == b'\n')).map_or(b.len(), |p| next + p);
            }
            let (lo, hi) = window(text, rule.scope, line_start, line_end, next_end, i);
            if rule.start == Start::Search {
                let Some(list) = windows.get_mut(r) else { continue };
                match list.last_mut() {
                    Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                    _ => list.push((lo, hi)),
                }
                continue;
            }
            let Some(start) = anchor(b, rule.start, line_start, i, &mut runs) else { continue };
            if let Start::AfterRun { run, .. } = rule.start {
                let name_start = runs.around(b, run, line_start, i).0;
                let rest = b.get(start..hi.max(start)).unwrap_or(&[]);
                if tried.get(r) == Some(&start)
                    || !precheck(rest, rule)
                    || !text.get(name_start..start).is_some_and(|n| name_matches(r, n))
                {
                    continue;
                }
            }
            if attempt(text, r, start, hi, &mut tried, &mut last_try, &mut needs, spans) {
                continue;
            }
            // A run that does not start with the rule's name (`X-Custom-Authorization:`): the
            // keyword itself is the other place the match can start.
            if matches!(rule.start, Start::Run { .. }) && start != i {
                attempt(text, r, i, hi, &mut tried, &mut last_try, &mut needs, spans);
            }
        }
    }
    windows
}

/// One anchored attempt of rule `r` at `start` (window end `hi`), unless already made; whether
/// it found a secret (added to `spans`).
fn attempt(
    text: &str,
    r: usize,
    start: usize,
    hi: usize,
    tried: &mut [usize],
    last_try: &mut (usize, *const u8),
    needs: &mut [(usize, usize)],
    spans: &mut Vec<Span>,
) -> bool {
    let Some(rule) = rules::RULES.get(r) else { return false };
    if tried.get(r) == Some(&start) || !text.is_char_boundary(start) {
        return false;
    }
    if let Some(t) = tried.get_mut(r) {
        *t = start;
    }
    // Inside the secret found last, an attempt finds nothing more (no rule's secret goes on past
    // where another's stops: spaces, quotes, separators); and rules sharing an expression (the
    // assignments) need one attempt at one start.
    let same = (start, rule.regex.as_ptr());
    if spans.last().is_some_and(|l| l.start < start && start < l.end) || *last_try == same {
        return false;
    }
    *last_try = same;
    let (Some((re, has_s)), Some(hay)) = (compiled(r), text.get(start..hi.max(start))) else { return false };
    if !lead_ok(hay.as_bytes(), rule) || !needs_before(text.as_bytes(), rule, start, hi, needs.get_mut(r)) {
        return false;
    }
    // `find` is cheaper than `captures` in regex-lite: captures only for a group `s`.
    let found = if *has_s {
        re.captures(hay).and_then(|c| replaced(&c)).map(|m| (m.start(), m.end()))
    } else {
        re.find(hay).map(|m| (m.start(), m.end()))
    };
    let Some((a, z)) = found else { return false };
    add_span(text, start + a, start + z, hi, rule, spans);
    true
}

/// The rule's `lead` and `needs` checks on the text from the start on.
fn precheck(hay: &[u8], rule: &Rule) -> bool {
    lead_ok(hay, rule) && (rule.needs.is_empty() || hay.iter().any(|c| rule.needs.as_bytes().contains(c)))
}

/// The rule's `lead` check on the text from the start on.
fn lead_ok(hay: &[u8], rule: &Rule) -> bool {
    let lead_at = match rule.start {
        Start::AfterRun { .. } => {
            let esc = usize::from(hay.first() == Some(&b'\\'));
            let mut i = esc + usize::from(matches!(hay.get(esc), Some(b'"' | b'\'')));
            while matches!(hay.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            i
        }
        _ => 0,
    };
    rule.lead.is_empty() || hay.get(lead_at).is_some_and(|c| rule.lead.as_bytes().contains(c))
}

/// The rule's `needs` check for `b[start..hi]`, remembering per rule (`memo`: searched from,
/// first hit at or after it, or `b.len()`) where the next needed byte is: hits on one long line
/// then cost one pass over it, not a search of the rest of the window each.
fn needs_before(b: &[u8], rule: &Rule, start: usize, hi: usize, memo: Option<&mut (usize, usize)>) -> bool {
    if rule.needs.is_empty() {
        return true;
    }
    let find = |from: usize, to: usize| {
        b.get(from..to).and_then(|t| t.iter().position(|c| rule.needs.as_bytes().contains(c))).map(|p| from + p)
    };
    let Some(memo) = memo else { return find(start, hi).is_some() };
    let (from, next) = *memo;
    let at = if from <= start && start <= next {
        next
    } else if start < from && from != usize::MAX {
        // Just before the memo's range (a run's start, then a keyword in it): look in between.
        find(start, from).unwrap_or(next)
    } else {
        let at = find(start, b.len()).unwrap_or(b.len());
        *memo = (start, at);
        at
    };
    at < hi
}

/// The run of each [`Run`] class found last, `start..end`: the hits on one run (a long run of
/// name characters holding a keyword many times) share it instead of each walking it again.
#[derive(Default)]
struct Runs {
    last: [Option<(usize, usize)>; 5],
}

impl Runs {
    /// The run of `run` characters (within the line) around `at`: from where it starts before
    /// `at` to where it ends at or after it.
    fn around(&mut self, b: &[u8], run: Run, line_start: usize, at: usize) -> (usize, usize) {
        let slot = run as usize;
        if let Some(&Some((s, e))) = self.last.get(slot) {
            if s >= line_start && s <= at && at <= e {
                return (s, e);
            }
        }
        let mut s = at;
        while s > line_start && b.get(s - 1).is_some_and(|&c| run.has(c)) {
            s -= 1;
        }
        let mut e = at;
        while b.get(e).is_some_and(|&c| run.has(c) && c != b'\n') {
            e += 1;
        }
        if let Some(l) = self.last.get_mut(slot) {
            *l = Some((s, e));
        }
        (s, e)
    }
}

/// Where an anchored rule's match would start for a keyword hit at `at` (on a line starting at
/// `line_start`), or None when it cannot start there.
fn anchor(b: &[u8], start: Start, line_start: usize, at: usize, runs: &mut Runs) -> Option<usize> {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    match start {
        Start::Keyword { back, word } => {
            let s = at.checked_sub(back).filter(|&s| s >= line_start)?;
            let ok = !word || s == 0 || !b.get(s - 1).is_some_and(|&c| is_word(c));
            ok.then_some(s)
        }
        Start::Run { run, before } => {
            let s = runs.around(b, run, line_start, at).0;
            let ok = before.is_empty() || s == line_start || b.get(s - 1).is_some_and(|c| before.as_bytes().contains(c));
            ok.then_some(s)
        }
        Start::AfterRun { run, .. } => Some(runs.around(b, run, line_start, at).1),
        Start::Search => None,
    }
}

/// The range a rule with `scope` searches for a keyword hit at `at` on the line
/// `line_start..line_end` (the next line ending at `next_end`), on character boundaries.
fn window(text: &str, scope: Scope, line_start: usize, line_end: usize, next_end: usize, at: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let (lo, hi) = match scope {
        Scope::Line if line_end - line_start <= LONG_LINE => (line_start, line_end),
        Scope::Line => (at.saturating_sub(LONG_BEFORE).max(line_start), (at + LONG_AFTER).min(line_end)),
        Scope::After(n) => (line_start, (at + n).min(b.len())),
        Scope::NextLine => {
            let (lo, hi) = window(text, Scope::Line, line_start, line_end, next_end, at);
            // A hit far from its line's end cannot have its value on the next line: the line's
            // window, so a long line's hits do not each reach to the next line's end.
            if hi < line_end || next_end <= line_end {
                (lo, hi)
            } else {
                (lo, next_end.min(line_end + 1 + LONG_AFTER))
            }
        }
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
