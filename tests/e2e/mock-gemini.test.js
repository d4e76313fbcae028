// @ts-check
// The mock model server speaks the Gemini API well enough for the REAL Gemini CLI (pinned in
// agents/gemini.json, installed into the test cache) to run a task, headless, over plain HTTP
// to 127.0.0.1 (GOOGLE_GEMINI_BASE_URL). Run directly (no tmux, no TaskManager: this checks the
// mock and the CLI's own behaviour that agents/gemini.json relies on; tests/e2e/conformance.test.js
// runs Gemini tasks end to end), with the argv of that profile:
//   - a task completes: stream-json `init` carries the preset --session-id, `result` success,
//     the session is in gemini's own store;
//   - a kill (SIGKILL) during the FIRST model call: the session file already holds the prompt,
//     and `--resume <id>` continues that session, its model call carrying the original prompt;
//   - 401 → `result` status error naming 401, one model call (no retry);
//   - 429 → retried by the CLI (a second call), completes once the mock answers;
//   - context overflow → `result` error naming the token limit, one call;
//   - `--resume` of an unknown id → exit 42 "Error resuming session".
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID, randomBytes } from "node:crypto";
import { startMockServer } from "../conformance/mock-server.js";
import { REPO, run } from "../conformance/agents.js";
import { GEMINI_BIN, geminiEnv, geminiResumeArgs, geminiSessionFiles, geminiStartArgs } from "../conformance/gemini.js";
import { makeTestDir } from "../support/dirs.js";

// Loud on failure: no silent skip when npm cannot be reached.
execFileSync("bash", [join(REPO, "scripts", "install-agent-clis.sh"), "gemini"], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"], timeout: 15 * 60_000 });

const mock = await startMockServer({ maxLifetimeMs: 15 * 60_000, maxRequests: 2000, quiet: true });
after(() => mock.close());

const root = makeTestDir("rca-mock-gemini-");
after(() => rmSync(root, { recursive: true, force: true }));
const projectDir = join(root, "project");
mkdirSync(projectDir);
writeFileSync(join(projectDir, "README.md"), "mock gemini project\n");
const home = join(root, "home");
const lane = `gemini-${randomBytes(3).toString("hex")}`;
const env = geminiEnv({ home, baseUrl: mock.laneUrl(lane) });
const GEMINI = join(GEMINI_BIN, "gemini");
const T = 120_000;

/** Our processes whose argv holds `arg` (read from /proc: no pgrep needed). @param {string} arg */
function pidsWithArg(arg) {
  /** @type {number[]} */
  const pids = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes(arg)) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

/** @param {string} text */
const events = (text) => text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
/** @param {string[]} args @param {string} prompt @param {{ timeoutMs?: number, killSignal?: NodeJS.Signals }} [o] */
const gemini = (args, prompt, o = {}) => run(GEMINI, args, { env, cwd: projectDir, input: prompt, timeoutMs: o.timeoutMs ?? T, killSignal: o.killSignal });

test("a task completes with the preset session id, stored in gemini's own store", async () => {
  mock.setLane(lane, "ok");
  const id = randomUUID();
  const r = await gemini(geminiStartArgs(id), "say hi");
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  assert.deepEqual([ev[0].type, ev[0].session_id], ["init", id]);
  assert.equal(ev.at(-1).type, "result");
  assert.equal(ev.at(-1).status, "success");
  assert.ok(ev.some((e) => e.type === "message" && e.role === "assistant" && /Hello from mock \(gemini\)/.test(e.content)));
  assert.equal(geminiSessionFiles(home, id).length, 1);
  const calls = mock.modelCalls(lane);
  assert.match(calls.at(-1)?.path ?? "", /\/v1beta\/models\/mock-model:streamGenerateContent$/);
});

test("killed during the first model call, --resume <id> continues with the original prompt", async () => {
  mock.setLane(lane, "hang");
  const id = randomUUID();
  const token = `early-${randomBytes(4).toString("hex")}`;
  const first = gemini(geminiStartArgs(id), `first call hangs ${token}`, { timeoutMs: T, killSignal: "SIGKILL" });
  const hung = await mock.waitFor((q) => q.lane === lane && q.mode === "hang" && q.text.includes(token), T);
  assert.ok(hung);
  // The session file is written when the prompt is sent, before any answer.
  assert.equal(geminiSessionFiles(home, id).length, 1, "the session file exists during the first call");
  mock.setLane(lane, "ok");
  const before = mock.modelCalls(lane).length;
  // Kill it as the monitor's SIGKILL would: every process of this run (gemini relaunches
  // itself as a child node process).
  for (const p of pidsWithArg(id)) process.kill(p, "SIGKILL");
  const killed = await first;
  assert.equal(killed.signal, "SIGKILL");
  const r = await gemini(geminiResumeArgs(id), "Continue the task");
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  assert.equal(ev[0].session_id, id, "the same session");
  assert.equal(ev.at(-1).status, "success");
  const resumed = mock.modelCalls(lane).slice(before);
  assert.ok(resumed.some((q) => q.text.includes(token) && q.text.includes("Continue the task")), "the resumed call carried the original prompt");
});

test("401 ends with a result error naming 401, without a retry", async () => {
  mock.setLane(lane, "401");
  const before = mock.modelCalls(lane).length;
  const r = await gemini(geminiStartArgs(randomUUID()), "say hi");
  assert.notEqual(r.code, 0);
  const res = events(r.stdout).at(-1);
  assert.equal(res.status, "error");
  assert.match(res.error.message, /"code":401/);
  assert.equal(mock.modelCalls(lane).length - before, 1);
});

test("429 is retried by the CLI and completes once the mock answers", async () => {
  mock.setLane(lane, "429");
  const before = mock.modelCalls(lane).length;
  const run1 = gemini(geminiStartArgs(randomUUID()), "say hi");
  await mock.waitFor((q) => q.lane === lane && q.mode === "429", T);
  mock.setLane(lane, "ok");
  const r = await run1;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(events(r.stdout).at(-1).status, "success");
  assert.ok(mock.modelCalls(lane).length - before >= 2, "a second call after the 429");
});

test("context overflow ends with a result error naming the token limit, one call", async () => {
  mock.setLane(lane, "context");
  const before = mock.modelCalls(lane).length;
  const r = await gemini(geminiStartArgs(randomUUID()), "say hi");
  assert.notEqual(r.code, 0);
  const res = events(r.stdout).at(-1);
  assert.equal(res.status, "error");
  assert.match(res.error.message, /exceeds the maximum number of tokens allowed/);
  assert.equal(mock.modelCalls(lane).length - before, 1);
});

test("--resume of an unknown id exits 42 (never a new session)", async () => {
  mock.setLane(lane, "ok");
  const before = mock.modelCalls(lane).length;
  const r = await gemini(geminiResumeArgs(randomUUID()), "Continue the task");
  assert.equal(r.code, 42, r.stdout + r.stderr);
  assert.match(r.stderr + r.stdout, /Error resuming session: Invalid session identifier/);
  assert.equal(mock.modelCalls(lane).length - before, 0);
});
