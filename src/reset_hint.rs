//! When an agent's own message says it can go on: "try again at 1:22 AM" (Codex usage limit),
//! "resets 3:50pm (Asia/Tokyo)" / "resets 1am" (Claude subscription limits), "retry-after: 20",
//! "try again in 20s", "in 5 minutes". Hand-written scanning: the formats are few and a
//! tokenizer is clearer (and smaller in wasm) than a page of regular expressions.

use crate::model::{Millis, ResetHint};

/// Largest relative wait reported (2^53 - 1 ms, the largest integer JS holds exactly).
const MAX_MS: f64 = 9_007_199_254_740_991.0;
const DAY_MS: f64 = 86_400_000.0;

/// Reads the first reset time named in `text`, if any. A wall-clock time wins over a relative
/// delay when both appear. A time with a date in front ("try again at Oct 3rd, 2026 1:22 AM")
/// gives `None`: a time of day alone would point at the wrong day.
pub fn parse_reset_hint(text: &str) -> Option<ResetHint> {
    clock_hint(text).or_else(|| relative_hint(text))
}

/// The next instant at or after `now` when the local time (UTC + `utc_offset_min`) is
/// `hour:minute`. Out-of-range `hour`/`minute` are clamped to 23/59; a non-finite `now` is
/// returned as is.
pub fn next_clock_occurrence(now: Millis, hour: u8, minute: u8, utc_offset_min: i32) -> Millis {
    if !now.is_finite() {
        return now;
    }
    let offset_ms = f64::from(utc_offset_min.clamp(-24 * 60, 24 * 60)) * 60_000.0;
    let local = now + offset_ms;
    let day_start = (local / DAY_MS).floor() * DAY_MS;
    let target_in_day = (f64::from(hour.min(23)) * 60.0 + f64::from(minute.min(59))) * 60_000.0;
    let mut target = day_start + target_in_day;
    if target < local {
        target += DAY_MS;
    }
    target - offset_ms
}

/// Keywords followed by a time of day.
const CLOCK_KEYS: &[&str] = &["try again at ", "resets at ", "reset at ", "resets ", "available again at "];

fn clock_hint(text: &str) -> Option<ResetHint> {
    let lower = text.to_ascii_lowercase();
    for key in CLOCK_KEYS {
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|s| s.find(key)) {
            let start = from + pos + key.len();
            if let Some(rest) = text.get(start..) {
                if let Some(hint) = parse_clock(rest) {
                    return Some(hint);
                }
            }
            from = start;
        }
    }
    None
}

/// Parses `H[:MM][ ]am|pm` or `HH:MM` (24 h) at the start of `s`, then an optional
/// `(Zone/Name)`.
fn parse_clock(s: &str) -> Option<ResetHint> {
    let b = s.as_bytes();
    let mut i = 0;
    let hour = read_uint(b, &mut i, 2)?;
    let mut minute = 0u32;
    let mut has_minutes = false;
    if b.get(i) == Some(&b':') {
        i += 1;
        let before = i;
        minute = read_uint(b, &mut i, 2)?;
        if i - before != 2 {
            return None;
        }
        has_minutes = true;
    }
    let mut j = i;
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    let meridiem = match (b.get(j).map(u8::to_ascii_lowercase), b.get(j + 1).map(u8::to_ascii_lowercase)) {
        (Some(m @ (b'a' | b'p')), Some(b'm')) => {
            let after = b.get(j + 2);
            if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
                None
            } else {
                i = j + 2;
                Some(m)
            }
        }
        (Some(m @ (b'a' | b'p')), Some(b'.')) if b.get(j + 2).map(u8::to_ascii_lowercase) == Some(b'm') => {
            i = j + 3;
            if b.get(i) == Some(&b'.') {
                i += 1;
            }
            Some(m)
        }
        _ => None,
    };
    let hour24 = match meridiem {
        Some(m) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            (hour % 12) + if m == b'p' { 12 } else { 0 }
        }
        // Without am/pm only an unambiguous 24-hour "HH:MM" counts.
        None if has_minutes && hour <= 23 => hour,
        None => return None,
    };
    if minute > 59 {
        return None;
    }
    // The digits must not run on into a longer number or word ("resets 10x").
    if meridiem.is_none() && b.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let zone = parse_zone(s.get(i..).unwrap_or(""));
    // hour24 ≤ 23 and minute ≤ 59 were checked above, so both fit in u8.
    Some(ResetHint::ClockTime { hour: hour24 as u8, minute: minute as u8, zone })
}

