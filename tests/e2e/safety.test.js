// @ts-check
// Hostile inputs run as plain text; bad inputs are refused and leave nothing behind; every
// file and directory created is private; secrets never come back out; a corrupt record is set
// aside without harming the other tasks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile, lstat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { world, waitFor, collect, watching } from "./helpers.js";

const w = await world();
const canaryDir = join(w.root, "canaries");
await mkdir(canaryDir);
/** Shell text that would create a canary file if anything ever interpreted it. @param {string} tag */
const inject = (tag) =>
  `$(touch ${canaryDir}/${tag}-dollar) \`touch ${canaryDir}/${tag}-tick\` ; touch ${canaryDir}/${tag}-semi ' " \\ && touch ${canaryDir}/${tag}-and #{pane_id} %1 ;`;

test("hostile prompts and directory names run as plain text; no canary ever appears", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "300" }) });
  const stopWatching = watching(tm);
  try {
    // A directory name cannot hold "/": its injection would touch a relative CANARY file, in
    // whatever directory a shell ran it (the project directory, the state directory, here).
    const relative = "$(touch CANARY-dollar) `touch CANARY-tick` ; touch CANARY-semi ' \" && touch CANARY-and #{pane_id} %1 ;";
    const hostileDir = join(w.root, `proj ${relative} ünïcödé ✓;`);
    await mkdir(hostileDir);
    const prompt = `${inject("prompt")}\nsecond line ${inject("line2")}\n\nünïcödé ✓ 🚀`;
    const v = await tm.start({ agent: "demo", name: "hostile", projectDir: hostileDir, prompt });
    const c = await tm.start({ agent: "codex", name: "hostile-codex", projectDir: hostileDir, prompt, model: "gpt-5.1-codex" });
    await waitFor(async () => (await tm.list()).filter((x) => x.name.startsWith("hostile")).every((x) => x.state === "completed"), {
      what: "hostile tasks completed",
    });
    assert.deepEqual(await readdir(canaryDir), [], "no injection ran");
    for (const dir of [hostileDir, w.root, process.cwd(), v.taskDir]) {
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith("CANARY")), [], `no canary in ${dir}`);
    }
    // The prompt arrived byte for byte (the demo echoes its first line; the file is the stdin).
    assert.equal(await readFile(join(v.taskDir, "prompt.1"), "utf8"), prompt);
    const transcript = await readFile(join(v.taskDir, "transcript.log"), "utf8");
    assert.ok(transcript.includes(`Starting: ${prompt.split("\n")[0]}`.slice(0, 150)), "first line echoed literally");
    const call = (await w.calls()).find((x) => x.cwd === hostileDir);
    assert.ok(call, "codex ran in the hostile directory");
    assert.equal(call.argv[call.argv.indexOf("-m") + 1], "gpt-5.1-codex");
    assert.equal(call.argv.at(-1), "-", "the prompt came on stdin, not as an argument");
    assert.equal((await tm.status(c.session)).projectDir, hostileDir);
  } finally {
    await stopWatching();
  }
});

test("bad names, agents, directories and prompts are refused with codes and leave nothing behind", async () => {
  const tm = w.manager();
  const tasksDir = join(w.stateDir, "tasks");
  const before = existsSync(tasksDir) ? (await readdir(tasksDir)).sort() : [];
  const sessions = () => {
    try {
      return w.tmux("list-sessions", "-F", "#{session_name}").split("\n").filter(Boolean).sort();
    } catch {
      return []; // no server: no sessions
    }
  };
  const sessionsBefore = sessions();
  const base = { agent: "demo", name: "ok-name", projectDir: w.projectDir, prompt: "p" };
  /** @type {Array<[Record<string, unknown>, string]>} */
  const cases = [
    [{ name: "Bad Name" }, "invalid_task_name"],
    [{ name: "$(touch x)" }, "invalid_task_name"],
    [{ name: "a".repeat(49) }, "invalid_task_name"],
    [{ agent: "gpt" }, "invalid_agent"],
    [{ projectDir: "relative/dir" }, "invalid_project_dir"],
    [{ projectDir: join(w.root, "does-not-exist") }, "project_dir_missing"],
    [{ projectDir: join(w.root, "line\nbreak") }, "invalid_project_dir"],
    [{ prompt: "   " }, "invalid_prompt"],
    [{ autonomy: "yolo" }, "invalid_autonomy"],
    [{ model: "gpt-5; touch x" }, "invalid_option"],
  ];
  for (const [patch, code] of cases) {
    await assert.rejects(tm.start(/** @type {any} */ ({ ...base, ...patch })), (/** @type {any} */ e) => {
      assert.equal(e.name, "RcaError");
      assert.equal(e.code, code, `${JSON.stringify(patch)}: ${e.message}`);
      return true;
    });
  }
  const after = existsSync(tasksDir) ? (await readdir(tasksDir)).sort() : [];
  assert.deepEqual(after, before, "no task directory was left behind");
  const sessionsAfter = sessions();
  assert.deepEqual(sessionsAfter, sessionsBefore, "no tmux session was created");
  // A name in use is refused too, and the running task is untouched.
  const v = await tm.start({ ...base, name: "taken", prompt: "p" });
  await assert.rejects(tm.start({ ...base, name: "taken" }), { code: "task_exists" });
  await assert.rejects(tm.status("demo-nope"), { code: "task_not_found" });
  await assert.rejects(tm.status("not a session"), { code: "invalid_session" });
  await tm.stop(v.session, { cleanup: true });
  assert.equal(existsSync(v.taskDir), false);
});

