// @ts-check
// Conformance with the REAL agent CLIs (codex, claude, opencode, pi, gemini at the pinned versions of
// scripts/install-agent-clis.sh), end to end through TaskManager and real tmux, against the
// loopback mock model server (tests/conformance/mock-server.js). For each agent:
//   - a task completes, reported `completed`, with the agent's session id recorded (and that id
//     is in the agent's own session store);
//   - a task whose model call hangs is SIGKILLed (pid.<n> of the task dir); the monitor resumes it
//     with the agent's native resume and the SAME session id (agent's store, attempt 2's event
//     stream, and the mock's request log carrying the first attempt's conversation), and it
//     completes;
//   - a kill during the FIRST model call (before Pi/Claude saved the conversation) continues
//     with the original prompt: a fresh start with the same preset id / session file when the
//     agent's store has nothing yet, the native resume otherwise;
//   - a 401 ends `failed` class `auth`, never retried;
//   - a 429 is classified `rate_limit` and retried (the retry completes once the mock answers);
//   - a context-length error ends `failed` class `context_overflow`.
// The CLIs are installed into the test cache first; a download failure fails this file loudly.
// RCA_CONFORMANCE_AGENTS=codex,pi limits the agents (for a quick check after a CLI upgrade).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rm, readFile, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { TaskManager, agentSandbox } from "../../host-shim/index.js";
import { startMockServer } from "../conformance/mock-server.js";
import { AGENTS, MODEL, agentEnv, installAgents, sessionIdInEvents, sessionInStore } from "../conformance/agents.js";
import { waitFor, agentPid, killServer, watching } from "./helpers.js";
import { makeTestDir } from "../support/dirs.js";

/** @typedef {import("../conformance/agents.js").Agent} Agent */

const only = (process.env.RCA_CONFORMANCE_AGENTS ?? "").split(",").filter(Boolean);
const agents = /** @type {Agent[]} */ (only.length ? only : [...AGENTS]);

// Loud on failure: no silent skip when npm cannot be reached.
installAgents(agents);

const mock = await startMockServer({ maxLifetimeMs: 25 * 60_000, maxRequests: 5000, quiet: true });
after(() => mock.close());

const CONFIG = {
  pollMs: 200,
  liveQuietMs: 300,
  startGraceMs: 60_000,
  recoveryBaseDelayMs: 500,
  recoveryMaxDelayMs: 2_000,
  healthyResetMs: 600_000,
  // A 429 with retry-after is a reset hint; the default 30 s margin after it only slows the suite.
  resetMarginMs: 1_000,
};

/** Long enough for a slow shared machine: the runs themselves take seconds. */
const T = { run: 90_000, retry: 150_000 };

const FINAL = new Set(["completed", "failed", "stopped"]);
/** The mock answers every model call with this usage (tests/conformance/mock-server.js). */
const CALL = { input: 12, output: 6 };
/**
 * Which answered model calls a CLI's own usage events cover after a SIGKILL and a resume
 * (agents/*.json `usage`): "all" when it reports each call as it ends (OpenCode, Pi) or the
 * conversation's running total (Codex); "resumed" when it reports once per run, at its end
 * (Claude's `result`, Gemini's `stats`): the killed run said nothing.
 * @type {Record<string, "all" | "resumed">}
 */
const USAGE_COVERS = { codex: "all", opencode: "all", pi: "all", claude: "resumed", gemini: "resumed" };

