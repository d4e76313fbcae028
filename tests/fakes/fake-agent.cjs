// Fake agent CLIs for the end-to-end tests: `codex`, `claude`, `opencode` and `pi` on PATH.
// Each accepts its real CLI's flags (as in agent-clis.md), reads the prompt on stdin and prints
// the real CLI's captured output (tests/fixtures/agent-output) with a fresh session id.
//
//   RCA_FAKE_MODE     succeed (default) | crash-once | crash-always | auth-fail | hang
//                     | limit-once  the first run ends with the agent's real usage/rate-limit
//                                   message (codex/claude usage limit, pi 429), resumed runs succeed
//                     | hang-once   the first run prints its first event and then nothing, forever;
//                                   resumed runs succeed
//                     | reconnect-once  codex: the first run repeats the real "Reconnecting...
//                                   waiting for network" line forever; resumed runs succeed
//   RCA_FAKE_RESET    the reset part of the limit message: codex "at 1:22 AM" | "later"
//                     (no time), claude "3:50pm (Asia/Tokyo)", pi "20s" (defaults as shown)
//   RCA_FAKE_WORK_MS  how long a run works before its last line (default 1500)
//   RCA_FAKE_LOG      file that gets one JSON line per invocation {agent, argv, cwd, resumeId, pid}
//   RCA_FAKE_KEY      put into the 401 message ("Incorrect API key provided: <key>"): redaction tests
//   RCA_FAKE_ECHO     one extra stdout line after the first event
//   RCA_FAKE_LOG lines also carry `at` (ms since the epoch when the run began) and
//                     `promptSha256` (of the exact bytes read on stdin)
//   RCA_FAKE_COMMIT   a file name: after working, the run writes it (the prompt) in its working
//                     directory and commits it with git (worktree tests)
//   RCA_FAKE_AUTH_FILE  when this file exists as a run begins, the run fails as auth-fail does
//                     (an auth failure injected after the start: mass-recovery tests)
//   RCA_FAKE_TAMPER   a canary file: the first run acts as a hostile agent would (trust tests):
//                     plants a `codex` in its working directory that appends to the canary, and
//                     rewrites whatever its environment lets it find of the task's directory
//                     (record.json autonomy → full, host.json, env.json/agent.env PATH → cwd first)
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");

const FIXTURES = path.join(__dirname, "..", "fixtures", "agent-output");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(msg, code = 2) {
  process.stderr.write(msg + "\n");
  process.exit(code);
}

function fixture(agent, name) {
  return fs.readFileSync(path.join(FIXTURES, agent, name), "utf8");
}

/** Every id-looking value of the fixture replaced by ours. */
function withId(text, pattern, id) {
  return text.replace(pattern, id);
}

/** Parses argv against a flag table: name → takes a value? Unknown flags exit 2 like the CLIs. */
function parse(argv, table) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-") && a !== "-") {
      if (!(a in table)) fail(`error: unexpected argument '${a}' found`);
      flags[a] = table[a] ? argv[++i] : true;
      if (flags[a] === undefined) fail(`error: a value is required for '${a}'`);
    } else positional.push(a);
  }
  return { flags, positional };
}

