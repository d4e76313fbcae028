//! Validation of names that come from outside (DESIGN §3.1). Pure string checks, no I/O.

use crate::error::{CoreError, CoreResult};

/// Longest task name accepted. Keeps `<agent>-<name>` tmux session names short and readable.
pub const MAX_TASK_NAME_LEN: usize = 48;

/// Checks a task name: `^[a-z0-9]+(-[a-z0-9]+)*$`, at most [`MAX_TASK_NAME_LEN`] characters.
///
/// Written by hand rather than with a regex: it is the hottest and most security-relevant check,
/// and a byte loop makes the accepted alphabet obvious.
pub fn validate_task_name(name: &str) -> CoreResult<()> {
    let bytes = name.as_bytes();
    let ok_len = !bytes.is_empty() && bytes.len() <= MAX_TASK_NAME_LEN;
    let ok_chars = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let ok_hyphens = !name.starts_with('-') && !name.ends_with('-') && !name.contains("--");
    if ok_len && ok_chars && ok_hyphens {
        Ok(())
    } else {
        // Cap what we echo back so a 1 MB "name" does not become a 1 MB message.
        Err(CoreError::InvalidTaskName(truncate_for_message(name)))
    }
}

/// Shortens untrusted text before it is quoted in an error message.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// Parses a decimal number (`[+-]digits[.digits][e[+-]digits]`, as in JSON or "20.5s") without
/// `str::parse::<f64>`, whose correctly-rounding algorithm and tables cost the wasm ~15 KB.
/// Exact for integers below 2^53 and for up to 15 significant digits with exponents within ±22
/// (every value agent output carries: status codes, seconds, minutes); longer inputs are within
/// an ulp or two. Digit runs of any length are fine: huge values become infinite, not NaN.
/// Anything else (empty, `inf`, `nan`, stray characters) is `None`.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0usize;
    let mut seen_dot = false;
    while let Some(&c) = b.get(i) {
        if c.is_ascii_digit() {
            digits += 1;
            if mantissa < 1_000_000_000_000_000_000 {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                if seen_dot {
                    exp -= 1;
                }
            } else if !seen_dot {
                // A digit beyond what u64 holds: drop it, scale instead.
                exp += 1;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            e = (e * 10 + i64::from(c - b'0')).min(100_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    // Below 10^19, so the conversion is exact up to 2^53 and rounded once above.
    let mut v = mantissa as f64;
    if v != 0.0 {
        let exp = exp.clamp(-400, 400) as i32;
        v = if exp >= 0 { v * 10f64.powi(exp) } else if exp >= -22 { v / 10f64.powi(-exp) } else { v / 1e22 / 10f64.powi(-exp - 22) };
    }
    Some(if neg { -v } else { v })
}

/// An `f64` for messages, written without `core`'s float formatting (Grisu/Dragon and their
/// tables, ~8 KB of wasm): whole numbers as `Display` writes them (`180000`, `-5`, `-0`), `NaN`,
/// `inf`, `-inf`; fractions to at most 6 decimals (`1.5`, `0.333333`); beyond 10^19 as
/// `<digits>e<exponent>`.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        let a = x.abs();
        if a.is_infinite() {
            return f.write_str("inf");
        }
        if a < 1e12 {
            // Below 10^18 after scaling, so the cast is exact and cannot overflow.
            let t = (a * 1e6).round() as u64;
            let (int, frac) = (t / 1_000_000, t % 1_000_000);
            write!(f, "{int}")?;
            if frac > 0 {
                let digits = format!("{frac:06}");
                f.write_str(".")?;
                f.write_str(digits.trim_end_matches('0'))?;
            }
            Ok(())
        } else if a < 1e19 {
            // Below u64::MAX, so the cast cannot overflow (fractions are below an ulp here anyway).
            write!(f, "{}", a.round() as u64)
        } else {
            let mut m = a;
            let mut e = 0u32;
            while m >= 1e15 {
                m /= 10.0;
                e += 1;
            }
            // m < 10^15, so the cast is exact.
            write!(f, "{}e{e}", m.round() as u64)
        }
    }
}
