// @ts-check
// Nothing wedges, nothing is orphaned, with real tmux and real processes: a task whose record
// lock another process holds never delays another task's crash → resume; a task whose record
// is corrupt can still be stopped (its session killed, its directory removed) and its name
// started again; of many concurrent starts of one finished name exactly one wins, and the
// losers never touch the winner's session or index entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { world, waitFor, agentPid, watching } from "./helpers.js";

const w = await world();
const STORE = new URL("../../host-shim/store.js", import.meta.url).href;
const EFFECTS = new URL("../../host-shim/effects.js", import.meta.url).href;

/** Session names on this test's tmux server. */
function sessions() {
  try {
    return w.tmux("list-sessions", "-F", "#{session_name}").split("\n").filter(Boolean);
  } catch {
    return []; // no server: no sessions
  }
}

test("a record lock held by another live process does not delay another task's crash → resume", { timeout: 120_000 }, async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "60000" }) });
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const stopWatching = watching(tm);
  /** @type {import("node:child_process").ChildProcess | null} */
  let holder = null;
  try {
    // Stepped in name order: the held task comes first in every tick.
    const held = await tm.start({ agent: "codex", name: "a-held", projectDir: w.projectDir, prompt: "long job" });
    const other = await tm.start({ agent: "codex", name: "b-other", projectDir: w.projectDir, prompt: "long job" });
    for (const t of [held, other]) {
      await waitFor(async () => (await tm.status(t.session)).agentSessionId, { what: `${t.session} has a session id` });
    }
    const heldPid = await waitFor(() => agentPid(held.taskDir, 1), { what: "pid.1 of a-held" });
    const otherPid = await waitFor(() => agentPid(other.taskDir, 1), { what: "pid.1 of b-other" });
    // Another process takes a-held's record lock and keeps it (as a slow `stop` would).
    const script = `
      const { Store } = await import(${JSON.stringify(STORE)});
      const { makeEffects } = await import(${JSON.stringify(EFFECTS)});
      const store = new Store(${JSON.stringify(w.stateDir)}, makeEffects());
      setInterval(() => {}, 1000); // alive until killed
      await store.withRecordLock(${JSON.stringify(held.taskDir)}, () => { process.stdout.write("held"); return new Promise(() => {}); });`;
    const h = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    holder = h;
    await new Promise((resolve) => h.stdout?.on("data", resolve));
    // Both agents die at once.
    process.kill(heldPid, "SIGKILL");
    const killedAt = Date.now();
    process.kill(otherPid, "SIGKILL");
    await waitFor(() => agentPid(other.taskDir, 2), { what: "b-other resumed", timeoutMs: 60_000, intervalMs: 20 });
    const resumeMs = Date.now() - killedAt;
    process.stderr.write(`# crash → resume of b-other while a-held's lock is held: ${resumeMs} ms\n`);
    assert.ok(resumeMs < 5_000, `b-other waited ${resumeMs} ms behind a-held's lock`);
    assert.equal(await agentPid(held.taskDir, 2), 0, "a-held is not touched while another process holds its lock");
    // A lock held for 10 s is reported, once for the whole spell, however many ticks find it busy.
    const busy = () => problems.filter((p) => p.code === "task_busy" && p.session === held.session);
    await waitFor(() => busy().length > 0, { what: "task_busy reported for a-held", timeoutMs: 40_000 });
    const reportedAfter = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 3_000)); // a dozen more busy ticks
    assert.equal(busy().length, 1, JSON.stringify(busy()));
    assert.ok(reportedAfter >= 9_000, `task_busy reported ${reportedAfter} ms after the lock was found busy (expected ≥ 10 s)`);
    assert.match(busy()[0].message, /\S/, "the report says something");
    // The holder dies: its lock is free at once, and a-held is resumed too.
    h.kill("SIGKILL");
    await waitFor(() => agentPid(held.taskDir, 2), { what: "a-held resumed once its lock was free", timeoutMs: 30_000 });
    assert.equal(busy().length, 1, "no second report after the lock was free");
    await tm.stop(held.session, { cleanup: true });
    await tm.stop(other.session, { cleanup: true });
  } finally {
    holder?.kill("SIGKILL");
    await stopWatching();
  }
});

