// @ts-check
// The plugin inside the REAL OpenClaw release (openclaw@2026.9.6 on Node 24), installed the way
// a user installs it: `npm pack ./pkg` and `openclaw plugins install npm-pack:<tgz>`. Then a
// gateway on a loopback port runs the monitor service; a task on the simulated agent is started
// through `tools.invoke`, its agent process is SIGKILLed, and the gateway's monitor must resume
// it by its session id until it completes. No API key, no network beyond the first install.
//
// Needs pkg/ (make pkg; `make test` builds it first) and tmux. The first run downloads Node 24
// and OpenClaw into ${RCA_TEST_CACHE:-~/.cache/resilient-coding-agent-tests}; a failed download
// fails this suite with the reason.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OpenClawHome, ROOT, freePort, installOpenClaw, waitFor } from "./openclaw/harness.js";
import { MonitorLock } from "../../host-shim/lock.js";
import { makeEffects } from "../../host-shim/effects.js";

const PLUGIN = "resilient-coding-agent";
const TOOLS = ["coding_task_start", "coding_task_status", "coding_task_list", "coding_task_send", "coding_task_resume", "coding_task_stop"];
const SESSION_KEY = "agent:main:rca-e2e";

/** @type {OpenClawHome} */
let oc;
let tgz = "";

before(async () => {
  const pkg = join(ROOT, "pkg");
  assert.ok(existsSync(join(pkg, "package.json")), "pkg/ is missing: run `make pkg` first (make test does)");
  const launcher = installOpenClaw();
  oc = new OpenClawHome(launcher);
  const out = execFileSync("npm", ["pack", pkg, "--pack-destination", oc.dir, "--silent"], { encoding: "utf8" });
  tgz = join(oc.dir, out.trim().split("\n").at(-1) ?? "");
  assert.ok(existsSync(tgz), `npm pack produced ${tgz}`);
});

after(async () => {
  if (!oc) return;
  try {
    await oc.stopGateway(30_000);
  } catch {
    // cleanup() below kills it
  }
  oc.cleanup();
});

