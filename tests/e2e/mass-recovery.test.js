// @ts-check
// Fleet-safe mass recovery on real tmux: when the tmux server dies under 50 tasks of 4 logins,
// every task is resumed, no two of one login closer than the stagger; an auth failure right
// after a recovery pauses that login's queue and no other, until a manual resume succeeds.
// And the per-task auto-resume switch holds through a crash and a reset-time limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskManager } from "../../host-shim/index.js";
import { world, waitFor, FAST } from "./helpers.js";

const w = await world();

/** @param {Partial<import("../../host-shim/task-manager.js").TaskManagerOptions>} [o] */
function manager(o = {}) {
  return new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, env: w.agentEnv({ RCA_FAKE_WORK_MS: "600000" }), config: FAST, ...o });
}
const killServer = () => execFileSync("tmux", ["-L", w.socket, "kill-server"]);

/**
 * Starts `perLogin` tasks for each of `logins` logins (a login = its own FAKE_CONFIG_DIR, as
 * CLAUDE_CONFIG_DIR or CODEX_HOME would be) and waits until all run with a session id.
 * @param {TaskManager} tm
 * @param {string} prefix
 * @param {number} logins
 * @param {number} perLogin
 */
async function startFleet(tm, prefix, logins, perLogin) {
  /** @type {Map<string, number>} taskDir → login */
  const loginOf = new Map();
  for (let i = 0; i < logins * perLogin; i++) {
    const login = i % logins;
    const env = { FAKE_CONFIG_DIR: join(w.root, `${prefix}-login-${login}`), RCA_FAKE_AUTH_FILE: join(w.root, `${prefix}-auth-${login}`) };
    const v = await tm.start({ agent: "codex", name: `${prefix}-${i}`, projectDir: w.projectDir, prompt: `task ${i}`, env });
    loginOf.set(v.taskDir, login);
  }
  await waitFor(async () => (await tm.list()).filter((v) => loginOf.has(v.taskDir) && v.state === "running" && v.agentSessionId).length === loginOf.size, {
    what: "every task running with a session id",
    timeoutMs: 60_000,
  });
  return loginOf;
}

/**
 * When each task's agent program was started for attempt `attempt` (the mtime of its pid.<n>,
 * written by the wrapper's `sh` right before it execs the agent: what the stagger is measured
 * from), by login.
 * @param {Map<string, number>} loginOf
 * @param {number} attempt
 */
async function launchesByLogin(loginOf, attempt) {
  /** @type {Map<number, number[]>} */
  const out = new Map();
  for (const [dir, login] of loginOf) {
    const at = (await stat(join(dir, `pid.${attempt}`))).mtimeMs;
    out.set(login, [...(out.get(login) ?? []), at].sort((a, b) => a - b));
  }
  return out;
}

/** @param {Map<number, number[]>} byLogin */
function smallestGap(byLogin) {
  let smallest = Infinity;
  for (const starts of byLogin.values()) for (let i = 1; i < starts.length; i++) smallest = Math.min(smallest, starts[i] - starts[i - 1]);
  return smallest;
}

/**
 * The runs of attempt `attempt`, by login, sorted by start time.
 * @param {Map<string, number>} loginOf
 * @param {number} attempt
 */
async function runsByLogin(loginOf, attempt) {
  /** @type {Map<number, number[]>} */
  const out = new Map();
  for (const c of await w.calls()) {
    if (c.attempt !== attempt || !loginOf.has(c.taskDir)) continue;
    const login = /** @type {number} */ (loginOf.get(c.taskDir));
    out.set(login, [...(out.get(login) ?? []), c.at].sort((a, b) => a - b));
  }
  return out;
}