test("every file and directory the package creates is 0700/0600", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_DEMO_MODE: "crash-once", RCA_DEMO_WORK_MS: "600" }) });
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "demo", name: "perms", projectDir: w.projectDir, prompt: "p", origin: { sessionKey: "k" } });
    await waitFor(async () => (await tm.status(v.session)).state === "completed", { what: "perms completed" });
    /** @param {string} dir */
    const check = async (dir) => {
      for (const name of await readdir(dir)) {
        const p = join(dir, name);
        const st = await lstat(p);
        if (st.isDirectory()) {
          assert.equal(st.mode & 0o777, 0o700, p);
          await check(p);
        } else {
          assert.equal(st.mode & 0o777, 0o600, p);
        }
      }
    };
    assert.equal((await stat(w.stateDir)).mode & 0o777, 0o700);
    await check(w.stateDir);
    const names = await readdir(v.taskDir);
    for (const f of ["record.json", "prompt.1", "prompt.2", "events.1.jsonl", "exit.1", "exit.2", "transcript.log", "pane.1.log"]) {
      assert.ok(names.includes(f), `${f} in ${names}`);
    }
    assert.deepEqual((await tm.status(v.session)).origin, { sessionKey: "k" });
  } finally {
    await stopWatching();
  }
});

test("secrets in the agent's output are redacted in status, logs and events", async () => {
  const key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6";
  const tm = w.manager({ env: w.agentEnv({ RCA_FAKE_MODE: "auth-fail", RCA_FAKE_KEY: key, RCA_FAKE_ECHO: `OPENAI_API_KEY=${key}` }) });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const v = await tm.start({ agent: "codex", name: "leaky", projectDir: w.projectDir, prompt: "p" });
    await waitFor(async () => (await tm.status(v.session)).state === "failed", { what: "leaky failed" });
    assert.ok((await readFile(join(v.taskDir, "transcript.log"), "utf8")).includes(key), "the raw transcript holds it (0600)");
    const status = await tm.status(v.session, { lines: 200 });
    const logs = await tm.logs(v.session);
    const cli = await w.cli(["status", v.session, "--json", "--lines", "200"]);
    for (const [where, text] of [
      ["status", JSON.stringify(status)],
      ["logs", logs],
      ["events", JSON.stringify(events)],
      ["cli status", cli.stdout],
    ]) {
      assert.ok(!text.includes(key), `${where} leaks the key`);
      assert.ok(!text.includes(key.slice(0, 20)), `${where} leaks part of the key`);
    }
    assert.match(logs, /REDACTED/);
    assert.equal(status.failure?.class, "auth");
  } finally {
    await stopWatching();
  }
});

test("a corrupt record is set aside; the other tasks keep working", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "1500" }) });
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const bad = await tm.start({ agent: "demo", name: "corrupt-me", projectDir: w.projectDir, prompt: "p" });
  const good = await tm.start({ agent: "demo", name: "healthy", projectDir: w.projectDir, prompt: "p" });
  await writeFile(join(bad.taskDir, "record.json"), '{"version": 1, "session": tru');
  const stopWatching = watching(tm);
  try {
    await waitFor(async () => (await tm.status(good.session)).state === "completed", { what: "healthy completed" });
    const p = problems.find((x) => x.code === "record_corrupt");
    assert.ok(p, JSON.stringify(problems));
    assert.match(p.message, /set aside as record\.json\.corrupt-/);
    assert.equal(problems.filter((x) => x.code === "record_corrupt").length, 1, "reported once, not every tick");
    const aside = (await readdir(bad.taskDir)).filter((n) => n.startsWith("record.json.corrupt-"));
    assert.equal(aside.length, 1);
    await assert.rejects(tm.status(bad.session), { code: "record_corrupt" });
    const list = await tm.list();
    assert.ok(list.some((v) => v.session === good.session));
    assert.ok(!list.some((v) => v.session === bad.session));
  } finally {
    await stopWatching();
  }
});
