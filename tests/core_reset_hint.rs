//! Reset hints named by the agents' own messages, and the clock arithmetic that turns a time of
//! day into the next instant.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::model::ResetHint;
use resilient_coding_agent::reset_hint::{next_clock_occurrence, parse_reset_hint};

fn clock(hour: u8, minute: u8, zone: Option<&str>) -> Option<ResetHint> {
    Some(ResetHint::ClockTime { hour, minute, zone: zone.map(str::to_string) })
}
fn after(ms: u64) -> Option<ResetHint> {
    Some(ResetHint::After { ms })
}

#[test]
fn codex_usage_limit_try_again_at() {
    let line = include_str!("fixtures/agent-output/codex/cx-usage-text.stderr")
        .lines()
        .find(|l| l.starts_with("ERROR:"))
        .unwrap_or("");
    assert!(line.contains("You’ve hit your usage limit"), "curly apostrophe kept: {line}");
    assert_eq!(parse_reset_hint(line), clock(1, 22, None));
    assert_eq!(parse_reset_hint("… or try again at 11:05 PM."), clock(23, 5, None));
    assert_eq!(parse_reset_hint("try again at 12:30 AM"), clock(0, 30, None));
    assert_eq!(parse_reset_hint("try again at 12 PM"), clock(12, 0, None));
    assert_eq!(parse_reset_hint("try again at 13:45"), clock(13, 45, None));
}

#[test]
fn claude_subscription_resets() {
    assert_eq!(
        parse_reset_hint("You've hit your session limit · resets 3:50pm (Asia/Tokyo)"),
        clock(15, 50, Some("Asia/Tokyo"))
    );
    assert_eq!(parse_reset_hint("You've hit your limit · resets 1am"), clock(1, 0, None));
    assert_eq!(
        parse_reset_hint("You've hit your weekly limit · resets 10pm (America/Argentina/Buenos_Aires)"),
        clock(22, 0, Some("America/Argentina/Buenos_Aires"))
    );
    assert_eq!(parse_reset_hint("resets at 9:05 a.m. (UTC)"), clock(9, 5, Some("UTC")));
    // A zone that is not a zone name is dropped, the time kept.
    assert_eq!(parse_reset_hint("resets 4pm ($(rm -rf /))"), clock(16, 0, None));
}

#[test]
fn relative_delays() {
    assert_eq!(parse_reset_hint("retry-after: 20"), after(20_000));
    assert_eq!(parse_reset_hint("Retry-After: 7\r\n"), after(7_000));
    assert_eq!(parse_reset_hint("{\"retry-after\":\"1\",\"server\":\"x\"}"), after(1_000));
    assert_eq!(parse_reset_hint("Please try again in 20s."), after(20_000));
    assert_eq!(parse_reset_hint("try again in 5 minutes"), after(300_000));
    assert_eq!(parse_reset_hint("Please try again in 1.5s"), after(1_500));
    assert_eq!(parse_reset_hint("Please try again in 6m0s"), after(360_000));
    assert_eq!(parse_reset_hint("try again in 2h 10m"), after(7_800_000));
    assert_eq!(parse_reset_hint("try again in 1 hour and 5 minutes"), after(3_900_000));
    assert_eq!(parse_reset_hint("retrying in 250ms"), after(250));
    assert_eq!(parse_reset_hint("limit resets in 3 hours"), after(10_800_000));
}

#[test]
fn clock_wins_over_relative() {
    assert_eq!(parse_reset_hint("retry-after: 20 … try again at 1:22 AM"), clock(1, 22, None));
}

#[test]
fn no_hint() {
    for text in [
        "",
        "API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment.",
        "Quota exceeded. Check your plan and billing details.",
        "exceeded retry limit, last status: 429 Too Many Requests",
        "try again at Oct 3rd, 2026 1:22 AM", // a date: a time of day alone would be wrong
        "try again at 25:00",
        "try again at 13 PM",
        "try again at 1:7 AM",
        "try again at 1:75",
        "resets 1",
        "resets 10x",
        "try again in 5 mangos",
        "retry-after: soon",
        "retry-after: 1.5e9",
    ] {
        assert_eq!(parse_reset_hint(text), None, "{text:?}");
    }
}

#[test]
fn absurd_delays_are_clamped_to_safe_integers() {
    let Some(ResetHint::After { ms }) = parse_reset_hint(&format!("try again in {} hours", "9".repeat(400))) else {
        panic!("expected a relative hint");
    };
    assert_eq!(ms, 9_007_199_254_740_991);
}

const MIN: f64 = 60_000.0;
const HOUR: f64 = 60.0 * MIN;
const DAY: f64 = 24.0 * HOUR;
/// 2026-11-24T00:00:00Z
const MIDNIGHT_UTC: f64 = 1_795_478_400_000.0;

#[test]
fn next_clock_occurrence_in_utc() {
    let now = MIDNIGHT_UTC + 10.0 * HOUR; // 10:00 UTC
    assert_eq!(next_clock_occurrence(now, 13, 30, 0), MIDNIGHT_UTC + 13.5 * HOUR);
    assert_eq!(next_clock_occurrence(now, 1, 22, 0), MIDNIGHT_UTC + DAY + HOUR + 22.0 * MIN);
    assert_eq!(next_clock_occurrence(now, 10, 0, 0), now, "at/after now: now itself");
    assert_eq!(next_clock_occurrence(now + 1.0, 10, 0, 0), now + DAY);
}

#[test]
fn next_clock_occurrence_with_offsets() {
    // 10:00 UTC is 19:00 in Tokyo (+9:00): 3:50pm Tokyo is tomorrow 06:50 UTC.
    let now = MIDNIGHT_UTC + 10.0 * HOUR;
    assert_eq!(next_clock_occurrence(now, 15, 50, 9 * 60), MIDNIGHT_UTC + DAY + 6.0 * HOUR + 50.0 * MIN);
    // 10:00 UTC is 05:00 in New York (-5:00): 1am there is tomorrow 06:00 UTC; 6am is today 11:00.
    assert_eq!(next_clock_occurrence(now, 1, 0, -5 * 60), MIDNIGHT_UTC + DAY + 6.0 * HOUR);
    assert_eq!(next_clock_occurrence(now, 6, 0, -5 * 60), MIDNIGHT_UTC + 11.0 * HOUR);
    // India +5:30.
    assert_eq!(next_clock_occurrence(now, 16, 0, 330), MIDNIGHT_UTC + 10.5 * HOUR);
}

#[test]
fn next_clock_occurrence_is_total() {
    let now = MIDNIGHT_UTC;
    let r = next_clock_occurrence(now, 99, 99, 0);
    assert_eq!(r, MIDNIGHT_UTC + 23.0 * HOUR + 59.0 * MIN);
    assert!(next_clock_occurrence(f64::NAN, 1, 0, 0).is_nan());
    assert_eq!(next_clock_occurrence(f64::INFINITY, 1, 0, 0), f64::INFINITY);
    for offset in [i32::MIN, -1440, 0, 1440, i32::MAX] {
        let r = next_clock_occurrence(now, 12, 0, offset);
        assert!(r >= now && r < now + DAY + 1.0, "{offset}: {r}");
    }
    // Before the epoch too.
    assert_eq!(next_clock_occurrence(-HOUR, 0, 0, 0), 0.0);
}