test("50 tasks over 4 logins killed at once are all resumed, no two of one login closer than the stagger", { timeout: 120_000 }, async () => {
  const STAGGER = 300;
  const tm = manager({ recoveryStaggerMs: STAGGER });
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const loginOf = await startFleet(tm, "fleet", 4, 13);
    assert.ok(loginOf.size >= 50);
    const killedAt = Date.now();
    killServer();
    await waitFor(async () => [...(await runsByLogin(loginOf, 2)).values()].flat().length === loginOf.size, {
      what: "every task's second run",
      timeoutMs: 60_000,
    });
    const byLogin = await launchesByLogin(loginOf, 2);
    assert.equal(byLogin.size, 4);
    const smallest = smallestGap(byLogin);
    // mtimes have the file system's granularity (ns on ext4/tmpfs; 1 ms of slack for rounding).
    assert.ok(smallest >= STAGGER - 1, `two agents of one login started ${smallest} ms apart (stagger ${STAGGER} ms)`);
    const all = [...byLogin.values()].flat();
    const firsts = [...byLogin.values()].map((s) => s[0] - killedAt);
    const stats = tm.monitor.recoveryStats;
    console.log(`# mass recovery: ${loginOf.size} tasks, all launched ${Math.max(...all) - killedAt} ms after the kill; first of each login after ${firsts.join("/")} ms; smallest same-login gap ${Math.round(smallest)} ms (agent exec), ${smallestGap(await runsByLogin(loginOf, 2))} ms (agent program's first line); peak concurrent recoveries ${stats.peak}`);
    // Different logins recover side by side: each login's first recovery is not queued behind the others.
    assert.ok(stats.peak >= 2, `peak concurrent recoveries ${stats.peak}`);
    await waitFor(async () => (await tm.list()).filter((v) => loginOf.has(v.taskDir) && v.state === "running" && v.attempts === 2).length === loginOf.size, {
      what: "every task running again",
      timeoutMs: 60_000,
    });
  } finally {
    ctl.abort();
    await watching;
    for (const v of await tm.list()) await tm.stop(v.session, { cleanup: true });
  }
});

test("the stagger is measured from when each agent program starts, not its wrapper: a slow start does not bring the next one closer", { timeout: 120_000 }, async () => {
  const STAGGER = 1_000;
  // An `sh` first on PATH that waits SLOW_SH_MS before it is the real one: the wrapper's last
  // step (the `sh` that writes pid.<n> and execs the agent) slow for every other task.
  const bin = join(w.root, "slow-sh-bin");
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "sh"), '#!/bin/sh\nif [ -n "$SLOW_SH_MS" ]; then /bin/sleep "$SLOW_SH_MS"; fi\nexec /bin/sh "$@"\n', { mode: 0o755 });
  const tm = manager({ recoveryStaggerMs: STAGGER, env: w.agentEnv({ RCA_FAKE_WORK_MS: "600000", PATH: `${bin}:${w.agentEnv().PATH}` }) });
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    /** @type {Map<string, number>} */
    const loginOf = new Map();
    for (let i = 0; i < 6; i++) {
      const env = { FAKE_CONFIG_DIR: join(w.root, "slow-login"), ...(i % 2 === 0 ? { SLOW_SH_MS: "1" } : {}) };
      const v = await tm.start({ agent: "codex", name: `slow-${i}`, projectDir: w.projectDir, prompt: `task ${i}`, env });
      loginOf.set(v.taskDir, 0);
    }
    await waitFor(async () => (await tm.list()).filter((v) => loginOf.has(v.taskDir) && v.state === "running" && v.agentSessionId).length === loginOf.size, {
      what: "every task running with a session id",
      timeoutMs: 60_000,
    });
    killServer();
    await waitFor(async () => [...(await runsByLogin(loginOf, 2)).values()].flat().length === loginOf.size, { what: "every task's second run", timeoutMs: 60_000 });
    const smallest = smallestGap(await launchesByLogin(loginOf, 2));
    console.log(`# slow starts: smallest gap between two agents of one login ${Math.round(smallest)} ms (stagger ${STAGGER} ms)`);
    assert.ok(smallest >= STAGGER - 1, `two agents of one login started ${smallest} ms apart (stagger ${STAGGER} ms)`);
  } finally {
    ctl.abort();
    await watching;
    for (const v of await tm.list()) await tm.stop(v.session, { cleanup: true });
  }
});

