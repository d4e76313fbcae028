//! What the agents print, kept as data: the strings that classify a failure, the prompts that
//! mean "waiting for input", and the lines that mean "still retrying".
//!
//! Screen and error texts change with every CLI release, so they live here in plain tables that
//! are easy to update, each entry tested against captured output (tests/fixtures/agent-output).
//! Matching is ASCII case-insensitive substring search (one pass per line over an index of
//! all phrases by their first two bytes); HTTP status codes are read out of error lines by a small hand-written
//! matcher.

use crate::model::FailureClass;

/// When several classes match, the first in this list wins: the most specific and least
/// recoverable explanation is the one to report.
pub const CLASS_PRIORITY: [FailureClass; 6] = [
    FailureClass::ContextOverflow,
    FailureClass::UsageLimit,
    FailureClass::Auth,
    FailureClass::BadInvocation,
    FailureClass::RateLimit,
    FailureClass::Network,
];

/// Substrings (ASCII case-insensitive) that put an error line in a failure class.
pub const FAILURE_TEXT: &[(FailureClass, &[&str])] = &[
    (
        FailureClass::ContextOverflow,
        &[
            "context window",          // codex, opencode, pi (OpenAI wording)
            "contextoverflowerror",    // opencode error name
            "prompt is too long",      // claude
            "context_length_exceeded", // OpenAI error code
            "maximum context length",
            "context length exceeded",
        ],
    ),
    (
        FailureClass::UsageLimit,
        &[
            "hit your usage limit", // codex: "You’ve hit your usage limit … try again at 1:22 AM"
            "hit your session limit", // claude: "You've hit your session limit · resets 3:50pm (…)"
            "hit your weekly limit",
            "hit your daily limit",
            "hit your opus limit",
            "hit your limit", // claude: "You've hit your limit · resets 1am"
            "usage limit reached",
            "usage_limit_reached",
            "quota exceeded", // codex: "Quota exceeded. Check your plan and billing details."
            "exceeded your current quota",
            "insufficient_quota",
            "credit balance is too low",
            // Limits that name no reset are fatal; with one ("· resets 3pm") they are waited out.
            "out of credits",            // codex: "Your workspace is out of credits. Add credits to continue."
            "workspace credit limit",    // codex: "You've reached your workspace credit limit"
            "hit your spend cap",        // codex: "You hit your spend cap set in your workspace."
            "out of usage credits",      // claude: "You're out of usage credits"
            "hit your monthly spend limit", // claude
            "hit your fast limit",       // claude (fast mode)
        ],
    ),
    (
        FailureClass::Auth,
        &[
            "unauthorized",
            "invalid api key", // claude: "Invalid API key · Fix external API key"
            "incorrect api key", // OpenAI 401 body
            "invalid_api_key",
            "invalid x-api-key",
            "authentication_failed", // claude stream-json error field
            "authentication_error",
            "not logged in", // claude: "Not logged in · Please run /login"; codex login status
            "please run /login",
            "no api key found", // pi: "No API key found for the selected model."
            "missing api key",
            "api key is missing",
            "oauth token has expired",
            "invalid bearer token",
        ],
    ),
    (
        FailureClass::BadInvocation,
        &[
            "unexpected argument", // clap (codex): removed flags such as --full-auto
            "unrecognized option",
            "unknown option",
            "not inside a trusted directory", // codex outside git without --skip-git-repo-check
            "requires --verbose",             // claude stream-json without --verbose
            "cannot be used with root/sudo",  // claude bypass as root without IS_SANDBOX=1
            "is already in use",              // claude --session-id reused
            "no conversation found with session id", // claude resume of an unknown id
            "no rollout found",               // codex resume of an unknown id
            "session not found",              // opencode --session of an unknown id
            "no session found matching",      // pi --session of an unknown id
            "auto-rejecting",                 // opencode run refusing an `ask` permission
            "providermodelnotfounderror",
            "model_not_found",
        ],
    ),
    (
        FailureClass::RateLimit,
        &[
            "rate limit", // "429 Rate limit reached", "exceed the rate limit"
            "rate limited",
            "rate_limit",
            "too many requests",
            "overloaded", // "529 Overloaded", overloaded_error
            "at capacity", // codex: "Selected model is at capacity."
            "high demand", // codex 5xx: "We’re currently experiencing high demand"
            "service unavailable",
            "internal server error",
            "bad gateway",
            "gateway timeout",
            "server_error",
            "temporarily unavailable",
            "exceeded retry limit",
        ],
    ),
    (
        FailureClass::Network,
        &[
            "waiting for network", // codex, forever
            "unable to connect",   // claude: "Unable to connect to API (ConnectionRefused)"
            "connectionrefused",
            "connection refused",
            "econnrefused",
            "econnreset",
            "etimedout",
            "enotfound",
            "eai_again",
            "failed to lookup address",
            "name does not resolve",
            "could not resolve host",
            "connection failed",
            "error sending request",
            "stream disconnected",
            "failed to connect",
            "fetch failed",
            "socket hang up",
            "connection reset",
            "network error",
            "network is unreachable",
        ],
    ),
];

