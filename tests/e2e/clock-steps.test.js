// @ts-check
// The wall clock may jump (DESIGN §3a); schedules must not. The monitor's wall clock is stepped
// through the injected `now` effect while its monotonic clock runs on: +6 h must not make a
// quiet, healthy task "stalled" nor spend its recovery budget (the next crash is resumed, not
// given up); −1 h must not make a recovery due in 5 s wait an hour. Real tmux, real processes,
// real SIGKILL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, collect, agentPid, watching } from "./helpers.js";

const w = await world();
const HOUR = 3_600_000;

/**
 * A manager whose wall clock is `Date.now() + offset.ms`.
 * @param {Record<string, string>} env
 * @param {Record<string, unknown>} [config]
 */
function steppedManager(env, config = {}) {
  const offset = { ms: 0 };
  const tm = w.manager({ env: w.agentEnv(env), config });
  // The TaskManager and its monitor share this effects object.
  tm.fx.now = () => Date.now() + offset.ms;
  return { tm, offset };
}

/** @param {string} taskDir */
async function record(taskDir) {
  return JSON.parse(await readFile(join(taskDir, "record.json"), "utf8"));
}

test("+6 h: a quiet healthy task is not stalled, and its next crash is resumed, not given up", async () => {
  // The fake prints its first events and then nothing (thinking) for 10 minutes.
  const { tm, offset } = steppedManager({ RCA_FAKE_WORK_MS: "600000" });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "ahead", projectDir: w.projectDir, prompt: "long job" });
    await waitFor(async () => (await tm.status(v.session)).state === "running", { what: "running" });
    const steppedAt = Date.now() + 6 * HOUR;
    offset.ms = 6 * HOUR;
    // The monitor has seen the step once it rewrote the record on the new wall clock.
    await waitFor(async () => (await record(v.taskDir)).updatedAt >= steppedAt, { what: "the step seen" });
    await new Promise((r) => setTimeout(r, 1_000)); // a few more ticks (poll 200 ms)
    const kinds = () => events.filter((e) => e.session === v.session).map((e) => e.kind);
    assert.ok(!kinds().includes("stalled"), kinds().join(","));
    assert.equal((await tm.status(v.session)).state, "running");

    process.kill(await agentPid(v.taskDir, 1), "SIGKILL");
    await waitFor(() => kinds().includes("resumed") || kinds().includes("gave_up"), { what: "resumed or gave up" });
    assert.ok(kinds().includes("resumed"), kinds().join(","));
    assert.ok(!kinds().includes("gave_up"), kinds().join(","));
    await tm.stop(v.session);
  } finally {
    await stopWatching();
  }
});

test("−1 h: a recovery due in 5 s is issued after about 5 s, not an hour", async () => {
  // Every run is killed after 300 ms: the second recovery waits the 5 s backoff.
  const { tm, offset } = steppedManager({ RCA_FAKE_MODE: "crash-always", RCA_FAKE_WORK_MS: "300" }, { recoveryBaseDelayMs: 5_000 });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "behind", projectDir: w.projectDir, prompt: "crashy job" });
    const recovering = () => events.filter((e) => e.session === v.session && e.kind === "recovering");
    // The second crash: its recovery is due 5 s later.
    await waitFor(() => recovering().length >= 2, { what: "the second crash", timeoutMs: 60_000 });
    offset.ms = -HOUR;
    const steppedAt = Date.now();
    const calls = async () => (await w.calls()).filter((c) => c.taskDir === v.taskDir);
    const third = await waitFor(async () => (await calls()).find((c) => c.attempt === 3), { what: "attempt 3", timeoutMs: 60_000 });
    const waited = third.at - steppedAt;
    assert.ok(waited < 30_000, `attempt 3 started ${waited} ms after the step`);
    await tm.stop(v.session);
  } finally {
    await stopWatching();
  }
});