for (const agent of agents) {
  test(`${agent}: real CLI through TaskManager and tmux`, async (t) => {
    const root = makeTestDir(`rca-conf-${agent}-`);
    const socket = `rca-conf-${randomBytes(5).toString("hex")}`;
    const projectDir = join(root, "project");
    await mkdir(projectDir);
    await writeFile(join(projectDir, "README.md"), "conformance project\n");
    const lane = `${agent}-${randomBytes(3).toString("hex")}`;
    mock.setLane(lane, "ok");
    const env = agentEnv(agent, { home: join(root, "home"), baseUrl: mock.laneUrl(lane) });
    const tm = new TaskManager({ stateDir: join(root, "state"), tmuxSocket: socket, env, config: CONFIG });
    /** @type {any[]} */
    const events = [];
    /** @type {Map<string, (ev: any) => void>} */
    const onEvent = new Map();
    tm.on("event", (ev) => {
      events.push(ev);
      onEvent.get(ev.session)?.(ev);
    });
    /** @type {unknown[]} */
    const problems = [];
    tm.on("problem", (p) => problems.push(p));
    const stopWatching = watching(tm);
    t.after(async () => {
      await stopWatching().catch(() => {});
      await tm.close();
      killServer(socket);
      if (!process.env.RCA_CONFORMANCE_KEEP) await rm(root, { recursive: true, force: true });
    });

    /** Starts a task with this agent's model. @param {string} name @param {string} prompt */
    const start = (name, prompt) => tm.start({ agent, name, projectDir, prompt, model: MODEL[agent] });
    /** Waits for a final state. @param {string} session @param {number} timeoutMs */
    const final = (session, timeoutMs = T.run) => waitFor(async () => {
      const s = await tm.status(session, { lines: 40 });
      return FINAL.has(s.state) ? s : null;
    }, { timeoutMs, intervalMs: 250, what: `${session} to reach a final state` });
    /** What a test failure should show. @param {any} s */
    const why = async (s) => {
      const files = ["events.1.jsonl", "stderr.1.log", "events.2.jsonl", "stderr.2.log"];
      const parts = [];
      for (const f of files) {
        const text = await readFile(join(s.taskDir, f), "utf8").catch(() => null);
        if (text !== null) parts.push(`--- ${f}\n${text.slice(-1500)}`);
      }
      let tmuxPanes = "";
      try { tmuxPanes = execFileSync("tmux", ["-L", socket, "list-panes", "-a", "-F", "#{session_name} #{pane_dead} #{pane_dead_status}"], { encoding: "utf8" }); } catch { /* none */ }
      return `state ${s.state} failure ${JSON.stringify(s.failure)} attempts ${s.attempts} id ${s.agentSessionId}\n` +
        `events: ${events.filter((e) => e.session === s.session).map((e) => e.kind).join(",")}\n` +
        `problems: ${JSON.stringify(problems).slice(0, 1000)}\npanes: ${tmuxPanes}\n${parts.join("\n")}\n--- recent\n${s.recentOutput}`;
    };
    /** Kinds of events of one task. @param {string} session */
    const kinds = (session) => events.filter((e) => e.session === session).map((e) => e.kind);
    /** @param {string} session */
    const messages = (session) => events.filter((e) => e.session === session).map((e) => String(e.message));
    const store = (/** @type {string} */ id, /** @type {any} */ s) =>
      sessionInStore(agent, { env, id, projectDir, sessionFile: join(s.taskDir, "pi-session.jsonl") });

    await t.test("a task completes, with the agent's session id recorded", async () => {
      mock.setLane(lane, "ok");
      const token = `ok-${randomBytes(4).toString("hex")}`;
      const v = await start("conf-ok", `say hi ${token}`);
      const s = await final(v.session);
      assert.equal(s.state, "completed", await why(s));
      assert.equal(s.attempts, 1, await why(s));
      assert.ok(s.agentSessionId, `no session id recorded: ${await why(s)}`);
      const events1 = await readFile(join(s.taskDir, "events.1.jsonl"), "utf8");
      assert.equal(sessionIdInEvents(agent, events1), s.agentSessionId, "the recorded id is the one the agent printed");
      const st = await store(s.agentSessionId, s);
      assert.ok(st.found, `session ${s.agentSessionId} not in ${agent}'s own store: ${st.where}`);
      assert.ok(mock.modelCalls(lane).some((q) => q.text.includes(token)), "the prompt reached the model");
      assert.deepEqual(kinds(v.session).filter((k) => k === "completed"), ["completed"]);
      assert.ok(!kinds(v.session).includes("recovering"), kinds(v.session).join(","));
    });

    // "sandboxed" must restrict the real CLI (profile data: flags or environment). The mock's
    // first answer asks the agent's shell tool, then its file-writing tool, to create a file
    // next to the project (RCA_ESCAPE_BASH / RCA_ESCAPE_WRITE); the run must still complete and
    // the file must not exist. Pi has no sandbox (agentSandbox "none"): tool calls refuse it.
    const sandbox = agentSandbox(agent);
    await t.test(`sandboxed (${sandbox}): the agent cannot create a file outside the project`, { skip: sandbox === "none" && "pi has no sandbox" }, async () => {
      mock.setLane(lane, "ok");
      const outside = join(root, "outside");
      await mkdir(outside, { recursive: true });
      for (const kind of ["BASH", "WRITE"]) {
        const target = join(outside, `escaped-${kind.toLowerCase()}`);
        const v = await start(`conf-escape-${kind.toLowerCase()}`, `Create the marker. RCA_ESCAPE_${kind}:${target}`);
        assert.equal(v.autonomy, "sandboxed");
        const s = await final(v.session);
        assert.equal(s.state, "completed", await why(s));
        assert.equal(existsSync(target), false, `${kind}: ${target} was created by a sandboxed ${agent}:\n${await why(s)}`);
        const asked = mock.modelCalls(lane).filter((q) => q.text.includes(target)).map((q) => q.toolCallSent).filter(Boolean);
        t.diagnostic(`${agent} ${kind}: tool call sent by the mock: ${asked.join(",") || "none (no such tool offered)"}; file outside: not created`);
      }
      // Inside the project a sandboxed agent still writes (when it has a file-writing tool).
      const inside = join(projectDir, "written-inside");
      const v = await start("conf-inside", `Create the marker. RCA_ESCAPE_WRITE:${inside}`);
      const s = await final(v.session);
      assert.equal(s.state, "completed", await why(s));
      const wrote = mock.modelCalls(lane).some((q) => q.text.includes(inside) && q.toolCallSent);
      if (wrote) assert.equal(existsSync(inside), true, `a sandboxed ${agent} could not write inside its project:\n${await why(s)}`);
    });

    await t.test("a hung model call, SIGKILLed, is resumed with the same session id and completes", async () => {
      // The first call answers with a tool call; the call carrying the tool result hangs. By then
      // every CLI has its conversation on disk, as in a long task that crashes midway.
      mock.setLane(lane, { mode: "hang", when: "after_tool" });
      const token = `resume-${randomBytes(4).toString("hex")}`;
      const v = await start("conf-kill", `RCA_USE_TOOL then finish. ${token}`);
      const hung = await mock.waitFor((q) => q.lane === lane && q.mode === "hang" && q.text.includes(token), T.run);
      assert.ok(hung.hadToolResult);
      const running = await waitFor(async () => {
        const s = await tm.status(v.session);
        return s.state === "running" && s.agentSessionId ? s : null;
      }, { timeoutMs: T.run, what: "running with a session id" });
      const id = /** @type {string} */ (running.agentSessionId);
      // Claude writes its transcript ~100 ms after the fact: a kill before that loses the
      // conversation (then `--resume` fails with "No conversation found"). Wait for the store.
      await waitFor(async () => (await store(id, running)).found, { timeoutMs: 30_000, what: `${id} in ${agent}'s store` });
      const pid = await waitFor(() => agentPid(running.taskDir, 1), { what: "pid.1" });
      const callsBefore = mock.modelCalls(lane).length;
      mock.setLane(lane, "ok");
      process.kill(pid, "SIGKILL");
      const s = await final(v.session, T.run);
      assert.equal(s.state, "completed", await why(s));
      assert.equal(s.attempts, 2, await why(s));
      assert.equal(s.agentSessionId, id, "the same session id after the resume");
      // Usage summed across the kill and the resume, each answered call counted once (exact:
      // the mock reports fixed figures per call).
      const answered = (/** @type {any[]} */ calls) => calls.filter((q) => q.mode === "ok" && q.text.includes(token)).length;
      const covered = USAGE_COVERS[agent] === "all" ? answered(mock.modelCalls(lane)) : answered(mock.modelCalls(lane).slice(callsBefore));
      const u = /** @type {any} */ (s.usage);
      t.diagnostic(`${agent} usage after kill + resume: ${JSON.stringify(u)} per attempt ${JSON.stringify(s.usageByAttempt)}; answered calls ${covered}`);
      assert.deepEqual([u?.inputTokens, u?.outputTokens], [covered * CALL.input, covered * CALL.output], `usage ${JSON.stringify(s.usageByAttempt)}`);
      const rec = events.find((e) => e.session === v.session && e.kind === "recovering");
      assert.ok(rec, `a recovering event: ${kinds(v.session)}`);
      assert.equal(rec.failure?.class, "signal", JSON.stringify(rec.failure));
      assert.deepEqual(kinds(v.session).filter((k) => k === "recovering"), ["recovering"], kinds(v.session).join(","));
      // The agent's own store still has the conversation, and attempt 2 printed the same id.
      const st = await store(id, s);
      assert.ok(st.found, `session ${id} not in ${agent}'s own store after the resume: ${st.where}`);
      const events2 = await readFile(join(s.taskDir, "events.2.jsonl"), "utf8");
      assert.equal(sessionIdInEvents(agent, events2), id, `attempt 2's event stream names the same session:\n${events2.slice(0, 600)}`);
      // The resumed run sent the earlier conversation (the first prompt) to the model.
      const resumed = mock.modelCalls(lane).slice(callsBefore);
      assert.ok(resumed.length > 0, "attempt 2 called the model");
      assert.ok(resumed.some((q) => q.text.includes(token) && q.mode === "ok"),
        `the resumed call carried the first attempt's prompt (${resumed.length} calls)`);
    });

    // A kill during the FIRST model call, before the agent saved its conversation: Pi writes its
    // session file only after the first answer (`--session` on a missing file would silently
    // start a new conversation without the prompt), Claude its transcript ~100 ms after the
    // prompt (`--resume` before that fails "No conversation found"). The core names the file
    // (conversationProbe); when it is missing the monitor starts again with the ORIGINAL prompt
    // (same preset id / same session file) instead of resuming. Codex and OpenCode have their
    // conversation stored before they print its id: they resume once the id is known. Gemini
    // prints the preset id at once and stores the prompt as it sends it: by the hung call it is
    // saved, so it resumes.
    await t.test("a kill during the FIRST model call continues with the original prompt", async () => {
      mock.setLane(lane, "hang");
      const token = `early-${randomBytes(4).toString("hex")}`;
      const v = await start("conf-early", `first call hangs ${token}`);
      // pid.1 is written before the agent runs: read it first, so the kill follows the hung
      // call at once (for Claude, before its transcript is on disk).
      const pid = await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" });
      await mock.waitFor((q) => q.lane === lane && q.mode === "hang" && q.text.includes(token), T.run);
      mock.setLane(lane, "ok");
      const callsBefore = mock.modelCalls(lane).length;
      process.kill(pid, "SIGKILL");
      const s1 = await tm.status(v.session);
      // What the agent had saved when it died (nothing more is written after SIGKILL).
      const savedAtKill = agent === "pi"
        ? existsSync(join(s1.taskDir, "pi-session.jsonl"))
        : agent === "claude" ? (await store(/** @type {string} */ (s1.agentSessionId), s1)).found : true;
      const s = await final(v.session, T.run);
      assert.equal(s.state, "completed", await why(s));
      assert.equal(s.attempts, 2, await why(s));
      const events2 = await readFile(join(s.taskDir, "events.2.jsonl"), "utf8");
      assert.equal(sessionIdInEvents(agent, events2), s.agentSessionId, `attempt 2 continued the recorded session:\n${events2.slice(0, 400)}`);
      const id1 = sessionIdInEvents(agent, await readFile(join(s.taskDir, "events.1.jsonl"), "utf8"));
      const st = await store(/** @type {string} */ (s.agentSessionId), s);
      assert.ok(st.found, `the recorded session is in ${agent}'s own store: ${st.where}`);
      const resumed = mock.modelCalls(lane).slice(callsBefore);
      assert.ok(resumed.some((q) => q.text.includes(token)), "attempt 2's model call carried the original prompt");
      const viaResume = resumed.some((q) => q.text.includes("Continue the task"));
      if (agent === "pi" || agent === "claude") {
        // Pi 0.73 wrote its session file at the first answer, Pi 1.x at the first user message:
        // either way the file decides (below), so no version's timing is asserted here.
        if (agent === "claude") assert.equal(s.agentSessionId, id1, "claude starts again with the same preset id");
        // Pi names a new session when it starts again; the record follows it (checked above).
        // Saved → resumed; not saved → started again with the original prompt, not resumed.
        assert.equal(viaResume, savedAtKill, `resume ${viaResume}, conversation saved at the kill ${savedAtKill}`);
      } else {
        // Codex, OpenCode and Gemini store the conversation before the model call: resumed when the
        // id was printed before the kill; else there was no id to name (OpenCode may print its
        // first event only after the first answer) and the task starts again.
        assert.equal(viaResume, !!id1, `resume ${viaResume}, id printed before the kill ${id1}`);
        if (id1) assert.equal(s.agentSessionId, id1, "the same session id after the resume");
      }
      t.diagnostic(`${agent}: id printed ${!!id1}, conversation saved at the kill: ${savedAtKill}; attempt 2 ${viaResume ? "resumed" : "started again"}`);
    });

    await t.test("a 401 ends failed, class auth, without a retry", async () => {
      mock.setLane(lane, "401");
      const v = await start("conf-401", "say hi");
      const s = await final(v.session);
      assert.equal(s.state, "failed", await why(s));
      assert.equal(s.failure?.class, "auth", await why(s));
      assert.match(s.failure?.evidence ?? "", /401|Invalid API key|Incorrect API key/i, "evidence shows the 401");
      assert.equal(s.attempts, 1, await why(s));
      // Several more monitor polls change nothing: no second attempt is ever started.
      const until = Date.now() + 10 * CONFIG.pollMs;
      await waitFor(() => Date.now() > until, { what: "ten more monitor polls" });
      const again = await tm.status(v.session);
      assert.equal(again.attempts, 1);
      assert.ok(!kinds(v.session).includes("recovering"), kinds(v.session).join(","));
    });

    // Gemini 0.61 takes the prompt back out of its session file when the first call fails (the
    // file then holds only its setup message, and `--resume <id>` says "Invalid session
    // identifier"): its profile lists that text as "nothing to resume", so the retry starts the
    // task again with the original prompt under a fresh preset id, announced once.
    const firstCallLost = agent === "gemini";
    await t.test("a 429 is classified rate_limit and retried", async () => {
      mock.setLane(lane, { mode: "429", retryAfterSec: 1 });
      // The retry must find the model answering again: switch the mock as the monitor announces it.
      /** @type {any} */
      let recovering = null;
      const v = await start("conf-429", "say hi after a rate limit");
      const firstId = (await tm.status(v.session)).agentSessionId;
      onEvent.set(v.session, (ev) => {
        if (ev.kind === "recovering" && !recovering) {
          recovering = ev;
          mock.setLane(lane, "ok");
        }
      });
      const s = await final(v.session, T.retry);
      assert.ok(recovering, `a recovering event: ${await why(s)}`);
      assert.equal(recovering.failure?.class, "rate_limit", `${JSON.stringify(recovering.failure)}\n${await why(s)}`);
      if (firstCallLost) {
        // start (429) → resume refused, nothing to resume → fresh start under a new id → completed.
        assert.equal(s.state, "completed", await why(s));
        assert.ok(s.attempts >= 3, await why(s));
        assert.notEqual(s.agentSessionId, firstId, "a fresh preset id");
        const restarts = messages(v.session).filter((m) => m.includes(`nothing to resume in session ${firstId}; starting again as ${s.agentSessionId}`));
        assert.equal(restarts.length, 1, messages(v.session).join("\n"));
        const calls = mock.modelCalls(lane);
        assert.ok(calls.some((q) => q.mode === "429"), "the mock did answer 429");
        assert.ok(calls.at(-1)?.text.includes("say hi after a rate limit"), "the last model call carries the original prompt");
      }
      assert.equal(s.state, "completed", await why(s));
      assert.ok(s.attempts >= 2, await why(s));
      assert.ok(mock.modelCalls(lane).some((q) => q.mode === "429"), "the mock did answer 429");
      // The retry resumed the same conversation (Gemini: the fresh one): the last attempt printed
      // the recorded id.
      const last = await readFile(join(s.taskDir, `events.${s.attempts}.jsonl`), "utf8");
      assert.equal(sessionIdInEvents(agent, last), s.agentSessionId, `attempt ${s.attempts} names the recorded session:\n${last.slice(0, 600)}`);
    });

    await t.test("a context-length error ends failed, class context_overflow", async () => {
      mock.setLane(lane, "context");
      const v = await start("conf-ctx", "say hi with too much context");
      const s = await final(v.session);
      assert.equal(s.state, "failed", await why(s));
      assert.equal(s.failure?.class, "context_overflow", await why(s));
      assert.ok(!kinds(v.session).includes("recovering"), kinds(v.session).join(","));
    });
  });
}
