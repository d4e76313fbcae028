//! What the agents print, kept as data: the texts that classify a failure, the HTTP status
//! codes that imply a class, the prompts that mean "waiting for input", the lines that mean
//! "still retrying" and the forms of a reset time.
//!
//! Screen and error texts change with every CLI release, so they live in a data file,
//! `patterns/common.json` (embedded here), beside the per-agent entries of `agents/<name>.json`
//! and the operator's profiles, in the same shape ([`PatternData`]): a regex-lite expression and
//! the literal keywords (ASCII case-insensitive) one of which every text it matches contains.
//! regex-lite is slow on long inputs, so a regex only runs on a line that holds one of its
//! keywords; the keywords of the shared failure, status and ignored patterns are found in one
//! pass per line ([`KeywordIndex`]).

use crate::model::FailureClass;
use crate::profiles::PatternData;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

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

/// How many of the last non-empty pane lines are searched for a waiting prompt.
pub const WAITING_WINDOW_LINES: usize = 15;
/// How many of the last non-empty pane lines must all be retry lines to call it a retry loop.
pub const RETRY_WINDOW_LINES: usize = 6;
/// Fewest retry lines that make a retry loop (a single "Reconnecting" is normal).
pub const RETRY_MIN_LINES: usize = 3;

/// The shared pattern file.
const COMMON_JSON: &str = include_str!("../patterns/common.json");

/// `patterns/common.json` as written. Its fields have the shapes of the profile fields of the
/// same names (`failure`, `waiting`, `retry`, `reset`), so an agent adds to each the same way.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonData {
    /// What the file is (documentation only).
    #[serde(default)]
    pub about: Option<String>,
    /// Failure texts by class name.
    pub failure: BTreeMap<String, Vec<PatternData>>,
    /// HTTP status codes by the class they imply.
    pub http_status: BTreeMap<String, Vec<u16>>,
    /// Where an HTTP status is quoted in a line: each regex captures it as `status`.
    pub status: Vec<PatternData>,
    /// Lines that look like errors but say nothing about why a run failed.
    pub ignored: Vec<PatternData>,
    /// Prompts (literal texts) that wait for a person, whatever the agent.
    pub waiting: Vec<String>,
    /// Lines an agent prints while it retries instead of working.
    pub retry: Vec<PatternData>,
    /// Reset-time forms (see [`crate::reset_hint`] for the capture names).
    pub reset: Vec<PatternData>,
}

/// A checked [`PatternData`]: keywords lowercased, regex compiled once, when first needed (the
/// shared file's regexes are compiled by the tests; most of them are never needed by a process,
/// and compiling them all costs tens of milliseconds in wasm).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub keywords: Vec<String>,
    source: String,
    re: OnceLock<Option<regex_lite::Regex>>,
}

impl Pattern {
    /// The compiled regex (`None` only for a shared pattern that does not compile, which
    /// tests/core_patterns_data.rs rules out; it then matches nothing).
    pub fn regex(&self) -> Option<&regex_lite::Regex> {
        self.re.get_or_init(|| regex_lite::Regex::new(&self.source).ok()).as_ref()
    }

    /// Whether the line holds one of the keywords and the regex matches it.
    pub fn is_match(&self, text: &str) -> bool {
        self.holds_keyword(text) && self.regex_matches(text)
    }

    /// Whether the regex alone matches (the caller found a keyword).
    pub fn regex_matches(&self, text: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(text))
    }

    /// Whether the line holds one of the keywords (the regex is worth running).
    pub fn holds_keyword(&self, text: &str) -> bool {
        self.keywords.iter().any(|k| contains_ci(text, k))
    }
}

/// Longest keyword, and longest regex source, a pattern may have.
const MAX_KEYWORD: usize = 64;
const MAX_REGEX: usize = 1024;
/// Most keywords of one pattern.
const MAX_KEYWORDS: usize = 64;

