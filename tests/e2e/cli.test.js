// @ts-check
// The `resilient-agent` command line, as a person or a script uses it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { world, waitFor, FAST } from "./helpers.js";

const w = await world();
const configFile = join(w.root, "config.json");
await writeFile(configFile, JSON.stringify(FAST));
const FIELDS = ["session", "agent", "name", "projectDir", "state", "failure", "attempts", "agentSessionId", "createdAt", "updatedAt", "nextRecoveryAt", "taskDir"];

test("start, status, list, logs, watch --once and stop --cleanup", async () => {
  const env = { PATH: `${w.agentEnv().PATH}`, RCA_FAKE_LOG: w.fakeLog, RCA_FAKE_WORK_MS: "300" };
  const started = await w.cli(["start", "--agent", "codex", "--name", "cli-one", "--dir", w.projectDir, "--prompt", "hello there"], { env });
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /started codex-cli-one/);
  assert.match(started.stdout, new RegExp(`tmux -L ${w.socket} attach -t '=codex-cli-one'`));
  assert.match(started.stdout, /resilient-agent logs codex-cli-one --follow/);

  const json = await w.cli(["start", "--agent", "demo", "--name", "cli-two", "--dir", w.projectDir, "--prompt-file", "-", "--json"], {
    env: { ...env, RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "300" },
    input: "prompt from stdin",
  });
  assert.equal(json.code, 0, json.stderr);
  const view = JSON.parse(json.stdout);
  for (const f of FIELDS) assert.ok(f in view, `start --json has ${f}`);

  await waitFor(async () => {
    const r = await w.cli(["watch", "--once", "--json", "--config", configFile]);
    const list = JSON.parse((await w.cli(["list", "--json"])).stdout);
    return r.code === 0 && list.length === 2 && list.every((/** @type {any} */ v) => v.state === "completed");
  }, { what: "both completed through watch --once" });

  const status = await w.cli(["status", "codex-cli-one", "--json"]);
  const s = JSON.parse(status.stdout);
  for (const f of FIELDS) assert.ok(f in s, `status --json has ${f}`);
  assert.equal(s.state, "completed");
  assert.equal(s.failure, null);
  const human = await w.cli(["status", "codex-cli-one"]);
  assert.match(human.stdout, /^session\s+codex-cli-one$/m);
  assert.match(human.stdout, /^state\s+completed$/m);
  const table = await w.cli(["list"]);
  assert.match(table.stdout, /^SESSION\s+STATE\s+ATTEMPTS/);
  assert.match(table.stdout, /codex-cli-one\s+completed\s+1/);
  const logs = await w.cli(["logs", "codex-cli-one", "--lines", "3"]);
  assert.equal(logs.code, 0);
  assert.ok(logs.stdout.trim().split("\n").length <= 3);
  assert.match(logs.stdout, /__TASK_DONE__/);

  const stop = await w.cli(["stop", "demo-cli-two", "--cleanup"]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(existsSync(view.taskDir), false);
});

