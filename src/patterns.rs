//! What the agents print, kept as data: the strings that classify a failure, the prompts that
//! mean "waiting for input", and the lines that mean "still retrying".
//!
//! Screen and error texts change with every CLI release, so they live here in plain tables that
//! are easy to update, each entry tested against captured output (tests/fixtures/agent-output).
//! Matching is ASCII case-insensitive substring search; the one regular expression reads HTTP
//! status codes out of error lines.

use crate::model::{AgentKind, FailureClass};
use regex_lite::Regex;
use std::sync::OnceLock;

/// When several classes match, the first in this list wins: the most specific and least
/// recoverable explanation is the one to report.
pub const CLASS_PRIORITY: [FailureClass; 6] = [
    FailureClass::ContextOverflow,
    FailureClass::UsageLimit,
    FailureClass::Auth,
    FailureClass::BadInvocation,
    FailureClass::RateLimit,
    FailureClass::Network,
];

/// Substrings (ASCII case-insensitive) that put an error line in a failure class.
pub const FAILURE_TEXT: &[(FailureClass, &[&str])] = &[
    (
        FailureClass::ContextOverflow,
        &[
            "context window",          // codex, opencode, pi (OpenAI wording)
            "contextoverflowerror",    // opencode error name
            "prompt is too long",      // claude
            "context_length_exceeded", // OpenAI error code
            "maximum context length",
            "context length exceeded",
        ],
    ),
    (
        FailureClass::UsageLimit,
        &[
            "hit your usage limit", // codex: "You’ve hit your usage limit … try again at 1:22 AM"
            "hit your session limit", // claude: "You've hit your session limit · resets 3:50pm (…)"
            "hit your weekly limit",
            "hit your daily limit",
            "hit your opus limit",
            "hit your limit", // claude: "You've hit your limit · resets 1am"
            "usage limit reached",
            "usage_limit_reached",
            "quota exceeded", // codex: "Quota exceeded. Check your plan and billing details."
            "exceeded your current quota",
            "insufficient_quota",
            "credit balance is too low",
        ],
    ),
    (
        FailureClass::Auth,
        &[
            "unauthorized",
            "invalid api key", // claude: "Invalid API key · Fix external API key"
            "incorrect api key", // OpenAI 401 body
            "invalid_api_key",
            "invalid x-api-key",
            "authentication_failed", // claude stream-json error field
            "authentication_error",
            "not logged in", // claude: "Not logged in · Please run /login"; codex login status
            "please run /login",
            "no api key found", // pi: "No API key found for the selected model."
            "missing api key",
            "api key is missing",
            "oauth token has expired",
            "invalid bearer token",
        ],
    ),
    (
        FailureClass::BadInvocation,
        &[
            "unexpected argument", // clap (codex): removed flags such as --full-auto
            "unrecognized option",
            "unknown option",
            "not inside a trusted directory", // codex outside git without --skip-git-repo-check
            "requires --verbose",             // claude stream-json without --verbose
            "cannot be used with root/sudo",  // claude bypass as root without IS_SANDBOX=1
            "is already in use",              // claude --session-id reused
            "no conversation found with session id", // claude resume of an unknown id
            "no rollout found",               // codex resume of an unknown id
            "session not found",              // opencode --session of an unknown id
            "no session found matching",      // pi --session of an unknown id
            "auto-rejecting",                 // opencode run refusing an `ask` permission
            "providermodelnotfounderror",
            "model_not_found",
        ],
    ),
    (
        FailureClass::RateLimit,
        &[
            "rate limit", // "429 Rate limit reached", "exceed the rate limit"
            "rate limited",
            "rate_limit",
            "too many requests",
            "overloaded", // "529 Overloaded", overloaded_error
            "at capacity", // codex: "Selected model is at capacity."
            "high demand", // codex 5xx: "We’re currently experiencing high demand"
            "service unavailable",
            "internal server error",
            "bad gateway",
            "gateway timeout",
            "server_error",
            "temporarily unavailable",
            "exceeded retry limit",
        ],
    ),
    (
        FailureClass::Network,
        &[
            "waiting for network", // codex, forever
            "unable to connect",   // claude: "Unable to connect to API (ConnectionRefused)"
            "connectionrefused",
            "connection refused",
            "econnrefused",
            "econnreset",
            "etimedout",
            "enotfound",
            "eai_again",
            "failed to lookup address",
            "name does not resolve",
            "could not resolve host",
            "connection failed",
            "error sending request",
            "stream disconnected",
            "failed to connect",
            "fetch failed",
            "socket hang up",
            "connection reset",
            "network error",
            "network is unreachable",
        ],
    ),
];

