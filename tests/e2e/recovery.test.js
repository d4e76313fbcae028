// @ts-check
// Fault injection on real processes: SIGKILL of the agent, a crash loop, an auth failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, collect, agentPid, watching } from "./helpers.js";

const w = await world();

/** @type {any[]} */
let firstEvents = [];
test("SIGKILL of the agent mid-run is recovered with the same session id", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "30000" }) });
  const events = collect(tm);
  firstEvents = events;
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "kill-me", projectDir: w.projectDir, prompt: "long job" });
    const running = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "running" && s.agentSessionId ? s : null;
    }, { what: "running with a session id" });
    const pid = await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" });
    process.kill(pid, "SIGKILL");
    await waitFor(async () => (await w.calls()).length === 2, { what: "the resume invocation" });
    const calls = await w.calls();
    const resumeArgv = calls[1].argv;
    assert.equal(resumeArgv[resumeArgv.indexOf("resume") + 1], running.agentSessionId, "resumed by the recorded id");
    const after = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "running" && s.attempts === 2 ? s : null;
    }, { what: "attempt 2 running" });
    assert.equal(after.agentSessionId, running.agentSessionId);
    const kinds = events.filter((e) => e.session === v.session).map((e) => e.kind);
    assert.deepEqual(kinds.filter((k) => k === "recovering"), ["recovering"], kinds.join(","));
    const rec = events.find((e) => e.kind === "recovering");
    assert.equal(rec.failure.class, "signal");
    // The dead pane's screen was kept before respawn-pane wiped it.
    assert.ok((await stat(join(v.taskDir, "pane.1.log"))).size > 0);
    await tm.stop(v.session);
  } finally {
    await stopWatching();
  }
});

test("a crash loop follows the schedule and gives up; an auth failure is never retried", async () => {
  const config = { recoveryBaseDelayMs: 400, recoveryMaxDelayMs: 800, giveUpAfterMs: 5_000, healthyResetMs: 60_000 };
  const loop = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "crash-always", RCA_FAKE_WORK_MS: "100" }), config });
  const auth = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "auth-fail" }), config });
  const events = collect(loop);
  /** @type {any[]} */
  const problems = [];
  loop.on("problem", (p) => problems.push(p));
  const earlier = (await w.calls()).length;
  const stopWatching = watching(loop);
  try {
    const l = await loop.start({ agent: "claude", name: "crash-loop", projectDir: w.projectDir, prompt: "crash" });
    const a = await auth.start({ agent: "codex", name: "no-key", projectDir: w.projectDir, prompt: "hello" });
    const failedAuth = await waitFor(async () => {
      const s = await loop.status(a.session);
      return s.state === "failed" ? s : null;
    }, { what: "auth failure" });
    assert.equal(failedAuth.failure?.class, "auth");
    assert.match(failedAuth.failure?.evidence ?? "", /401/);
    assert.equal(failedAuth.attempts, 1);

    const gaveUp = await waitFor(async () => {
      const s = await loop.status(l.session);
      return s.state === "failed" ? s : null;
    }, { timeoutMs: 40_000, what: "the crash loop to give up" });
    assert.equal(gaveUp.gaveUp, true);
    assert.ok(gaveUp.attempts >= 3, `attempts ${gaveUp.attempts}`);
    const mine = events.filter((e) => e.session === l.session);
    assert.equal(mine.filter((e) => e.kind === "gave_up").length, 1);
    // Delays: first right away, then doubling from the base, capped at the max.
    const delays = mine.filter((e) => e.kind === "recovering").map((e) => (e.nextRecoveryAt ?? e.at) - e.at);
    assert.ok(delays[0] < 50, `first recovery immediate: ${delays}`);
    for (let i = 1; i < delays.length; i++) {
      const expected = Math.min(400 * 2 ** (i - 1), 800);
      assert.ok(Math.abs(delays[i] - expected) < 50, `delay ${i} = ${delays[i]}, expected ${expected}: ${delays}`);
    }
    // Every recovery started no earlier than scheduled (started.<n> written by the wrapper).
    const recovering = mine.filter((e) => e.kind === "recovering");
    for (let i = 0; i < recovering.length; i++) {
      const due = recovering[i].nextRecoveryAt ?? recovering[i].at;
      const started = Number((await readFile(join(l.taskDir, `started.${i + 2}`), "utf8").catch(() => "0")).trim());
      if (started) assert.ok(started >= due - 20, `attempt ${i + 2} started ${started - due} ms before it was due`);
    }

    // The auth failure stayed failed through all of that: one invocation only.
    const codexCalls = (await w.calls()).slice(earlier).filter((c) => c.agent === "codex");
    assert.equal(codexCalls.length, 1, JSON.stringify({ codexCalls, events: events.filter((e) => e.session !== l.session), problems, first: firstEvents, list: await loop.list() }));
    assert.equal((await loop.status(a.session)).attempts, 1);
  } finally {
    await stopWatching();
  }
});
