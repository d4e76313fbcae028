//! Redaction against hostile agent output: text shaped to make it slow (long runs of
//! keyword-like text on one line) or to slip a secret past it (JSON-escaped quotes).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::redact::redact;

/// Shapes that made the scan quadratic: every keyword hit walked the whole run of name
/// characters (or searched the rest of a long line for a separator) again.
fn catastrophic_shapes(bytes: usize) -> Vec<(&'static str, String)> {
    vec![
        ("a run of keywords with no separator", "token".repeat(bytes / 5)),
        ("keywords behind colour codes", "\u{1b}[31mtoken\u{1b}[0m".repeat(bytes / 14)),
        ("URL schemes with no @", "a://".repeat(bytes / 4)),
        ("-u flags with no colon", " -u".repeat(bytes / 3)),
        ("header names with no separator", "x-api-key".repeat(bytes / 9)),
        ("a run of pass names", "pass-".repeat(bytes / 5)),
    ]
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn keyword_runs_on_one_long_line_stay_linear() {
    // 400 KB of each shape: it took minutes before (quadratic); now a few ms. The bound is
    // generous (a loaded machine), and still far below the quadratic time.
    for (what, text) in catastrophic_shapes(400_000) {
        let t0 = std::time::Instant::now();
        let out = redact(&text);
        let took = t0.elapsed();
        assert!(took.as_secs() < 10, "{what}: {took:?} for {} bytes", text.len());
        assert!(out.len() <= text.len(), "{what}: grew");
    }
}

#[test]
fn catastrophic_shapes_keep_a_secret_after_them_redacted() {
    for (what, filler) in catastrophic_shapes(20_000) {
        let out = redact(&format!("{filler} OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx"));
        assert!(!out.contains("AbCdEfGhIjKlMnOp"), "{what}: secret leaked");
    }
}

/// A tool result that printed a JSON file, inside a JSON transcript line: the quotes of the
/// file are escaped (`\"`), and its secrets must go as in the file itself.
#[test]
fn json_escaped_quotes_do_not_hide_a_value() {
    let cases = [
        (r#"{"content":"{\n  \"api_key\": \"abcd1234efgh5678\"\n}"}"#, "abcd1234efgh5678"),
        (r#"{"text":"{\"token\":\"hunter2hunter2\"}"}"#, "hunter2hunter2"),
        (r#"{"out":"{\"password\": \"Tr0ub4dor&3xyz\", \"user\": \"bob\"}"}"#, "Tr0ub4dor&3xyz"),
        (r#"{"out":"{\"Authorization\": \"Bearer abcdef0123456789\"}"}"#, "abcdef0123456789"),
        (r#"{"out":"{\"x-api-key\":\"abcdef0123456789\"}"}"#, "abcdef0123456789"),
        (r#"{"out":"{\"cookie\": \"session=abcdef0123456789\"}"}"#, "abcdef0123456789"),
    ];
    for (input, secret) in cases {
        let out = redact(input);
        assert!(!out.contains(secret), "{secret:?} leaked in {out:?}");
        assert!(out.contains("[REDACTED]"), "no marker in {out:?}");
        // The escaped quotes stay: the line is still the JSON it was.
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "not JSON any more: {out}");
        assert_eq!(redact(&out), out, "not idempotent");
    }
}

/// Invisible characters inside a key or its name: a terminal shows the key whole, so redaction
/// must see it whole too.
#[test]
fn zero_width_and_bidi_characters_do_not_hide_a_key() {
    let key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx";
    for hide in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{202E}', '\u{2066}', '\u{200E}'] {
        for at in [1, 3, 12] {
            let (a, b) = key.split_at(at);
            let out = redact(&format!("here: {a}{hide}{b}"));
            assert!(!out.contains("AbCdEfGh") && !out.contains("IjKlMnOp"), "U+{:04X} at {at}: {out:?}", hide as u32);
        }
        let out = redact(&format!("PASS{hide}WORD=hunter2secret"));
        assert!(!out.contains("hunter2secret"), "U+{:04X} in a name: {out:?}", hide as u32);
    }
    // Emoji sequences and scripts that need the joiners keep them.
    for kept in ["👩\u{200D}💻 done", "क्\u{200D}ष", "می\u{200C}خواهم"] {
        assert_eq!(redact(kept), kept);
    }
}

/// A URL that carries another URL or a form in its query has `=` and `:` percent-encoded.
#[test]
fn percent_encoded_separators_do_not_hide_a_value() {
    let cases = [
        ("https://app.example/cb?next=%2Fhome%3Fpassword%3Dhunter2secret%26x%3D1", "hunter2secret"),
        ("redirect_uri=https%3A%2F%2Fx.example%2F%23access_token%3Dya_abcdef123456%26state%3D1", "ya_abcdef123456"),
        ("data=%7B%22api_key%22%3A%22abcd1234efgh5678%22%7D", "abcd1234efgh5678"),
    ];
    for (input, secret) in cases {
        let out = redact(input);
        assert!(!out.contains(secret), "{secret:?} leaked in {out:?}");
        assert_eq!(redact(&out), out, "not idempotent");
    }
}

/// A name spelled with JSON `\uXXXX` escapes is seen as the name; the text around the secret
/// (escapes included) comes back as it was, and stays JSON.
#[test]
fn unicode_escaped_names_are_seen_and_the_text_kept() {
    let cases = [
        (r#"{"\u0070assword": "hunter2hunter2", "\u006eame": "x"}"#, "hunter2hunter2", r#"{"\u0070assword": "[REDACTED]", "\u006eame": "x"}"#),
        (r#"{"out":"{\"\\u0074oken\":\"abcd1234efgh5678\"}"}"#, "abcd1234efgh5678", r#"{"out":"{\"\\u0074oken\":\"[REDACTED]\"}"}"#),
        (r#"{"API_\u004B\u0045\u0059":"abcd1234efgh5678"}"#, "abcd1234efgh5678", r#"{"API_\u004B\u0045\u0059":"[REDACTED]"}"#),
    ];
    for (input, secret, want) in cases {
        let out = redact(input);
        assert!(!out.contains(secret), "{secret:?} leaked in {out:?}");
        assert_eq!(out, want);
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "not JSON any more: {out}");
        assert_eq!(redact(&out), out, "not idempotent");
    }
    // A quote or backslash escape stays what it was, and breaks no name.
    for kept in [r#"{"a\u0022b": "\u005c"}"#, r#"\\\u0070assword"#, r#"\u00"#, r#"\u+070"#] {
        assert_eq!(redact(kept), kept);
    }
}
