//! The hand-written matchers in `patterns` (one-pass phrase index, HTTP status reader) find
//! exactly what the straightforward versions they replaced found: a regular expression for the
//! status codes and one lowercase `contains` per table phrase.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod random_support;
use random_support::Rng;

use resilient_coding_agent::model::FailureClass;
use resilient_coding_agent::patterns::{
    class_of_status, classes_in, line_facts, statuses_in, FAILURE_TEXT, IGNORED_ERROR_TEXT,
};

const STATUS_RE: &str = r"(?:(?i:status(?: code)?:? |api error:? )|\()([1-5]\d\d)\b|^([1-5]\d\d) [A-Z{]|\b([1-5]\d\d) (?i:unauthorized|forbidden|too many requests|internal server error|bad gateway|service unavailable|gateway timeout|overloaded)";

fn statuses_by_regex(re: &regex_lite::Regex, text: &str) -> Vec<u16> {
    re.captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)))
        .filter_map(|m| m.as_str().parse::<u16>().ok())
        .collect()
}

fn classes_by_contains(text: &str) -> Vec<FailureClass> {
    let lower = text.to_ascii_lowercase();
    let mut out: Vec<FailureClass> = FAILURE_TEXT
        .iter()
        .filter(|(_, needles)| needles.iter().any(|n| lower.contains(n)))
        .map(|(class, _)| *class)
        .collect();
    for class in statuses_in(text).into_iter().filter_map(class_of_status) {
        if !out.contains(&class) {
            out.push(class);
        }
    }
    out
}

const PIECES: &[&str] = &[
    "status", "Status", "STATUS code", " code", ":", ": ", " ", "  ", "(", ")", "api error", "API Error:",
    "401", "429", "500", "503", "529", "600", "099", "4012", "x401", "_401", "1", "42", "9", "Unauthorized",
    "forbidden", "Too Many Requests", "internal server error", "Bad Gateway", "service unavailable",
    "gateway timeout", "overloaded", "{", "A", "a", "rate limit", "ECONNREFUSED", "model metadata for",
    "context window", "é", "△", "’", "\t", "\n", "hit your limit", "Not logged in", "-", "status code",
    "api error ", "(5", "00)", "Unauthorize", "unknown option", "fetch failed", "quota exceeded",
];

#[test]
fn status_reader_and_phrase_index_match_the_simple_versions() {
    let re = regex_lite::Regex::new(STATUS_RE).unwrap();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let n = if cfg!(target_arch = "wasm32") { 3_000 } else { 20_000 };
    // Every table phrase too, so each is met at every alignment.
    let mut pieces: Vec<&str> = PIECES.to_vec();
    for (_, phrases) in FAILURE_TEXT {
        pieces.extend_from_slice(phrases);
    }
    pieces.extend_from_slice(IGNORED_ERROR_TEXT);
    for _ in 0..n {
        let len = 1 + rng.next() % 12;
        let text: String = (0..len)
            .map(|_| {
                let p = rng.pick(&pieces);
                if rng.next() % 4 == 0 { p.to_ascii_uppercase() } else { p.to_string() }
            })
            .collect();
        assert_eq!(statuses_in(&text), statuses_by_regex(&re, &text), "{text:?}");
        assert_eq!(classes_in(&text), classes_by_contains(&text), "{text:?}");
        let lower = text.to_ascii_lowercase();
        assert_eq!(line_facts(&text).ignored, IGNORED_ERROR_TEXT.iter().any(|n| lower.contains(n)), "{text:?}");
    }
    for fixed in [
        "429 Rate limit reached",
        "503 Service Unavailable",
        "status code: 401 (403) API Error: 500 x 502 bad gateway",
        "HTTP status 429",
        "(4291)",
        "error (500)",
    ] {
        assert_eq!(statuses_in(fixed), statuses_by_regex(&re, fixed), "{fixed:?}");
    }
}
