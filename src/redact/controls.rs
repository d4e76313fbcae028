//! Terminal control sequences removed from text before it reaches an operator's terminal or a
//! model: a transcript replayed by `status`/`logs` must not set the window title (OSC 0/2),
//! write the clipboard (OSC 52), move the cursor or recolour the screen (CSI), and a colour code
//! in front of a key must not hide the key from the redaction rules (`\x1b[31msk-…`).
//!
//! Removed: ESC sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`, DCS/SOS/PM/APC
//! `ESC P|X|^|_ … ST`, charset designations `ESC ( B`, two-character `ESC 7`), their 8-bit C1
//! forms (U+009B CSI, U+009D OSC, …), every other C0 control but `\n` and `\t` (so `\r`, BEL,
//! backspace go), DEL, and every other C1 control. A string sequence without its terminator
//! runs to the end of its line (the newline stays), so a cut-off OSC 52 payload goes too.
//!
//! Also removed, as invisible characters a key could hide behind (`s\u{200B}k-…` shows as
//! `sk-…` but no rule would see it): bidirectional controls (which also reorder what a reader
//! sees, "Trojan Source"), zero-width spaces, the word joiner, BOM, soft hyphen and the like.
//! The zero-width joiner and non-joiner are needed inside emoji sequences and some scripts, so
//! they go only next to an ASCII character, where they have no such use.

use std::borrow::Cow;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// C1 String Terminator.
const ST: char = '\u{9c}';

/// Whether `c` is removed on its own (a control other than `\n` and `\t`, or an invisible
/// format character; the joiners are decided by their neighbours).
fn is_control(c: char) -> bool {
    if c.is_ascii() {
        return (c.is_ascii_control() && c != '\n' && c != '\t') || c == '\u{7f}';
    }
    c.is_control() || is_invisible(c) || is_joiner(c)
}

/// Bidirectional controls and zero-width characters that no text needs to keep.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
            | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Zero-width non-joiner and joiner.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// `text` without terminal control sequences and control characters (except `\n`, `\t`).
/// Borrowed when there is nothing to remove (the common case).
pub fn strip_controls(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(is_control) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..first).unwrap_or(""));
    let mut chars = text.get(first..).unwrap_or("").chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // The common case first: printable ASCII, and \n, \t.
            ' '..='~' | '\n' | '\t' => out.push(c),
            ESC => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    chars.next();
                    skip_string(&mut chars);
                }
                // nF: intermediates (0x20–0x2F), then one final byte.
                Some(' '..='/') => {
                    while chars.next_if(|n| (' '..='/').contains(n)).is_some() {}
                    chars.next_if(|n| ('0'..='~').contains(n));
                }
                // Fp/Fe/Fs: one character (`ESC 7`, `ESC M`, `ESC c`).
                Some('0'..='~') => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_joiner(c) => {
                let ascii_near = out.chars().next_back().is_some_and(|p| p.is_ascii()) || chars.peek().is_some_and(|n| n.is_ascii());
                if !ascii_near {
                    out.push(c);
                }
            }
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Parameters and intermediates (0x20–0x3F), then one final character (0x40–0x7E). A
/// character outside those ranges ends the sequence without being consumed.
fn skip_csi(chars: &mut Chars<'_>) {
    while chars.next_if(|n| (' '..='?').contains(n)).is_some() {}
    chars.next_if(|n| ('@'..='~').contains(n));
}

/// A string sequence's body up to BEL, `ESC \` or ST (consumed), or up to a newline (kept).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(&n) = chars.peek() {
        match n {
            '\n' => return,
            BEL | ST => {
                chars.next();
                return;
            }
            ESC => {
                chars.next();
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {
                chars.next();
            }
        }
    }
}
