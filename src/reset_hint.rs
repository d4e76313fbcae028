//! When an agent's own message says it can go on: "try again at 1:22 AM" (Codex usage limit),
//! "resets 3:50pm (Asia/Tokyo)" / "resets 1am" (Claude subscription limits), "retry-after: 20",
//! "try again in 20s", "in 5 minutes".
//!
//! The forms are data (`reset` in `patterns/common.json` and in agent profiles): regexes whose
//! named captures say what they found. A wall-clock form captures `hour` and optionally
//! `minute`, `ampm` (`am`, `pm`, `a.m.`, …) and `zone` (an IANA name); a relative form captures
//! `amount` and optionally `unit` (seconds when absent), and further `<amount><unit>` parts
//! right after the match are added ("2h 10m", "1 hour and 5 minutes"). Turning captures into a
//! [`ResetHint`] — ranges, 12-hour clocks, units — is this module's code.

use crate::model::{Millis, ResetHint};
use crate::patterns::Pattern;
use crate::profiles::PatternData;
use std::sync::OnceLock;

/// Largest relative wait reported (2^53 - 1 ms, the largest integer JS holds exactly).
const MAX_MS: f64 = 9_007_199_254_740_991.0;
const DAY_MS: f64 = 86_400_000.0;

/// Reads the first reset time named in `text`, if any. A wall-clock time wins over a relative
/// delay when both appear. A time with a date in front ("try again at Oct 3rd, 2026 1:22 AM")
/// gives `None`: a time of day alone would point at the wrong day.
pub fn parse_reset_hint(text: &str) -> Option<ResetHint> {
    parse_reset_hint_with(&[], text)
}

/// [`parse_reset_hint`] with an agent's own forms tried first (a profile's `reset`). Forms are
/// tried in order, wall-clock forms before relative ones; within a form the first match that
/// makes a valid time wins.
pub fn parse_reset_hint_with(own: &[ResetForm], text: &str) -> Option<ResetHint> {
    let shared = &crate::patterns::common().reset;
    // Only the forms whose keywords the text holds are compiled (see Pattern::regex).
    let forms = || own.iter().chain(shared.iter()).filter(|f| f.pattern.holds_keyword(text));
    forms()
        .filter(|f| f.kind() == Some(Kind::Clock))
        .chain(forms().filter(|f| f.kind() == Some(Kind::Relative)))
        .find_map(|f| f.find(text))
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

/// What a reset form reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A time of day (captures `hour`).
    Clock,
    /// A delay (captures `amount`).
    Relative,
}

/// A checked reset-time form.
#[derive(Debug, Clone)]
pub struct ResetForm {
    pub pattern: Pattern,
    /// What it reads, known once its regex is compiled.
    kind: OnceLock<Option<Kind>>,
}

/// The capture names of a time-of-day form and of a delay form.
const CLOCK_NAMES: &[&str] = &["hour", "minute", "ampm", "zone"];
const DELAY_NAMES: &[&str] = &["amount", "unit"];

impl ResetForm {
    /// Checks one form: a pattern that captures `hour` (and maybe `minute`, `ampm`, `zone`) for
    /// a time of day, or `amount` (and maybe `unit`) for a delay, and no other name.
    pub fn build(p: &PatternData) -> Result<ResetForm, String> {
        let pattern = crate::patterns::compile_pattern(p)?;
        let kind = pattern.regex().map_or(Err(String::new()), kind_of)?;
        Ok(ResetForm { pattern, kind: OnceLock::from(Some(kind)) })
    }

    /// A form of the shared file: checked like [`ResetForm::build`] by the tests, compiled
    /// when a text first holds one of its keywords.
    pub fn lazy(pattern: Pattern) -> ResetForm {
        ResetForm { pattern, kind: OnceLock::new() }
    }

    /// What the form reads (`None`: its regex does not compile or captures the wrong names).
    pub fn kind(&self) -> Option<Kind> {
        *self.kind.get_or_init(|| self.pattern.regex().and_then(|re| kind_of(re).ok()))
    }

    /// The first valid time this form finds in `text` (its kind is known).
    fn find(&self, text: &str) -> Option<ResetHint> {
        if !self.pattern.holds_keyword(text) {
            return None;
        }
        let kind = self.kind()?;
        self.pattern.regex()?.captures_iter(text).find_map(|c| match kind {
            Kind::Clock => clock_of(&c, text),
            Kind::Relative => delay_of(&c, text).map(|ms| ResetHint::After { ms }),
        })
    }
}