/// Lines that, on their own, say nothing about why a run failed even though they look like
/// errors (every Codex run against an unknown model prints the first one).
pub const IGNORED_ERROR_TEXT: &[&str] = &["model metadata for", "reading additional input from stdin"];

/// Prompts on screen that mean the agent waits for a person, for every agent.
pub const WAITING_COMMON: &[&str] = &[
    "do you want to proceed",
    "yes, allow once",
    "allow command?",
    "press enter to confirm or esc to cancel",
    "do you trust the files in this folder?",
    "[y/n]",
    "(y/n)",
];

// Prompts specific to one agent are profile data (`waiting` in agents/<name>.json).

/// Lines an agent prints while it retries or waits for the network instead of working.
pub const RETRY_TEXT: &[&str] = &[
    "reconnecting...", // codex: "Reconnecting... 2/5 (…)", "Reconnecting... waiting for network"
    "waiting for network",
    "\"subtype\":\"api_retry\"",      // claude stream-json
    "\"type\":\"auto_retry_start\"", // pi json
    "failed to connect",
    "retrying in",
    "retrying...",
    "retry attempt",
];

/// How many of the last non-empty pane lines are searched for a waiting prompt.
pub const WAITING_WINDOW_LINES: usize = 15;
/// How many of the last non-empty pane lines must all be retry lines to call it a retry loop.
pub const RETRY_WINDOW_LINES: usize = 6;
/// Fewest retry lines that make a retry loop (a single "Reconnecting" is normal).
pub const RETRY_MIN_LINES: usize = 3;

/// The failure class an HTTP status implies, if any.
pub fn class_of_status(status: u16) -> Option<FailureClass> {
    match status {
        401 | 403 => Some(FailureClass::Auth),
        429 | 500..=504 | 529 => Some(FailureClass::RateLimit),
        _ => None,
    }
}

/// HTTP status codes quoted in an error line: "status 401", "(429)", "API Error: 500 …",
/// "503 Service Unavailable", or a line that starts with the code ("429 Rate limit reached").
///
/// Hand-written, one pass: it finds exactly what the regular expression
/// `(?:(?i:status(?: code)?:? |api error:? )|\()([1-5]\d\d)\b|^([1-5]\d\d) [A-Z{]|\b([1-5]\d\d) (?i:unauthorized|forbidden|too many requests|internal server error|bad gateway|service unavailable|gateway timeout|overloaded)`
/// finds (leftmost-first, non-overlapping; `\b` and `(?i)` ASCII), without a regex engine.
pub fn statuses_in(text: &str) -> Vec<u16> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // Every match contains a code `[1-5]\d\d` at most 13 bytes after its start ("status code: ").
    let mut next_code = code_pos(b, 0);
    let mut p = 0;
    while let Some(q) = next_code {
        if q < p {
            next_code = code_pos(b, p);
            continue;
        }
        p = p.max(q.saturating_sub(13));
        match status_at(b, p) {
            Some((code, end)) => {
                out.push(code);
                p = end;
            }
            None => p += 1,
        }
    }
    out
}

