// @ts-check
// The trust boundary with the coding agent (DESIGN §3a), on real tmux, real files and the fake
// CLIs: nothing an agent can write changes how it is resumed; the wrapper never writes through a
// planted symlink; the program is an absolute path fixed at start; secrets stay out of tmux;
// unsafe state directories are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile, symlink, rename, readdir, chmod, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { TaskManager, DEMO_AGENT_PATH } from "../../host-shim/index.js";
import { world, waitFor, FAKES, CLI, killServer, watching } from "./helpers.js";

// A secret of the process that starts tasks (a gateway's API key): it must reach no tmux server
// and no agent unless the operator passes it. Set before this file starts any tmux server.
const CALLER_SECRET = `caller-secret-${randomBytes(8).toString("hex")}`;
process.env.RCA_TEST_CALLER_SECRET = CALLER_SECRET;

const w = await world();

/** @param {string} session */
function paneText(session) {
  try {
    return w.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", `=${session}:`);
  } catch {
    return "";
  }
}

test("a hostile agent's edits and planted programs do not change what its recovery runs", async () => {
  const canary = join(w.root, "tamper-canary.log");
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "crash-once", RCA_FAKE_TAMPER: canary, RCA_FAKE_WORK_MS: "800" }) });
  const stop = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "tamper", projectDir: w.projectDir, prompt: "p" });
    // Attempt 2 has run to its end (whatever ran it: the wrapper writes exit.2).
    await waitFor(() => existsSync(join(v.taskDir, "exit.2")), { timeoutMs: 60_000, what: "attempt 2 ended" });
    const calls = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
    assert.equal(existsSync(canary), false, `a planted program ran: ${existsSync(canary) ? await readFile(canary, "utf8") : ""}`);
    assert.deepEqual(calls[0].tampered, [], `the agent found the task directory and rewrote ${calls[0].tampered}`);
    assert.equal(calls[0].tmux, null, "TMUX in the agent's environment");
    assert.equal(calls.length, 2, JSON.stringify(calls));
    const fake = join(FAKES, "codex");
    assert.deepEqual(calls.map((c) => c.program), [fake, fake], "both attempts ran the program resolved at start");
    assert.ok(!calls[1].argv.includes("--dangerously-bypass-approvals-and-sandbox"), JSON.stringify(calls[1].argv));
    assert.deepEqual(calls[1].argv.slice(calls[1].argv.indexOf("--sandbox"), calls[1].argv.indexOf("--sandbox") + 2), ["--sandbox", "workspace-write"]);
    const s = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "completed" ? s : null;
    }, { what: "tamper completed" });
    assert.equal(s.autonomy, "sandboxed");
    const host = JSON.parse(await readFile(join(v.taskDir, "host.json"), "utf8"));
    assert.equal(host.program, fake, "the absolute program is kept with the task");
  } finally {
    await stop();
  }
});

test("a program named like the agent in the project, or on a relative PATH entry, is never run", async () => {
  const canary = join(w.root, "path-canary.log");
  const project = join(w.root, "path-project");
  const planted = `#!/bin/sh\necho "planted $0" >> '${canary}'\n`;
  for (const dir of [project, join(project, "bin"), join(project, "abs-bin")]) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "codex"), planted, { mode: 0o755 });
  }
  // The operator's PATH holds a relative entry, an empty one and the project's own bin: none of
  // them is searched; the fakes come next.
  const env = w.agentEnv({ RCA_FAKE_MODE: "succeed", RCA_FAKE_WORK_MS: "200" });
  env.PATH = `.:bin::${join(project, "abs-bin")}:${FAKES}:${process.env.PATH}`;
  const tm = w.manager({ env });
  const stop = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "path-plant", projectDir: project, prompt: "p" });
    await waitFor(async () => (await tm.status(v.session)).state === "completed" || existsSync(canary), { what: "path-plant done" });
    assert.equal(existsSync(canary), false, `a planted program ran: ${existsSync(canary) ? await readFile(canary, "utf8") : ""}`);
    const calls = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
    assert.deepEqual(calls.map((c) => c.program), [join(FAKES, "codex")]);
    // Only planted programs on the PATH: the start is refused, nothing is left behind.
    const bad = w.agentEnv();
    bad.PATH = `.:bin:${join(project, "abs-bin")}`;
    const tm2 = w.manager({ env: bad });
    await assert.rejects(tm2.start({ agent: "codex", name: "path-none", projectDir: project, prompt: "p" }), { code: "program_not_found" });
    assert.ok(!(await readdir(join(w.stateDir, "tasks"))).some((n) => n.startsWith("codex-path-none-")));
  } finally {
    await stop();
  }
});

