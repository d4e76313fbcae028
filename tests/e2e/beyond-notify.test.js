// @ts-check
// The host's notify command (DESIGN §3.10), end to end: a configured argv runs without a shell
// on every announced edge, the event as JSON on stdin and RCA_* variables in its environment;
// a failing or hanging command (killed at the timeout) is reported as a `problem` and never
// affects the task. Configured on the TaskManager, and in the CLI by --notify-cmd,
// RCA_NOTIFY_CMD or the --config file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { world, waitFor, collect, FAST, watching } from "./helpers.js";
import { TaskManager } from "../../host-shim/index.js";

const w = await world();
const RECORDER = join(w.root, "record-notify.cjs");
await writeFile(
  RECORDER,
  `const fs = require("fs");
const out = process.argv[2];
const stdin = fs.readFileSync(0, "utf8");
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("RCA_") && !k.startsWith("RCA_FAKE")));
fs.appendFileSync(out, JSON.stringify({ argv: process.argv.slice(3), stdin, env }) + "\\n");
if (process.env.RCA_EVENT === "started" && process.argv[3] === "fail") { process.stderr.write("no display\\n"); process.exit(3); }
if (process.argv[3] === "hang") { fs.writeFileSync(out + ".pid", String(process.pid)); setInterval(() => {}, 1e9); }
`,
);

/** @param {string} file */
async function lines(file) {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

test("the notify command runs on every edge: event JSON on stdin, RCA_* env, argv without a shell", async () => {
  const out = join(w.root, "notified.jsonl");
  const canary = join(w.root, "pwned");
  // Shell syntax in an argv element stays one literal argument.
  const tricky = `$(touch ${canary}); echo hi > ${canary}`;
  const real = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: w.socket, env: w.agentEnv({ RCA_FAKE_MODE: "crash-once", RCA_FAKE_WORK_MS: "400" }),
    config: FAST, notifyCommand: [process.execPath, RECORDER, out, tricky],
  });
  const events = collect(real);
  const stopWatching = watching(real);
  try {
    const v = await real.start({ agent: "codex", name: "notify-me", projectDir: w.projectDir, prompt: "p" });
    await waitFor(async () => (await real.status(v.session)).state === "completed", { what: "completed" });
    await real.notificationsIdle();
    const got = await lines(out);
    const kinds = events.filter((e) => e.session === v.session).map((e) => e.kind);
    assert.deepEqual(kinds, ["started", "recovering", "resumed", "completed"]);
    assert.deepEqual(got.map((g) => g.env.RCA_EVENT), kinds, "one run per announced edge, in order");
    for (const [i, g] of got.entries()) {
      assert.deepEqual(g.argv, [tricky]);
      const ev = JSON.parse(g.stdin);
      assert.equal(ev.kind, kinds[i]);
      assert.equal(ev.session, v.session);
      assert.equal(ev.taskDir, v.taskDir);
      assert.equal(g.env.RCA_SESSION, v.session);
      assert.equal(g.env.RCA_STATE, ev.state);
      assert.equal(g.env.RCA_TASK_DIR, v.taskDir);
      assert.equal(g.env.RCA_ATTEMPTS, String(ev.attempts));
      assert.equal(g.env.RCA_MESSAGE, ev.message);
    }
    const rec = got.find((g) => g.env.RCA_EVENT === "recovering");
    assert.equal(rec?.env.RCA_FAILURE_CLASS, "signal");
    assert.equal(existsSync(canary), false, "no shell ever ran the argv");
  } finally {
    await stopWatching();
  }
});