/// The first position at or after `from` where `[1-5]\d\d` starts.
fn code_pos(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&c) = b.get(i) {
        if c.wrapping_sub(b'1') < 5 && code_at(b, i).is_some() {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Phrases that name a status after `NNN ` (third alternative of [`statuses_in`]).
const STATUS_WORDS: &[&str] = &[
    "unauthorized",
    "forbidden",
    "too many requests",
    "internal server error",
    "bad gateway",
    "service unavailable",
    "gateway timeout",
    "overloaded",
];

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `[1-5]\d\d` at `i`: the code.
fn code_at(b: &[u8], i: usize) -> Option<u16> {
    match b.get(i..i + 3)? {
        [c0 @ b'1'..=b'5', c1, c2] if c1.is_ascii_digit() && c2.is_ascii_digit() => {
            Some(u16::from(c0 - b'0') * 100 + u16::from(c1 - b'0') * 10 + u16::from(c2 - b'0'))
        }
        _ => None,
    }
}

/// ASCII case-insensitive `lower` (lowercase) at `b[i..]`.
fn ci_at(b: &[u8], i: usize, lower: &str) -> bool {
    b.get(i..i + lower.len())
        .is_some_and(|w| w.iter().zip(lower.bytes()).all(|(x, y)| x.to_ascii_lowercase() == y))
}

/// The match of the status expression starting at `p`, if any: (code, end of the match).
fn status_at(b: &[u8], p: usize) -> Option<(u16, usize)> {
    // Alternative 1: a prefix, then the code, then a word boundary.
    let mut digits: Option<usize> = None;
    if b.get(p) == Some(&b'(') {
        digits = Some(p + 1);
    } else if ci_at(b, p, "status") {
        // `status(?: code)?:? `: at most one of the two paths can be followed by a digit
        // (" code" starts with a space, the other path needs a digit there).
        let after = p + 6;
        digits = [after + 5, after]
            .into_iter()
            .filter(|&q| q == after || ci_at(b, after, " code"))
            .find_map(|q| {
                let q = if b.get(q) == Some(&b':') { q + 1 } else { q };
                (b.get(q) == Some(&b' ') && code_at(b, q + 1).is_some()).then_some(q + 1)
            });
    } else if ci_at(b, p, "api error") {
        let q = p + 9;
        let q = if b.get(q) == Some(&b':') { q + 1 } else { q };
        if b.get(q) == Some(&b' ') {
            digits = Some(q + 1);
        }
    }
    if let Some(d) = digits {
        if let Some(code) = code_at(b, d) {
            if !b.get(d + 3).is_some_and(|&c| is_word_byte(c)) {
                return Some((code, d + 3));
            }
        }
    }
    // Alternative 2: the text starts with `NNN ` and an uppercase letter or '{'.
    if p == 0 {
        if let Some(code) = code_at(b, 0) {
            if b.get(3) == Some(&b' ') && b.get(4).is_some_and(|&c| c.is_ascii_uppercase() || c == b'{') {
                return Some((code, 5));
            }
        }
    }
    // Alternative 3: at a word start, `NNN ` and a status phrase.
    if p == 0 || !b.get(p - 1).is_some_and(|&c| is_word_byte(c)) {
        if let Some(code) = code_at(b, p) {
            if b.get(p + 3) == Some(&b' ') {
                if let Some(w) = STATUS_WORDS.iter().find(|w| ci_at(b, p + 4, w)) {
                    return Some((code, p + 4 + w.len()));
                }
            }
        }
    }
    None
}

/// ASCII case-insensitive substring search. `needle` must be lowercase (the tables are).
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    find_ci(haystack.as_bytes(), needle.as_bytes())
}

/// Whether any of the lowercase `needles` occurs in `text`, ignoring ASCII case.
pub fn contains_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| find_ci(text.as_bytes(), n.as_bytes()))
}

/// `needle` (lowercase) in `hay`, ignoring ASCII case; no allocation, at most
/// `needle.len()` comparisons per byte of `hay`.
fn find_ci(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    hay.windows(needle.len()).any(|w| w.iter().zip(needle).all(|(x, y)| x.to_ascii_lowercase() == *y))
}