test("symlinks planted for the next attempt's files are never written through", async () => {
  const outside = join(w.root, "outside");
  await mkdir(outside);
  const names = ["started", "pid", "events", "stderr", "exit"];
  for (const n of names) await writeFile(join(outside, n), "ORIGINAL\n");
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "crash-once", RCA_FAKE_WORK_MS: "2500" }) });
  const stop = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "links", projectDir: w.projectDir, prompt: "p" });
    await waitFor(() => existsSync(join(v.taskDir, "pid.1")), { what: "attempt 1 running" });
    const links = {
      "started.2": join(outside, "started"),
      "pid.2": join(outside, "pid"),
      "events.2.jsonl": join(outside, "events"),
      "stderr.2.log": join(outside, "stderr"),
      "exit.2": join(outside, "exit"),
      "exit.2.tmp": join(outside, "new-exit-tmp"),
    };
    for (const [name, target] of Object.entries(links)) await symlink(target, join(v.taskDir, name));
    // Attempt 2 is started by the recovery and ends (refused, or, before the fix, written through).
    await waitFor(
      async () => paneText(v.session).includes("refusing to use it") || (await readFile(join(outside, "started"), "utf8")) !== "ORIGINAL\n",
      { timeoutMs: 60_000, what: "attempt 2 ran" },
    );
    const changed = [];
    for (const n of names) if ((await readFile(join(outside, n), "utf8")) !== "ORIGINAL\n") changed.push(n);
    if (existsSync(join(outside, "new-exit-tmp"))) changed.push("new-exit-tmp (created through a dangling link)");
    assert.deepEqual(changed, [], "files outside the task written through planted links");
    assert.equal((await w.calls()).filter((c) => c.taskDir === v.taskDir && c.attempt === 2).length, 0, "the agent ran");
    // The refusal is in the transcript too (the wrapper lets its tee finish before it exits).
    assert.match(await readFile(join(v.taskDir, "transcript.log"), "utf8"), /rca-wrapper: .*started\.2 is a symlink or already exists; refusing to use it/);
  } finally {
    await stop();
  }
});

test("a transcript replaced by a symlink is never appended to", async () => {
  const outside = join(w.root, "outside-transcript");
  await writeFile(outside, "ORIGINAL\n");
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "crash-once", RCA_FAKE_WORK_MS: "2500" }) });
  const stop = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "transcript-link", projectDir: w.projectDir, prompt: "p" });
    await waitFor(() => existsSync(join(v.taskDir, "pid.1")), { what: "attempt 1 running" });
    await symlink(outside, join(v.taskDir, "transcript.link"));
    await rename(join(v.taskDir, "transcript.link"), join(v.taskDir, "transcript.log"));
    await waitFor(
      async () => paneText(v.session).includes("refusing to use it") || (await readFile(outside, "utf8")) !== "ORIGINAL\n",
      { timeoutMs: 60_000, what: "attempt 2 ran" },
    );
    assert.equal(await readFile(outside, "utf8"), "ORIGINAL\n");
  } finally {
    await stop();
  }
});

