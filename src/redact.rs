//! Secrets removed from text before it leaves the package (DESIGN §3: anything returned to a
//! model, a chat or a terminal passes through here).
//!
//! Covered: API keys of the common providers (OpenAI/Anthropic `sk-…`, Google `AIza…`, GitHub
//! `ghp_…`/`github_pat_…`, Slack `xox…`, AWS `AKIA…`, GitLab, Hugging Face, npm, Stripe), JWTs,
//! bearer tokens, `Authorization`/`x-api-key`/cookie headers, PEM private-key blocks, and
//! `NAME=value` assignments whose name contains KEY, TOKEN, SECRET or PASSWORD. UUIDs and
//! agent session ids are left alone: they are needed to resume and are not credentials.

/// What a secret is replaced with.
pub const MARK: &str = "[REDACTED]";

/// Literal starts of the provider key shapes (a cheap filter before the token scan).
const TOKEN_PREFIXES: &[&str] =
    &["sk-", "AIza", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AKIA", "ASIA", "glpat-", "hf_", "npm_", "sk_", "rk_", "eyJ"];
/// Words that make a `NAME=value` assignment secret.
const SECRET_NAME_WORDS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"];

/// Returns `text` with secrets replaced by `[REDACTED]`. Never fails; idempotent.
///
/// Five passes, each a hand-written scanner that finds what a regular expression used to find
/// (the expressions are quoted on each scanner, leftmost-first and non-overlapping as
/// regex engines match, `\b`, `\s` and `(?i)` ASCII). Each pass runs only when a cheap literal
/// check says it could match, and does bounded work per byte of its input (runs of key
/// characters are measured once, not once per starting position), so large panes and tails
/// take linear time.
pub fn redact(text: &str) -> String {
    let mut s = text.to_string();
    if s.contains("PRIVATE KEY") {
        s = replace_all(&s, private_key_at);
    }
    let lower = s.to_ascii_lowercase();
    if ["authorization", "api-key", "cookie"].iter().any(|w| lower.contains(w)) {
        s = replace_all(&s, header_at);
    }
    if lower.contains("bearer") {
        s = replace_all(&s, bearer_at);
    }
    if has_token_prefix(&s) {
        s = replace_all(&s, token_at);
    }
    if s.contains('=') {
        s = redact_assignments(&s);
    }
    let lower = s.to_ascii_lowercase();
    if s.contains(':') && ["key", "token", "secret", "passw"].iter().any(|w| lower.contains(w)) {
        s = replace_all(&s, named_at);
    }
    s
}

/// A match found by a scanner: where it ends and what replaces it.
struct Found {
    end: usize,
    with: Replacement,
}

/// Replacement text: kept parts of the match (byte ranges of the input) around the mark.
enum Replacement {
    /// `mark`.
    Mark(&'static str),
    /// `input[keep]` then `mark`.
    KeepThenMark(std::ops::Range<usize>, &'static str),
    /// The match unchanged.
    Unchanged,
}

/// Memo of the last run measured by a scanner, so a run is measured once however many
/// positions inside it start a candidate match: `(start, end)`.
#[derive(Default)]
struct Runs {
    last: [(usize, usize); 6],
}

impl Runs {
    /// End of the maximal run of bytes satisfying `class` that starts at `start`, remembered in
    /// `slot`. Valid because every caller of one slot uses the same class (token_at: 0 key
    /// characters, 1 letters and digits, 2 word characters, 3 Slack's, 4 and 5 the second and
    /// third JWT parts, kept apart so alternating lookups do not evict each other).
    fn end(&mut self, slot: usize, b: &[u8], start: usize, class: fn(u8) -> bool) -> usize {
        let Some(memo) = self.last.get_mut(slot) else { return run_end(b, start, class) };
        if memo.0 <= start && start < memo.1 {
            return memo.1;
        }
        let end = run_end(b, start, class);
        if end > start {
            *memo = (start, end);
        }
        end
    }
}

/// Runs `find` at every position (ASCII positions only can match) from left to right, and
/// replaces each match; the search resumes after the match, as regex `replace_all` does.
fn replace_all(s: &str, find: fn(&[u8], usize, &mut Runs) -> Option<Found>) -> String {
    let b = s.as_bytes();
    let mut runs = Runs::default();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut p = 0;
    while p < b.len() {
        let Some(found) = find(b, p, &mut runs) else {
            p += 1;
            continue;
        };
        out.push_str(s.get(copied..p).unwrap_or(""));
        match found.with {
            Replacement::Mark(mark) => out.push_str(mark),
            Replacement::KeepThenMark(keep, mark) => {
                out.push_str(s.get(keep).unwrap_or(""));
                out.push_str(mark);
            }
            Replacement::Unchanged => out.push_str(s.get(p..found.end).unwrap_or("")),
        }
        copied = found.end;
        p = found.end.max(p + 1);
    }
    out.push_str(s.get(copied..).unwrap_or(""));
    out
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// regex `\s`: `[\t\n\v\f\r ]`.
fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// A word starts at `p` (`\b` before a word character).
fn word_start(b: &[u8], p: usize) -> bool {
    p == 0 || !b.get(p - 1).is_some_and(|&c| is_word(c))
}

fn at(b: &[u8], i: usize, lit: &str) -> bool {
    b.get(i..i + lit.len()) == Some(lit.as_bytes())
}

/// `lower` (lowercase ASCII) at `i`, ignoring ASCII case.
fn at_ci(b: &[u8], i: usize, lower: &str) -> bool {
    b.get(i..i + lower.len()).is_some_and(|w| w.iter().zip(lower.bytes()).all(|(x, y)| x.to_ascii_lowercase() == y))
}

fn run_end(b: &[u8], mut i: usize, class: fn(u8) -> bool) -> usize {
    while b.get(i).is_some_and(|&c| class(c)) {
        i += 1;
    }
    i
}

/// `-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`
/// → `[REDACTED PRIVATE KEY]`: a whole PEM private key, or from its BEGIN line to the end
/// when the END line was cut off by a tail window.
fn private_key_at(b: &[u8], p: usize, _: &mut Runs) -> Option<Found> {
    let body = pem_marker(b, p, "-----BEGIN ")?;
    let mut q = body;
    let end = loop {
        match b.get(q..).and_then(|t| t.windows(9).position(|w| w == b"-----END ")) {
            None => break b.len(),
            Some(off) => {
                if let Some(e) = pem_marker(b, q + off, "-----END ") {
                    break e;
                }
                q += off + 1;
            }
        }
    };
    Some(Found { end, with: Replacement::Mark("[REDACTED PRIVATE KEY]") })
}

/// `<lead>[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----` at `p`: its end. `-` ends the class run, so
/// the run must end with `PRIVATE KEY` or `PRIVATE KEY BLOCK`.
fn pem_marker(b: &[u8], p: usize, lead: &str) -> Option<usize> {
    if !at(b, p, lead) {
        return None;
    }
    let run_start = p + lead.len();
    let e = run_end(b, run_start, |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ');
    let run = b.get(run_start..e)?;
    let ok = run.ends_with(b"PRIVATE KEY") || run.ends_with(b"PRIVATE KEY BLOCK");
    (ok && at(b, e, "-----")).then_some(e + 5)
}

/// Header names of [`header_at`], longest alternatives first where one is a prefix.
const HEADER_NAMES: &[&str] =
    &["proxy-authorization", "authorization", "x-api-key", "api-key", "x-goog-api-key", "set-cookie", "cookie"];

/// `(?i)(\b(?:proxy-)?authorization|\bx-api-key|\bapi-key|\bx-goog-api-key|\bset-cookie|\bcookie)(["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;]+`
/// → `${1}${2}[REDACTED]`: header name kept, value dropped (`Authorization: Bearer abc`,
/// `"x-api-key":"abc"`).
fn header_at(b: &[u8], p: usize, runs: &mut Runs) -> Option<Found> {
    if !matches!(b.get(p)?.to_ascii_lowercase(), b'p' | b'a' | b'x' | b's' | b'c') || !word_start(b, p) {
        return None;
    }
    // At most one name can start at p (their starts differ).
    let name = HEADER_NAMES.iter().find(|n| at_ci(b, p, n))?;
    let mut i = p + name.len();
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i = run_end(b, i, is_space);
    if !matches!(b.get(i), Some(b':' | b'=')) {
        return None;
    }
    i = run_end(b, i + 1, is_space);
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let kept = p..i;
    let value = |c: u8| !is_space(c) && !matches!(c, b'"' | b'\'' | b',' | b';');
    // The optional scheme word and its spaces, when a value follows them.
    for scheme in ["bearer", "basic", "token", "digest"] {
        if at_ci(b, i, scheme) {
            let v = run_end(b, i + scheme.len(), is_space);
            if v > i + scheme.len() {
                let end = runs.end(0, b, v, value);
                if end > v {
                    return Some(Found { end, with: Replacement::KeepThenMark(kept, MARK) });
                }
            }
        }
    }
    let end = runs.end(0, b, i, value);
    (end > i).then_some(Found { end, with: Replacement::KeepThenMark(kept, MARK) })
}

/// `(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}` → `${1} [REDACTED]`.
fn bearer_at(b: &[u8], p: usize, runs: &mut Runs) -> Option<Found> {
    if !matches!(b.get(p), Some(b'b' | b'B')) || !word_start(b, p) || !at_ci(b, p, "bearer") {
        return None;
    }
    let v = run_end(b, p + 6, is_space);
    if v == p + 6 {
        return None;
    }
    let end = runs.end(0, b, v, |c| c.is_ascii_alphanumeric() || b"._~+/=-".contains(&c));
    (end - v >= 8).then_some(Found { end, with: Replacement::KeepThenMark(p..p + 6, " [REDACTED]") })
}

fn key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Provider key shapes, each anchored on a word start so `task-…` is not `sk-…`:
/// `\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}`, `\bAIza[0-9A-Za-z_-]{30,}`,
/// `\bgh[pousr]_[A-Za-z0-9]{20,}`, `\bgithub_pat_[A-Za-z0-9_]{20,}`,
/// `\bxox[abposre]-[A-Za-z0-9-]{10,}`, `\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
/// `\bglpat-[A-Za-z0-9_-]{20,}`, `\bhf_[A-Za-z0-9]{30,}`, `\bnpm_[A-Za-z0-9]{36,}`,
/// `\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`,
/// `\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}` → `[REDACTED]`.
/// The literal starts differ, so at most one shape can start at a position.
fn token_at(b: &[u8], p: usize, runs: &mut Runs) -> Option<Found> {
    if !matches!(b.get(p), Some(b's' | b'r' | b'A' | b'g' | b'x' | b'h' | b'n' | b'e')) || !word_start(b, p) {
        return None;
    }
    let found = |end: usize| Some(Found { end, with: Replacement::Mark(MARK) });
    // A run of `class` of at least `min` bytes starting at `start`.
    let mut run = |slot: usize, start: usize, class: fn(u8) -> bool, min: usize| {
        let end = runs.end(slot, b, start, class);
        (end - start >= min).then_some(end)
    };
    if at(b, p, "sk-") {
        // The optional prefixes are key characters themselves: the run from p + 3 decides.
        return found(run(0, p + 3, key_char, 16)?);
    }
    if at(b, p, "AIza") {
        return found(run(0, p + 4, key_char, 30)?);
    }
    if at(b, p, "gh") && matches!(b.get(p + 2), Some(b'p' | b'o' | b'u' | b's' | b'r')) && b.get(p + 3) == Some(&b'_') {
        return found(run(1, p + 4, alnum, 20)?);
    }
    if at(b, p, "github_pat_") {
        return found(run(2, p + 11, is_word, 20)?);
    }
    if at(b, p, "xox") && matches!(b.get(p + 3), Some(b'a' | b'b' | b'p' | b'o' | b's' | b'r' | b'e')) && b.get(p + 4) == Some(&b'-') {
        return found(run(3, p + 5, |c| c.is_ascii_alphanumeric() || c == b'-', 10)?);
    }
    if at(b, p, "AKIA") || at(b, p, "ASIA") {
        let ok = (p + 4..p + 20).all(|i| b.get(i).is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
            && !b.get(p + 20).is_some_and(|&c| is_word(c));
        return if ok { found(p + 20) } else { None };
    }
    if at(b, p, "glpat-") {
        return found(run(0, p + 6, key_char, 20)?);
    }
    if at(b, p, "hf_") {
        return found(run(1, p + 3, alnum, 30)?);
    }
    if at(b, p, "npm_") {
        return found(run(1, p + 4, alnum, 36)?);
    }
    if (at(b, p, "sk_") || at(b, p, "rk_")) && (at(b, p + 3, "live_") || at(b, p + 3, "test_")) {
        return found(run(1, p + 8, alnum, 16)?);
    }
    if at(b, p, "eyJ") {
        // Three runs of key characters (≥ 10 each) joined by dots; a dot ends a run.
        let e1 = run(0, p + 3, key_char, 10)?;
        if b.get(e1) != Some(&b'.') {
            return None;
        }
        let e2 = run(4, e1 + 1, key_char, 10)?;
        if b.get(e2) != Some(&b'.') {
            return None;
        }
        return found(run(5, e2 + 1, key_char, 10)?);
    }
    None
}

/// Whether one of [`TOKEN_PREFIXES`] starts a word somewhere in `s`.
fn has_token_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    TOKEN_PREFIXES.iter().any(|p| {
        s.match_indices(p).any(|(i, _)| i == 0 || !b.get(i - 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_'))
    })
}

/// Secret field names of [`named_at`], in the expression's order (`secret[_-]?key` before
/// `secret`).
const SECRET_FIELDS: &[(&str, &str)] = &[
    ("api", "key"),
    ("access", "token"),
    ("auth", "token"),
    ("refresh", "token"),
    ("id", "token"),
    ("client", "secret"),
    ("secret", "key"),
    ("private", "key"),
];

/// `(?i)(["']?\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key|password|passwd|secret)["']?\s*:\s*)("[^"]*"|'[^']*'|[^\s,;}]+)`
/// JSON/YAML-ish fields with secret names (`"api_key": "…"`, `password: …`): the value becomes
/// `"[REDACTED]"` (quoted) or `[REDACTED]`, unless it is `null`, `""` or already redacted.
fn named_at(b: &[u8], p: usize, _: &mut Runs) -> Option<Found> {
    let first = *b.get(p)?;
    let name_start = if matches!(first, b'"' | b'\'') {
        p + 1
    } else if word_start(b, p) {
        p
    } else {
        return None;
    };
    if !matches!(b.get(name_start).map(u8::to_ascii_lowercase), Some(b'a' | b'r' | b'i' | b'c' | b's' | b'p')) {
        return None;
    }
    // Every name alternative that matches here, in order; the first one the rest of the
    // expression accepts wins (a later, shorter one only when an earlier one fails after it).
    let mut ends: Vec<usize> = Vec::new();
    for (a, z) in SECRET_FIELDS {
        if at_ci(b, name_start, a) {
            let mut i = name_start + a.len();
            if matches!(b.get(i), Some(b'_' | b'-')) && at_ci(b, i + 1, z) {
                ends.push(i + 1 + z.len());
            }
            if at_ci(b, i, z) {
                i += z.len();
                ends.push(i);
            }
        }
    }
    for w in ["password", "passwd", "secret"] {
        if at_ci(b, name_start, w) {
            ends.push(name_start + w.len());
        }
    }
    ends.into_iter().find_map(|e| named_rest(b, p, e))
}

/// The part of [`named_at`]'s expression after the name (which ends at `i`).
fn named_rest(b: &[u8], p: usize, mut i: usize) -> Option<Found> {
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i = run_end(b, i, is_space);
    if b.get(i) != Some(&b':') {
        return None;
    }
    let v = run_end(b, i + 1, is_space);
    let closing = |q: u8| b.get(v + 1..).and_then(|t| t.iter().position(|&c| c == q)).map(|off| v + 1 + off + 1);
    let end = match b.get(v) {
        Some(&q @ (b'"' | b'\'')) => closing(q),
        _ => None,
    }
    .unwrap_or_else(|| run_end(b, v, |c| !is_space(c) && !matches!(c, b',' | b';' | b'}')));
    if end == v {
        return None;
    }
    let value = b.get(v..end)?;
    let with = if value.windows(MARK.len()).any(|w| w == MARK.as_bytes()) || value == b"null" || value == b"\"\"" {
        Replacement::Unchanged
    } else if value.first() == Some(&b'"') {
        Replacement::KeepThenMark(p..v, "\"[REDACTED]\"")
    } else {
        Replacement::KeepThenMark(p..v, MARK)
    };
    Some(Found { end, with })
}

/// `NAME=value` → `NAME=[REDACTED]` when NAME (letters, digits, `_`) contains KEY, TOKEN,
/// SECRET or PASSWORD in any case: `OPENAI_API_KEY=…`, `GH_TOKEN="…"`, `db_password='…'`.
/// Hand-written: found from each `=` backwards, which a regex engine without look-behind does
/// slowly.
fn redact_assignments(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0; // s[..copied] is already in `out`
    let mut i = 0;
    while let Some(off) = s.get(i..).and_then(|t| t.find('=')) {
        let eq = i + off;
        let mut start = eq;
        while start > copied && b.get(start - 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            start -= 1;
        }
        let name = s.get(start..eq).unwrap_or("");
        let upper = name.to_ascii_uppercase();
        let secret_name = !name.is_empty() && SECRET_NAME_WORDS.iter().any(|w| upper.contains(w));
        // The value: a quoted string, or up to whitespace or a shell separator.
        let v_start = eq + 1;
        let v_end = match b.get(v_start) {
            Some(q @ (b'"' | b'\'')) => s
                .get(v_start + 1..)
                .and_then(|t| t.find(*q as char))
                .map_or(s.len(), |p| v_start + 1 + p + 1),
            _ => {
                let mut j = v_start;
                while b.get(j).is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'"' | b'\'' | b'&' | b';' | b'|')) {
                    j += 1;
                }
                j
            }
        };
        let value = s.get(v_start..v_end).unwrap_or("");
        if secret_name && !value.is_empty() && !value.contains(MARK) {
            out.push_str(s.get(copied..v_start).unwrap_or(""));
            out.push_str(MARK);
            copied = v_end;
        }
        i = v_end.max(eq + 1);
    }
    out.push_str(s.get(copied..).unwrap_or(""));
    out
}