test("openclaw plugins install npm-pack:<tgz> installs the packed plugin", { timeout: 300_000 }, async () => {
  const r = await oc.run(["plugins", "install", `npm-pack:${tgz}`, "--force", "--accept-capabilities"], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, `install failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout + r.stderr, /Installed plugin: resilient-coding-agent/);
});

test("plugins inspect --runtime: loaded, six tools, the service, the CLI, no error diagnostics", { timeout: 120_000 }, async () => {
  const { data } = await oc.json(["plugins", "inspect", PLUGIN, "--runtime", "--json"]);
  assert.equal(data.plugin.status, "loaded", `plugin not loaded: ${JSON.stringify(data.plugin.error ?? data.diagnostics)}`);
  assert.equal(data.plugin.id, PLUGIN);
  const tools = data.tools.flatMap((/** @type {any} */ t) => t.names).sort();
  assert.deepEqual(tools, [...TOOLS].sort());
  assert.deepEqual(data.services, ["resilient-coding-agent-monitor"]);
  assert.deepEqual(data.cliCommands, ["coding-tasks"]);
  const errors = (data.diagnostics ?? []).filter((/** @type {any} */ d) => d.level === "error" || d.severity === "error");
  assert.deepEqual(errors, []);
  assert.deepEqual(data.diagnostics, [], "no diagnostics at all");
  assert.equal(data.plugin.configSchema, true);
  assert.deepEqual(data.install.acceptedSurface.skills, ["./skills"]);
});

test("skills info: the skill loads, is gated on tmux and an agent CLI, and is eligible with one", { timeout: 120_000 }, async () => {
  // Without any agent CLI on PATH the skill is listed but not eligible (anyBins is enforced) …
  const bare = await oc.json(["skills", "info", PLUGIN, "--json"], { env: { PATH: "/usr/bin:/bin" } });
  assert.equal(bare.data.name, PLUGIN);
  assert.equal(bare.data.eligible, false);
  assert.deepEqual(bare.data.missing.anyBins.sort(), ["claude", "codex", "opencode", "pi"]);
  // … and with one on PATH (a stub `codex`: the test has no real agent CLI) it is eligible.
  const bin = join(oc.dir, "stub-bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "codex"), "#!/bin/sh\necho 'stub codex for the skill eligibility check' >&2\nexit 1\n");
  chmodSync(join(bin, "codex"), 0o755);
  const { data } = await oc.json(["skills", "info", PLUGIN, "--json"], { env: { PATH: `${bin}:${process.env.PATH}` } });
  assert.equal(data.eligible, true, `not eligible: ${JSON.stringify(data.missing)}`);
  assert.deepEqual(data.requirements.bins, ["tmux"]);
  assert.match(data.description, /survive crashes/);
});

test("openclaw coding-tasks list runs the plugin's CLI and the wasm core without a gateway", { timeout: 120_000 }, async () => {
  const human = await oc.run(["coding-tasks", "list"]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /no tasks/);
  const { data, code } = await oc.json(["coding-tasks", "list", "--json"]);
  assert.equal(code, 0);
  assert.deepEqual(data, []);
  const bad = await oc.run(["coding-tasks", "status", "not a session"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error \[\w+\]/);
});

/** Plugin config of the gateway tests: a private tmux server and state dir, fast polling. */
let gw = { socket: "", stateDir: "", project: "" };

test("through a real gateway: start a task, SIGKILL its agent, the monitor resumes it by session id, it completes", { timeout: 600_000 }, async () => {
  const socket = `rca-e2e-${process.pid}`;
  oc.tmuxSockets.push(socket);
  const stateDir = join(oc.dir, "rca-state");
  const project = join(oc.dir, "project");
  mkdirSync(project, { recursive: true });
  gw = { socket, stateDir, project };
  oc.editConfig((cfg) => {
    cfg.plugins ??= {};
    cfg.plugins.entries ??= {};
    cfg.plugins.entries[PLUGIN] = {
      ...(cfg.plugins.entries[PLUGIN] ?? {}),
      enabled: true,
      // Projects live next to this OpenClaw home, outside its HOME: the operator allows them.
      config: { stateDir, tmuxSocket: socket, pollMs: 500, policy: { projectRoots: [oc.dir] } },
    };
  });

  const port = await freePort();
  // The simulated agent reads its knobs from the environment the tmux server passes on:
  // "succeed" works for RCA_DEMO_WORK_MS and exits 0; the test supplies the crash (SIGKILL).
  await oc.startGateway({ port, token: "rca-e2e-token", env: { RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "40000" } });
  assert.match(oc.gatewayLogText(), /resilient-coding-agent: monitor started/);

  const catalog = await oc.call("tools.catalog", {});
  const catalogText = JSON.stringify(catalog);
  for (const t of TOOLS) assert.ok(catalogText.includes(t), `tools.catalog lists ${t}`);

  // Invalid arguments come back as a readable result, nothing is created.
  const invalid = await oc.tool("coding_task_start", { agent: "demo", name: "Bad Name", projectDir: project, prompt: "x" }, SESSION_KEY);
  assert.equal(invalid.ok, true);
  assert.match(invalid.text, /invalid_params/);
  assert.equal(invalid.details.problem.code, "invalid_params");

  const started = await oc.tool("coding_task_start", {
    agent: "demo", name: "e2e-crash", projectDir: project,
    prompt: "Add a --version flag to the CLI and make the tests pass.", estimateMinutes: 1,
  }, SESSION_KEY);
  assert.equal(started.ok, true, JSON.stringify(started.raw));
  assert.match(started.text, /Session: demo-e2e-crash/);
  assert.match(started.text, new RegExp(`tmux -L ${socket} attach`));
  assert.match(started.text, /resumes the same agent conversation/);
  const task = started.details.task;
  assert.equal(task.session, "demo-e2e-crash");
  assert.equal(task.origin.sessionKey, SESSION_KEY);
  assert.ok(task.taskDir.startsWith(stateDir), `the task lives in the configured state dir (${task.taskDir})`);
  for (const key of ["status", "ok", "error", "success"]) assert.ok(!(key in started.details), `no reserved details.${key}`);

  // Running, with the agent's own session id recorded and its pid written by the wrapper.
  const running = await waitFor("the task to run with a session id", async () => {
    const s = await oc.tool("coding_task_status", { session: "demo-e2e-crash" }, SESSION_KEY);
    const t = s.details?.task;
    return t?.state === "running" && t.agentSessionId && existsSync(join(t.taskDir, "pid.1")) ? t : null;
  }, { timeoutMs: 60_000 });
  assert.equal(running.attempts, 1);
  const sessionId = running.agentSessionId;

  // Crash: SIGKILL the agent process itself (its pid as recorded by the wrapper), at once, while
  // it still works.
  const pid = Number(readFileSync(join(running.taskDir, "pid.1"), "utf8").trim());
  assert.ok(Number.isInteger(pid) && pid > 1, `pid.1 holds a pid (${pid})`);
  process.kill(pid, "SIGKILL");

  // The CLI group sees the same task (same state dir through the plugin config).
  const listed = await oc.json(["coding-tasks", "list", "--json"]);
  assert.ok(listed.data.some((/** @type {any} */ t) => t.session === "demo-e2e-crash"), JSON.stringify(listed.data));

  // The gateway's monitor resumes it: attempt 2, same agent session id, native resume.
  const resumed = await waitFor("the monitor to resume the task (attempt 2)", async () => {
    const s = await oc.tool("coding_task_status", { session: "demo-e2e-crash" }, SESSION_KEY);
    const t = s.details?.task;
    return t && t.attempts >= 2 ? t : null;
  }, { timeoutMs: 120_000 });
  assert.equal(resumed.agentSessionId, sessionId, "resumed the same agent conversation");
  const events2 = await waitFor("the resumed run's events", async () => {
    const f = join(running.taskDir, "events.2.jsonl");
    return existsSync(f) && readFileSync(f, "utf8").includes("thread.started") ? readFileSync(f, "utf8") : null;
  }, { timeoutMs: 60_000 });
  const threadStarted = events2.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === "thread.started");
  assert.equal(threadStarted.thread_id, sessionId, "the agent was resumed with the recorded session id");
  assert.match(events2, /Resuming: /);

  // … and the task completes.
  const done = await waitFor("the task to complete", async () => {
    const s = await oc.tool("coding_task_status", { session: "demo-e2e-crash" }, SESSION_KEY);
    const t = s.details?.task;
    if (t?.state === "failed") throw new Error(`task failed: ${JSON.stringify(t.failure)}`);
    return t?.state === "completed" ? s : null;
  }, { timeoutMs: 180_000 });
  assert.match(done.text, /demo-e2e-crash: completed/);
  assert.equal(done.details.task.failure, null);

  // The session that started it was told once (system event to its key + heartbeat wake).
  await waitFor("the completion notification", async () =>
    new RegExp(`told session ${SESSION_KEY} that demo-e2e-crash completed \\(system event accepted: true\\)`).test(oc.gatewayLogText()),
  { timeoutMs: 30_000, intervalMs: 500 });
  const told = oc.gatewayLogText().match(/told session \S+ that demo-e2e-crash completed/g) ?? [];
  assert.equal(told.length, 1, "told exactly once");
  // The heartbeat wake really ran a turn in that session (it then fails for want of a model
  // key, which is expected here: the wake and the queued event are what the plugin controls).
  await waitFor("a heartbeat turn in the notified session", async () =>
    new RegExp(`chatId=heartbeat .*sessionKey=${SESSION_KEY}`).test(oc.gatewayLogText()),
  { timeoutMs: 60_000, intervalMs: 500 });

  // Stop and clean up: the session and the task directory are gone.
  const stopped = await oc.tool("coding_task_stop", { session: "demo-e2e-crash", cleanup: true }, SESSION_KEY);
  assert.equal(stopped.ok, true);
  assert.match(stopped.text, /removed its task directory/);
  assert.equal(existsSync(running.taskDir), false);
  const list = await oc.tool("coding_task_list", {}, SESSION_KEY);
  assert.deepEqual(list.details.tasks, []);
  let sessions = "";
  try {
    sessions = execFileSync("tmux", ["-L", socket, "list-sessions", "-F", "#{session_name}"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    sessions = ""; // no server left: no sessions
  }
  assert.ok(!sessions.split("\n").includes("demo-e2e-crash"), `tmux session gone (${sessions})`);

  // The gateway shuts down cleanly: the service's stop ends the monitor, nothing hangs.
  const exit = await oc.stopGateway(60_000);
  assert.deepEqual(exit, { code: 0, signal: null }, `gateway exit: ${JSON.stringify(exit)}\n${oc.gatewayLogText().slice(-3000)}`);
  assert.match(oc.gatewayLogText(), /resilient-coding-agent: monitor stopped/);
  assert.match(oc.gatewayLogText(), /completed cleanly/);
  // The monitor released its lock (host-shim/lock.js): nobody holds it now.
  assert.equal(await new MonitorLock(stateDir, makeEffects()).owner(), null, `lock released (${readdirSync(stateDir)})`);
});

test("a task survives a gateway restart: the agent dies while no gateway runs, the next gateway's monitor adopts and resumes it", { timeout: 600_000 }, async () => {
  assert.ok(gw.socket, "runs after the gateway test (same plugin config)");
  // Long enough that the agent is still working when it is killed, on a loaded machine too.
  const env = { RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "40000" };
  await oc.startGateway({ port: await freePort(), token: "rca-e2e-token", env });
  const started = await oc.tool("coding_task_start", {
    agent: "demo", name: "e2e-restart", projectDir: gw.project, prompt: "Refactor the parser.",
  }, SESSION_KEY);
  assert.equal(started.details?.task?.session, "demo-e2e-restart", started.text);
  const running = await waitFor("the task to run", async () => {
    const t = (await oc.tool("coding_task_status", { session: "demo-e2e-restart" }, SESSION_KEY)).details?.task;
    return t?.state === "running" && t.agentSessionId && existsSync(join(t.taskDir, "pid.1")) ? t : null;
  }, { timeoutMs: 60_000 });

  // The gateway goes away; the task keeps running in tmux. Then the agent dies with no monitor.
  assert.deepEqual(await oc.stopGateway(60_000), { code: 0, signal: null });
  const pid = Number(readFileSync(join(running.taskDir, "pid.1"), "utf8").trim());
  process.kill(pid, "SIGKILL");
  await waitFor("the agent's exit status to be recorded", async () => existsSync(join(running.taskDir, "exit.1")), { timeoutMs: 30_000, intervalMs: 250 });

  // A new gateway: its service adopts the task from disk and resumes it by session id.
  await oc.startGateway({ port: await freePort(), token: "rca-e2e-token", env });
  const done = await waitFor("the adopted task to be resumed and complete", async () => {
    const t = (await oc.tool("coding_task_status", { session: "demo-e2e-restart" }, SESSION_KEY)).details?.task;
    if (t?.state === "failed") throw new Error(`task failed: ${JSON.stringify(t.failure)}`);
    return t?.state === "completed" ? t : null;
  }, { timeoutMs: 180_000 });
  assert.ok(done.attempts >= 2, `resumed (attempts ${done.attempts})`);
  assert.equal(done.agentSessionId, running.agentSessionId);
  const events2 = readFileSync(join(running.taskDir, "events.2.jsonl"), "utf8");
  assert.match(events2, new RegExp(`"thread_id":"${running.agentSessionId}"`));

  await oc.tool("coding_task_stop", { session: "demo-e2e-restart", cleanup: true }, SESSION_KEY);
  assert.deepEqual(await oc.stopGateway(60_000), { code: 0, signal: null });
});

test("a waiting agent: the starting session is told, coding_task_send answers it, the task completes", { timeout: 600_000 }, async () => {
  assert.ok(gw.socket, "runs after the gateway test (same plugin config)");
  // "ask": the simulated agent shows an approval prompt and waits for an answer on its terminal.
  await oc.startGateway({ port: await freePort(), token: "rca-e2e-token", env: { RCA_DEMO_MODE: "ask", RCA_DEMO_WORK_MS: "2000" } });
  const started = await oc.tool("coding_task_start", {
    agent: "demo", name: "e2e-ask", projectDir: gw.project, prompt: "Install the dependencies and run the tests.",
  }, SESSION_KEY);
  assert.equal(started.details?.task?.session, "demo-e2e-ask", started.text);
  const waiting = await waitFor("the task to wait for input", async () => {
    const s = await oc.tool("coding_task_status", { session: "demo-e2e-ask" }, SESSION_KEY);
    return s.details?.task?.state === "waiting_for_input" ? s : null;
  }, { timeoutMs: 90_000 });
  assert.match(waiting.text, /Allow command `npm install`\? \[y\/n\]/, "status shows the question");
  await waitFor("the waiting_for_input notification", async () =>
    new RegExp(`told session ${SESSION_KEY} that demo-e2e-ask waiting_for_input`).test(oc.gatewayLogText()),
  { timeoutMs: 30_000, intervalMs: 500 });

  const sent = await oc.tool("coding_task_send", { session: "demo-e2e-ask", text: "y" }, SESSION_KEY);
  assert.match(sent.text, /Sent 1 character to demo-e2e-ask/);
  const done = await waitFor("the answered task to complete", async () => {
    const t = (await oc.tool("coding_task_status", { session: "demo-e2e-ask" }, SESSION_KEY)).details?.task;
    if (t?.state === "failed") throw new Error(`task failed: ${JSON.stringify(t.failure)}`);
    return t?.state === "completed" ? t : null;
  }, { timeoutMs: 120_000 });
  assert.match(readFileSync(join(done.taskDir, "events.1.jsonl"), "utf8"), /Answer received: y/);
  await oc.tool("coding_task_stop", { session: "demo-e2e-ask", cleanup: true }, SESSION_KEY);
  assert.deepEqual(await oc.stopGateway(60_000), { code: 0, signal: null });
});

test("the operator's policy: a tool call cannot raise autonomy or choose a forbidden project, and another OpenClaw agent does not see the task", { timeout: 600_000 }, async () => {
  assert.ok(gw.socket, "runs after the gateway test (same plugin config)");
  // Two OpenClaw agents: "main" (SESSION_KEY) and "other".
  oc.editConfig((cfg) => {
    cfg.agents ??= {};
    cfg.agents.entries = { main: {}, other: {}, ...(cfg.agents.entries ?? {}) };
  });
  const OTHER = "agent:other:rca-e2e";
  await oc.startGateway({ port: await freePort(), token: "rca-e2e-token", env: { RCA_DEMO_MODE: "succeed", RCA_DEMO_WORK_MS: "120000" } });

  // Autonomy full under the default ceiling (sandboxed): refused, with a message to relay.
  const full = await oc.tool("coding_task_start", {
    agent: "demo", name: "e2e-full", projectDir: gw.project, prompt: "Do it with no sandbox.", autonomy: "full",
  }, SESSION_KEY);
  assert.equal(full.ok, true, JSON.stringify(full.raw));
  assert.equal(full.details?.problem?.code, "policy_denied", full.text);
  assert.match(full.text, /autonomy "full".*policy\.maxAutonomy/s);

  // Forbidden projects: /, the gateway user's home, OpenClaw's state directory, and a symlink
  // to / inside an allowed directory.
  const toRoot = join(oc.dir, "to-root");
  symlinkSync("/", toRoot);
  for (const projectDir of ["/", oc.home, oc.stateDir, toRoot]) {
    const r = await oc.tool("coding_task_start", { agent: "demo", name: "e2e-where", projectDir, prompt: "x" }, SESSION_KEY);
    assert.equal(r.details?.problem?.code, "policy_denied", `${projectDir}: ${r.text}`);
  }
  // Pi has no sandbox: refused for a tool call unless the operator allows it.
  const pi = await oc.tool("coding_task_start", { agent: "pi", name: "e2e-pi", projectDir: gw.project, prompt: "x" }, SESSION_KEY);
  assert.equal(pi.details?.problem?.code, "policy_denied", pi.text);
  assert.match(pi.text, /pi has no sandbox/);
  // Nothing was created by the refused calls.
  assert.deepEqual((await oc.tool("coding_task_list", {}, SESSION_KEY)).details.tasks, []);

  // A task of agent "main" …
  const started = await oc.tool("coding_task_start", {
    agent: "demo", name: "e2e-mine", projectDir: gw.project, prompt: "Refactor the parser.",
  }, SESSION_KEY);
  assert.equal(started.details?.task?.session, "demo-e2e-mine", started.text);
  assert.equal(started.details.task.origin.agentId, "main");
  await waitFor("the task to run", async () => {
    const t = (await oc.tool("coding_task_status", { session: "demo-e2e-mine" }, SESSION_KEY)).details?.task;
    return t?.state === "running" ? t : null;
  }, { timeoutMs: 60_000 });

  // … is invisible to agent "other": not listed, and not found for status, send, resume, stop.
  const otherList = await oc.tool("coding_task_list", {}, OTHER);
  assert.equal(otherList.ok, true, JSON.stringify(otherList.raw));
  assert.deepEqual(otherList.details.tasks, [], otherList.text);
  for (const [name, args] of /** @type {[string, any][]} */ ([
    ["coding_task_status", { session: "demo-e2e-mine" }],
    ["coding_task_send", { session: "demo-e2e-mine", text: "stop everything" }],
    ["coding_task_resume", { session: "demo-e2e-mine" }],
    ["coding_task_stop", { session: "demo-e2e-mine", cleanup: true }],
  ])) {
    const r = await oc.tool(name, args, OTHER);
    assert.equal(r.details?.problem?.code, "task_not_found", `${name} from another agent: ${r.text}`);
    assert.doesNotMatch(JSON.stringify(r.raw), /agent:main/, "nothing about the other agent's session leaks");
  }
  // The task was not touched: still running, and "main" still sees it.
  const mine = (await oc.tool("coding_task_status", { session: "demo-e2e-mine" }, SESSION_KEY)).details?.task;
  assert.equal(mine?.state, "running", JSON.stringify(mine));
  // Another session of the same agent sees it, without the starting session's key.
  const sibling = await oc.tool("coding_task_list", {}, "agent:main:rca-e2e-2");
  assert.deepEqual(sibling.details.tasks.map((/** @type {any} */ t) => t.session), ["demo-e2e-mine"]);
  assert.equal(sibling.details.tasks[0].origin.sessionKey, undefined);

  await oc.tool("coding_task_stop", { session: "demo-e2e-mine", cleanup: true }, SESSION_KEY);
  assert.deepEqual(await oc.stopGateway(60_000), { code: 0, signal: null });
});
