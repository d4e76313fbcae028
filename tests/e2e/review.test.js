// @ts-check
// Findings of the trust-boundary review (issue 11), each reproduced on real tmux with the fake
// CLIs: what an agent (or a cloned repository) can put in its project, and what the operator's
// environment lets that reach.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile, chmod, rm, symlink } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { world, waitFor, FAKES, agentPid, watching } from "./helpers.js";
import { makeTestDir } from "../support/dirs.js";
import { TaskManager } from "../../host-shim/index.js";

const w = await world();

/** The absolute path of a system program (looked up now, on this process's PATH). @param {string} name */
const which = (name) => execFileSync("sh", ["-c", 'command -v "$1"', "sh", name], { encoding: "utf8" }).trim();

test("an empty entry in the operator's PATH never runs the project's own bash, tee, sh, mv or the agent's interpreter (node)", async () => {
  // A sandboxed agent may write its project (and a cloned repository brings its own files):
  // programs named like the ones tmux and the wrapper run must not run from there, outside the
  // sandbox. An empty PATH entry (a stray colon, common in real PATHs) means the working
  // directory, which is the project for tmux's exec of the pane and for the wrapper.
  const project = join(w.root, "helpers-project");
  await mkdir(project);
  const canary = join(w.root, "helpers-canary.log");
  for (const name of ["bash", "tee", "sh", "mv", "sleep", "date", "node"]) {
    const real = which(name);
    await writeFile(join(project, name), `#!${which("sh")}\necho "${name} $PWD" >> '${canary}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  }
  const PATH = `:${FAKES}:${process.env.PATH}`;
  const start = await w.cli(
    ["start", "--agent", "codex", "--name", "helpers", "--dir", project, "--prompt", "p", "--env", "RCA_FAKE_WORK_MS=200", "--env", `RCA_FAKE_LOG=${w.fakeLog}`],
    { env: { PATH } },
  );
  assert.equal(start.code, 0, start.stderr);
  const taskDir = await waitFor(async () => {
    const s = await w.cli(["status", "codex-helpers", "--json"], { env: { PATH } });
    const v = JSON.parse(s.stdout);
    return existsSync(join(v.taskDir, "exit.1")) ? v.taskDir : null;
  }, { what: "attempt 1 ended" });
  assert.ok(taskDir);
  const ran = existsSync(canary) ? await readFile(canary, "utf8") : "";
  assert.equal(ran, "", `programs planted in the project ran outside the sandbox:\n${ran}`);
});

test("status and logs never pass the agent's terminal control sequences to the operator's terminal", async () => {
  // A title change, a clipboard write (OSC 52), a cursor move and an 8-bit CSI, printed by the agent.
  const hostile = "\x1b]0;owned\x07 \x1b]52;c;aGVsbG8=\x07 \x1b[2J \u009b31m done";
  const PATH = `${FAKES}:${process.env.PATH}`;
  const start = await w.cli(
    ["start", "--agent", "codex", "--name", "osc", "--dir", w.projectDir, "--prompt", "p",
      "--env", "RCA_FAKE_WORK_MS=200", "--env", `RCA_FAKE_ECHO=${hostile}`],
    { env: { PATH } },
  );
  assert.equal(start.code, 0, start.stderr);
  const s = await waitFor(async () => {
    const r = await w.cli(["status", "codex-osc", "--json"], { env: { PATH } });
    const v = JSON.parse(r.stdout);
    return existsSync(join(v.taskDir, "exit.1")) ? v : null;
  }, { what: "attempt 1 ended" });
  assert.match(await readFile(join(s.taskDir, "transcript.log"), "utf8"), /\x1b\]52;/, "the agent printed the sequences");
  const outputs = {
    status: (await w.cli(["status", "codex-osc"], { env: { PATH } })).stdout,
    "status --json": (await w.cli(["status", "codex-osc", "--json"], { env: { PATH } })).stdout,
    logs: (await w.cli(["logs", "codex-osc"], { env: { PATH } })).stdout,
  };
  for (const [what, out] of Object.entries(outputs)) {
    assert.match(out, /says/, `${what} shows the agent's line`);
    assert.doesNotMatch(out, /[\x1b\x07\u009b]/, `${what} passes control sequences: ${JSON.stringify(out.slice(0, 400))}`);
  }
});

test("a recovery refused for an unsafe task file fails the task once, instead of recovering forever", async () => {
  const tm = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: w.socket, config: { pollMs: 200, startGraceMs: 1500 },
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? w.root, RCA_DEMO_MODE: "crash-once", RCA_DEMO_WORK_MS: "1000" },
  });
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "demo", name: "unsafe-file", projectDir: w.projectDir, prompt: "p" });
    // host.json no longer private (a restore from backup, a chmod): the recovery must not use it.
    await chmod(join(v.taskDir, "host.json"), 0o644);
    const s = await waitFor(async () => {
      const t = await tm.status(v.session);
      return t.state === "failed" ? t : null;
    }, { what: `the task to fail (problems so far: ${problems.map((p) => p.code)})`, timeoutMs: 30_000 });
    assert.equal(s.failure?.class, "task_file_unsafe");
    assert.ok(s.attempts <= 2, `attempts counted without a run: ${s.attempts}`);
    // Announced once; the refusal reported once, not every startGraceMs.
    const failedEvents = [];
    tm.on("event", (ev) => { if (ev.kind === "failed") failedEvents.push(ev); });
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(problems.filter((p) => p.code === "task_file_unsafe").length, 1, JSON.stringify(problems));
    assert.equal(failedEvents.length, 0, "no second announcement");
  } finally {
    await stopWatching();
    await tm.close();
  }
});