test("stop and stop --cleanup work on a task whose record is corrupt; the name can be started again", { timeout: 120_000 }, async () => {
  const env = { RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "60000" };
  const tm = w.manager({ env: w.agentEnv(env) });
  for (const cleanup of [false, true]) {
    const name = cleanup ? "corrupt-cleanup" : "corrupt-stop";
    const v = await tm.start({ agent: "demo", name, projectDir: w.projectDir, prompt: "p" });
    await waitFor(() => agentPid(v.taskDir, 1), { what: `${name} running` });
    assert.ok(sessions().includes(v.session));
    await writeFile(join(v.taskDir, "record.json"), '{"version": 1, "session": tru');
    const res = await w.cli(["stop", v.session, ...(cleanup ? ["--cleanup"] : []), "--json"]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!sessions().includes(v.session), `${name}: session killed`);
    assert.equal(existsSync(v.taskDir), !cleanup, `${name}: directory ${cleanup ? "removed" : "kept"}`);
    // The name is free again.
    const again = await tm.start({ agent: "demo", name, projectDir: w.projectDir, prompt: "p" });
    assert.notEqual(again.taskDir, v.taskDir);
    await waitFor(() => sessions().includes(again.session), { what: `${name} started again` });
    await tm.stop(again.session, { cleanup: true });
    if (!cleanup) await tm.store.removeTaskDir(v.taskDir);
  }
});

test("concurrent starts of one finished name: exactly one is started, its session alive and indexed", { timeout: 300_000 }, async () => {
  const env = { RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "60000" };
  const tm = w.manager({ env: w.agentEnv(env) });
  const name = "raced";
  const first = await tm.start({ agent: "demo", name, projectDir: w.projectDir, prompt: "p" });
  await tm.stop(first.session); // finished: its name may be started again
  const rounds = 5;
  const n = 6;
  const bad = { notOneStarted: 0, winnerGone: 0, loserNotTaskExists: 0 };
  /** @type {string[]} */
  const notes = [];
  for (let round = 0; round < rounds; round++) {
    const runs = Array.from({ length: n }, () =>
      w.cli(["start", "--agent", "demo", "--name", name, "--dir", w.projectDir, "--prompt", "p", "--json"], { env }),
    );
    const results = await Promise.all(runs);
    const won = results.filter((r) => r.code === 0);
    const lost = results.filter((r) => r.code !== 0);
    if (won.length !== 1) {
      bad.notOneStarted++;
      notes.push(`round ${round}: ${won.length} of ${n} told "started"`);
    }
    for (const r of lost) {
      if (!/"code":"task_exists"/.test(r.stderr)) {
        bad.loserNotTaskExists++;
        notes.push(`round ${round}: a loser got ${r.stderr.trim()}`);
      }
    }
    // Every caller told "started" must have a live, indexed task.
    for (const r of won) {
      const winner = JSON.parse(r.stdout).taskDir;
      await new Promise((res) => setTimeout(res, 500));
      const indexed = (await tm.store.lookup(first.session)) === winner;
      const alive = sessions().includes(first.session) && (await agentPid(winner, 1)) > 0 && existsSync(winner);
      if (!indexed || !alive) {
        bad.winnerGone++;
        notes.push(`round ${round}: a caller told "started" has indexed=${indexed} alive=${alive}`);
      }
    }
    await tm.stop(first.session).catch(() => {}); // finished again for the next round
    await waitFor(() => !sessions().includes(first.session), { what: "the session stopped" });
  }
  process.stderr.write(`# ${rounds} rounds of ${n} concurrent starts: ${JSON.stringify(bad)}\n`);
  assert.deepEqual(bad, { notOneStarted: 0, winnerGone: 0, loserNotTaskExists: 0 }, notes.join("\n"));
  const left = (await readdir(join(w.stateDir, "tasks"))).filter((d) => d.startsWith(`${first.session}-`));
  assert.equal(left.length, rounds + 1, "the losers removed their directories; each round's winner's stays");
});
