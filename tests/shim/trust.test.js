// @ts-check
// The host's side of the trust boundary with the coding agent (DESIGN §3a), on real files:
// where a state directory may be, how what a recovery is built from is read, how the agent's
// program is found, and what tmux clients (and so a tmux server) get of our environment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rm, writeFile, symlink, chmod, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Store } from "../../host-shim/store.js";
import { makeEffects } from "../../host-shim/effects.js";
import { checkNotTemporary, checkComponents, checkTaskPlacement } from "../../host-shim/state-dir.js";
import { readPrivate, readLaunch, checkRecordPlace, checkSameSpec } from "../../host-shim/task-files.js";
import { resolveProgram, tmuxClientEnv, defaultAgentEnv, parseEnvFile, checkPassEnv } from "../../host-shim/context.js";
import { withTestDir } from "../support/dirs.js";

const fx = makeEffects();
const fs = fx.fs;
const uid = process.getuid?.() ?? 0;

/** @param {(dir: string) => Promise<void>} fn */
const withDir = (fn) => withTestDir("rca-trust-", fn);

/** @param {Promise<unknown>} p @param {RegExp} [why] */
const unsafe = (p, why) =>
  assert.rejects(p, (/** @type {any} */ e) => {
    assert.equal(e.code, "state_dir_unsafe", e.message);
    if (why) assert.match(e.message, why);
    assert.match(e.message, /~\/\.local\/state\/resilient-coding-agent/, "names a safe default");
    return true;
  });

test("state directories under /tmp, /var/tmp, /dev/shm or a $TMPDIR are refused before anything is made", async () => {
  await withDir(async (dir) => {
    const tmpdir = join(dir, "my-tmp");
    const cases = [
      [`/tmp/rca-${randomBytes(4).toString("hex")}/state`, []],
      [`/var/tmp/rca-${randomBytes(4).toString("hex")}`, []],
      [`/dev/shm/rca-${randomBytes(4).toString("hex")}`, []],
      [join(tmpdir, "state"), [tmpdir]],
      // Through a symlink into /tmp: the real place counts.
      [join(dir, "via-link", "state"), []],
    ];
    await symlink("/tmp", join(dir, "via-link"));
    for (const [stateDir, temps] of /** @type {Array<[string, string[]]>} */ (cases)) {
      await unsafe(checkNotTemporary(fs, stateDir, temps), /temporary directory/);
      const store = new Store(stateDir, fx);
      await unsafe(store.init({ tempDirs: temps }));
      assert.equal(existsSync(stateDir), false, `${stateDir} was created`);
    }
    // A directory beside them is fine.
    const ok = new Store(join(dir, "state"), fx);
    await ok.init({ tempDirs: [tmpdir] });
  });
});

test("every component of the state directory: owned by root or us, writable by no group or other", async () => {
  await withDir(async (dir) => {
    const good = join(dir, "a", "b", "state");
    await mkdir(good, { recursive: true, mode: 0o700 });
    await checkComponents(fs, good, uid);
    // Group-writable, world-writable, and world-writable sticky (like /tmp): all refused.
    for (const [m, why] of /** @type {Array<[number, RegExp]>} */ ([[0o770, /its group/], [0o757, /every user/], [0o1777, /every user/]])) {
      await chmod(join(dir, "a"), m);
      await unsafe(checkComponents(fs, good, uid), why);
      await unsafe(new Store(good, fx).init(), why);
    }
    await chmod(join(dir, "a"), 0o700);
    // A component owned by someone else (not root).
    if (uid === 0) {
      const { chown } = await import("node:fs/promises");
      await chown(join(dir, "a"), 12345, 12345);
      await unsafe(checkComponents(fs, good, uid), /belongs to uid 12345/);
      await chown(join(dir, "a"), 0, 0);
    }
    // Through a symlink: the link's directory and the real path are both checked.
    await symlink(good, join(dir, "link"));
    await checkComponents(fs, join(dir, "link"), uid);
    await chmod(join(dir, "a", "b"), 0o777);
    await unsafe(checkComponents(fs, join(dir, "link"), uid), /every user/);
    await chmod(join(dir, "a", "b"), 0o700);
  });
});