/// Every failure class the text of one line points to (by table and by HTTP status).
pub fn classes_in(text: &str) -> Vec<FailureClass> {
    let mask = phrase_facts(text).classes;
    let mut out: Vec<FailureClass> =
        FAILURE_TEXT.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, (c, _))| *c).collect();
    for class in statuses_in(text).into_iter().filter_map(class_of_status) {
        if !out.contains(&class) {
            out.push(class);
        }
    }
    out
}

/// What one line says, as found by one pass over it: the failure classes it points to (bit
/// `i` = `FAILURE_TEXT[i]`, by table text and by HTTP status) and whether it contains an
/// [`IGNORED_ERROR_TEXT`] phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineFacts {
    pub classes: u8,
    pub ignored: bool,
}

/// The bit of `class` in [`LineFacts::classes`] (0 for classes no table names).
pub fn class_bit(class: FailureClass) -> u8 {
    FAILURE_TEXT.iter().position(|(c, _)| *c == class).map_or(0, |i| 1 << i)
}

/// One pass over `text` finding every table phrase (see [`LineFacts`]): each pair of adjacent
/// bytes is looked up in an index built at compile time, so the work per byte is bounded by
/// the few phrases in one bucket, whatever the line.
pub fn line_facts(text: &str) -> LineFacts {
    let mut facts = phrase_facts(text);
    for status in statuses_in(text) {
        if let Some(class) = class_of_status(status) {
            facts.classes |= class_bit(class);
        }
    }
    facts
}

/// [`line_facts`] from the table phrases alone.
///
/// Every phrase is at least `STRIDE + 1` bytes long, so wherever one occurs, some position `j`
/// that is a multiple of `STRIDE` has the byte pair `text[j..j + 2]` inside it, at an offset below
/// `STRIDE`. Only those positions are looked up in [`PAIR_INDEX`] (every pair of every phrase
/// at offsets `0..STRIDE`), and each hit is checked in full: the same answer as searching for
/// each phrase at every position, for a fraction of the work.
fn phrase_facts(text: &str) -> LineFacts {
    let b = text.as_bytes();
    let mut facts = LineFacts::default();
    let mut j = 0;
    while let (Some(&x0), Some(&x1)) = (b.get(j), b.get(j + 1)) {
        let pair = u16::from_le_bytes([x0.to_ascii_lowercase(), x1.to_ascii_lowercase()]);
        let h = pair_hash(pair);
        // `start` has BUCKETS + 1 entries and h < BUCKETS, so both reads are in bounds.
        let (lo, hi) = (usize::from(PAIR_INDEX.start[h]), usize::from(PAIR_INDEX.start[h + 1]));
        for e in PAIR_INDEX.entries.get(lo..hi).unwrap_or(&[]) {
            if e.pair != pair || j < usize::from(e.offset) {
                continue;
            }
            let Some(p) = PHRASES.get(usize::from(e.phrase)) else { continue };
            let known = if p.bit == IGNORED_BIT { facts.ignored } else { facts.classes & p.bit != 0 };
            if !known && ci_at(b, j - usize::from(e.offset), p.text) {
                if p.bit == IGNORED_BIT {
                    facts.ignored = true;
                } else {
                    facts.classes |= p.bit;
                }
            }
        }
        j += STRIDE;
    }
    facts
}

/// Marks an [`IGNORED_ERROR_TEXT`] phrase (class bits use the low 6 bits).
const IGNORED_BIT: u8 = 0x80;

/// One table phrase and the bit it sets.
#[derive(Clone, Copy)]
struct Phrase {
    text: &'static str,
    bit: u8,
}

/// `PHRASES[phrase]` has the (lowercase) byte pair `pair` (little-endian) at `offset`.
#[derive(Clone, Copy)]
struct Entry {
    pair: u16,
    phrase: u8,
    offset: u8,
}

const PHRASE_COUNT: usize = {
    let mut n = IGNORED_ERROR_TEXT.len();
    let mut i = 0;
    while i < FAILURE_TEXT.len() {
        n += FAILURE_TEXT[i].1.len();
        i += 1;
    }
    assert!(n < 256, "phrase indices are u8");
    n
};