test("an auth failure right after a recovery pauses that login's queue and no other; a manual resume reopens it", { timeout: 120_000 }, async () => {
  const STAGGER = 1_000;
  const tm = manager({ recoveryStaggerMs: STAGGER });
  /** @type {any[]} */
  const events = [];
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal, onEvent: (ev) => events.push(ev) });
  try {
    const loginOf = await startFleet(tm, "brk", 3, 4);
    // Login 1's credentials go bad (the fake fails every run that begins now with Codex's 401).
    await writeFile(join(w.root, "brk-auth-1"), "");
    killServer();
    const others = [...loginOf.values()].filter((l) => l !== 1).length;
    await waitFor(async () => {
      const runs = await runsByLogin(loginOf, 2);
      return (runs.get(0)?.length ?? 0) + (runs.get(2)?.length ?? 0) === others;
    }, { what: "logins 0 and 2 all resumed", timeoutMs: 60_000 });
    // Well past the slots login 1's queue would have had.
    await new Promise((r) => setTimeout(r, 4 * STAGGER));
    const runs = await runsByLogin(loginOf, 2);
    assert.equal(runs.get(1)?.length, 1, "login 1: only the first recovery ran; the rest of its queue is paused");
    // The breaker's edge is an event of the task that tripped it, announced once.
    const paused = events.filter((e) => e.kind === "recovery_paused");
    assert.equal(paused.length, 1, "announced once");
    const views = (await tm.list()).filter((v) => loginOf.get(v.taskDir) === 1);
    const failed = views.filter((v) => v.state === "failed");
    assert.equal(failed.length, 1);
    assert.equal(failed[0].failure?.class, "auth");
    assert.equal(paused[0].session, failed[0].session);
    assert.match(paused[0].message, /log in again/);
    assert.ok(views.filter((v) => v.state === "recovering").length === 3, views.map((v) => v.state).join(","));
    // The operator logs in again and resumes the failed task by hand: the queue reopens.
    await rm(join(w.root, "brk-auth-1"));
    await tm.resume(failed[0].session);
    await waitFor(async () => (await tm.list()).filter((v) => loginOf.get(v.taskDir) === 1 && v.state === "running").length === 4, {
      what: "login 1 all running again",
      timeoutMs: 60_000,
    });
    await waitFor(() => events.some((e) => e.kind === "recovery_resumed" && e.session === failed[0].session), { what: "the recovery_resumed event" });
    assert.equal(events.filter((e) => e.kind === "recovery_resumed").length, 1, "announced once");
  } finally {
    ctl.abort();
    await watching;
    for (const v of await tm.list()) await tm.stop(v.session, { cleanup: true });
  }
});

test("--no-auto-resume holds through a crash and a reset-time limit, and a manual resume runs it", { timeout: 60_000 }, async () => {
  const crash = manager({ env: w.agentEnv({ RCA_FAKE_MODE: "crash-once", RCA_FAKE_WORK_MS: "300" }) });
  const limit = manager({ env: w.agentEnv({ RCA_FAKE_MODE: "limit-once", RCA_FAKE_RESET: "at 1:22 AM" }) });
  /** @type {any[]} */
  const events = [];
  crash.on("event", (e) => events.push(e));
  const ctl = new AbortController();
  const watching = crash.watch({ signal: ctl.signal });
  try {
    const a = await crash.start({ agent: "codex", name: "hold-crash", projectDir: w.projectDir, prompt: "x", autoResume: false });
    const b = await limit.start({ agent: "codex", name: "hold-limit", projectDir: w.projectDir, prompt: "y", autoResume: false });
    assert.equal(a.autoResume, false);
    for (const v of [a, b]) await waitFor(async () => (await crash.status(v.session)).state === "failed", { what: `${v.session} held` });
    await new Promise((r) => setTimeout(r, 2_000));
    const sa = await crash.status(a.session);
    const sb = await crash.status(b.session);
    assert.equal(sa.failure?.class, "signal");
    assert.equal(sb.failure?.class, "usage_limit");
    for (const s of [sa, sb]) {
      assert.equal(s.state, "failed");
      assert.equal(s.gaveUp, false);
      assert.equal(s.nextRecoveryAt, null);
      assert.match(s.recoveryReason ?? "", /auto-resume off/);
    }
    const calls = (await w.calls()).filter((c) => c.taskDir === a.taskDir || c.taskDir === b.taskDir);
    assert.equal(calls.length, 2, "neither was run again");
    assert.deepEqual(events.filter((e) => e.session === a.session && e.kind === "failed").length, 1, "announced once");
    await crash.resume(a.session);
    await waitFor(async () => (await crash.status(a.session)).state === "completed", { what: "completed after a manual resume" });
  } finally {
    ctl.abort();
    await watching;
  }
});
