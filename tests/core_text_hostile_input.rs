//! Every text-analysis entry point takes arbitrary bytes (as the host reads them, lossily
//! decoded) without panicking, and returns bounded results.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod random_support;
use random_support::Rng;

use resilient_coding_agent::classify::{classify_exit, classify_live, ExitFacts, Outcome};
use resilient_coding_agent::model::AgentKind;
use resilient_coding_agent::redact::redact;
use resilient_coding_agent::reset_hint::{next_clock_occurrence, parse_reset_hint};
use resilient_coding_agent::session_id::{extract_session_id, validate_session_id};

/// Debug wasm in Node is several times slower than native: do less there (the shapes stay).
const WASM: bool = cfg!(target_arch = "wasm32");

/// Fragments that steer the parsers into their interesting corners.
const PIECES: &[&str] = &[
    "{", "}", "[", "]", "\"", "\\", "\\u", "\\ud800", "\\udc00", ":", ",", "\n", "\r\n", " ",
    "\u{1b}[", "\u{1b}]", "\u{7}", "\u{FFFD}", "é", "△", "’", "{\"type\":\"", "thread.started",
    "\"thread_id\":\"", "\"session_id\":", "\"sessionID\":\"ses_", "\"type\":\"session\",\"id\":\"",
    "turn.failed", "\"error\":{\"message\":\"", "result", "\"is_error\":true", "\"stopReason\":\"",
    "error", "agent_end", "message_end", "\"message\":{", "\"role\":\"assistant\"", "step_finish",
    "\"part\":{\"reason\":\"stop\"}", "401", "429", "(529)", "status ", "try again at ", "resets ",
    "12", "99", ":", "pm", " (", ")", "Asia/Tokyo", "retry-after", "try again in ", "9999999999",
    "ms", "h", "and ", "sk-", "-----BEGIN PRIVATE KEY-----", "Bearer ", "TOKEN=", "01a20aee-07dc-7642-86cc-36bb08482310",
    "Reconnecting... waiting for network", "Do you want to proceed?", "session id: ",
];

fn random_text(rng: &mut Rng, max_pieces: u64) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(max_pieces) {
        if rng.below(4) == 0 {
            // Raw bytes, decoded the way the host decodes files.
            let bytes: Vec<u8> = (0..rng.below(12)).map(|_| rng.next() as u8).collect();
            s.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            s.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
        }
    }
    s
}

fn exercise(text: &str, rng: &mut Rng) {
    for agent in AgentKind::ALL {
        let _ = extract_session_id(agent, text);
        let _ = validate_session_id(agent, text);
        let facts = ExitFacts {
            exit_status: [None, Some(0), Some(1), Some(143), Some(-1), Some(i32::MAX), Some(i32::MIN)]
                [rng.below(7) as usize],
            signal: [None, Some(9), Some(-3)][rng.below(3) as usize],
            events_tail: text.to_string(),
            stderr_tail: text.chars().rev().collect(),
            pane_tail: text.to_string(),
        };
        if let Outcome::Failed { failure } = classify_exit(agent, &facts) {
            assert!(failure.evidence.chars().count() <= 300);
            assert!(!failure.evidence.contains('\n'));
        }
        let _ = classify_live(agent, text);
    }
    let _ = parse_reset_hint(text);
    let _ = redact(text);
}

#[test]
fn random_and_structured_garbage_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..if WASM { 150 } else { 600 } {
        let text = random_text(&mut rng, 60);
        exercise(&text, &mut rng);
    }
}

#[test]
fn pathological_shapes_never_panic() {
    let mut rng = Rng(42);
    let n = if WASM { 1 } else { 3 };
    let deep = format!("{}{}", "{\"a\":[".repeat(20_000 * n), "]}".repeat(10));
    // Longer than the 256 KiB window the classifier reads.
    let long_line = "x".repeat(300 * 1024);
    let many_lines = "\n".repeat(100_000 * n);
    let unterminated = format!("{{\"type\":\"result\",\"result\":\"{}", "\\".repeat(100_001));
    let multibyte = "é△’\u{FFFD}".repeat(30_000);
    for text in [deep.as_str(), &long_line, &many_lines, &unterminated, &multibyte, "\0\0\0", "{\"\\u"] {
        exercise(text, &mut rng);
    }
}

#[test]
fn clock_arithmetic_is_total() {
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let now = f64::from_bits(rng.next());
        let r = next_clock_occurrence(now, rng.next() as u8, rng.next() as u8, rng.next() as i32);
        if now.is_finite() && now.abs() < 1e15 {
            assert!(r >= now && r <= now + 86_400_000.0, "{now} -> {r}");
        }
    }
}