test("secrets stay out of tmux: server argv and environment; the agent has no TMUX or task dir", async () => {
  const socket = `${w.socket}-env`;
  const dump = join(w.root, "agent-env.json");
  const shim = join(w.root, "env-dump.mjs");
  await writeFile(shim, [
    `import { writeFileSync } from "node:fs";`,
    `writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));`,
    `const agent = process.argv[2];`,
    `process.argv.splice(2, 1);`,
    `await import(agent);`,
  ].join("\n"));
  const token = `task-token-${randomBytes(8).toString("hex")}`;
  const tm = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: socket, config: { pollMs: 200 },
    env: w.agentEnv({ RCA_DEMO_MODE: "hang" }), demoAgent: [process.execPath, shim, DEMO_AGENT_PATH],
  });
  try {
    // The first task on this socket starts its tmux server.
    const v = await tm.start({ agent: "demo", name: "env", projectDir: w.projectDir, prompt: "p", env: { MY_TOKEN: token } });
    const env = await waitFor(async () => JSON.parse(await readFile(dump, "utf8")), { what: "the agent's environment" });
    const tmux = (/** @type {string[]} */ ...args) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
    const serverPid = Number(tmux("display-message", "-p", "-t", `=${v.session}:`, "#{pid}").trim());
    const cmdline = await readFile(`/proc/${serverPid}/cmdline`, "utf8");
    const globalEnv = tmux("show-environment", "-g");
    const sessionEnv = tmux("show-environment", "-t", `=${v.session}`);
    for (const [where, text] of [["server argv", cmdline], ["global environment", globalEnv], ["session environment", sessionEnv]]) {
      assert.ok(!text.includes(token), `the task's --env value is in the tmux ${where}`);
      assert.ok(!text.includes(CALLER_SECRET), `the caller's secret is in the tmux ${where}`);
    }
    assert.equal(env.MY_TOKEN, token, "the task's variable reaches the agent");
    assert.equal(env.RCA_TEST_CALLER_SECRET, undefined, "the caller's secret reached the agent");
    for (const name of ["TMUX", "TMUX_PANE", "RCA_TASK_DIR", "RCA_ATTEMPT"]) assert.equal(env[name], undefined, `${name} in the agent's environment`);
    // The file it travelled in is private.
    assert.equal((await readFile(join(v.taskDir, "agent.env"), "utf8")).includes(`MY_TOKEN=${token}\0`), true);
    await tm.stop(v.session);
  } finally {
    await tm.close();
    killServer(socket);
  }
});

test("passEnv gives the agent a named variable of the caller's environment", async () => {
  const socket = `${w.socket}-pass`;
  const tm = new TaskManager({ stateDir: w.stateDir, tmuxSocket: socket, env: w.agentEnv({ RCA_FAKE_WORK_MS: "200" }), passEnv: ["RCA_TEST_CALLER_SECRET"] });
  try {
    const v = await tm.start({ agent: "codex", name: "pass-env", projectDir: w.projectDir, prompt: "p" });
    assert.ok((await readFile(join(v.taskDir, "agent.env"), "utf8")).includes(`RCA_TEST_CALLER_SECRET=${CALLER_SECRET}\0`));
    assert.throws(() => new TaskManager({ stateDir: w.stateDir, passEnv: /** @type {any} */ (["bad name"]) }), { code: "invalid_option" });
    await tm.stop(v.session, { cleanup: true });
  } finally {
    await tm.close();
    killServer(socket);
  }
});

test("unsafe state directories are refused with state_dir_unsafe, through the CLI, and nothing is created", async () => {
  const cli = (/** @type {string[]} */ ...args) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, TMPDIR: join(w.root, "tmpdir") } });
  const tmpState = `/tmp/rca-trust-${randomBytes(5).toString("hex")}`;
  const varTmpState = `/var/tmp/rca-trust-${randomBytes(5).toString("hex")}`;
  const tmpdirState = join(w.root, "tmpdir", "state");
  for (const dir of [tmpState, varTmpState, tmpdirState]) {
    const r = cli("list", "--state-dir", dir, "--tmux-socket", w.socket);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /error \[state_dir_unsafe\].*temporary directory/);
    assert.equal(existsSync(dir), false, `${dir} was created`);
  }
  // A state directory inside the project, or a project holding the state directory.
  const inside = join(w.projectDir, ".rca-state");
  for (const [stateDir, projectDir] of [[inside, w.projectDir], [w.stateDir, w.root]]) {
    const r = cli("start", "--agent", "demo", "--name", "placed", "--dir", projectDir, "--prompt", "p", "--state-dir", stateDir, "--tmux-socket", w.socket);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /error \[state_dir_unsafe\].*project directory/);
  }
  // A component that its group can write.
  const shared = join(w.root, "group-writable");
  await mkdir(shared);
  await chmod(shared, 0o775);
  const r = cli("list", "--state-dir", join(shared, "state"), "--tmux-socket", w.socket);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error \[state_dir_unsafe\].*writable by its group/);
  await rm(shared, { recursive: true, force: true });
});