test("a task's project may not hold the state directory or lie inside it; nor the agent's TMPDIR", async () => {
  await withDir(async (dir) => {
    const project = join(dir, "project");
    await mkdir(project);
    await unsafe(checkTaskPlacement(fs, join(project, ".state"), project, undefined), /inside the project directory/);
    await unsafe(checkTaskPlacement(fs, project, project, undefined), /inside the project directory/);
    await unsafe(checkTaskPlacement(fs, dir, project, undefined), /is inside it/);
    // Through a symlink to the project.
    await symlink(project, join(dir, "project-link"));
    await unsafe(checkTaskPlacement(fs, join(project, "s"), join(dir, "project-link"), undefined));
    await unsafe(checkTaskPlacement(fs, join(dir, "agent-tmp", "s"), project, join(dir, "agent-tmp")), /temporary/);
    await checkTaskPlacement(fs, join(dir, "state"), project, join(dir, "agent-tmp"));
  });
});

test("task files a recovery reads: a private plain file of ours, never through a symlink", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "host.json");
    await writeFile(f, '{"program":"/usr/bin/codex","demoAgent":["/n","/d.js"]}', { mode: 0o600 });
    assert.equal(await readPrivate(fs, f, 1024), '{"program":"/usr/bin/codex","demoAgent":["/n","/d.js"]}');
    assert.equal(await readPrivate(fs, join(dir, "missing"), 1024), null);
    await writeFile(join(dir, "agent.env"), "PATH=/usr/bin\0HOME=/h\0", { mode: 0o600 });
    assert.deepEqual(await readLaunch(fs, dir), { program: "/usr/bin/codex", demoAgent: ["/n", "/d.js"], spec: null, agentProfile: null, env: { PATH: "/usr/bin", HOME: "/h" } });
    await chmod(f, 0o644);
    await assert.rejects(readPrivate(fs, f, 1024), { code: "task_file_unsafe" });
    await chmod(f, 0o600);
    await assert.rejects(readPrivate(fs, f, 4), { code: "task_file_unsafe" });
    await writeFile(join(dir, "elsewhere"), "{}", { mode: 0o600 });
    await rm(f);
    await symlink(join(dir, "elsewhere"), f);
    await assert.rejects(readPrivate(fs, f, 1024), (/** @type {any} */ e) => e.code === "task_file_unsafe" && /symlink/.test(e.message));
    await assert.rejects(readLaunch(fs, dir), { code: "task_file_unsafe" });
  });
});

test("a record is used only in the directory it names, made for its session", async () => {
  await withDir(async (dir) => {
    const taskDir = join(dir, "codex-a-x1y2z3");
    await mkdir(taskDir);
    const rec = { session: "codex-a", taskDir };
    assert.equal(await checkRecordPlace(fs, rec, taskDir), rec);
    await symlink(taskDir, join(dir, "alias"));
    await checkRecordPlace(fs, { session: "codex-a", taskDir: join(dir, "alias") }, taskDir);
    await assert.rejects(checkRecordPlace(fs, { session: "codex-a", taskDir: join(dir, "other") }, taskDir), /not the directory/);
    await assert.rejects(checkRecordPlace(fs, { session: "codex-b", taskDir }, taskDir), /session/);
  });
});

