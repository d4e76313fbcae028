// @ts-check
// "Nothing to resume" on real tmux, with a fake CLI (tests/fakes/firstcall) that behaves like
// Gemini CLI 0.61: the host presets its session id, and when its first model call fails it takes
// the prompt back out of the session, so `--resume <id>` is refused. The profile's
// `nothing_to_resume` text makes the monitor start the task again with the original prompt under
// a fresh preset id (announced once), instead of ending it bad_invocation. Also: a kill before
// the session was saved at all ends the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskManager } from "../../host-shim/task-manager.js";
import { world, waitFor, collect, agentPid, FAST } from "./helpers.js";

const w = await world();
const log = join(w.root, "firstcall-calls.jsonl");
const calls = async () => (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l));

/** The operator's profile of the fake: Gemini's shape, its own texts. */
const agents = {
  firstcall: {
    about: "tests/fakes/firstcall: a preset-id CLI that empties its session when its first call fails",
    program: "firstcall",
    start: ["run", "--chat", "{session_id}"],
    resume: ["run", "--resume", "{session_id}"],
    prompt: "stdin",
    model: { flag: "--model" },
    autonomy: { sandboxed: [], full: [] },
    sandbox: "permissions",
    session_id: { source: "preset", format: "uuid" },
    events: { lines: { success: '^\\{"type":"result","status":"success"', failure: '"status":"error","error":"([^"]+)"' } },
    failure: {
      rate_limit: [{ keywords: ["429"], regex: "429 Too Many Requests" }],
      bad_invocation: [{ keywords: ["no chat to resume"], regex: "^Error: no chat to resume: " }],
    },
    nothing_to_resume: [{ keywords: ["no chat to resume"], regex: "^Error: no chat to resume: " }],
  },
};

/** @type {TaskManager[]} */
const managers = [];
test.after(async () => {
  for (const tm of managers) await tm.close();
});

/** @param {string} mode @param {Record<string, string>} [env] */
async function manager(mode, env = {}) {
  const store = join(w.root, `store-${mode}`);
  await mkdir(store, { recursive: true });
  const tm = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: w.socket, config: { ...FAST }, agents,
    env: w.agentEnv({ FIRSTCALL_LOG: log, FIRSTCALL_STORE: store, FIRSTCALL_MODE: mode, ...env }),
  });
  managers.push(tm);
  return tm;
}

/** @param {TaskManager} tm @param {string} session */
const final = (tm, session) => waitFor(async () => {
  const s = await tm.status(session);
  return ["completed", "failed", "stopped"].includes(s.state) ? s : null;
}, { timeoutMs: 60_000, what: `${session} final` });

test("a first call that fails leaves nothing to resume: the task starts again with its prompt under a fresh id", async () => {
  const tm = await manager("429-once");
  const events = collect(tm);
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const v = await tm.start({ agent: "firstcall", name: "first-429", projectDir: w.projectDir, prompt: "write the parser" });
    const first = (await tm.status(v.session)).agentSessionId;
    assert.ok(first);
    const s = await final(tm, v.session);
    const mine = events.filter((e) => e.session === v.session);
    assert.equal(s.state, "completed", JSON.stringify({ failure: s.failure, events: mine.map((e) => e.message) }));
    assert.equal(s.attempts, 3, "start, the refused resume, the fresh start");
    assert.notEqual(s.agentSessionId, first, "a fresh preset id");
    const recovering = mine.filter((e) => e.kind === "recovering");
    assert.equal(recovering[0]?.failure?.class, "rate_limit");
    const said = mine.filter((e) => e.message.includes("nothing to resume"));
    assert.equal(said.length, 1, "announced once");
    assert.match(said[0].message, new RegExp(`nothing to resume in session ${first}; starting again as ${s.agentSessionId} with the original prompt \\(attempt 3\\)`));
    const argv = (await calls()).filter((c) => c.argv.includes(first) || c.argv.includes(s.agentSessionId));
    assert.deepEqual(argv.map((c) => c.argv), [["run", "--chat", first], ["run", "--resume", first], ["run", "--chat", s.agentSessionId]]);
    assert.equal(argv[2].prompt, "write the parser", "the original prompt again");
  } finally {
    ctl.abort();
    await watching;
  }
});

test("an agent killed before it saved its session starts again the same way", async () => {
  const tm = await manager("slow-save");
  const events = collect(tm);
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const v = await tm.start({ agent: "firstcall", name: "killed-early", projectDir: w.projectDir, prompt: "rename the module" });
    const first = (await tm.status(v.session)).agentSessionId;
    // Killed once it runs (it has read its prompt and put off saving) and before it saved anything.
    await waitFor(() => existsSync(join(w.root, "store-slow-save", "slow-done")), { what: "attempt 1 putting off its save" });
    process.kill(await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" }), "SIGKILL");
    const s = await final(tm, v.session).catch(async (e) => {
      throw new Error(`${e.message}\n${JSON.stringify(await tm.status(v.session))}\n${events.map((x) => x.message).join("\n")}\n${JSON.stringify(await calls())}`);
    });
    const mine = events.filter((e) => e.session === v.session);
    assert.equal(s.state, "completed", JSON.stringify({ failure: s.failure, events: mine.map((e) => e.message) }));
    assert.equal(s.attempts, 3);
    assert.notEqual(s.agentSessionId, first);
    assert.equal(mine.filter((e) => e.message.includes(`nothing to resume in session ${first}`)).length, 1);
    const last = (await calls()).find((c) => c.argv[2] === s.agentSessionId);
    assert.equal(last?.prompt, "rename the module");
  } finally {
    ctl.abort();
    await watching;
  }
});
