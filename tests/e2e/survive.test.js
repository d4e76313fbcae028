// @ts-check
// Surviving the world: the tmux server killed, the monitor process SIGKILLed and restarted,
// two monitors on one state directory. Monitors here are real `resilient-agent watch`
// processes; tasks are started from the test process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, collect, killServer, FAST, watching } from "./helpers.js";

const w = await world();
const configFile = join(w.root, "config.json");
await writeFile(configFile, JSON.stringify(FAST));

/** @param {string} stdout */
const eventsOf = (stdout) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));

test("killing the tmux server: unfinished tasks are re-created and resumed by their session ids", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "4000" }) });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const a = await tm.start({ agent: "codex", name: "server-a", projectDir: w.projectDir, prompt: "a" });
    const b = await tm.start({ agent: "claude", name: "server-b", projectDir: w.projectDir, prompt: "b" });
    const ids = await waitFor(async () => {
      const [sa, sb] = [await tm.status(a.session), await tm.status(b.session)];
      return sa.state === "running" && sb.state === "running" && sa.agentSessionId && sb.agentSessionId
        ? { a: sa.agentSessionId, b: sb.agentSessionId }
        : null;
    }, { what: "both running with ids" });
    // Claude's id is preset (known before it runs): wait until both agents really started, or
    // the kill may come before Claude saved its conversation (then it starts afresh, no resume).
    await waitFor(async () => (await w.calls()).filter((c) => c.taskDir === a.taskDir || c.taskDir === b.taskDir).length === 2, { what: "both agents ran" });
    killServer(w.socket);
    await waitFor(async () => (await tm.list()).every((v) => v.state === "completed"), { timeoutMs: 40_000, what: "both completed" });
    const final = await tm.list();
    for (const v of final) assert.equal(v.attempts, 2, v.session);
    assert.equal(final.find((v) => v.session === a.session)?.agentSessionId, ids.a);
    assert.equal(final.find((v) => v.session === b.session)?.agentSessionId, ids.b);
    const resumes = (await w.calls()).filter((c) => c.resumeId);
    assert.deepEqual(resumes.map((c) => c.resumeId).sort(), [ids.a, ids.b].sort());
    for (const c of resumes) assert.equal(c.cwd, w.projectDir, "resumed in the original directory");
    assert.equal(events.filter((e) => e.kind === "recovering").length, 2);
  } finally {
    await stopWatching();
  }
});

test("SIGKILL of the monitor and a restart adopts every task with no duplicate resume", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "3000" }) });
  const crashy = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "1000", RCA_FAKE_MODE: "crash-once" }) });
  const before = (await w.calls()).length;
  const first = w.spawnCli(["watch", "--json", "--config", configFile]);
  const names = ["adopt-a", "adopt-b", "adopt-c"];
  for (const name of names) await tm.start({ agent: "codex", name, projectDir: w.projectDir, prompt: name });
  const c = await crashy.start({ agent: "opencode", name: "adopt-crash", projectDir: w.projectDir, prompt: "crash", model: "mock/m" });
  // The first monitor recovers the crash, then dies by SIGKILL while everything runs.
  await waitFor(async () => {
    const s = await tm.status(c.session);
    return s.attempts === 2 && s.state === "running";
  }, { what: "the crash recovered by the first monitor" });
  first.child.kill("SIGKILL");
  await first.exited;
  const second = w.spawnCli(["watch", "--json", "--config", configFile]);
  await waitFor(async () => {
    const all = await tm.list();
    return all.filter((v) => v.session.startsWith("codex-adopt") || v.session === c.session).every((v) => v.state === "completed");
  }, { timeoutMs: 40_000, what: "all four completed under the second monitor" });
  second.child.kill("SIGTERM");
  await second.exited;
  const calls = (await w.calls()).slice(before);
  assert.equal(calls.length, 5, `3 single runs + 1 crash + 1 resume: ${JSON.stringify(calls.map((x) => [x.agent, x.resumeId]))}`);
  const all = [...eventsOf(first.stdout), ...eventsOf(second.stdout)];
  assert.equal(all.filter((e) => e.kind === "recovering").length, 1, first.stdout + second.stdout);
  assert.ok(!eventsOf(second.stdout).some((e) => e.kind === "recovering" || e.kind === "started"), second.stdout);
});

test("two monitors on one state directory resume a crash exactly once; the standby takes over", async () => {
  const crashy = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "800", RCA_FAKE_MODE: "crash-once" }) });
  const before = (await w.calls()).length;
  const m1 = w.spawnCli(["watch", "--json", "--config", configFile]);
  const m2 = w.spawnCli(["watch", "--json", "--config", configFile]);
  const t1 = await crashy.start({ agent: "codex", name: "twice-a", projectDir: w.projectDir, prompt: "x" });
  await waitFor(async () => (await crashy.status(t1.session)).state === "completed", { timeoutMs: 30_000, what: "first task completed" });
  const calls1 = (await w.calls()).slice(before);
  assert.equal(calls1.length, 2, JSON.stringify(calls1));
  const recoveries = [...eventsOf(m1.stdout), ...eventsOf(m2.stdout)].filter((e) => e.kind === "recovering");
  assert.equal(recoveries.length, 1, m1.stdout + "\n---\n" + m2.stdout);

  // Kill whichever monitor acted; the other one takes over the lock and handles the next crash.
  const active = eventsOf(m1.stdout).length ? m1 : m2;
  const standby = active === m1 ? m2 : m1;
  active.child.kill("SIGKILL");
  await active.exited;
  const t2 = await crashy.start({ agent: "codex", name: "twice-b", projectDir: w.projectDir, prompt: "y" });
  await waitFor(async () => (await crashy.status(t2.session)).state === "completed", { timeoutMs: 30_000, what: "second task completed by the standby" });
  assert.equal(eventsOf(standby.stdout).filter((e) => e.session === t2.session && e.kind === "recovering").length, 1);
  standby.child.kill("SIGTERM");
  await standby.exited;
});
