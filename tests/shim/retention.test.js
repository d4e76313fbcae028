// @ts-check
// Retention: durations, the retention setting, and prune on a real state directory with a fake
// clock (records written as the monitor would; no tmux server: the kill is a no-op).
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import core from "../../host-shim/core.js";
import { TaskManager } from "../../host-shim/task-manager.js";
import { parseDuration, checkRetention, DEFAULT_RETENTION_MS } from "../../host-shim/retention.js";
import { makeTestDir } from "../support/dirs.js";

const DAY = 86_400_000;

test("durations for people", () => {
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("45s"), 45_000);
  assert.equal(parseDuration("30m"), 1_800_000);
  assert.equal(parseDuration("30min"), 1_800_000);
  assert.equal(parseDuration("12h"), 12 * 3_600_000);
  assert.equal(parseDuration("7d"), 7 * DAY);
  assert.equal(parseDuration("2w"), 14 * DAY);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration(" 1.5h "), 5_400_000);
  for (const bad of ["", "7", "d", "7x", "-1d", "1d 2", "7 days", "1e9d"]) {
    assert.throws(() => parseDuration(bad), { code: "usage" }, bad);
  }
});

test("the retention setting", () => {
  assert.equal(DEFAULT_RETENTION_MS, 7 * DAY);
  assert.equal(checkRetention(0), 0);
  assert.equal(checkRetention(null), null);
  for (const bad of [-1, Number.NaN, Infinity, "7d", {}]) assert.throws(() => checkRetention(bad), { code: "invalid_config" });
  assert.throws(() => new TaskManager({ stateDir: "/tmp/x", retentionMs: /** @type {any} */ (-5) }), { code: "invalid_config" });
});

test("prune removes only finished tasks past the age; never an unfinished one", async () => {
  const root = makeTestDir("rca-retention-");
  let now = Date.UTC(2026, 0, 10);
  try {
    const projectDir = join(root, "project");
    await mkdir(projectDir);
    const tm = new TaskManager({
      stateDir: join(root, "state"),
      tmuxSocket: `rca-none-${randomBytes(4).toString("hex")}`, // never started: kill-session is a no-op
      effects: { now: () => now },
    });
    await tm.store.init();
    /** @param {string} name @param {string} state @param {number} finishedAgo */
    const task = async (name, state, finishedAgo) => {
      const spec = core.validateSpec({ agent: "codex", name, projectDir, model: null, autonomy: null });
      const session = core.sessionName(spec);
      const taskDir = await tm.store.createTaskDir(session);
      const created = now - finishedAgo - 60_000;
      const rec = /** @type {any} */ (core.newRecord(spec, taskDir, null, created));
      rec.state = state;
      if (["completed", "failed", "stopped"].includes(state)) rec.finishedAt = now - finishedAgo;
      if (state === "failed") rec.failure = { class: "auth", evidence: "401", reset: null };
      if (state === "recovering") rec.nextRecoveryAt = now + 60_000;
      if (state === "stalled") rec.stalledSince = now - finishedAgo;
      rec.updatedAt = now - finishedAgo;
      core.parseRecord(JSON.stringify(rec)); // still a valid record
      await tm.store.writeRecord(taskDir, rec);
      await tm.store.claimSession(session, taskDir);
      return taskDir;
    };
    const oldDone = await task("old-done", "completed", 8 * DAY);
    const oldFailed = await task("old-failed", "failed", 7 * DAY);
    const oldStopped = await task("old-stopped", "stopped", 30 * DAY);
    const freshDone = await task("fresh-done", "completed", 6 * DAY);
    const oldRunning = await task("old-running", "running", 9 * DAY);
    const oldRecovering = await task("old-recovering", "recovering", 9 * DAY);
    const oldStalled = await task("old-stalled", "stalled", 9 * DAY);
    const oldWaiting = await task("old-waiting", "waiting_for_input", 9 * DAY);

    const gone = await tm.prune();
    assert.deepEqual(gone.map((g) => g.session).sort(), ["codex-old-done", "codex-old-failed", "codex-old-stopped"]);
    for (const d of [oldDone, oldFailed, oldStopped]) assert.equal(existsSync(d), false, d);
    for (const d of [freshDone, oldRunning, oldRecovering, oldStalled, oldWaiting]) assert.ok(existsSync(d), d);
    assert.equal(await tm.store.lookup("codex-old-done"), null, "index entry gone");
    assert.deepEqual((await tm.list()).map((v) => v.session).sort(), [
      "codex-fresh-done", "codex-old-recovering", "codex-old-running", "codex-old-stalled", "codex-old-waiting",
    ]);

    // On demand with an explicit age: 0 = every finished task, still never the others.
    const all = await tm.prune({ olderThanMs: 0 });
    assert.deepEqual(all.map((g) => g.session), ["codex-fresh-done"]);
    assert.equal((await tm.list()).length, 4);

    // A finished task whose name was reused (its directory no longer indexed) goes too.
    const replaced = await task("reused", "completed", 10 * DAY);
    await tm.store.forgetSession("codex-reused");
    const current = await task("reused", "running", 0);
    const again = await tm.prune();
    assert.deepEqual(again.map((g) => g.taskDir), [replaced]);
    assert.ok(existsSync(current));

    // Time passes: nothing unfinished ever goes, however old.
    now += 365 * DAY;
    assert.deepEqual(await tm.prune(), []);
    // retentionMs null keeps finished tasks forever (prune without an age does nothing).
    const keep = new TaskManager({ stateDir: join(root, "state"), tmuxSocket: "rca-none", retentionMs: null, effects: { now: () => now } });
    assert.deepEqual(await keep.prune(), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