test("a failing or hanging notify command is a problem, killed at its timeout, and never affects the task", async () => {
  const out = join(w.root, "failing.jsonl");
  const hangOut = join(w.root, "hanging.jsonl");
  /** @param {string[]} cmd @param {string} name */
  const run = async (cmd, name) => {
    const real = new TaskManager({
      stateDir: w.stateDir, tmuxSocket: w.socket, env: w.agentEnv({ RCA_FAKE_WORK_MS: "300" }), config: FAST,
      notifyCommand: cmd, notifyTimeoutMs: 500,
    });
    /** @type {any[]} */
    const problems = [];
    real.on("problem", (/** @type {any} */ p) => problems.push(p));
    const stopWatching = watching(real);
    try {
      const v = await real.start({ agent: "codex", name, projectDir: w.projectDir, prompt: "p" });
      const done = await waitFor(async () => {
        const s = await real.status(v.session);
        return s.state === "completed" ? s : null;
      }, { what: `${name} completed despite its notify command` });
      assert.equal(done.attempts, 1);
      await real.notificationsIdle();
      return problems;
    } finally {
      await stopWatching();
    }
  };
  const failing = await run([process.execPath, RECORDER, out, "fail"], "notify-fails");
  const p = failing.find((x) => x.code === "notify_failed");
  assert.ok(p, JSON.stringify(failing));
  assert.match(p.message, /started: exit status 3: no display/);
  assert.equal((await lines(out)).length, 2, "started (failed) and completed both ran");

  const missing = await run([join(w.root, "no-such-notifier")], "notify-missing");
  assert.ok(missing.some((x) => x.code === "notify_failed" && /ENOENT/.test(x.message)), JSON.stringify(missing));

  const hanging = await run([process.execPath, RECORDER, hangOut, "hang"], "notify-hangs");
  assert.ok(hanging.some((x) => x.code === "notify_failed" && /timed out after 500 ms/.test(x.message)), JSON.stringify(hanging));
  const pid = Number(await readFile(hangOut + ".pid", "utf8"));
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, { what: "the hanging notify command killed" });
});

test("CLI: --notify-cmd, RCA_NOTIFY_CMD and the --config file's notifyCommand", async () => {
  const env = { PATH: w.agentEnv().PATH, RCA_FAKE_LOG: w.fakeLog, RCA_FAKE_WORK_MS: "300" };
  const viaFlag = join(w.root, "cli-flag.jsonl");
  const viaEnv = join(w.root, "cli-env.jsonl");
  const viaFile = join(w.root, "cli-file.jsonl");
  const config = join(w.root, "notify-config.json");
  await writeFile(config, JSON.stringify({ ...FAST, notifyCommand: [process.execPath, RECORDER, viaFile], notifyTimeoutMs: 5000 }));
  const onlyCompleted = join(w.root, "notify-config-completed.json");
  await writeFile(onlyCompleted, JSON.stringify({ ...FAST, notifyCommand: [process.execPath, RECORDER, viaFile], notifyEvents: ["completed"] }));
  const started = await w.cli(["start", "--agent", "codex", "--name", "cli-notify", "--dir", w.projectDir, "--prompt", "p"], { env });
  assert.equal(started.code, 0, started.stderr);
  // The first pass with --notify-cmd sees it start; later passes (env, file) see the rest.
  const first = await w.cli(["watch", "--once", "--config", config, "--notify-cmd", JSON.stringify([process.execPath, RECORDER, viaFlag])]);
  assert.equal(first.code, 0, first.stderr);
  await waitFor(async () => (await lines(viaFlag)).some((g) => g.env.RCA_EVENT === "started"), { what: "--notify-cmd ran for started" });
  await waitFor(async () => {
    await w.cli(["watch", "--once", "--config", config], { env: { RCA_NOTIFY_CMD: JSON.stringify([process.execPath, RECORDER, viaEnv]) } });
    return (await lines(viaEnv)).some((g) => g.env.RCA_EVENT === "completed");
  }, { what: "RCA_NOTIFY_CMD ran for completed" });
  assert.equal((await lines(viaFile)).length, 0, "the flag / env replace the file's command");
  // The file's command (notifyEvents: completed only) on a second task.
  await w.cli(["start", "--agent", "codex", "--name", "cli-notify-two", "--dir", w.projectDir, "--prompt", "p"], { env });
  await waitFor(async () => {
    await w.cli(["watch", "--once", "--config", onlyCompleted]);
    return (await lines(viaFile)).length > 0;
  }, { what: "the config file's notifyCommand ran" });
  const got = await lines(viaFile);
  assert.deepEqual(got.map((g) => g.env.RCA_EVENT), ["completed"], "only the configured kinds");
  assert.equal(JSON.parse(got[0].stdin).session, "codex-cli-notify-two");

  const bad = await w.cli(["list", "--notify-cmd", "notify-send hello"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /JSON array of strings/);
  const badFile = join(w.root, "bad-notify.json");
  await writeFile(badFile, JSON.stringify({ notifyCommand: "notify-send hello" }));
  const bad2 = await w.cli(["list", "--config", badFile]);
  assert.equal(bad2.code, 1);
  assert.match(bad2.stderr, /invalid_config/);
});