test("a record whose taskDir or session disagrees with where it was read is refused", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "200" }) });
  const a = await tm.start({ agent: "codex", name: "placed-a", projectDir: w.projectDir, prompt: "p" });
  const b = await tm.start({ agent: "codex", name: "placed-b", projectDir: w.projectDir, prompt: "p" });
  const record = JSON.parse(await readFile(join(a.taskDir, "record.json"), "utf8"));
  await writeFile(join(a.taskDir, "record.json"), JSON.stringify({ ...record, taskDir: b.taskDir }));
  await assert.rejects(tm.status(a.session), (/** @type {any} */ e) => e.code === "record_corrupt" && /not the directory it was read from/.test(e.message));
  const rb = JSON.parse(await readFile(join(b.taskDir, "record.json"), "utf8"));
  await writeFile(join(b.taskDir, "record.json"), JSON.stringify({ ...rb, session: "codex-placed-a" }));
  await assert.rejects(tm.status(b.session), { code: "record_corrupt" });
});

test("a host.json that is a symlink stops the recovery with task_file_unsafe", async () => {
  const canary = join(w.root, "host-canary.log");
  const fake = join(w.root, "fake-host.json");
  await writeFile(fake, JSON.stringify({ program: "/bin/sh", demoAgent: ["/bin/sh", "-c", `echo planted >> '${canary}'`] }));
  const tm = w.manager({ env: w.agentEnv({ RCA_DEMO_MODE: "crash-once", RCA_DEMO_WORK_MS: "1500" }) });
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const stop = watching(tm);
  try {
    const v = await tm.start({ agent: "demo", name: "host-link", projectDir: w.projectDir, prompt: "p" });
    await rm(join(v.taskDir, "host.json"));
    await symlink(fake, join(v.taskDir, "host.json"));
    await waitFor(() => problems.some((p) => p.code === "task_file_unsafe") || existsSync(canary) || existsSync(join(v.taskDir, "exit.2")), {
      timeoutMs: 60_000, what: "the recovery refused",
    });
    assert.ok(problems.some((p) => p.code === "task_file_unsafe" && p.session === v.session), JSON.stringify(problems));
    assert.equal(existsSync(canary), false);
    assert.equal(existsSync(join(v.taskDir, "started.2")), false, "attempt 2 ran");
  } finally {
    await stop();
  }
});

test("a record whose autonomy was changed after the start is not resumed (bypass flags never appear)", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "crash-once", RCA_FAKE_WORK_MS: "2500" }) });
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  // The monitor starts only after the edit: a monitor write between the test's read and rename
  // would put the original record back (a race of the test, not a resume from an edited record).
  /** @type {(() => Promise<void>) | undefined} */
  let stop;
  try {
    const v = await tm.start({ agent: "codex", name: "autonomy-edit", projectDir: w.projectDir, prompt: "p" });
    await waitFor(() => existsSync(join(v.taskDir, "pid.1")), { what: "attempt 1 running" });
    const path = join(v.taskDir, "record.json");
    const r = JSON.parse(await readFile(path, "utf8"));
    r.spec.autonomy = "full";
    await writeFile(path + ".edit", JSON.stringify(r, null, 2));
    await rename(path + ".edit", path);
    stop = watching(tm);
    await waitFor(
      async () => problems.some((p) => p.code === "task_file_unsafe") || (await w.calls()).some((c) => c.taskDir === v.taskDir && c.attempt === 2),
      { timeoutMs: 60_000, what: "the recovery decided" },
    );
    const resumed = (await w.calls()).filter((c) => c.taskDir === v.taskDir && c.attempt === 2);
    assert.deepEqual(resumed.map((c) => c.argv), [], "the agent was resumed from the edited record");
    assert.ok(problems.some((p) => p.code === "task_file_unsafe" && /autonomy changed/.test(p.message)), JSON.stringify(problems));
  } finally {
    await stop?.();
  }
});