/// Lines that, on their own, say nothing about why a run failed even though they look like
/// errors (every Codex run against an unknown model prints the first one).
pub const IGNORED_ERROR_TEXT: &[&str] = &["model metadata for", "reading additional input from stdin"];

/// Prompts on screen that mean the agent waits for a person, for every agent.
pub const WAITING_COMMON: &[&str] = &[
    "do you want to proceed",
    "yes, allow once",
    "allow command?",
    "press enter to confirm or esc to cancel",
    "do you trust the files in this folder?",
    "[y/n]",
    "(y/n)",
];

/// Prompts specific to one agent.
pub fn waiting_patterns(agent: AgentKind) -> &'static [&'static str] {
    match agent {
        AgentKind::Claude => &[
            "no, and tell claude what to do differently",
            "do you want to make this edit",
            "do you want to create",
        ],
        AgentKind::Codex | AgentKind::Demo => &[
            "no, and tell codex what to do differently",
            "would you like to run the following command",
            "would you like to make the following edits",
        ],
        AgentKind::Opencode => &["permission required"], // "△ Permission required"
        // Pi has no approval prompts; this one appears when a session from another directory
        // is resumed by id and would hang in tmux.
        AgentKind::Pi => &["fork this session into current directory?"],
    }
}

/// Lines an agent prints while it retries or waits for the network instead of working.
pub const RETRY_TEXT: &[&str] = &[
    "reconnecting...", // codex: "Reconnecting... 2/5 (…)", "Reconnecting... waiting for network"
    "waiting for network",
    "\"subtype\":\"api_retry\"",      // claude stream-json
    "\"type\":\"auto_retry_start\"", // pi json
    "failed to connect",
    "retrying in",
    "retrying...",
    "retry attempt",
];

/// How many of the last non-empty pane lines are searched for a waiting prompt.
pub const WAITING_WINDOW_LINES: usize = 15;
/// How many of the last non-empty pane lines must all be retry lines to call it a retry loop.
pub const RETRY_WINDOW_LINES: usize = 6;
/// Fewest retry lines that make a retry loop (a single "Reconnecting" is normal).
pub const RETRY_MIN_LINES: usize = 3;

/// The failure class an HTTP status implies, if any.
pub fn class_of_status(status: u16) -> Option<FailureClass> {
    match status {
        401 | 403 => Some(FailureClass::Auth),
        429 | 500..=504 | 529 => Some(FailureClass::RateLimit),
        _ => None,
    }
}

/// HTTP status codes quoted in an error line: "status 401", "(429)", "API Error: 500 …",
/// "503 Service Unavailable", or a line that starts with the code ("429 Rate limit reached").
pub fn statuses_in(text: &str) -> Vec<u16> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?:(?i:status(?: code)?:? |api error:? )|\()([1-5]\d\d)\b|^([1-5]\d\d) [A-Z{]|\b([1-5]\d\d) (?i:unauthorized|forbidden|too many requests|internal server error|bad gateway|service unavailable|gateway timeout|overloaded)",
        )
        .ok()
    });
    let Some(re) = re else { return Vec::new() };
    re.captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)))
        .filter_map(|m| m.as_str().parse::<u16>().ok())
        .collect()
}

/// ASCII case-insensitive substring search. `needle` must be lowercase (the tables are).
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

/// Whether any of the lowercase `needles` occurs in `text`, ignoring ASCII case.
pub fn contains_any(text: &str, needles: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    needles.iter().any(|n| lower.contains(n))
}

/// Every failure class the text of one line points to (by table and by HTTP status).
pub fn classes_in(text: &str) -> Vec<FailureClass> {
    let lower = text.to_ascii_lowercase();
    let mut out: Vec<FailureClass> = FAILURE_TEXT
        .iter()
        .filter(|(_, needles)| needles.iter().any(|n| lower.contains(n)))
        .map(|(class, _)| *class)
        .collect();
    for status in statuses_in(text) {
        if let Some(class) = class_of_status(status) {
            if !out.contains(&class) {
                out.push(class);
            }
        }
    }
    out
}
