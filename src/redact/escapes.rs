//! JSON `\uXXXX` escapes of name characters, seen decoded by the rules: `"\u0070assword"` is
//! `"password"` to every JSON reader, so a rule looking for `password` must see it too. The
//! rules run on a decoded copy and what they find is mapped back onto the text, which is
//! otherwise returned as it was. Only escapes of ASCII letters, digits, `_`, `-` and `.` are
//! decoded (what a secret's name is made of); a quote, backslash or control character stays
//! escaped, so the copy's JSON structure is the text's. A doubled backslash (`\\u0070`: JSON
//! printed inside a JSON string) is decoded too: the inner text means the same letter. Runs of
//! three or more backslashes are left alone.

/// A decoded copy of a text and where its decoded characters were.
pub struct Decoded {
    pub text: String,
    /// Per decoded escape, ascending: its position in `text` and its length in the original.
    escapes: Vec<(usize, usize)>,
}

impl Decoded {
    /// The position in the original text of position `p` of the decoded copy.
    pub fn original(&self, p: usize) -> usize {
        let before = self.escapes.partition_point(|&(at, _)| at < p);
        p + self.escapes.iter().take(before).map(|&(_, len)| len - 1).sum::<usize>()
    }
}

/// The decoded copy of `text`, or None when it holds no escape to decode (the common case).
pub fn decode_name_escapes(text: &str) -> Option<Decoded> {
    let b = text.as_bytes();
    let first = text.find("\\u")?;
    let mut out = String::new();
    let mut escapes = Vec::new();
    let mut copied = 0;
    let mut i = first;
    while let Some(p) = text.get(i..).and_then(|t| t.find("\\u")) {
        let u = i + p + 1; // the `u`
        i = u + 1;
        // The whole run of backslashes before the `u`: one or two.
        let mut run_start = u - 1;
        while run_start > copied && b.get(run_start - 1) == Some(&b'\\') {
            run_start -= 1;
        }
        let Some(c) = b.get(u + 1..u + 5).and_then(hex4).filter(|&c| is_name_char(c)) else { continue };
        if u - run_start > 2 {
            continue;
        }
        out.push_str(text.get(copied..run_start).unwrap_or(""));
        escapes.push((out.len(), u + 5 - run_start));
        out.push(char::from(c));
        copied = u + 5;
        i = copied;
    }
    if escapes.is_empty() {
        return None;
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    Some(Decoded { text: out, escapes })
}

/// The ASCII byte four hex digits `00XX` stand for, or None.
fn hex4(h: &[u8]) -> Option<u8> {
    if !h.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let v = u16::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
    u8::try_from(v).ok().filter(u8::is_ascii)
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}