/// Every phrase of [`FAILURE_TEXT`] and [`IGNORED_ERROR_TEXT`], flattened at compile time.
static PHRASES: [Phrase; PHRASE_COUNT] = {
    let mut out = [Phrase { text: "", bit: 0 }; PHRASE_COUNT];
    let mut k = 0;
    let mut i = 0;
    while i < FAILURE_TEXT.len() {
        let list = FAILURE_TEXT[i].1;
        let mut j = 0;
        while j < list.len() {
            out[k] = Phrase { text: list[j], bit: 1 << i };
            k += 1;
            j += 1;
        }
        i += 1;
    }
    let mut j = 0;
    while j < IGNORED_ERROR_TEXT.len() {
        out[k] = Phrase { text: IGNORED_ERROR_TEXT[j], bit: IGNORED_BIT };
        k += 1;
        j += 1;
    }
    out
};

/// Distance between looked-up positions: one less than the shortest phrase (a shorter phrase
/// only makes the search slower, never wrong).
const STRIDE: usize = {
    let mut min = usize::MAX;
    let mut i = 0;
    while i < FAILURE_TEXT.len() {
        let list = FAILURE_TEXT[i].1;
        let mut j = 0;
        while j < list.len() {
            if list[j].len() < min {
                min = list[j].len();
            }
            j += 1;
        }
        i += 1;
    }
    let mut j = 0;
    while j < IGNORED_ERROR_TEXT.len() {
        if IGNORED_ERROR_TEXT[j].len() < min {
            min = IGNORED_ERROR_TEXT[j].len();
        }
        j += 1;
    }
    assert!(min >= 2, "table phrases have at least two bytes");
    min - 1
};

const BUCKETS: usize = 512;
const ENTRY_COUNT: usize = PHRASE_COUNT * STRIDE;

const fn pair_hash(pair: u16) -> usize {
    (pair as usize).wrapping_mul(0x9E37) >> 7 & (BUCKETS - 1)
}

/// The pair at `offset` of `text` (little-endian).
const fn pair_at(text: &str, offset: usize) -> u16 {
    let b = text.as_bytes();
    u16::from_le_bytes([b[offset], b[offset + 1]])
}

/// Entries grouped by bucket: `entries[start[h]..start[h + 1]]` have `pair_hash(pair) == h`.
struct PairIndex {
    entries: [Entry; ENTRY_COUNT],
    start: [u16; BUCKETS + 1],
}

/// Built at compile time (counting sort by bucket).
static PAIR_INDEX: PairIndex = {
    let mut count = [0u16; BUCKETS + 1];
    let mut p = 0;
    while p < PHRASE_COUNT {
        let mut off = 0;
        while off < STRIDE {
            count[pair_hash(pair_at(PHRASES[p].text, off)) + 1] += 1;
            off += 1;
        }
        p += 1;
    }
    let mut start = [0u16; BUCKETS + 1];
    let mut h = 1;
    while h <= BUCKETS {
        start[h] = start[h - 1] + count[h];
        h += 1;
    }
    let mut fill = start;
    let mut entries = [Entry { pair: 0, phrase: 0, offset: 0 }; ENTRY_COUNT];
    let mut p = 0;
    while p < PHRASE_COUNT {
        let mut off = 0;
        while off < STRIDE {
            let pair = pair_at(PHRASES[p].text, off);
            let h = pair_hash(pair);
            entries[fill[h] as usize] = Entry { pair, phrase: p as u8, offset: off as u8 };
            fill[h] += 1;
            off += 1;
        }
        p += 1;
    }
    PairIndex { entries, start }
};

/// The stable name of a failure class (as serialized), for profile data.
pub fn class_name(class: FailureClass) -> &'static str {
    match class {
        FailureClass::Crash => "crash",
        FailureClass::Signal => "signal",
        FailureClass::Network => "network",
        FailureClass::RateLimit => "rate_limit",
        FailureClass::Auth => "auth",
        FailureClass::UsageLimit => "usage_limit",
        FailureClass::BadInvocation => "bad_invocation",
        FailureClass::ContextOverflow => "context_overflow",
        FailureClass::ProjectDirMissing => "project_dir_missing",
        FailureClass::TaskFileUnsafe => "task_file_unsafe",
        FailureClass::BudgetExceeded => "budget_exceeded",
    }
}
