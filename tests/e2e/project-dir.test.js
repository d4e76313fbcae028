// @ts-check
// A task whose project directory vanished (or whose path now names another directory) fails
// with project_dir_missing and never runs anywhere else: the host checks the directory before
// every recovery, and the wrapper refuses to start the agent outside it (tmux's `-c` silently
// starts a pane elsewhere when the directory is gone). Real tmux, real processes, real SIGKILL;
// the fake agent logs the working directory of every run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rename, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import core from "../../host-shim/core.js";
import { hostContext } from "../../host-shim/context.js";
import { makeTestDir } from "../support/dirs.js";
import { world, waitFor, collect, agentPid, watching } from "./helpers.js";

const w = await world();

/**
 * Starts a long-running fake codex task in a fresh project directory, under a watching monitor.
 * @param {string} name
 */
async function runningTask(name) {
  const projectDir = join(w.root, `proj-${name}`);
  await mkdir(projectDir);
  const real = await realpath(projectDir);
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "600000" }) });
  const events = collect(tm);
  const stopWatching = watching(tm);
  const v = await tm.start({ agent: "codex", name, projectDir, prompt: "long job" });
  await waitFor(async () => (await tm.status(v.session)).state === "running", { what: `${name} running` });
  const pid = await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" });
  // The agent itself is up (it logged its run), not only the wrapper's pid file.
  await waitFor(async () => (await w.calls()).some((c) => c.taskDir === v.taskDir), { what: "the agent's first run" });
  const stop = async () => {
    await stopWatching();
  };
  return { tm, v, events, pid, projectDir, real, stop };
}

/**
 * After the kill: failed with project_dir_missing, announced once, and the agent ran only once,
 * in its own directory.
 * @param {Awaited<ReturnType<typeof runningTask>>} t
 */
async function assertFailedNotMoved(t) {
  const { tm, v, events, real } = t;
  const s = await waitFor(async () => {
    const st = await tm.status(v.session);
    return st.state === "failed" ? st : null;
  }, { what: "failed" });
  assert.equal(s.failure?.class, "project_dir_missing", JSON.stringify(s.failure));
  assert.match(s.failure?.evidence ?? "", /project directory/);
  const mine = events.filter((e) => e.session === v.session).map((e) => e.kind);
  assert.deepEqual(mine.filter((k) => k === "failed"), ["failed"], mine.join(","));
  assert.ok(!mine.includes("resumed"), mine.join(","));
  // A few more monitor ticks: nothing is started (poll 200 ms; the record stays final).
  await new Promise((r) => setTimeout(r, 1_000));
  const runs = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
  assert.equal(runs.length, 1, `the agent ran once only: ${JSON.stringify(runs.map((c) => c.cwd))}`);
  assert.equal(runs[0].cwd, real);
}

test("project directory renamed, agent SIGKILLed: failed with project_dir_missing, never run elsewhere", async () => {
  const t = await runningTask("renamed");
  try {
    await rename(t.projectDir, `${t.projectDir}-moved`);
    process.kill(t.pid, "SIGKILL");
    await assertFailedNotMoved(t);
  } finally {
    await t.stop();
  }
});

test("project path now names another directory: failed with project_dir_missing, not run there", async () => {
  const t = await runningTask("replaced");
  try {
    await rename(t.projectDir, `${t.projectDir}-old`);
    await mkdir(t.projectDir);
    await writeFile(join(t.projectDir, "README"), "someone else's project\n");
    process.kill(t.pid, "SIGKILL");
    await assertFailedNotMoved(t);
  } finally {
    await t.stop();
  }
});

test("the wrapper runs no agent when its project directory is missing (tmux -c would start it elsewhere)", async () => {
  // The plan a recovery would run, performed directly (no host check in front of it).
  const taskDir = makeTestDir("rca-wrapper-");
  const spec = core.validateSpec({ agent: "codex", name: "nodir", projectDir: join(w.root, "never-existed"), model: null, autonomy: null });
  const ctx = hostContext({ taskDir, socket: w.socket, agentEnv: w.agentEnv(), demoAgent: undefined });
  const plan = core.planStart(spec, "hello", ctx, 1);
  for (const f of plan.files) await writeFile(join(taskDir, f.path), f.contents, { mode: 0o600 });
  for (const cmd of plan.commands) {
    const env = { ...process.env, ...Object.fromEntries(cmd.env.map((/** @type {any} */ e) => [e.name, e.value])) };
    execFileSync(cmd.argv[0], cmd.argv.slice(1), { env, stdio: "ignore" });
  }
  const status = await waitFor(async () => (await readFile(join(taskDir, "exit.1"), "utf8").catch(() => "")).trim(), { what: "exit.1" });
  assert.equal(status, "125");
  const stderr = await readFile(join(taskDir, "stderr.1.log"), "utf8");
  assert.match(stderr, /^rca-wrapper: the project directory is missing or not a directory; the agent was not started$/m);
  assert.equal((await w.calls()).filter((c) => c.taskDir === taskDir).length, 0, "no agent ran");
  const verdict = core.classifyExit("codex", { exitStatus: 125, signal: null, eventsTail: "", stderrTail: stderr, paneTail: "" });
  assert.equal(verdict.outcome, "failed");
  assert.equal(verdict.failure.class, "project_dir_missing");
  w.tmux("kill-session", "-t", "=codex-nodir");
  await rm(taskDir, { recursive: true, force: true });
});