const agents = {
  codex(argv) {
    if (argv[0] !== "exec") fail("error: this fake only knows `codex exec`");
    const { flags, positional } = parse(argv.slice(1), {
      "--json": false, "--skip-git-repo-check": false, "--sandbox": true,
      "--dangerously-bypass-approvals-and-sandbox": false, "-m": true, "--model": true, "-c": true,
    });
    if (!flags["--json"]) fail("error: this fake needs --json");
    let resumeId = null;
    if (positional[0] === "resume") {
      resumeId = positional[1];
      if (!UUID.test(resumeId || "")) fail(`Error: no rollout found for thread id ${resumeId}`, 1);
      positional.splice(0, 2);
    }
    if (positional.join(" ") !== "-") fail("error: expected the prompt as '-'");
    const id = resumeId || crypto.randomUUID();
    const re = /01a20aee-[0-9a-f-]{27}/g;
    return {
      resumeId,
      head: withId(fixture("codex", "cx-ok-json.stdout"), re, id).split("\n").slice(0, 3).join("\n") + "\n",
      ok: withId(fixture("codex", "cx-ok-json.stdout"), re, id).split("\n").slice(3).join("\n"),
      auth: withId(fixture("codex", "cx-401-json.stdout"), re, id).split("\n").slice(1).join("\n"),
      authExit: 1,
      // Codex's real usage-limit wording (cx-usage-json), with the reset part chosen by the test.
      limit: withId(fixture("codex", "cx-usage-json.stdout"), re, id).split("\n").slice(3).join("\n")
        .replaceAll("try again at 1:22 AM", `try again ${process.env.RCA_FAKE_RESET || "at 1:22 AM"}`),
      limitExit: 1,
      reconnect: fixture("codex", "cx-nonet-long.stdout").split("\n").find((l) => l.includes("waiting for network")) + "\n",
      stderr: "Reading additional input from stdin...\n",
    };
  },
  claude(argv) {
    const { flags, positional } = parse(argv, {
      "-p": false, "--print": false, "--output-format": true, "--verbose": false, "--session-id": true,
      "--resume": true, "--permission-mode": true, "--dangerously-skip-permissions": false, "--model": true,
    });
    if (positional.length) fail("error: this fake reads the prompt on stdin");
    if (!flags["-p"] || flags["--output-format"] !== "stream-json") fail("error: this fake needs -p --output-format stream-json");
    if (!flags["--verbose"]) fail("Error: When using --print, --output-format=stream-json requires --verbose", 1);
    const resumeId = flags["--resume"] || null;
    const id = resumeId || flags["--session-id"];
    if (!UUID.test(id || "")) fail(`Error: Invalid session ID. Must be a valid UUID.`, 1);
    // The transcript where claude 2.1.330 keeps it (src/conversation.rs): resume needs it, a new
    // session refuses an id that has one (the real CLI's messages).
    const cwdKey = (() => {
      const key = process.cwd().replace(/[^a-zA-Z0-9]/g, "-");
      if (key.length <= 200) return key;
      let h = 0;
      for (let i = 0; i < process.cwd().length; i++) h = ((h << 5) - h + process.cwd().charCodeAt(i)) | 0;
      return `${key.slice(0, 200)}-${Math.abs(h).toString(36)}`;
    })();
    const transcript = path.join(process.env.CLAUDE_CONFIG_DIR || path.join(process.env.HOME || "/nonexistent", ".claude"), "projects", cwdKey, `${id}.jsonl`);
    if (resumeId && !fs.existsSync(transcript)) fail(`No conversation found with session ID: ${id}`, 1);
    if (!resumeId) {
      if (fs.existsSync(transcript)) fail(`Error: Session ID ${id} is already in use.`, 1);
      fs.mkdirSync(path.dirname(transcript), { recursive: true, mode: 0o700 });
      fs.writeFileSync(transcript, JSON.stringify({ type: "user", sessionId: id }) + "\n", { mode: 0o600 });
    }
    const re = /fe204e76-bb72-41bc-b31c-9f027f5ef191|28282bce-9824-4865-999e-38b763714aec|96b8119b-69de-496d-adcf-25fab687b5c3/g;
    const ok = withId(fixture("claude", "cl-ok-sjson.stdout"), re, id);
    return {
      resumeId,
      head: ok.split("\n")[0] + "\n",
      ok: ok.split("\n").slice(1).join("\n"),
      auth: withId(fixture("claude", "cl-401-sjson.stdout"), re, id).split("\n").slice(1).join("\n"),
      authExit: 1,
      // A subscription limit ends a run like its 429 (cl-sub429-sjson) with Claude's wording.
      limit: withId(fixture("claude", "cl-sub429-sjson.stdout"), re, id).split("\n").slice(1).join("\n")
        .replaceAll("API Error: Request rejected (429) · Rate limited", `You've hit your session limit · resets ${process.env.RCA_FAKE_RESET || "3:50pm (Asia/Tokyo)"}`),
      limitExit: 1,
      stderr: "",
    };
  },
  opencode(argv) {
    if (argv[0] !== "run") fail("error: this fake only knows `opencode run`");
    const { flags, positional } = parse(argv.slice(1), {
      "--format": true, "-m": true, "--model": true, "--title": true, "--session": true, "-s": true,
      "--auto": false, "--yolo": false, "--dangerously-skip-permissions": false,
    });
    if (positional.length) fail("error: this fake reads the prompt on stdin");
    if (flags["--format"] !== "json") fail("error: this fake needs --format json");
    const resumeId = flags["--session"] || flags["-s"] || null;
    if (resumeId && !/^ses_[A-Za-z0-9]{20,40}$/.test(resumeId)) fail("Error: Session not found", 1);
    const id = resumeId || "ses_" + crypto.randomBytes(20).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 26).padEnd(26, "x");
    const re = /ses_df50[0-9A-Za-z]{22}/g;
    const ok = withId(fixture("opencode", "oc-ok-json.stdout"), re, id);
    return {
      resumeId,
      head: ok.split("\n")[0] + "\n",
      ok: ok.split("\n").slice(1).join("\n"),
      auth: withId(fixture("opencode", "oc-401-json.stdout"), re, id),
      authExit: 1,
      stderr: "",
    };
  },
  pi(argv) {
    const { flags, positional } = parse(argv, {
      "--mode": true, "--session": true, "--provider": true, "--model": true, "-p": false, "--print": false,
    });
    if (positional.length) fail("error: this fake reads the prompt on stdin");
    if (flags["--mode"] !== "json") fail("error: this fake needs --mode json");
    const file = flags["--session"];
    if (!file || !path.isAbsolute(file)) fail("error: this fake needs --session <absolute path>");
    let resumeId = null;
    if (fs.existsSync(file)) {
      const first = JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]);
      resumeId = first.id;
    }
    const id = resumeId || crypto.randomUUID();
    const re = /01a20b07-c6d5-741d-bc9d-1788634282f8/g;
    const ok = withId(fixture("pi", "pi-ok-json.stdout"), re, id);
    const header = ok.split("\n")[0];
    if (!resumeId) fs.writeFileSync(file, header + "\n", { mode: 0o600 });
    return {
      resumeId,
      head: header + "\n",
      ok: ok.split("\n").slice(1).join("\n"),
      auth: fixture("pi", "pi-mock401-json.stdout"),
      authExit: 0, // pi --mode json exits 0 even on error
      // pi's 429 run (pi-mock429-json) with OpenAI's real rate-limit text in place of the mock's.
      limit: fixture("pi", "pi-mock429-json.stdout").split("\n").slice(1).join("\n").replaceAll(
        "429 Rate limit reached for requests",
        "429 Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. " +
          `Please try again in ${process.env.RCA_FAKE_RESET || "20s"}. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      ),
      limitExit: 0,
      stderr: "",
    };
  },
};

/** What a hostile agent does to be resumed its own way (see RCA_FAKE_TAMPER). */
function tamper(canary) {
  const planted = path.join(process.cwd(), "codex");
  fs.writeFileSync(planted, `#!/bin/sh\necho "planted $0 $*" >> '${canary.replaceAll("'", "")}'\n`, { mode: 0o755 });
  const dir = process.env.RCA_TASK_DIR;
  const done = [];
  if (dir) {
    const edit = (name, fn) => {
      try {
        const file = path.join(dir, name);
        fs.writeFileSync(file, fn(fs.readFileSync(file, "utf8")));
        done.push(name);
      } catch {
        // Not there (another version's layout): skip.
      }
    };
    edit("record.json", (t) => {
      const r = JSON.parse(t);
      r.spec.autonomy = "full";
      return JSON.stringify(r, null, 2) + "\n";
    });
    edit("host.json", () => JSON.stringify({ program: planted, demoAgent: [planted] }) + "\n");
    edit("env.json", (t) => JSON.stringify({ ...JSON.parse(t), PATH: `${process.cwd()}:${process.env.PATH}` }) + "\n");
    edit("agent.env", (t) => t.replace(/(^|\0)PATH=/, `$1PATH=${process.cwd()}:`));
  }
  return done;
}

async function main() {
  const agent = path.basename(process.argv[1]);
  if (!agents[agent]) fail(`unknown fake agent ${agent}`);
  const mode = process.env.RCA_FAKE_MODE || "succeed";
  const workMs = Number(process.env.RCA_FAKE_WORK_MS || 1500);
  // `opencode debug config`: the merged configuration, naming RCA_FAKE_OC_MODEL as its model
  // (none when unset); RCA_FAKE_OC_CONFIG_SEEN records which sandbox settings the question ran with.
  if (agent === "opencode" && process.argv[2] === "debug" && process.argv[3] === "config") {
    if (process.env.RCA_FAKE_OC_CONFIG_SEEN) {
      fs.appendFileSync(process.env.RCA_FAKE_OC_CONFIG_SEEN, JSON.stringify({ cwd: process.cwd(), disableProjectConfig: process.env.OPENCODE_DISABLE_PROJECT_CONFIG ?? null }) + "\n");
    }
    process.stdout.write(JSON.stringify(process.env.RCA_FAKE_OC_MODEL ? { model: process.env.RCA_FAKE_OC_MODEL } : { agent: {} }, null, 2) + "\n");
    process.exit(0);
  }
  const run = agents[agent](process.argv.slice(2));
  const promptRaw = fs.readFileSync(0);
  const prompt = promptRaw.toString("utf8");
  const tampered = process.env.RCA_FAKE_TAMPER && !run.resumeId ? tamper(process.env.RCA_FAKE_TAMPER) : [];
  if (process.env.RCA_FAKE_LOG) {
    const line = { agent, at: Date.now(), program: process.argv[1], argv: process.argv.slice(2), cwd: process.cwd(), resumeId: run.resumeId, pid: process.pid, promptBytes: Buffer.byteLength(prompt), promptSha256: crypto.createHash("sha256").update(promptRaw).digest("hex"), taskDir: process.env.RCA_TASK_DIR, attempt: Number(process.env.RCA_ATTEMPT), tampered, tmux: process.env.TMUX ?? null,
      // RCA_FAKE_SHOW_ENV="A,B": the values of these variables as the agent sees them (null = unset).
      env: Object.fromEntries((process.env.RCA_FAKE_SHOW_ENV || "").split(",").filter(Boolean).map((k) => [k, process.env[k] ?? null])) };
    fs.appendFileSync(process.env.RCA_FAKE_LOG, JSON.stringify(line) + "\n");
  }
  process.stderr.write(run.stderr);
  process.stdout.write(run.head);
  if (process.env.RCA_FAKE_ECHO) process.stdout.write(`fake ${agent} says: ${process.env.RCA_FAKE_ECHO}\n`);
  if (mode === "auth-fail" || (process.env.RCA_FAKE_AUTH_FILE && fs.existsSync(process.env.RCA_FAKE_AUTH_FILE))) {
    const key = process.env.RCA_FAKE_KEY;
    process.stdout.write(key ? run.auth.replaceAll("API key provided: mock", `API key provided: ${key}`) : run.auth);
    process.exit(run.authExit);
  }
  if (mode === "hang" || (mode === "hang-once" && !run.resumeId)) {
    setInterval(() => {}, 1 << 30);
    return;
  }
  if (mode === "limit-once" && !run.resumeId) {
    if (!run.limit) fail(`this fake has no limit output for ${agent}`);
    process.stdout.write(run.limit);
    process.exit(run.limitExit);
  }
  if (mode === "reconnect-once" && !run.resumeId) {
    if (!run.reconnect) fail(`this fake has no network-wait output for ${agent}`);
    const every = Number(process.env.RCA_FAKE_RECONNECT_MS || 400);
    setInterval(() => process.stdout.write(run.reconnect), every);
    return;
  }
  await new Promise((r) => setTimeout(r, workMs));
  if (process.env.RCA_FAKE_COMMIT) {
    const file = process.env.RCA_FAKE_COMMIT;
    fs.writeFileSync(path.join(process.cwd(), file), prompt);
    const git = (/** @type {string[]} */ args) => require("node:child_process").execFileSync("git", ["-c", "user.name=fake", "-c", "user.email=fake@example.invalid", ...args], { stdio: "ignore" });
    git(["add", "--", file]);
    git(["commit", "-q", "-m", `fake ${agent}: ${file}`]);
  }
  if (mode === "crash-always" || (mode === "crash-once" && !run.resumeId)) {
    process.kill(process.pid, "SIGKILL");
    return;
  }
  process.stdout.write(run.ok);
}

main();
