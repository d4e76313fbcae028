//! Native timings of the core's hot paths, printed as JSON for `bench/run.js`, which times the
//! same calls on the wasm build and reports the ratio. Run: `cargo run --release --example bench_core`.
use resilient_coding_agent::classify::{classify_exit, classify_live, ExitFacts};
use resilient_coding_agent::model::AgentKind;
use resilient_coding_agent::redact::redact;
use resilient_coding_agent::session_id::extract_session_id;
use std::time::Instant;

/// A pane capture of `lines` lines of ordinary agent output ending in a crash line.
fn capture(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 64);
    for i in 0..lines {
        s.push_str(&format!("• Ran cargo test -p core --lib step {i} … ok, 12 passed; 0 failed\n"));
    }
    s.push_str("ERROR: unexpected status 401 Unauthorized: invalid api key\n");
    s
}

/// About `bytes` of agent output for the redaction figure (the same text as bench/core-wasm.js):
/// build and test lines, JSON events, diffs and URLs that mention tokens and keys (so nearly
/// every line has a keyword hit), a colour code, and a secret every tenth block (~6 KB).
fn agent_output(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 1024);
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            concat!(
                "• Ran cargo test -p core --lib step {i} … ok, 12 passed; 0 failed\n",
                "{{\"type\":\"item.completed\",\"item\":{{\"id\":\"item_{i}\",\"type\":\"agent_message\",\"text\":\"Updated src/auth/session.rs: the token refresh now retries once.\"}}}}\n",
                "+    let key = cache.get(&session_id).cloned();\n",
                "+    if token.is_expired(now) {{ return Err(AuthError::Expired); }}\n",
                "-    // TODO: read the api key from the environment\n",
                " src/auth/token_store.rs | 42 +++++++++++-----\n",
                "https://github.com/org/repo/blob/main/src/key.rs#L{i}\n",
                "request id 01a20aee-07dc-7642-86cc-36bb08482310 took 12 ms\n",
                "{secret}",
                "\x1b[32m✓\x1b[0m auth › refreshes the access token before it expires (0.8s)\n",
            ),
            i = i,
            secret = if i % 10 == 0 { "export OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n" } else { "" }
        ));
        i += 1;
    }
    s
}

/// Median of `runs` timings of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[t.len() / 2]
}

fn main() {
    let mut out = Vec::new();
    for lines in [100usize, 1_000, 10_000] {
        let text = capture(lines);
        let facts = ExitFacts { exit_status: Some(1), pane_tail: text.clone(), ..Default::default() };
        let exit_ms = median_ms(50, || {
            std::hint::black_box(classify_exit(AgentKind::Codex, std::hint::black_box(&facts)));
        });
        let live_ms = median_ms(50, || {
            std::hint::black_box(classify_live(AgentKind::Codex, std::hint::black_box(&text)));
        });
        out.push(format!(
            "{{\"what\":\"classify\",\"lines\":{lines},\"exitMs\":{exit_ms},\"liveMs\":{live_ms}}}"
        ));
    }
    // The host hands the core only the head of the event file (the id is on the first line).
    let head = format!(
        "{{\"type\":\"thread.started\",\"thread_id\":\"0199a213-81c0-7800-8aa1-bbab2a035a53\"}}\n{}",
        "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"agent_message\",\"text\":\"working\"}}\n".repeat(200)
    );
    let head = &head[..head.len().min(16 * 1024)];
    let id_ms = median_ms(200, || {
        std::hint::black_box(extract_session_id(AgentKind::Codex, std::hint::black_box(head)));
    });
    out.push(format!("{{\"what\":\"session_id\",\"headBytes\":{},\"ms\":{id_ms}}}", head.len()));
    let text = agent_output(1024 * 1024);
    let redact_ms = median_ms(20, || {
        std::hint::black_box(redact(std::hint::black_box(&text)));
    });
    out.push(format!("{{\"what\":\"redact\",\"bytes\":{},\"ms\":{redact_ms}}}", text.len()));
    println!("[{}]", out.join(","));
}
