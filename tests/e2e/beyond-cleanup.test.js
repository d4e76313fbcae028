// @ts-check
// Retention and cleanup (DESIGN §3.11) and unmanaged sessions, end to end on real tmux:
// finished tasks are removed by the monitor once past retentionMs (session and directory),
// `prune [--older-than D]` does it on demand, an unfinished task is never removed; `list --all`
// also shows tmux sessions named like the original skill's that this package did not start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { world, waitFor, FAST, watching } from "./helpers.js";

const w = await world();
const configFile = join(w.root, "config.json");
await writeFile(configFile, JSON.stringify(FAST));

/** @param {string} session */
function hasSession(session) {
  try {
    w.tmux("has-session", "-t", `=${session}`);
    return true;
  } catch {
    return false;
  }
}

test("the monitor removes finished tasks past the retention time, never unfinished ones", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "200" }) });
  // retentionMs is a TaskManager option: a second manager on the same state dir with 1.5 s.
  const { TaskManager } = await import("../../host-shim/index.js");
  const keeper = new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, env: w.agentEnv({ RCA_FAKE_WORK_MS: "200" }), config: FAST, retentionMs: 1_500 });
  /** @type {any[]} */
  const pruned = [];
  keeper.on("pruned", (list) => pruned.push(...list));
  const hang = await tm.start({ agent: "codex", name: "keeps-running", projectDir: w.projectDir, prompt: "p", env: { RCA_FAKE_MODE: "hang" } });
  const done = await tm.start({ agent: "codex", name: "done-soon", projectDir: w.projectDir, prompt: "p" });
  const stopWatching = watching(keeper);
  try {
    const finished = await waitFor(async () => {
      const s = await keeper.status(done.session);
      return s.state === "completed" ? s : null;
    }, { what: "completed" });
    assert.ok(existsSync(done.taskDir), "kept right after finishing");
    // The directory goes before the `pruned` event is emitted: wait for both.
    await waitFor(() => !existsSync(done.taskDir) && !hasSession(done.session) && pruned.length > 0, { what: "removed by the monitor after retention, and announced" });
    const goneAt = Date.now();
    assert.ok(goneAt >= Date.parse(finished.finishedAt ?? "") + 1_500, "not before the retention time");
    assert.deepEqual(pruned.map((p) => p.session), [done.session]);
    assert.deepEqual((await keeper.list()).map((v) => v.session), [hang.session]);
    // The unfinished task is older than the retention time and still there, running.
    await waitFor(async () => Date.now() - Date.parse((await keeper.status(hang.session)).createdAt) > 3_000, { what: "the running task outlives retention" });
    const still = await keeper.status(hang.session);
    assert.equal(still.state, "running");
    assert.ok(existsSync(still.taskDir) && hasSession(hang.session));
    await keeper.stop(hang.session);
    // Stopped = finished: it goes too, once past retention.
    await waitFor(() => !existsSync(still.taskDir) && !hasSession(hang.session), { what: "the stopped task removed after retention" });
  } finally {
    await stopWatching();
  }
});

test("CLI prune [--older-than DURATION]: finished tasks on demand, never a running one", async () => {
  const env = { PATH: w.agentEnv().PATH, RCA_FAKE_LOG: w.fakeLog, RCA_FAKE_WORK_MS: "200" };
  const start = (/** @type {string} */ name, /** @type {string[]} */ extra = []) =>
    w.cli(["start", "--agent", "codex", "--name", name, "--dir", w.projectDir, "--prompt", "p", "--json", ...extra], { env });
  const a = JSON.parse((await start("prune-done")).stdout);
  const b = JSON.parse((await start("prune-running", ["--env", "RCA_FAKE_MODE=hang"])).stdout);
  const c = JSON.parse((await start("prune-stopped", ["--env", "RCA_FAKE_MODE=hang"])).stdout);
  await waitFor(async () => {
    await w.cli(["watch", "--once", "--config", configFile]);
    const list = JSON.parse((await w.cli(["list", "--json"])).stdout);
    return list.find((/** @type {any} */ v) => v.session === a.session)?.state === "completed"
      && list.find((/** @type {any} */ v) => v.session === b.session)?.state === "running";
  }, { what: "one completed, one running" });
  assert.equal((await w.cli(["stop", c.session])).code, 0);

  const none = await w.cli(["prune", "--older-than", "1h"]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /nothing to prune/);
  assert.ok(existsSync(a.taskDir));

  const r = await w.cli(["prune", "--older-than", "0", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const removed = JSON.parse(r.stdout).removed;
  assert.deepEqual(removed.map((/** @type {any} */ x) => x.session).sort(), [a.session, c.session].sort());
  assert.deepEqual(removed.map((/** @type {any} */ x) => x.state).sort(), ["completed", "stopped"]);
  assert.ok(!existsSync(a.taskDir) && !existsSync(c.taskDir) && !hasSession(a.session));
  assert.ok(existsSync(b.taskDir) && hasSession(b.session), "the running task is untouched");
  const human = await w.cli(["prune", "--older-than", "0"]);
  assert.match(human.stdout, /nothing to prune/);

  const bad = await w.cli(["prune", "--older-than", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a duration/);
  await w.cli(["stop", b.session, "--cleanup"]);
});

test("list --all shows codex-/claude-/opencode-/pi- sessions the package did not start, marked unmanaged", async () => {
  const env = { PATH: w.agentEnv().PATH, RCA_FAKE_LOG: w.fakeLog };
  const mine = JSON.parse((await w.cli(["start", "--agent", "codex", "--name", "managed-one", "--dir", w.projectDir, "--prompt", "p", "--json", "--env", "RCA_FAKE_MODE=hang"], { env })).stdout);
  // Sessions started by hand, the original skill's way (and some that are not agents).
  for (const s of ["codex-legacy-fix", "claude-refactor", "opencode-docs", "pi-spike", "notes", "codexfoo", "demo-x"]) {
    w.tmux("new-session", "-d", "-s", s, "sleep 600");
  }
  const plain = JSON.parse((await w.cli(["list", "--json"])).stdout);
  assert.deepEqual(plain.map((/** @type {any} */ v) => v.session), [mine.session], "without --all: only managed tasks");
  const all = JSON.parse((await w.cli(["list", "--all", "--json"])).stdout);
  const unmanaged = all.filter((/** @type {any} */ v) => v.managed === false);
  assert.deepEqual(unmanaged.map((/** @type {any} */ v) => v.session), ["claude-refactor", "codex-legacy-fix", "opencode-docs", "pi-spike"]);
  for (const v of unmanaged) {
    assert.equal(v.state, "unmanaged");
    assert.equal(v.agent, v.session.split("-")[0]);
    assert.match(v.attach, new RegExp(`tmux -L ${w.socket} attach -t '=${v.session}'`));
  }
  const managed = all.filter((/** @type {any} */ v) => v.managed !== false);
  assert.deepEqual(managed.map((/** @type {any} */ v) => v.session), [mine.session], "a managed task is listed once, as managed");
  assert.equal(managed[0].managed, true);
  const only = JSON.parse((await w.cli(["list", "--all", "--state", "unmanaged", "--json"])).stdout);
  assert.equal(only.length, 4);
  const human = await w.cli(["list", "--all"]);
  assert.match(human.stdout, /^codex-legacy-fix\s+unmanaged\s+0\s+.*not started by resilient-agent/m);
  assert.match(human.stdout, new RegExp(`^${mine.session}\\s+`, "m"));
  await w.cli(["stop", mine.session, "--cleanup"]);
});
