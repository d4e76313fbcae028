//! The hand-written redaction scanners replace exactly what the regular expressions they
//! replaced did: the previous implementation (regex_lite) is kept here as the reference and
//! both run on random mixtures of secret-looking fragments.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod random_support;
use random_support::Rng;

use resilient_coding_agent::redact::redact;

#[allow(dead_code, clippy::all)]
mod reference {
    use regex_lite::Regex;
    use std::sync::OnceLock;

    /// What a secret is replaced with.
    const MARK: &str = "[REDACTED]";

    struct Rules {
        private_key: Regex,
        header: Regex,
        bearer: Regex,
        token: Regex,
        named: Regex,
    }

    fn rules() -> Option<&'static Rules> {
        static RULES: OnceLock<Option<Rules>> = OnceLock::new();
        RULES
            .get_or_init(|| {
                Some(Rules {
                    // A whole PEM private key, or from its BEGIN line to the end when the END line
                    // was cut off by a tail window.
                    private_key: Regex::new(
                        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)",
                    )
                    .ok()?,
                    // Header name kept, value dropped: `Authorization: Bearer abc`, `"x-api-key":"abc"`.
                    header: Regex::new(
                        r#"(?i)(\b(?:proxy-)?authorization|\bx-api-key|\bapi-key|\bx-goog-api-key|\bset-cookie|\bcookie)(["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;]+"#,
                    )
                    .ok()?,
                    bearer: Regex::new(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}").ok()?,
                    // Provider key shapes. Anchored on a word start so `task-…` is not `sk-…`.
                    token: Regex::new(concat!(
                        r"\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}",
                        r"|\bAIza[0-9A-Za-z_-]{30,}",
                        r"|\bgh[pousr]_[A-Za-z0-9]{20,}",
                        r"|\bgithub_pat_[A-Za-z0-9_]{20,}",
                        r"|\bxox[abposre]-[A-Za-z0-9-]{10,}",
                        r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
                        r"|\bglpat-[A-Za-z0-9_-]{20,}",
                        r"|\bhf_[A-Za-z0-9]{30,}",
                        r"|\bnpm_[A-Za-z0-9]{36,}",
                        r"|\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
                        r"|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
                    ))
                    .ok()?,
                    // JSON/YAML-ish fields with secret names: "api_key": "…", password: …
                    named: Regex::new(
                        r#"(?i)(["']?\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key|password|passwd|secret)["']?\s*:\s*)("[^"]*"|'[^']*'|[^\s,;}]+)"#,
                    )
                    .ok()?,
                })
            })
            .as_ref()
    }

    /// Literal starts of the provider key shapes in `token` (a cheap filter before the regex).
    const TOKEN_PREFIXES: &[&str] =
        &["sk-", "AIza", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AKIA", "ASIA", "glpat-", "hf_", "npm_", "sk_", "rk_", "eyJ"];
    /// Words that make a `NAME=value` assignment secret.
    const SECRET_NAME_WORDS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"];

    /// Returns `text` with secrets replaced by `[REDACTED]`. Never fails; idempotent.
    ///
    /// Each expression runs only when a cheap literal check says it could match: regex_lite has no
    /// literal optimisations, and panes and tails can be large.
    pub fn redact_by_regex(text: &str) -> String {
        let Some(r) = rules() else {
            // The expressions are constants tested below; if one ever failed to compile we would
            // rather hide everything than leak anything.
            return if text.is_empty() { String::new() } else { MARK.to_string() };
        };
        let mut s = text.to_string();
        if s.contains("PRIVATE KEY") {
            s = r.private_key.replace_all(&s, "[REDACTED PRIVATE KEY]").into_owned();
        }
        let lower = s.to_ascii_lowercase();
        if ["authorization", "api-key", "cookie"].iter().any(|w| lower.contains(w)) {
            s = r.header.replace_all(&s, format!("${{1}}${{2}}{MARK}").as_str()).into_owned();
        }
        if lower.contains("bearer") {
            s = r.bearer.replace_all(&s, format!("${{1}} {MARK}").as_str()).into_owned();
        }
        if has_token_prefix(&s) {
            s = r.token.replace_all(&s, MARK).into_owned();
        }
        if s.contains('=') {
            s = redact_assignments(&s);
        }
        let lower = s.to_ascii_lowercase();
        if s.contains(':') && ["key", "token", "secret", "passw"].iter().any(|w| lower.contains(w)) {
            s = r
                .named
                .replace_all(&s, |c: &regex_lite::Captures| {
                    let lead = c.get(1).map_or("", |m| m.as_str());
                    let value = c.get(2).map_or("", |m| m.as_str());
                    if value.contains(MARK) || value == "null" || value == "\"\"" {
                        format!("{lead}{value}")
                    } else if value.starts_with('"') {
                        format!("{lead}\"{MARK}\"")
                    } else {
                        format!("{lead}{MARK}")
                    }
                })
                .into_owned();
        }
        s
    }

    /// Whether one of [`TOKEN_PREFIXES`] starts a word somewhere in `s`.
    fn has_token_prefix(s: &str) -> bool {
        let b = s.as_bytes();
        TOKEN_PREFIXES.iter().any(|p| {
            s.match_indices(p).any(|(i, _)| i == 0 || !b.get(i - 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_'))
        })
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
}

const PIECES: &[&str] = &[
    "-----BEGIN ", "-----END ", "RSA ", "PRIVATE KEY", " BLOCK", "-----", "OPENSSH ", "A1 ", "\n", "\n",
    "Authorization", "proxy-", "Proxy-Authorization", "x-api-key", "X-Goog-Api-Key", "api-key", "set-cookie",
    "Cookie", "\"", "'", ":", "=", " ", "  ", "\t", "\u{b}", ",", ";", "}", "Bearer ", "bearer", "basic ",
    "Token ", "digest", "sk-", "sk-ant-", "ant-", "proj-", "AIza", "ghp_", "gho_", "github_pat_", "xoxb-",
    "AKIA", "ASIA", "IOSFODNN7EXAMPLE", "glpat-", "hf_", "npm_", "sk_live_", "rk_test_", "eyJ", ".",
    "abcdefghij", "ABCDEFGH", "0123456789", "_-_-", "~+/=", "x", "task-", "api_key", "apiKey", "api-key",
    "access_token", "auth-token", "refreshtoken", "id_token", "client_secret", "secret_key", "secret-",
    "secret", "private_key", "password", "passwd", "passwords", "null", "\"\"", "[REDACTED]", "KEY",
    "TOKEN", "GH_TOKEN", "db_password", "é", "△", "-", "_", "a", "Z", "9",
];

#[test]
fn hand_written_scanners_match_the_regular_expressions() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let n = if cfg!(target_arch = "wasm32") { 2_000 } else { 30_000 };
    for _ in 0..n {
        let len = 1 + rng.next() % 16;
        let text: String = (0..len).map(|_| rng.pick(PIECES)).collect();
        assert_eq!(redact(&text), reference::redact_by_regex(&text), "{text:?}");
    }
}

#[test]
fn known_secrets_match_the_regular_expressions() {
    for text in [
        "Authorization: Bearer abcdef0123456789xyz",
        "curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x",
        "{\"authorization\":\"Bearer abcdef0123456789xyz\"}",
        "x-api-key: my-secret-key-value",
        "Authorization: Bearer",
        "Authorization: Bearer ;",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "aws AKIAIOSFODNN7EXAMPLE done",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "{\"api_key\": \"abc\", \"password\": null, \"secret\": \"\"}",
        "password: 'unterminated",
        "secret_key: \"unterminated",
    ] {
        assert_eq!(redact(text), reference::redact_by_regex(text), "{text:?}");
    }
}