/// ` (Asia/Tokyo)` → `Asia/Tokyo`, if it looks like an IANA zone name.
fn parse_zone(s: &str) -> Option<String> {
    let t = s.trim_start_matches(' ');
    let inner = t.strip_prefix('(')?;
    let end = inner.find(')')?;
    let zone = inner.get(..end)?.trim();
    let ok = !zone.is_empty()
        && zone.len() <= 64
        && zone.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && zone.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-' | b'+'));
    ok.then(|| zone.to_string())
}

/// Reads up to `max_digits` ASCII digits at `*i`.
fn read_uint(b: &[u8], i: &mut usize, max_digits: usize) -> Option<u32> {
    let start = *i;
    let mut v: u32 = 0;
    while let Some(c) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        if *i - start >= max_digits {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
        *i += 1;
    }
    (*i > start).then_some(v)
}

/// Keywords followed by a duration.
const RELATIVE_KEYS: &[&str] = &[
    "try again in ",
    "retry in ",
    "retry after ",
    "retrying in ",
    "resets in ",
    "reset in ",
    "wait ",
];

fn relative_hint(text: &str) -> Option<ResetHint> {
    let lower = text.to_ascii_lowercase();
    if let Some(ms) = retry_after_header(&lower) {
        return Some(ResetHint::After { ms });
    }
    for key in RELATIVE_KEYS {
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|s| s.find(key)) {
            let start = from + pos + key.len();
            if let Some(ms) = lower.get(start..).and_then(parse_duration) {
                return Some(ResetHint::After { ms });
            }
            from = start;
        }
    }
    None
}

/// `retry-after: 20`, `"retry-after":"20"`, `Retry-After=20` (seconds).
fn retry_after_header(lower: &str) -> Option<u64> {
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|s| s.find("retry-after")) {
        let start = from + pos + "retry-after".len();
        let rest = lower.get(start..).unwrap_or("");
        let rest = rest.trim_start_matches(['"', '\'', ' ']);
        if let Some(rest) = rest.strip_prefix([':', '=']) {
            let rest = rest.trim_start_matches(['"', '\'', ' ']);
            let b = rest.as_bytes();
            let mut i = 0;
            if let Some(secs) = read_uint(b, &mut i, 9) {
                if !b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.') {
                    return Some(clamp_ms(f64::from(secs) * 1000.0));
                }
            }
        }
        from = start;
    }
    None
}

/// `20s`, `1.5s`, `20 seconds`, `5 minutes`, `6m0s`, `2h 10m`, `1 hour and 5 minutes`, `250ms`.
fn parse_duration(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut total = 0.0f64;
    let mut parts = 0;
    loop {
        if parts > 0 {
            while matches!(b.get(i), Some(b' ' | b',')) {
                i += 1;
            }
            if s.get(i..).is_some_and(|r| r.starts_with("and ")) {
                i += 4;
            }
        }
        let Some((value, after_num)) = read_number(b, i) else { break };
        let mut j = after_num;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        let word_end = (j..=b.len()).find(|&k| !b.get(k).is_some_and(u8::is_ascii_alphabetic)).unwrap_or(b.len());
        let word = s.get(j..word_end).unwrap_or("");
        // "6m0s": the letters stop at the next digit, so run-together units split naturally.
        let Some(unit_ms) = unit_ms(word) else { break };
        let end = word_end;
        total += value * unit_ms;
        parts += 1;
        i = end;
    }
    (parts > 0 && !total.is_nan()).then(|| clamp_ms(total))
}

fn read_number(b: &[u8], start: usize) -> Option<(f64, usize)> {
    let mut i = start;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return None;
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let text = std::str::from_utf8(b.get(start..i)?).ok()?;
    // Absurdly long digit runs parse to a huge float, later clamped.
    crate::validate::parse_decimal(text).map(|v| (v, i))
}

fn unit_ms(word: &str) -> Option<f64> {
    Some(match word {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => DAY_MS,
        _ => return None,
    })
}

fn clamp_ms(ms: f64) -> u64 {
    // Clamped into [0, 2^53 - 1] first, so the cast is exact and cannot overflow.
    ms.round().clamp(0.0, MAX_MS) as u64
}