test("pi has no sandbox: the terminal user (the operator) may start it, and is warned on stderr", async () => {
  const env = { PATH: w.agentEnv().PATH, RCA_FAKE_LOG: w.fakeLog, RCA_FAKE_WORK_MS: "300" };
  const r = await w.cli(["start", "--agent", "pi", "--name", "cli-pi", "--dir", w.projectDir, "--prompt", "p"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /started pi-cli-pi/);
  assert.match(r.stderr, /warning: pi has no sandbox: this task runs with all of your rights, as with --autonomy full/);
  // Asking for full explicitly, or an agent with a sandbox: no warning.
  const full = await w.cli(["start", "--agent", "pi", "--name", "cli-pi-full", "--dir", w.projectDir, "--prompt", "p", "--autonomy", "full"], { env });
  assert.equal(full.code, 0, full.stderr);
  assert.doesNotMatch(full.stderr, /no sandbox/);
  const codex = await w.cli(["start", "--agent", "codex", "--name", "cli-sandboxed", "--dir", w.projectDir, "--prompt", "p"], { env });
  assert.equal(codex.code, 0, codex.stderr);
  assert.doesNotMatch(codex.stderr, /no sandbox/);
  for (const s of ["pi-cli-pi", "pi-cli-pi-full", "codex-cli-sandboxed"]) await w.cli(["stop", s, "--cleanup"]);
});

test("errors go to stderr with their code and a non-zero exit", async () => {
  const missing = await w.cli(["status", "codex-nope"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  assert.match(missing.stderr, /error \[task_not_found\]/);
  const bad = await w.cli(["start", "--agent", "codex", "--name", "Bad Name", "--dir", w.projectDir, "--prompt", "p", "--json"]);
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stderr).error.code, "invalid_task_name");
  const usage = await w.cli(["start", "--agent", "codex"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /\[usage\]/);
  const conf = await w.cli(["list", "--config", join(w.root, "nope.json")]);
  assert.equal(conf.code, 2);
});

test("a waiting agent is reported once, answered with send, and finishes", async () => {
  const env = { RCA_DEMO_MODE: "ask", RCA_DEMO_WORK_MS: "300" };
  const r = await w.cli(["start", "--agent", "demo", "--name", "asker", "--dir", w.projectDir, "--prompt", "p", "--json"], { env });
  assert.equal(r.code, 0, r.stderr);
  const watcher = w.spawnCli(["watch", "--json", "--config", configFile]);
  await waitFor(() => watcher.stdout.includes('"kind":"waiting_for_input"'), { what: "waiting_for_input event" });
  const sent = await w.cli(["send", "demo-asker", "y"]);
  assert.equal(sent.code, 0, sent.stderr);
  await waitFor(() => watcher.stdout.includes('"kind":"completed"'), { what: "completed after the answer" });
  const kinds = watcher.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l).kind);
  assert.equal(kinds.filter((k) => k === "waiting_for_input").length, 1, kinds.join(","));
  const logs = await w.cli(["logs", "demo-asker"]);
  assert.match(logs.stdout, /Answer received: y/);
  watcher.child.kill("SIGTERM");
  await watcher.exited;
});

test("resume by hand re-runs a failed task with its session id", async () => {
  const env = { PATH: w.agentEnv().PATH };
  const start = await w.cli(
    ["start", "--agent", "codex", "--name", "manual", "--dir", w.projectDir, "--prompt", "p", "--env", `RCA_FAKE_LOG=${w.fakeLog}`, "--env", "RCA_FAKE_MODE=auth-fail"],
    { env },
  );
  assert.equal(start.code, 0, start.stderr);
  const failed = await waitFor(async () => {
    await w.cli(["watch", "--once", "--config", configFile]);
    const s = JSON.parse((await w.cli(["status", "codex-manual", "--json"])).stdout);
    return s.state === "failed" ? s : null;
  }, { what: "failed" });
  const resumed = await w.cli(["resume", "codex-manual", "--json"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).attempts, 2);
  await waitFor(async () => (await w.calls()).some((c) => c.resumeId === failed.agentSessionId), { what: "the resume invocation" });
  const again = await w.cli(["resume", "codex-cli-one"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /\[not_resumable\]/);
});

test("the demo shows crash → recovery → completion and cleans up", async () => {
  const r = await w.cli(["demo"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const order = ["started", "recovering", "resumed", "completed"].map((k) => r.stdout.indexOf(` ${k} `));
  assert.ok(order.every((i, n) => i > 0 && (n === 0 || i > order[n - 1])), r.stdout);
  assert.match(r.stdout, /attempts\s+2/);
  assert.match(r.stdout, /same conversation before and after the crash/);
  assert.match(r.stdout, /cleaned up/);
  const socket = /-L (rca-demo-[0-9a-f]+)/.exec(r.stdout)?.[1];
  assert.ok(socket);
  const state = /state: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(state && !existsSync(state), "the demo's state directory is gone");
});