test("a project path swapped for a symlink after the monitor's check is not followed by the wrapper", async (t) => {
  // Whoever can write the project's parent (another task whose project holds this one) swaps
  // the path for a symlink to a directory it cannot write, between the monitor's identity check
  // and the pane's start: a tmux shim does it when the monitor issues respawn-pane.
  const project = join(w.root, "race-project");
  const elsewhere = join(w.root, "elsewhere");
  await mkdir(project);
  await mkdir(elsewhere);
  const shimDir = makeTestDir("rca-tmux-shim-");
  t.after(() => rm(shimDir, { recursive: true, force: true }));
  const realTmux = which("tmux");
  await writeFile(join(shimDir, "tmux"), [
    "#!/bin/sh",
    'for a in "$@"; do',
    `  if { [ "$a" = respawn-pane ] || [ "$a" = new-session ]; } && [ ! -L '${project}' ]; then mv '${project}' '${project}.moved' && ln -s '${elsewhere}' '${project}'; fi`,
    "done",
    `exec '${realTmux}' "$@"`,
    "",
  ].join("\n"), { mode: 0o700 });
  const configFile = join(w.root, "race-config.json");
  await writeFile(configFile, JSON.stringify({ pollMs: 200, liveQuietMs: 300, startGraceMs: 15_000 }));
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "600000" }) });
  const v = await tm.start({ agent: "codex", name: "swap", projectDir: project, prompt: "p" });
  const monitor = w.spawnCli(["watch", "--json", "--config", configFile], { env: { PATH: `${shimDir}:${process.env.PATH}` } });
  try {
    await waitFor(async () => (await w.calls()).some((c) => c.taskDir === v.taskDir), { what: "attempt 1 running" });
    process.kill(await agentPid(v.taskDir, 1), "SIGKILL");
    await waitFor(async () => existsSync(join(v.taskDir, "exit.2")) || (await w.calls()).some((c) => c.taskDir === v.taskDir && c.attempt === 2), { what: "attempt 2 ran or was refused", timeoutMs: 60_000 })
      .catch(async (e) => assert.fail(`${e.message}\nmonitor: ${monitor.stdout}${monitor.stderr}\nrecord: ${await readFile(join(v.taskDir, "record.json"), "utf8")}`));
    const runs = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
    assert.deepEqual(runs.map((c) => c.cwd).filter((d) => d !== project), [], "the agent ran outside its recorded project directory");
    assert.equal(runs.length, 1, "attempt 2 ran");
    const s = await waitFor(async () => {
      const st = await tm.status(v.session);
      return st.state === "failed" ? st : null;
    }, { what: "the task failed" });
    assert.equal(s.failure?.class, "project_dir_missing");
    await tm.stop(v.session).catch(() => {});
  } finally {
    monitor.child.kill("SIGKILL");
    await monitor.exited;
  }
});

test("an agent program on the PATH that is a link into the project (npm link) is not the one run", async () => {
  // The operator's PATH holds a directory outside the project with a `codex` that links to a
  // program inside it: the agent can rewrite that program, which then runs unsandboxed.
  const project = join(w.root, "link-project");
  const bin = join(w.root, "link-bin");
  const canary = join(w.root, "link-canary.log");
  await mkdir(join(project, "tools"), { recursive: true });
  await mkdir(bin);
  await writeFile(join(project, "tools", "codex"), `#!${which("sh")}\necho "project codex ran" >> '${canary}'\n`, { mode: 0o755 });
  await symlink(join(project, "tools", "codex"), join(bin, "codex"));
  const env = w.agentEnv({ RCA_FAKE_MODE: "succeed", RCA_FAKE_WORK_MS: "200" });
  env.PATH = `${bin}:${FAKES}:${process.env.PATH}`;
  const tm = w.manager({ env });
  const v = await tm.start({ agent: "codex", name: "npm-link", projectDir: project, prompt: "p" });
  const host = JSON.parse(await readFile(join(v.taskDir, "host.json"), "utf8"));
  assert.equal(host.program, join(FAKES, "codex"), "the program kept for every attempt");
  await waitFor(() => existsSync(join(v.taskDir, "exit.1")), { what: "attempt 1 ended" });
  assert.equal(existsSync(canary), false, "the project's program ran");
});

test("a forward step of the wall clock does not age finished tasks into the retention prune", async () => {
  // Someone sets the date, or NTP corrects a clock that booted at a reset RTC: wall time jumps
  // 8 days while 3 s pass. A task that just finished must not be removed (transcript and all).
  let offset = 0;
  const tm = new TaskManager({
    stateDir: join(w.root, "prune-state"), tmuxSocket: w.socket, config: { pollMs: 200 },
    effects: { now: () => Date.now() + offset },
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? w.root, RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "300" },
  });
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "demo", name: "just-finished", projectDir: w.projectDir, prompt: "p" });
    await waitFor(async () => (await tm.status(v.session)).state === "completed", { what: "completed" });
    offset = 8 * 86_400_000;
    // The monitor prunes at most every pollMs… 60 s; an explicit prune with the default retention too.
    await new Promise((r) => setTimeout(r, 1500));
    await tm.prune();
    assert.equal(existsSync(v.taskDir), true, "the finished task's directory was pruned after a wall-clock step");
    assert.equal((await tm.status(v.session)).state, "completed");
  } finally {
    await stopWatching();
    await tm.close();
  }
});