/// Checks and compiles one pattern; the error says what is wrong (the caller names the field).
pub fn compile_pattern(p: &PatternData) -> Result<Pattern, String> {
    let pattern = lazy_pattern(p)?;
    let re = regex_lite::Regex::new(&p.regex)
        .map_err(|e| format!("regex parse error: {}", e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")))?;
    let _ = pattern.re.set(Some(re));
    Ok(pattern)
}

/// Checks one pattern's keywords and size; its regex is compiled when first needed.
fn lazy_pattern(p: &PatternData) -> Result<Pattern, String> {
    if p.keywords.is_empty()
        || p.keywords.len() > MAX_KEYWORDS
        || p.keywords.iter().any(|k| k.trim().is_empty() || k.len() > MAX_KEYWORD || k.contains('\0'))
    {
        return Err(format!(
            "keywords: give 1 to {MAX_KEYWORDS} literal words (at most {MAX_KEYWORD} bytes each) the line must hold before the regex runs"
        ));
    }
    if p.regex.len() > MAX_REGEX {
        return Err(format!("regex: longer than {MAX_REGEX} bytes"));
    }
    Ok(Pattern { keywords: p.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(), source: p.regex.clone(), re: OnceLock::new() })
}

/// The failure class named `name` in data (`auth`, `usage_limit`, …), if it is one a text can
/// point to.
pub fn class_named(name: &str) -> Option<FailureClass> {
    CLASS_PRIORITY.into_iter().find(|c| class_name(*c) == name)
}

/// Everything in `patterns/common.json`, checked and compiled.
#[derive(Debug)]
pub struct Common {
    pub failure: Vec<(FailureClass, Pattern)>,
    pub http_status: Vec<(u16, FailureClass)>,
    pub status: Vec<Pattern>,
    pub ignored: Vec<Pattern>,
    /// Lowercased.
    pub waiting: Vec<String>,
    pub retry: Vec<Pattern>,
    pub reset: Vec<crate::reset_hint::ResetForm>,
    index: KeywordIndex,
}

/// Parses, checks and compiles the whole shared pattern file (for the tests); the error names
/// the field (`patterns.failure.auth[0]: regex parse error …`).
pub fn load_common() -> Result<Common, String> {
    let data: CommonData = serde_json::from_str(COMMON_JSON).map_err(|e| format!("patterns: {e}"))?;
    build_common(&data, true)
}

/// Checks [`CommonData`]; with `eager`, compiles every regex now (else each when first needed).
pub fn build_common(data: &CommonData, eager: bool) -> Result<Common, String> {
    let list = |field: &str, list: &[PatternData]| -> Result<Vec<Pattern>, String> {
        list.iter()
            .enumerate()
            .map(|(i, p)| if eager { compile_pattern(p) } else { lazy_pattern(p) }.map_err(|e| format!("patterns.{field}[{i}]: {e}")))
            .collect()
    };
    let mut failure = Vec::new();
    for (name, patterns) in &data.failure {
        let class = class_named(name).ok_or_else(|| format!("patterns.failure.{name}: unknown class"))?;
        failure.extend(list(&format!("failure.{name}"), patterns)?.into_iter().map(|p| (class, p)));
    }
    let mut http_status = Vec::new();
    for (name, codes) in &data.http_status {
        let class = class_named(name).ok_or_else(|| format!("patterns.http_status.{name}: unknown class"))?;
        http_status.extend(codes.iter().map(|&c| (c, class)));
    }
    let status = list("status", &data.status)?;
    let names_status = |p: &Pattern| p.re.get().is_none() || p.regex().is_some_and(|re| re.capture_names().any(|n| n == Some("status")));
    if let Some(i) = status.iter().position(|p| !names_status(p)) {
        return Err(format!("patterns.status[{i}]: the regex must capture the code as (?P<status>…)"));
    }
    let ignored = list("ignored", &data.ignored)?;
    let retry = list("retry", &data.retry)?;
    let reset = data
        .reset
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let form = if eager { crate::reset_hint::ResetForm::build(p) } else { lazy_pattern(p).map(crate::reset_hint::ResetForm::lazy) };
            form.map_err(|e| format!("patterns.reset[{i}]: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if data.waiting.iter().any(|w| w.trim().is_empty()) {
        return Err("patterns.waiting: an empty text would match every line".into());
    }
    // One index over every keyword a candidate line is searched for.
    let mut keywords: Vec<(&str, Slot)> = Vec::new();
    for (i, (_, p)) in failure.iter().enumerate() {
        keywords.extend(p.keywords.iter().map(|k| (k.as_str(), Slot::Failure(i))));
    }
    for (i, p) in status.iter().enumerate() {
        keywords.extend(p.keywords.iter().map(|k| (k.as_str(), Slot::Status(i))));
    }
    for (i, p) in ignored.iter().enumerate() {
        keywords.extend(p.keywords.iter().map(|k| (k.as_str(), Slot::Ignored(i))));
    }
    let index = KeywordIndex::build(&keywords)?;
    Ok(Common {
        failure,
        http_status,
        status,
        ignored,
        waiting: data.waiting.iter().map(|w| w.to_ascii_lowercase()).collect(),
        retry,
        reset,
        index,
    })
}

/// The shared patterns, compiled on first use. A broken file (caught by
/// tests/core_patterns_data.rs) leaves them empty rather than taking the process down.
pub fn common() -> &'static Common {
    static CELL: OnceLock<Common> = OnceLock::new();
    CELL.get_or_init(|| {
        let data = serde_json::from_str::<CommonData>(COMMON_JSON).map_err(|e| e.to_string());
        data.and_then(|d| build_common(&d, false)).unwrap_or_else(|_| Common {
            failure: Vec::new(),
            http_status: Vec::new(),
            status: Vec::new(),
            ignored: Vec::new(),
            waiting: Vec::new(),
            retry: Vec::new(),
            reset: Vec::new(),
            index: KeywordIndex::default(),
        })
    })
}

/// The failure class an HTTP status implies, if any (`http_status` in the data).
pub fn class_of_status(status: u16) -> Option<FailureClass> {
    common().http_status.iter().find(|(c, _)| *c == status).map(|(_, class)| *class)
}

/// Whether the line is one of the shared waiting prompts.
pub fn is_waiting(line: &str) -> bool {
    common().waiting.iter().any(|w| contains_ci(line, w))
}

/// Whether the line is one of the shared retry lines.
pub fn is_retry(line: &str) -> bool {
    common().retry.iter().any(|p| p.is_match(line))
}

/// Whether the line only looks like an error (`ignored` in the data).
pub fn is_ignored(line: &str) -> bool {
    common().ignored.iter().any(|p| p.is_match(line))
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

/// ASCII case-insensitive `lower` (lowercase) at `b[i..]`.
fn ci_at(b: &[u8], i: usize, lower: &[u8]) -> bool {
    b.get(i..i + lower.len())
        .is_some_and(|w| w.iter().zip(lower).all(|(x, y)| x.to_ascii_lowercase() == *y))
}

/// What one line says: the failure classes it points to (bit `i` = `CLASS_PRIORITY[i]`, by
/// failure text and by HTTP status) and whether it matches an `ignored` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineFacts {
    pub classes: u8,
    pub ignored: bool,
}

/// The bit of `class` in [`LineFacts::classes`] (0 for classes no text points to).
pub fn class_bit(class: FailureClass) -> u8 {
    CLASS_PRIORITY.iter().position(|c| *c == class).map_or(0, |i| 1 << i)
}

/// Every class the shared patterns find in one line (see [`LineFacts`]): one pass finds the
/// keywords present, then only the regexes behind them run.
pub fn line_facts(text: &str) -> LineFacts {
    let c = common();
    let mut facts = LineFacts::default();
    let hits = c.index.hits(text.as_bytes());
    if hits == 0 {
        return facts;
    }
    for (slot, bit) in c.index.slots.iter().zip(0..) {
        if hits & (1u128 << bit) == 0 {
            continue;
        }
        match *slot {
            Slot::Failure(i) => {
                if let Some((class, p)) = c.failure.get(i) {
                    let b = class_bit(*class);
                    if facts.classes & b == 0 && p.regex_matches(text) {
                        facts.classes |= b;
                    }
                }
            }
            Slot::Status(i) => {
                if let Some(re) = c.status.get(i).and_then(Pattern::regex) {
                    for caps in re.captures_iter(text) {
                        let code = caps.name("status").and_then(|m| m.as_str().parse::<u16>().ok());
                        if let Some(class) = code.and_then(class_of_status) {
                            facts.classes |= class_bit(class);
                        }
                    }
                }
            }
            Slot::Ignored(i) => {
                if !facts.ignored && c.ignored.get(i).is_some_and(|p| p.regex_matches(text)) {
                    facts.ignored = true;
                }
            }
        }
    }
    facts
}

/// Which pattern a keyword belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Failure(usize),
    Status(usize),
    Ignored(usize),
}

/// Finds which of many keywords occur in a line in one pass.
///
/// Every keyword is at least `stride + 1` bytes long, so wherever one occurs, some position `j`
/// that is a multiple of `stride` has the byte pair `text[j..j + 2]` inside it, at an offset
/// below `stride`. Only those positions are looked up (every pair of every keyword at offsets
/// `0..stride` is indexed by a hash of the pair), and each hit is checked in full: the same
/// answer as searching for each keyword at every position, for a fraction of the work.
#[derive(Debug, Default)]
struct KeywordIndex {
    stride: usize,
    /// The pattern of each bit of [`KeywordIndex::hits`]' answer.
    slots: Vec<Slot>,
    /// Lowercased keywords and the bit of their pattern.
    keywords: Vec<(Vec<u8>, u8)>,
    /// `entries[start[h]..start[h + 1]]` have `pair_hash(pair) == h`.
    start: Vec<u32>,
    entries: Vec<Entry>,
}

/// Keyword `keyword` has the (lowercase) byte pair `pair` (little-endian) at `offset`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    pair: u16,
    keyword: u16,
    offset: u8,
}

