//! Redaction of secrets from text the package returns (evidence, messages, transcripts).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_coding_agent::redact::redact;

mod random_support;
use random_support::Rng;

fn assert_hidden(input: &str, secret: &str) {
    let out = redact(input);
    assert!(!out.contains(secret), "{secret:?} leaked in {out:?}");
    assert!(out.contains("[REDACTED"), "no marker in {out:?}");
}

#[test]
fn provider_api_keys() {
    let cases = [
        ("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abc end", "AbCdEfGhIjKlMnOp"),
        ("OPENAI sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 x", "AbCdEfGhIjKlMnOp"),
        ("legacy sk-AbCdEfGhIjKlMnOpQrStUvWxYz012345678901234567", "AbCdEfGhIjKlMnOp"),
        ("google AIzaSyA-1234567890abcdefghijklmnopqrstuv", "1234567890abcdef"),
        ("gh ghp_0123456789abcdefghijABCDEFGHIJ012345", "0123456789abcdefghij"),
        ("gh github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "11ABCDEFG0123456789"),
        ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKl", "AbCdEfGhIjKl"),
        ("aws AKIAIOSFODNN7EXAMPLE done", "AKIAIOSFODNN7EXAMPLE"),
        ("gitlab glpat-abcdefghij0123456789", "abcdefghij0123456789"),
        ("hf hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "abcdefghijklmnopqrstuvwxyz"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNryP4J3jVmNHl0w"),
    ];
    for (input, secret) in cases {
        assert_hidden(input, secret);
    }
}

#[test]
fn bearer_tokens_and_headers() {
    assert_hidden("Authorization: Bearer abcdef0123456789xyz", "abcdef0123456789xyz");
    assert_hidden("curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x", "dXNlcjpwYXNz");
    assert_hidden("{\"authorization\":\"Bearer abcdef0123456789xyz\"}", "abcdef0123456789xyz");
    assert_hidden("x-api-key: my-secret-key-value", "my-secret-key-value");
    assert_hidden("{\"x-api-key\":\"my-secret-key-value\"}", "my-secret-key-value");
    assert_hidden("sent bearer abcdef0123456789xyz to the API", "abcdef0123456789xyz");
    assert_hidden("Cookie: session=abcdef0123456789", "abcdef0123456789");
    let out = redact("Authorization: Bearer abcdef0123456789xyz");
    assert!(out.starts_with("Authorization: "), "header name kept: {out}");
}

#[test]
fn private_key_blocks() {
    let pem = "before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nAAAAAAAAAAEAAAAz\n-----END OPENSSH PRIVATE KEY-----\nafter";
    let out = redact(pem);
    assert!(!out.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"), "{out}");
    assert!(out.starts_with("before\n") && out.ends_with("\nafter"), "{out}");
    assert_hidden("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA");
    // Cut off by a tail window: everything after BEGIN goes.
    assert_hidden("x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0");
}

#[test]
fn secret_environment_assignments() {
    assert_hidden("OPENAI_API_KEY=abc123notakeyshape", "abc123notakeyshape");
    assert_hidden("export GH_TOKEN=\"quoted value here\"", "quoted value here");
    assert_hidden("DB_PASSWORD='p@ss w0rd'", "p@ss w0rd");
    assert_hidden("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI");
    assert_hidden("env: ANTHROPIC_AUTH_TOKEN=tok-123 CLAUDE=1", "tok-123");
    assert_hidden("{\"api_key\": \"plain-value-123\"}", "plain-value-123");
    assert_hidden("password: hunter2", "hunter2");
    let out = redact("OPENAI_API_KEY=abc123notakeyshape PATH=/usr/bin");
    assert_eq!(out, "OPENAI_API_KEY=[REDACTED] PATH=/usr/bin");
}

#[test]
fn session_ids_and_ordinary_text_are_kept() {
    let keep = [
        "{\"type\":\"thread.started\",\"thread_id\":\"01a20aee-07dc-7642-86cc-36bb08482310\"}",
        "session id: 01a20aee-0a73-7f71-b819-db8150d59d3f",
        "\"session_id\":\"fe204e76-bb72-41bc-b31c-9f027f5ef191\"",
        "\"sessionID\":\"ses_df50699c7fferLFulVNQxfBn2m\"",
        "message=created id=ses_df505175effeiOzHAHmysD68SP slug=quiet-mountain",
        "unexpected status 401 Unauthorized: Incorrect API key provided: mock.",
        "Invalid API key · Fix external API key",
        "task-fix-login-bug and desk-lamp are not keys",
        "RCA_TASK_DIR=/home/user/.local/state/rca/task-abc RCA_ATTEMPT=2",
        "You’ve hit your usage limit … try again at 1:22 AM",
        "tokens.input=0 tokens.output=0",
        "",
    ];
    for text in keep {
        assert_eq!(redact(text), text);
    }
}

#[test]
fn idempotent() {
    let input = "OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 Authorization: Bearer abcdef0123456789xyz";
    let once = redact(input);
    assert_eq!(redact(&once), once);
    assert!(!once.contains("AbCdEfGh") && !once.contains("abcdef0123456789xyz"), "{once}");
}

#[test]
fn real_fixtures_keep_their_meaning() {
    // No secrets in the captured output: redaction changes nothing that classification needs.
    for text in [
        include_str!("fixtures/agent-output/codex/cx-401-json.stdout"),
        include_str!("fixtures/agent-output/codex/cx-usage-text.stderr"),
        include_str!("fixtures/agent-output/opencode/oc-429-json.stdout"),
    ] {
        assert_eq!(redact(text), text);
    }
}

#[test]
fn terminal_control_sequences_are_removed() {
    let cases = [
        // OSC 0 / 2: window title, BEL- or ST-terminated.
        ("a\x1b]0;pwned title\x07b", "ab"),
        ("a\x1b]2;pwned\x1b\\b", "ab"),
        // OSC 52: clipboard write (payload goes too).
        ("x\x1b]52;c;cm0gLXJmIH4=\x07y", "xy"),
        // CSI: colours, cursor moves, erase.
        ("\x1b[1;31mred\x1b[0m \x1b[2J\x1b[H\x1b[?25lok", "red ok"),
        // Charset designation, two-character ESC, DCS and APC strings.
        ("\x1b(Bq\x1b7\x1b8\x1bPdcs\x1b\\\x1b_apc\x1b\\z", "qz"),
        // 8-bit C1 CSI and OSC, other C1 and C0 controls, DEL; \n and \t stay.
        ("a\u{9b}31mb\u{9d}0;t\u{9c}c\u{85}d\r\n\te\x07\x08\x7f", "abcd\n\te"),
        // An OSC cut off by the end of its line stops there (the newline stays).
        ("before\x1b]52;c;c2VjcmV0\nafter", "before\nafter"),
        ("plain text, unchanged", "plain text, unchanged"),
    ];
    for (input, want) in cases {
        assert_eq!(redact(input), want, "{input:?}");
    }
}

#[test]
fn a_colour_code_right_before_a_key_does_not_hide_it() {
    // Before: `\x1b[31msk-…`: the `m` of the colour code made `sk-` start mid-word.
    let out = redact("\x1b[31msk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\x1b[0m");
    assert_eq!(out, "[REDACTED]");
}

#[test]
fn a_private_key_body_without_its_begin_line_is_redacted() {
    // A tail window that starts inside a key: base64 lines up to the END line go.
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n";
    let text = format!("{body}-----END PRIVATE KEY-----\nafter");
    let out = redact(&text);
    assert_eq!(out, "[REDACTED PRIVATE KEY]\nafter");
    // In JSON (a service-account file printed whole) with `\n` escapes.
    let json = r#"pKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3S\n-----END PRIVATE KEY-----\n","client_email":"x@y""#;
    let out = redact(json);
    assert!(!out.contains("MzEfYyjiWA4R4") && !out.contains("pKcwggSjAgEAAoIB"), "{out}");
    // A public key or a certificate is not a secret.
    let cert = "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----";
    assert_eq!(redact(cert), cert);
}

#[test]
fn assignments_with_spaces_quotes_and_more_names() {
    for (input, secret) in [
        ("API_KEY = abc123def456", "abc123def456"),
        ("SMTP_PASS=hunter2hunter2", "hunter2hunter2"),
        ("MYSQL_PWD: hunter2hunter2", "hunter2hunter2"),
        ("NPM_AUTH=dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("GOOGLE_CREDENTIALS='{\"type\":\"x\"}'", "type"),
        ("token: abcdef123456", "abcdef123456"),
        ("{\"token\":\"abcdef123456\"}", "abcdef123456"),
        ("postgres://app:s3cr3tpass@db:5432/app", "s3cr3tpass"),
        ("curl -u admin:s3cr3tpass https://x", "s3cr3tpass"),
    ] {
        assert_hidden(input, secret);
    }
    // The name and the quotes stay.
    assert_eq!(redact("{\"password\": \"p4ss\", \"user\": \"me\"}"), "{\"password\": \"[REDACTED]\", \"user\": \"me\"}");
    assert_eq!(redact("postgres://app:s3cr3tpass@db/app"), "postgres://app:[REDACTED]@db/app");
    // Code that names a secret but holds none stays.
    for code in ["const token = getToken();", "let key = cache.get(&id);", "max_tokens = 4096", "auth: true", "apiKey: string;"] {
        assert_eq!(redact(code), code);
    }
}

#[test]
fn long_lines_and_many_hits_stay_correct() {
    // A 200 KB line (minified JSON) with a secret in the middle and keywords everywhere.
    let filler = "{\"key\":\"value\",\"token_count\":12,\"author\":\"x\"},".repeat(4000);
    let text = format!("{filler}\"apiKey\":\"sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\",{filler}");
    let out = redact(&text);
    assert!(!out.contains("AbCdEfGhIjKlMnOp"), "secret leaked");
    assert_eq!(out.len(), text.len() - "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789".len() + MARK_LEN);
}

const MARK_LEN: usize = "[REDACTED]".len();

#[test]
fn random_mixtures_never_panic_and_come_out_clean() {
    // Fragments that start rules, end them, sit at window edges, or are not ASCII.
    let parts = [
        "sk-", "proj-", "AbCdEfGhIjKlMnOpQrSt", "0123456789abcdef", "token", "KEY", "_pass", "auth", "=", " = ", ": ", "\"", "'",
        "(", "[", " ", "\n", "\t", "\r", "\x1b[31m", "\x1b]0;t\x07", "\x1b]52;c;", "\u{9b}1m", "\u{85}", "é", "日本", "🙂",
        "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "\\n", "://", "@",
        "user:pw", "Bearer ", "Authorization: ", "Cookie: ", "eyJ", ".", "ghp_", "xoxb-", "AKIA", "curl -u ", "--password ",
        "[REDACTED]", "?sig=", ":AA", "q~", "jqqj9", "_mmk", "-us",
    ];
    let mut rng = Rng(0x5eed_1234);
    for round in 0..3000 {
        let n = 1 + rng.below(40) as usize;
        let text: String = (0..n).map(|_| rng.pick(&parts)).collect();
        let once = redact(&text);
        assert!(!once.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "round {round}: control left in {once:?}");
    }
}
