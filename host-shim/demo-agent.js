#!/usr/bin/env node
// @ts-check
// The simulated coding agent behind `resilient-agent demo` and the tests. It speaks the Codex
// CLI contract, so the core drives it with the Codex profile and only the program differs:
//
//   demo-agent.js exec --json [--sandbox MODE | --dangerously-bypass-approvals-and-sandbox]
//                 [--skip-git-repo-check] [-m MODEL] [-c KEY=VALUE]... -
//   demo-agent.js exec --json [...] resume <thread-uuid> -
//
// It reads the prompt on stdin and prints Codex-style JSONL (thread.started, turn.started,
// item.*, turn.completed). No model, no key, no network. RCA_DEMO_MODE picks what happens:
//   crash-once   (default) works a while, then SIGKILLs itself; finishes when resumed
//   succeed      works, then finishes
//   crash-always SIGKILLs itself on every run
//   auth-fail    prints Codex's real 401 error and exits 1 (never worth retrying)
//   hang         starts, then prints nothing more and never exits
//   ask          shows an approval prompt and waits for an answer on its terminal
// RCA_DEMO_WORK_MS (default 4000) is how long a run works before finishing.
import { randomUUID } from "node:crypto";
import { openSync, readSync, closeSync } from "node:fs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODES = ["crash-once", "succeed", "crash-always", "auth-fail", "hang", "ask"];

/** @param {unknown} obj */
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Parses the Codex `exec` argv; exits 2 the way clap does on anything else.
 * @param {string[]} argv
 */
function parseArgs(argv) {
  const usage = (/** @type {string} */ msg) => {
    process.stderr.write(`error: ${msg}\n\nUsage: codex exec --json [OPTIONS] [PROMPT]\n`);
    process.exit(2);
  };
  if (argv[0] !== "exec") usage(`unrecognized subcommand '${argv[0] ?? ""}'`);
  /** @type {{ resume: string | null, model: string | null, json: boolean }} */
  const out = { resume: null, model: null, json: false };
  /** @type {string[]} */
  const positional = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") out.json = true;
    else if (a === "--skip-git-repo-check" || a === "--dangerously-bypass-approvals-and-sandbox" || a === "--yolo") continue;
    else if (a === "--sandbox" || a === "-s" || a === "-c" || a === "--config") {
      if (argv[++i] === undefined) usage(`a value is required for '${a}'`);
    } else if (a === "-m" || a === "--model") out.model = argv[++i] ?? usage("a value is required for '--model'");
    else if (a.startsWith("-") && a !== "-") usage(`unexpected argument '${a}' found`);
    else positional.push(a);
  }
  if (positional[0] === "resume") {
    const id = positional[1] ?? "";
    if (!UUID.test(id)) {
      process.stderr.write(`Error: no rollout found for thread id ${id}\n`);
      process.exit(1);
    }
    out.resume = id;
    positional.splice(0, 2);
  }
  if (positional.length !== 1 || positional[0] !== "-") usage("expected the prompt as '-' (read from stdin)");
  return out;
}

/** Reads all of stdin (the prompt), as Codex does when stdin is not a terminal. */
function readStdin() {
  /** @type {Buffer[]} */
  const chunks = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n = 0;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code === "EAGAIN") continue;
      break;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Waits for one line typed on the controlling terminal (the tmux pane). */
function readTtyLine() {
  const fd = openSync("/dev/tty", "r");
  try {
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString("utf8").trim();
  } finally {
    closeSync(fd);
  }
}

const STEPS = [
  ["command_execution", "ls -la"],
  ["agent_message", "Reading the project layout."],
  ["command_execution", "grep -rn TODO src"],
  ["file_change", "src/app.js"],
  ["command_execution", "npm test"],
  ["agent_message", "The change is in place and the tests pass."],
];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const mode = process.env.RCA_DEMO_MODE || "crash-once";
  if (!MODES.includes(mode)) {
    process.stderr.write(`error: unknown RCA_DEMO_MODE ${JSON.stringify(mode)} (one of ${MODES.join(", ")})\n`);
    process.exit(2);
  }
  const workMs = Math.max(0, Number(process.env.RCA_DEMO_WORK_MS ?? 4000) || 0);
  process.stderr.write("Reading additional input from stdin...\n");
  const prompt = readStdin();
  const threadId = args.resume ?? randomUUID();
  emit({ type: "thread.started", thread_id: threadId });
  emit({ type: "turn.started" });
  let item = 0;
  const firstLine = prompt.split("\n", 1)[0].slice(0, 200);
  emit({ type: "item.completed", item: { id: `item_${item++}`, type: "agent_message", text: `${args.resume ? "Resuming" : "Starting"}: ${firstLine}` } });

  if (mode === "auth-fail") {
    const msg =
      "unexpected status 401 Unauthorized: Incorrect API key provided: demo. You can find your API key at https://platform.openai.com/account/api-keys., url: https://api.openai.com/v1/responses";
    emit({ type: "error", message: msg });
    emit({ type: "turn.failed", error: { message: msg } });
    process.exit(1);
  }
  if (mode === "hang") {
    setInterval(() => {}, 1 << 30);
    return;
  }
  if (mode === "ask") {
    process.stdout.write("Allow command `npm install`? [y/n] ");
    const answer = readTtyLine();
    emit({ type: "item.completed", item: { id: `item_${item++}`, type: "agent_message", text: `Answer received: ${answer}` } });
  }

  const crashes = mode === "crash-always" || (mode === "crash-once" && !args.resume);
  const steps = crashes ? STEPS.slice(0, 3) : args.resume ? STEPS.slice(3) : STEPS;
  const perStep = steps.length ? workMs / (crashes ? STEPS.length : steps.length) : 0;
  for (const [type, text] of steps) {
    const id = `item_${item++}`;
    emit({ type: "item.started", item: { id, type, text, status: "in_progress" } });
    await sleep(perStep);
    emit({ type: "item.completed", item: { id, type, text, status: "completed" } });
  }
  if (crashes) {
    // A real crash: no cleanup, no last words, the way an OOM kill or a segfault ends a CLI.
    process.kill(process.pid, "SIGKILL");
    return;
  }
  emit({
    type: "turn.completed",
    // Codex's figures (the conversation's running total), plus a simulated cost so the demo
    // shows one (real Codex reports none).
    usage: { input_tokens: 1200, cached_input_tokens: 0, output_tokens: 340, reasoning_output_tokens: 0, cost_usd: 0.0123 },
  });
}

main().catch((err) => {
  process.stderr.write(`demo agent: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