/// What a form's capture names say it reads, or why they are wrong.
fn kind_of(re: &regex_lite::Regex) -> Result<Kind, String> {
    let names: Vec<&str> = re.capture_names().flatten().collect();
    if let Some(n) = names.iter().find(|n| !CLOCK_NAMES.contains(n) && !DELAY_NAMES.contains(n)) {
        return Err(format!("unknown capture name {n:?}: use hour, minute, ampm, zone, amount or unit"));
    }
    let only = |allowed: &[&str]| names.iter().all(|n| allowed.contains(n));
    if names.contains(&"hour") && only(CLOCK_NAMES) {
        Ok(Kind::Clock)
    } else if names.contains(&"amount") && only(DELAY_NAMES) {
        Ok(Kind::Relative)
    } else {
        Err("capture either (?P<hour>…) with minute, ampm, zone for a time of day, or (?P<amount>…) with unit for a delay".into())
    }
}

fn is_alnum_at(text: &str, i: usize) -> bool {
    text.as_bytes().get(i).is_some_and(u8::is_ascii_alphanumeric)
}

/// A time of day from a clock form's captures. `H[:MM] am|pm` (12 h) or `HH:MM` (24 h); the
/// digits, or `am`/`pm`, must not run on into a word ("resets 10x"); a zone that does not
/// look like an IANA name is dropped.
fn clock_of(c: &regex_lite::Captures<'_>, text: &str) -> Option<ResetHint> {
    let hour_m = c.name("hour")?;
    let hour: u32 = hour_m.as_str().parse().ok()?;
    let minute_m = c.name("minute");
    let minute: u32 = match minute_m {
        Some(m) => m.as_str().parse().ok()?,
        None => 0,
    };
    let digits_end = minute_m.map_or(hour_m.end(), |m| m.end());
    // "pm" running on into a word is not a meridiem ("5 pmx"); "p.m." ends with its dots.
    let ampm = c.name("ampm").filter(|m| m.as_str().ends_with('.') || !is_alnum_at(text, m.end()));
    let hour24 = match ampm {
        Some(m) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            let pm = m.as_str().as_bytes().first().is_some_and(|b| b.eq_ignore_ascii_case(&b'p'));
            (hour % 12) + if pm { 12 } else { 0 }
        }
        // Without am/pm only an unambiguous 24-hour "HH:MM" counts.
        None if minute_m.is_some() && hour <= 23 && !is_alnum_at(text, digits_end) => hour,
        None => return None,
    };
    if minute > 59 {
        return None;
    }
    let zone = c.name("zone").and_then(|z| iana_zone(z.as_str()));
    // hour24 ≤ 23 and minute ≤ 59 were checked above, so both fit in u8.
    Some(ResetHint::ClockTime { hour: hour24 as u8, minute: minute as u8, zone })
}

/// `Asia/Tokyo`, if it looks like an IANA zone name.
fn iana_zone(s: &str) -> Option<String> {
    let zone = s.trim();
    let ok = !zone.is_empty()
        && zone.len() <= 64
        && zone.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && zone.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-' | b'+'));
    ok.then(|| zone.to_string())
}

/// A delay in ms from a relative form's captures, with the parts that follow the match.
fn delay_of(c: &regex_lite::Captures<'_>, text: &str) -> Option<u64> {
    let amount = c.name("amount")?;
    let (value, _) = read_number(amount.as_str().as_bytes(), 0)?;
    let Some(unit) = c.name("unit") else {
        return Some(clamp_ms(value * 1000.0));
    };
    let mut total = value * unit_ms(&unit.as_str().to_ascii_lowercase())?;
    let rest = text.get(unit.end()..).unwrap_or("").to_ascii_lowercase();
    total += more_parts(&rest);
    (!total.is_nan()).then(|| clamp_ms(total))
}

/// The sum of the `, <amount><unit>` / ` and <amount> <unit>` parts at the start of `s`
/// (lowercase): "6m0s" continues with "0s", "2h 10m" with " 10m".
fn more_parts(s: &str) -> f64 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut total = 0.0f64;
    loop {
        while matches!(b.get(i), Some(b' ' | b',')) {
            i += 1;
        }
        if s.get(i..).is_some_and(|r| r.starts_with("and ")) {
            i += 4;
        }
        let Some((value, after_num)) = read_number(b, i) else { break };
        let mut j = after_num;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        let word_end = (j..=b.len()).find(|&k| !b.get(k).is_some_and(u8::is_ascii_alphabetic)).unwrap_or(b.len());
        // "6m0s": the letters stop at the next digit, so run-together units split naturally.
        let Some(unit_ms) = s.get(j..word_end).and_then(unit_ms) else { break };
        total += value * unit_ms;
        i = word_end;
    }
    total
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