const BUCKETS: usize = 512;

fn pair_hash(pair: u16) -> usize {
    (pair as usize).wrapping_mul(0x9E37) >> 7 & (BUCKETS - 1)
}

impl KeywordIndex {
    fn build(keywords: &[(&str, Slot)]) -> Result<KeywordIndex, String> {
        let mut slots: Vec<Slot> = Vec::new();
        let mut kws = Vec::new();
        for (k, slot) in keywords {
            let bit = match slots.iter().position(|s| s == slot) {
                Some(b) => b,
                None => {
                    slots.push(*slot);
                    slots.len() - 1
                }
            };
            if bit >= 128 {
                return Err("patterns: at most 128 failure, status and ignored patterns".into());
            }
            if k.len() < 2 || k.len() > MAX_KEYWORD {
                return Err(format!("patterns: keyword {k:?} must be 2 to {MAX_KEYWORD} bytes"));
            }
            kws.push((k.as_bytes().to_ascii_lowercase(), bit as u8));
        }
        if kws.len() > usize::from(u16::MAX) {
            return Err("patterns: too many keywords".into());
        }
        let stride = kws.iter().map(|(k, _)| k.len()).min().unwrap_or(2) - 1;
        let mut entries: Vec<(usize, Entry)> = Vec::new();
        for (ki, (k, _)) in kws.iter().enumerate() {
            for off in 0..stride {
                let pair = u16::from_le_bytes([k[off], k[off + 1]]);
                entries.push((pair_hash(pair), Entry { pair, keyword: ki as u16, offset: off as u8 }));
            }
        }
        entries.sort_by_key(|(h, _)| *h);
        let mut start = vec![0u32; BUCKETS + 1];
        for (h, _) in &entries {
            start[h + 1] += 1;
        }
        for h in 1..=BUCKETS {
            start[h] += start[h - 1];
        }
        Ok(KeywordIndex { stride, slots, keywords: kws, start, entries: entries.into_iter().map(|(_, e)| e).collect() })
    }

    /// Bit `i` set: a keyword of `slots[i]` occurs in `b`.
    fn hits(&self, b: &[u8]) -> u128 {
        let mut found = 0u128;
        if self.stride == 0 {
            return found;
        }
        let mut j = 0;
        while let (Some(&x0), Some(&x1)) = (b.get(j), b.get(j + 1)) {
            let pair = u16::from_le_bytes([x0.to_ascii_lowercase(), x1.to_ascii_lowercase()]);
            let h = pair_hash(pair);
            let (Some(&lo), Some(&hi)) = (self.start.get(h), self.start.get(h + 1)) else { break };
            let (lo, hi) = (lo as usize, hi as usize);
            for e in self.entries.get(lo..hi).unwrap_or(&[]) {
                if e.pair != pair || j < usize::from(e.offset) {
                    continue;
                }
                let Some((k, bit)) = self.keywords.get(usize::from(e.keyword)) else { continue };
                let mask = 1u128 << bit;
                if found & mask == 0 && ci_at(b, j - usize::from(e.offset), k) {
                    found |= mask;
                }
            }
            j += self.stride;
        }
        found
    }
}

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
