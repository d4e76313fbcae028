// @ts-check
// A sixth agent defined purely in configuration (tests/fixtures/agents/tinker-config.json): a
// fake CLI (tests/fakes/tinker) with its own flags, plain-text output, its own way of printing
// its conversation id and its own resume flag. On real tmux: started, SIGKILLed, resumed by the
// same id, completed; and an auth failure recognised and not retried. No code knows "tinker".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { basename, join } from "node:path";
import { TaskManager } from "../../host-shim/task-manager.js";
import { world, waitFor, collect, agentPid, FAST } from "./helpers.js";

const CONFIG = fileURLToPath(new URL("../fixtures/agents/tinker-config.json", import.meta.url));
const w = await world();
const agents = JSON.parse(await readFile(CONFIG, "utf8")).agents;
const log = join(w.root, "tinker-calls.jsonl");
const calls = async () => (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l));

/** @param {Record<string, string>} env */
function manager(env) {
  const tm = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: w.socket, config: { ...FAST }, agents,
    env: w.agentEnv({ TINKER_LOG: log, ...env }),
  });
  after.push(tm);
  return tm;
}
/** @type {TaskManager[]} */
const after = [];
test.after(async () => {
  for (const tm of after) await tm.close();
});

test("agents list and show print the effective profiles; a bad profile names its field", async () => {
  const list = await w.cli(["agents", "list", "--config", CONFIG, "--json"]);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout).agents;
  assert.deepEqual(rows.map((/** @type {any} */ r) => r.name), ["codex", "claude", "opencode", "pi", "gemini", "demo", "tinker"]);
  assert.deepEqual(rows.find((/** @type {any} */ r) => r.name === "tinker"), { name: "tinker", source: "operator", program: "tinker", sandbox: "permissions", verifiedVersion: "0.0.1" });
  const show = await w.cli(["agents", "show", "tinker", "--config", CONFIG, "--json"]);
  assert.equal(show.code, 0, show.stderr);
  // The whole profile as written, plus the defaults of the fields it leaves out.
  const shown = JSON.parse(show.stdout).profile;
  for (const [k, v] of Object.entries(agents.tinker)) assert.deepEqual(shown[k], v, k);
  assert.deepEqual([shown.unset_env, shown.sandboxed_env], [[], {}]);
  const codex = JSON.parse((await w.cli(["agents", "show", "codex", "--json"])).stdout);
  const file = JSON.parse(await readFile(new URL("../../agents/codex.json", import.meta.url), "utf8"));
  assert.equal(codex.profile.cli.verified_version, file.cli.verified_version);
  assert.match(codex.profile.cli.verified_version, /^\d+\.\d+\.\d+$/);

  const bad = join(w.root, "bad-config.json");
  const broken = structuredClone(agents);
  broken.tinker.events.lines.failure = "^!! fatal: (.+$";
  await (await import("node:fs/promises")).writeFile(bad, JSON.stringify({ agents: broken }));
  const r = await w.cli(["agents", "list", "--config", bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /invalid_agent_profile.*agents\.tinker\.events\.lines\.failure: regex parse error/);
});

test("a configured agent is killed, resumed by its own id with its own flag, and completes", async () => {
  const tm = manager({ TINKER_WORK_MS: "30000", TINKER_RESUME_WORK_MS: "300" });
  const events = collect(tm);
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const v = await tm.start({ agent: "tinker", name: "kill-me", projectDir: w.projectDir, prompt: "long job", model: "big-brain" });
    assert.equal(v.session, "tinker-kill-me");
    const host = JSON.parse(await readFile(join(v.taskDir, "host.json"), "utf8"));
    assert.equal(host.agentProfile.source, "operator", "the profile is kept with the task");
    const running = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "running" && s.agentSessionId ? s : null;
    }, { what: "running with the id read from tinker's text" });
    assert.match(String(running.agentSessionId), /^tk-[0-9a-f]{8}$/);
    assert.deepEqual((await calls())[0].argv, ["chat", "--stdin-prompt", "--careful", "--brain", "big-brain"]);
    process.kill(await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" }), "SIGKILL");
    const done = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "completed" ? s : null;
    }, { what: "completed after the resume" });
    assert.equal(done.attempts, 2);
    assert.equal(done.agentSessionId, running.agentSessionId);
    const [, resumed] = await calls();
    assert.deepEqual(resumed.argv, ["chat", "--stdin-prompt", "--careful", "--brain", "big-brain", "--pick-up", running.agentSessionId]);
    const rec = events.find((e) => e.session === v.session && e.kind === "recovering");
    assert.equal(rec?.failure?.class, "signal");
  } finally {
    ctl.abort();
    await watching;
  }
});

