// @ts-check
// The watchdog for live-but-stuck agents (DESIGN §3.7), end to end on real tmux: an agent whose
// output stops for stallMs, or that only repeats Codex's real "Reconnecting... waiting for
// network" line (its output keeps changing), becomes `stalled`, announced once; with the opt-in
// stallRestartMs it is restarted through the normal recovery path (same conversation) and
// finishes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { world, waitFor, collect, watching } from "./helpers.js";

const w = await world();

/**
 * @param {import("../../host-shim/task-manager.js").TaskManager} tm
 * @param {string} session
 * @param {(s: any) => boolean} pred
 * @param {string} what
 */
function until(tm, session, pred, what) {
  return waitFor(async () => {
    const s = await tm.status(session);
    return pred(s) ? s : null;
  }, { what });
}

test("silence becomes stalled, announced once; without the opt-in restart it stays stalled", async () => {
  const tm = w.manager({ config: { stallMs: 1_000 } });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "silent", projectDir: w.projectDir, prompt: "p", env: { RCA_FAKE_MODE: "hang-once" } });
    await until(tm, v.session, (s) => s.state === "stalled", "stalled");
    const stalledAt = Date.now();
    // It stays stalled (nothing restarts it) and is not announced again while it lasts.
    await until(tm, v.session, (s) => s.state === "stalled" && Date.now() - stalledAt > 3_000, "still stalled 3 s later");
    const mine = events.filter((e) => e.session === v.session);
    assert.deepEqual(mine.map((e) => e.kind), ["started", "stalled"]);
    assert.match(mine[1].message, /stalled: no output for \d+ s/);
    assert.equal((await w.calls()).filter((c) => c.taskDir === v.taskDir).length, 1, "never restarted");
    await tm.stop(v.session);
  } finally {
    await stopWatching();
  }
});

test("opt-in restart: a stalled agent is restarted after stallRestartMs through the recovery path", async () => {
  const tm = w.manager({ config: { stallMs: 1_000, stallRestartMs: 1_500 } });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "silent-restart", projectDir: w.projectDir, prompt: "p", env: { RCA_FAKE_MODE: "hang-once", RCA_FAKE_WORK_MS: "300" } });
    const done = await until(tm, v.session, (s) => s.state === "completed", "completed after the watchdog restart");
    assert.equal(done.attempts, 2);
    // The record says completed a moment before the monitor announces it: wait for the event.
    await waitFor(() => events.some((e) => e.session === v.session && e.kind === "completed"), { what: "the completed event" });
    const mine = events.filter((e) => e.session === v.session);
    assert.deepEqual(mine.map((e) => e.kind), ["started", "stalled", "recovering", "resumed", "completed"]);
    const stalled = mine[1];
    const recovering = mine[2];
    assert.ok(recovering.at - stalled.at >= 1_500, `restarted ${recovering.at - stalled.at} ms after the stall`);
    assert.equal(recovering.failure.class, "crash");
    assert.match(recovering.failure.evidence, /watchdog restart/);
    const calls = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
    assert.equal(calls.length, 2);
    assert.equal(calls[1].resumeId, done.agentSessionId, "resumed by its session id");
  } finally {
    await stopWatching();
  }
});

test("Codex repeating 'Reconnecting... waiting for network' is a stall even while output flows; restarted as network", async () => {
  const tm = w.manager({ config: { stallMs: 600_000, stallRestartMs: 2_500, liveRecheckMs: 1_000 } });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "no-network", projectDir: w.projectDir, prompt: "p", env: { RCA_FAKE_MODE: "reconnect-once", RCA_FAKE_RECONNECT_MS: "250", RCA_FAKE_WORK_MS: "300" } });
    const stalled = await until(tm, v.session, (s) => s.state === "stalled", "stalled by the retry loop");
    assert.equal(stalled.attempts, 1);
    const done = await until(tm, v.session, (s) => s.state === "completed", "completed after the restart");
    assert.equal(done.attempts, 2);
    // The record says completed a moment before the monitor announces it: wait for the event.
    await waitFor(() => events.some((e) => e.session === v.session && e.kind === "completed"), { what: "the completed event" });
    const mine = events.filter((e) => e.session === v.session);
    assert.deepEqual(mine.map((e) => e.kind), ["started", "stalled", "recovering", "resumed", "completed"]);
    assert.match(mine[1].message, /Reconnecting\.\.\. waiting for network/);
    assert.equal(mine[2].failure.class, "network");
    assert.match(mine[2].failure.evidence, /waiting for network/);
    const calls = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
    assert.equal(calls[1].resumeId, done.agentSessionId);
  } finally {
    await stopWatching();
  }
});