test("the agent's program: absolute PATH entries outside the project only, first executable file", async () => {
  await withDir(async (dir) => {
    const project = join(dir, "project");
    const good = join(dir, "bin");
    for (const d of [project, join(project, "bin"), good, join(dir, "notexec")]) await mkdir(d, { recursive: true });
    for (const d of [project, join(project, "bin"), good]) await writeFile(join(d, "codex"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(dir, "notexec", "codex"), "#!/bin/sh\n", { mode: 0o644 });
    await mkdir(join(dir, "isdir", "codex"), { recursive: true });
    const path = [".", "", "bin", project, join(project, "bin"), join(dir, "notexec"), join(dir, "isdir"), good].join(":");
    assert.equal(await resolveProgram(fs, "codex", path, project), join(good, "codex"));
    // The project reached through a symlinked PATH entry is skipped too.
    await symlink(join(project, "bin"), join(dir, "sneaky"));
    assert.equal(await resolveProgram(fs, "codex", `${join(dir, "sneaky")}:${good}`, project), join(good, "codex"));
    await assert.rejects(resolveProgram(fs, "codex", `.:bin:${project}`, project), { code: "program_not_found" });
    await assert.rejects(resolveProgram(fs, "codex", undefined, project), { code: "program_not_found" });
    await assert.rejects(resolveProgram(fs, "../codex", path, project), { code: "program_not_found" });
    assert.equal(await resolveProgram(fs, join(good, "codex"), "", project), join(good, "codex"));
    await assert.rejects(resolveProgram(fs, join(dir, "notexec", "codex"), "", project), { code: "program_not_found" });
  });
});

test("tmux clients (and a server they start) get an allow-list of our environment, never secrets", () => {
  const env = {
    PATH: "/usr/bin", HOME: "/h", LANG: "C.UTF-8", LC_ALL: "C", TERM: "xterm", TMUX_TMPDIR: "/run/t",
    OPENAI_API_KEY: "sk-secret", GITHUB_TOKEN: "ghp_x", SSH_AUTH_SOCK: "/run/ssh", TMUX: "/tmp/tmux-0/default,1,0", TMUX_PANE: "%1",
    AWS_SECRET_ACCESS_KEY: "x",
  };
  assert.deepEqual(Object.keys(tmuxClientEnv(env)).sort(), ["HOME", "LANG", "LC_ALL", "PATH", "TERM", "TMUX_TMPDIR"]);
  // The agent's default environment: no secrets, no ssh agent, unless the operator names them.
  assert.deepEqual(Object.keys(defaultAgentEnv(env)).sort(), ["HOME", "LANG", "LC_ALL", "PATH"]);
  const passed = defaultAgentEnv(env, checkPassEnv(["OPENAI_API_KEY", "SSH_AUTH_SOCK", "NOT_SET"]));
  assert.equal(passed.OPENAI_API_KEY, "sk-secret");
  assert.equal(passed.SSH_AUTH_SOCK, "/run/ssh");
  assert.equal("NOT_SET" in passed, false);
  for (const bad of ["x", ["a b"], ["TMUX"], [""], [1]]) assert.throws(() => checkPassEnv(bad), { code: "invalid_option" });
  assert.deepEqual(parseEnvFile("A=1\0B=x=y\nz\0=bad\0C\0"), { A: "1", B: "x=y\nz" });
});

test("a state directory that is a task's own project is refused by start, and nothing is created", async () => {
  await withDir(async (dir) => {
    const { TaskManager } = await import("../../host-shim/index.js");
    const project = join(dir, "project");
    await mkdir(project);
    const stateDir = join(project, ".rca");
    const tm = new TaskManager({ stateDir, tmuxSocket: `rca-unit-${randomBytes(4).toString("hex")}` });
    await unsafe(tm.start({ agent: "demo", name: "x", projectDir: project, prompt: "p" }), /inside the project/);
    assert.deepEqual(await readdir(project), []);
  });
});

test("a record whose task spec differs from the one fixed at start is not resumed", () => {
  const spec = { agent: "codex", name: "a", projectDir: "/p", model: null, autonomy: "sandboxed" };
  checkSameSpec(spec, { ...spec }, "/t");
  checkSameSpec(null, { ...spec, autonomy: "full" }, "/t"); // a task from before host.json kept it
  for (const patch of [{ autonomy: "full" }, { projectDir: "/elsewhere" }, { model: "m" }, { agent: "claude" }]) {
    assert.throws(() => checkSameSpec(spec, { ...spec, ...patch }, "/t"), (/** @type {any} */ e) =>
      e.code === "task_file_unsafe" && e.message.includes(Object.keys(patch)[0]));
  }
});