test("tinker's own auth error is classified from its profile's failure line and never retried", async () => {
  const tm = manager({ TINKER_MODE: "auth-fail" });
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const earlier = (await calls()).length;
    const v = await tm.start({ agent: "tinker", name: "no-key", projectDir: w.projectDir, prompt: "hello" });
    const failed = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "failed" ? s : null;
    }, { what: "auth failure" });
    assert.equal(failed.failure?.class, "auth");
    assert.match(failed.failure?.evidence ?? "", /401 Unauthorized - invalid API key/);
    // Stays failed: one invocation only, well after the first recovery would have run.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await calls()).length - earlier, 1);
    assert.equal((await tm.status(v.session)).attempts, 1);
  } finally {
    ctl.abort();
    await watching;
  }
});

test("a task keeps the profile it started with: after a configuration edit it is not resumed", async () => {
  const tm = manager({ TINKER_WORK_MS: "30000" });
  const first = new AbortController();
  const firstWatch = tm.watch({ signal: first.signal });
  const v = await tm.start({ agent: "tinker", name: "edited", projectDir: w.projectDir, prompt: "long job" });
  await waitFor(async () => (await tm.status(v.session)).agentSessionId, { what: "the id" });
  first.abort();
  await firstWatch;
  // The operator changes tinker's flags; a monitor built with the new configuration watches.
  const edited = structuredClone(agents);
  edited.tinker.autonomy.sandboxed = ["--careless"];
  const tm2 = new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, config: { ...FAST }, agents: edited, env: w.agentEnv({ TINKER_LOG: log }) });
  after.push(tm2);
  const ctl = new AbortController();
  const watching = tm2.watch({ signal: ctl.signal });
  try {
    const before = (await calls()).length;
    process.kill(await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" }), "SIGKILL");
    const failed = await waitFor(async () => {
      const s = await tm2.status(v.session);
      return s.state === "failed" ? s : null;
    }, { what: "the recovery refused" });
    assert.equal(failed.failure?.class, "task_file_unsafe");
    assert.match(failed.failure?.evidence ?? "", /agent profile "tinker" this task was started with has changed/);
    assert.equal((await calls()).length, before, "never run with the edited profile");
  } finally {
    ctl.abort();
    await watching;
  }
});

test("a profile's task_env gives each task a private TMPDIR beside the state directory, removed with the task; the task's own --env wins", async () => {
  const withTmp = structuredClone(agents);
  withTmp.tinker.task_env = { TMPDIR: "{task_tmp}" };
  const tm = new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, config: { ...FAST }, agents: withTmp, env: w.agentEnv({ TINKER_LOG: log, TINKER_WORK_MS: "30000" }) });
  after.push(tm);
  const v = await tm.start({ agent: "tinker", name: "own-tmp", projectDir: w.projectDir, prompt: "x" });
  const mine = await waitFor(async () => (await calls()).find((c) => c.tmpdir && c.cwd === w.projectDir && c.tmpdir.includes("tinker-own-tmp")), { what: "tinker's call" });
  const expected = join(`${w.stateDir}-tmp`, basename(v.taskDir));
  assert.equal(mine.tmpdir, expected);
  const st = await stat(expected);
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o700);
  assert.ok(!expected.startsWith("/tmp/") && !expected.startsWith(w.stateDir + "/"), expected);
  await tm.stop(v.session, { cleanup: true });
  assert.ok(!existsSync(expected), "removed with the task");
  // The task's own TMPDIR is kept.
  const own = join(w.root, "own-tmp");
  await mkdir(own, { mode: 0o700 });
  const v2 = await tm.start({ agent: "tinker", name: "given-tmp", projectDir: w.projectDir, prompt: "x", env: { TMPDIR: own } });
  await waitFor(async () => (await calls()).some((c) => c.tmpdir === own), { what: "tinker run with the given TMPDIR" });
  await tm.stop(v2.session, { cleanup: true });
});

test("without the configuration, a configured agent's tasks are reported, never set aside as corrupt", async () => {
  const r = await w.cli(["list", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /invalid_agent|unknown agent "tinker"/);
  const { readdir } = await import("node:fs/promises");
  for (const dir of await readdir(join(w.stateDir, "tasks"))) {
    const names = await readdir(join(w.stateDir, "tasks", dir));
    assert.ok(names.includes("record.json") && !names.some((n) => n.includes("corrupt")), `${dir}: ${names}`);
  }
  const again = await w.cli(["list", "--json", "--config", CONFIG]);
  const listed = JSON.parse(again.stdout);
  assert.ok((Array.isArray(listed) ? listed : listed.tasks).some((/** @type {any} */ t) => t.agent === "tinker"), again.stdout);
});
