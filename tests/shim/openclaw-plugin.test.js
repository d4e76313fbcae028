// @ts-check
// The OpenClaw plugin against a small hand-written fake of OpenClaw's plugin API (the host's own
// test helpers are not published). The real host is exercised by tests/e2e/openclaw.test.js.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, realpathSync } from "node:fs";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createRegister } from "../../host-shim/openclaw/register.js";
import { normalizeConfig, resolveStateDir, taskManagerOptions } from "../../host-shim/openclaw/config.js";
import { createTools, validateParams, SCHEMAS, TOOL_NAMES } from "../../host-shim/openclaw/tools.js";
import { createMonitorService } from "../../host-shim/openclaw/service.js";
import { createNotifier } from "../../host-shim/openclaw/notify.js";
import { registerCodingTasksCli } from "../../host-shim/openclaw/cli.js";
import { COMMANDS } from "../../host-shim/commands.js";
import { RcaError } from "../../host-shim/errors.js";
import { makeTestDir } from "../support/dirs.js";

const MODES = ["cli-metadata", "discovery", "tool-discovery", "full"];
// Real project directories: coding_task_start resolves and checks projectDir against the
// operator's policy (tests/shim/policy.test.js covers the policy itself).
const PROJECTS = realpathSync(makeTestDir("rca-plugin-projects-"));
const REPO = join(PROJECTS, "repo");
const PROJ = join(PROJECTS, "p");
mkdirSync(REPO);
mkdirSync(PROJ);
after(() => rmSync(PROJECTS, { recursive: true, force: true }));
const POLICY = { projectRoots: [PROJECTS] };
/** The profiles' sandbox kinds (src/profiles.rs). */
const agentSandbox = (/** @type {string} */ a) => /** @type {any} */ ({ codex: "os", claude: "permissions", opencode: "permissions", pi: "none", demo: "simulated" })[a];
const MAIN_ORIGIN = { kind: "openclaw", sessionKey: "agent:main:telegram:42", agentId: "main" };
const RESERVED = ["status", "ok", "success", "error", "timedOut", "exitCode"];
const root = new URL("../../", import.meta.url).pathname;

/** @returns {{ info(m: string): void, warn(m: string): void, error(m: string): void, lines: string[] }} */
function quietLogger() {
  /** @type {string[]} */
  const lines = [];
  return {
    lines,
    info: (/** @type {string} */ m) => { lines.push(`info ${m}`); },
    warn: (/** @type {string} */ m) => { lines.push(`warn ${m}`); },
    error: (/** @type {string} */ m) => { lines.push(`error ${m}`); },
  };
}

/**
 * A fake OpenClawPluginApi: records registrations; `runtime` throws in cli-metadata mode as the
 * real host does, and counts every access.
 * @param {string} mode
 * @param {unknown} [pluginConfig]
 */
function fakeApi(mode, pluginConfig = {}) {
  const calls = { tools: /** @type {any[]} */ ([]), services: /** @type {any[]} */ ([]), clis: /** @type {any[]} */ ([]), runtimeReads: 0 };
  const system = { events: /** @type {any[]} */ ([]), wakes: /** @type {any[]} */ ([]) };
  const runtime = {
    state: { resolveStateDir: () => "/nonexistent/openclaw-state" },
    system: {
      enqueueSystemEvent: (/** @type {string} */ text, /** @type {any} */ opts) => { system.events.push({ text, opts }); return true; },
      requestHeartbeat: (/** @type {any} */ opts) => { system.wakes.push(opts); },
    },
  };
  const api = {
    id: "resilient-coding-agent",
    registrationMode: mode,
    pluginConfig,
    logger: quietLogger(),
    get runtime() {
      calls.runtimeReads++;
      if (mode === "cli-metadata") throw new Error(`runtime is intentionally unavailable during "cli-metadata" registration`);
      return runtime;
    },
    registerTool: (/** @type {any} */ tool, /** @type {any} */ opts) => calls.tools.push({ tool, opts }),
    registerService: (/** @type {any} */ s) => calls.services.push(s),
    registerCli: (/** @type {any} */ registrar, /** @type {any} */ opts) => calls.clis.push({ registrar, opts }),
  };
  return { api, calls, system };
}

/** A fake TaskManager recording calls; `fail` makes a method throw an RcaError-like error. */
function fakeManager() {
  /** @type {any[]} */
  const calls = [];
  /** @type {Record<string, { code: string, message: string }>} */
  const fail = {};
  const view = (/** @type {any} */ over = {}) => ({
    session: "codex-fix-login", agent: "codex", name: "fix-login", projectDir: "/p", state: "running",
    failure: null, attempts: 1, agentSessionId: null, createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z", nextRecoveryAt: null, taskDir: "/state/tasks/x",
    attach: "tmux -L t attach -t =codex-fix-login", origin: MAIN_ORIGIN, ...over,
  });
  /** @param {string} name @param {any[]} args @param {() => any} result */
  const call = async (name, args, result) => {
    calls.push({ name, args });
    if (fail[name]) throw new RcaError(fail[name].code, fail[name].message);
    return result();
  };
  const tm = {
    calls, fail,
    /** @type {any} */ origin: null,
    start: (/** @type {any} */ i) => call("start", [i], () => view({ session: `${i.agent}-${i.name}`, agent: i.agent, name: i.name, state: "starting", origin: i.origin, autonomy: i.autonomy ?? "sandboxed" })),
    status: (/** @type {string} */ s, /** @type {any} */ o) => call("status", [s, o], () => ({ ...view({ session: s }), recentOutput: "line 1\nline 2" })),
    list: (/** @type {any} */ o) => call("list", [o], () => [view({ origin: tm.origin })]),
    logs: (/** @type {string} */ s, /** @type {any} */ o) => call("logs", [s, o], () => "log text"),
    send: (/** @type {string} */ s, /** @type {string} */ t, /** @type {any} */ o) => call("send", [s, t, o], () => undefined),
    resume: (/** @type {string} */ s) => call("resume", [s], () => view({ session: s, state: "recovering", attempts: 2 })),
    stop: (/** @type {string} */ s, /** @type {any} */ o) => call("stop", [s, o], () => (o?.cleanup ? null : view({ session: s, state: "stopped" }))),
    check: () => call("check", [], () => []),
    /** @param {{ signal?: AbortSignal }} o */
    watch: (o) => {
      calls.push({ name: "watch", args: [o] });
      if (fail.watch) return Promise.reject(Object.assign(new Error(fail.watch.message), { code: fail.watch.code }));
      return new Promise((resolve) => o.signal?.addEventListener("abort", () => resolve(undefined)));
    },
    close: () => { calls.push({ name: "close", args: [] }); },
  };
  return tm;
}

/** @param {any} result */
function text(result) {
  return result.content.map((/** @type {any} */ c) => c.text).join("\n");
}

/** @param {any} result */
function assertNoReservedDetails(result) {
  for (const key of RESERVED) assert.ok(!(key in result.details), `details must not carry the reserved key ${key}`);
}

// --- registration ----------------------------------------------------------------------------

test("registration in every mode is synchronous and starts nothing", () => {
  for (const mode of MODES) {
    let created = 0;
    const register = createRegister({ createTaskManager: () => { created++; return fakeManager(); }, agentSandbox });
    const before = process.getActiveResourcesInfo().length;
    const { api, calls } = fakeApi(mode);
    const ret = register(/** @type {any} */ (api));
    assert.equal(ret, undefined, `${mode}: register returns nothing (not a promise)`);
    assert.equal(created, 0, `${mode}: no TaskManager created while registering`);
    assert.equal(calls.runtimeReads, 0, `${mode}: api.runtime not touched while registering`);
    assert.equal(process.getActiveResourcesInfo().length, before, `${mode}: no timer, handle or child process`);
    assert.equal(calls.clis.length, 1, `${mode}: the CLI group is registered`);
    assert.deepEqual(calls.clis[0].opts.descriptors.map((/** @type {any} */ d) => d.name), ["coding-tasks"]);
    if (mode === "cli-metadata") {
      assert.equal(calls.tools.length, 0);
      assert.equal(calls.services.length, 0);
    } else {
      assert.deepEqual(calls.tools.map((t) => t.opts.name), [...TOOL_NAMES]);
      assert.ok(calls.tools.every((t) => typeof t.tool === "function"), "tools are factories (they learn the calling session)");
      assert.equal(calls.services.length, 1);
      assert.equal(calls.services[0].id, "resilient-coding-agent-monitor");
    }
  }
});

test("the real entry (plugin.js) registers in every mode without starting anything", async () => {
  const { default: register } = await import("../../host-shim/openclaw/plugin.js");
  assert.equal(typeof register, "function");
  for (const mode of MODES) {
    const before = process.getActiveResourcesInfo().length;
    const { api, calls } = fakeApi(mode);
    assert.equal(register(/** @type {any} */ (api)), undefined);
    assert.equal(calls.runtimeReads, 0, mode);
    assert.equal(process.getActiveResourcesInfo().length, before, mode);
    // Building a tool from its factory is inert too.
    for (const t of calls.tools) {
      const tool = t.tool({ sessionKey: "agent:main:main", agentId: "main" });
      assert.equal(tool.name, t.opts.name);
      assert.equal(typeof tool.execute, "function");
      assert.equal(tool.parameters.type, "object");
      assert.ok(tool.description.length > 40);
    }
    assert.equal(process.getActiveResourcesInfo().length, before, `${mode}: tool factories start nothing`);
  }
});

test("the manifest declares exactly the registered tools, the CLI group and a config schema", () => {
  const manifest = JSON.parse(readFileSync(join(root, "openclaw.plugin.json"), "utf8"));
  assert.equal(manifest.id, "resilient-coding-agent");
  assert.deepEqual(manifest.contracts.tools, [...TOOL_NAMES]);
  assert.equal(manifest.activation.onStartup, true);
  assert.deepEqual(manifest.skills, ["./skills"]);
  assert.deepEqual(manifest.cliCommands.map((/** @type {any} */ c) => c.name), ["coding-tasks"]);
  const props = manifest.configSchema.properties;
  for (const key of ["stateDir", "tmuxSocket", "agents", "recovery", "stallMs", "pollMs", "notify"]) assert.ok(props[key], key);
  for (const key of ["baseDelayMs", "maxDelayMs", "healthyResetMs", "giveUpAfterMs", "maxResetWaitMs"]) assert.ok(props.recovery.properties[key], key);
});

test("the skill has the frontmatter OpenClaw reads", () => {
  const skill = readFileSync(join(root, "skill/resilient-coding-agent/SKILL.md"), "utf8");
  const fm = /^---\n([\s\S]*?)\n---\n/.exec(skill)?.[1] ?? "";
  assert.match(fm, /^name: resilient-coding-agent$/m);
  assert.match(fm, /^description: .{20,200}$/m);
  const meta = JSON.parse(/^metadata: (.*)$/m.exec(fm)?.[1] ?? "null");
  assert.deepEqual(meta.openclaw.requires.bins, ["tmux"]);
  assert.deepEqual(meta.openclaw.requires.anyBins, ["codex", "claude", "opencode", "pi"]);
  for (const tool of TOOL_NAMES) assert.ok(skill.includes(tool), `the skill explains ${tool}`);
});

test("the manager gets the simulated agent from the installed package (api.rootDir), not the running copy", async () => {
  /** @type {any[]} */
  const seen = [];
  const register = createRegister({ createTaskManager: (o) => { seen.push(o); return fakeManager(); }, agentSandbox });
  const { api, calls } = fakeApi("full", { stateDir: "/s", policy: POLICY });
  /** @type {any} */ (api).rootDir = root; // the repo has host-shim/demo-agent.js like the package
  register(/** @type {any} */ (api));
  const tool = calls.tools[0].tool({});
  await tool.execute("id", { agent: "demo", name: "x", projectDir: PROJ, prompt: "p" });
  assert.deepEqual(seen[0].demoAgent, [process.execPath, join(root, "host-shim", "demo-agent.js")]);
  assert.equal(seen[0].stateDir, "/s");
});

// --- config ----------------------------------------------------------------------------------

test("config maps onto TaskManager options and the core's MonitorConfig names", () => {
  const cfg = normalizeConfig({
    stateDir: "~/rca", tmuxSocket: "rca", stallMs: 1000, pollMs: 500,
    recovery: { baseDelayMs: 1, maxDelayMs: 2, healthyResetMs: 3, giveUpAfterMs: 4, maxResetWaitMs: 5 },
    agents: { codex: { model: "o4", autonomy: "full" } },
    notify: { events: ["completed", "bogus"], command: ["notify-send", "x"], sessionKey: "agent:main:main" },
  });
  assert.ok(cfg.stateDir?.endsWith("/rca") && !cfg.stateDir.startsWith("~"));
  assert.deepEqual(taskManagerOptions(cfg, "/s"), {
    stateDir: "/s", tmuxSocket: "rca",
    config: { recoveryBaseDelayMs: 1, recoveryMaxDelayMs: 2, healthyResetMs: 3, giveUpAfterMs: 4, maxResetWaitMs: 5, stallMs: 1000, pollMs: 500 },
  });
  assert.deepEqual(cfg.agents.codex, { model: "o4", autonomy: "full" });
  assert.deepEqual(cfg.notify.events, ["completed"]);
  assert.deepEqual(cfg.notify.command, ["notify-send", "x"]);
  const empty = normalizeConfig(undefined);
  assert.equal(empty.notify.enabled, true);
  assert.deepEqual(empty.notify.events, ["completed", "failed", "gave_up", "waiting_for_input"]);
  assert.equal(resolveStateDir(empty, "/oc"), "/oc/resilient-coding-agent");
  assert.equal(resolveStateDir(cfg, "/oc"), cfg.stateDir);
  assert.deepEqual(taskManagerOptions(empty, "/x"), { stateDir: "/x" });
});

// --- tools -----------------------------------------------------------------------------------

const config = normalizeConfig({ agents: { claude: { model: "sonnet" } }, policy: POLICY });
const defaults = { recoveryBaseDelayMs: 180_000, giveUpAfterMs: 18_000_000 };
/** @param {ReturnType<typeof fakeManager>} tm @param {any} [ctx] */
function tools(tm, ctx = { sessionKey: "agent:main:telegram:42", agentId: "main" }) {
  /** @type {Record<string, any>} */
  const byName = {};
  const deps = { getManager: () => /** @type {any} */ (tm), config, defaults, agentSandbox, home: "/nonexistent-home", stateDirs: () => [] };
  for (const t of createTools(deps, ctx)) byName[t.name] = t;
  return byName;
}

test("coding_task_start passes the calling session as origin and answers with session, attach and crash behaviour", async () => {
  const tm = fakeManager();
  const r = await tools(tm).coding_task_start.execute("call-1", {
    agent: "claude", name: "fix-login", projectDir: REPO, prompt: "Fix the login bug.", estimateMinutes: 25,
  });
  assert.equal(tm.calls[0].name, "start");
  assert.deepEqual(tm.calls[0].args[0], {
    agent: "claude", name: "fix-login", projectDir: REPO, prompt: "Fix the login bug.", model: "sonnet", autonomy: "sandboxed",
    origin: { kind: "openclaw", sessionKey: "agent:main:telegram:42", agentId: "main", estimateMinutes: 25 },
  });
  const t = text(r);
  assert.match(t, /Session: claude-fix-login/);
  assert.match(t, /tmux -L t attach -t =codex-fix-login/);
  assert.match(t, /resumes the same agent conversation/);
  assert.match(t, /3 min, 6 min, 12 min/);
  assert.match(t, /5 h after the start/);
  assert.match(t, /about 25 min/);
  assert.match(t, /will be told when the task completes/);
  assert.equal(r.details.task.session, "claude-fix-login");
  assertNoReservedDetails(r);
});

test("tools validate their parameters before touching the TaskManager", async () => {
  const tm = fakeManager();
  const t = tools(tm);
  /** @type {[string, any, RegExp][]} */
  const cases = [
    ["coding_task_start", { agent: "codex", name: "x", projectDir: "/p" }, /prompt is required/],
    ["coding_task_start", { agent: "gpt", name: "x", projectDir: "/p", prompt: "p" }, /agent must be one of codex, claude, opencode, pi, gemini, demo/],
    ["coding_task_start", { agent: "codex", name: "Fix Login", projectDir: "/p", prompt: "p" }, /name "Fix Login" does not have the required form/],
    ["coding_task_start", { agent: "codex", name: "x", projectDir: "/p", prompt: "   " }, /prompt must not be empty/],
    ["coding_task_start", { agent: "codex", name: "x", projectDir: "/p", prompt: "p", estimateMinutes: 2.5 }, /estimateMinutes must be an integer/],
    ["coding_task_start", { agent: "codex", name: "x", projectDir: "/p", prompt: "p", autonomy: "yolo" }, /autonomy must be one of sandboxed, full/],
    ["coding_task_start", { agent: "codex", name: "x", projectDir: "/p", prompt: "p", dir: "/q" }, /unknown parameter dir/],
    ["coding_task_status", {}, /session is required/],
    ["coding_task_status", { session: "codex-x", lines: 0 }, /lines must be at least 1/],
    ["coding_task_status", { session: "rm -rf /" }, /does not have the required form/],
    ["coding_task_list", { state: "done" }, /state must be one of/],
    ["coding_task_send", { session: "codex-x" }, /text is required/],
    ["coding_task_stop", { session: "codex-x", cleanup: "yes" }, /cleanup must be true or false/],
    ["coding_task_resume", "codex-x", /parameters must be an object/],
  ];
  for (const [name, params, re] of cases) {
    const r = await t[name].execute("id", params);
    assert.match(text(r), re, `${name} ${JSON.stringify(params)}`);
    assert.match(text(r), /failed \(invalid_params\)/);
    assert.equal(r.details.problem.code, "invalid_params");
    assert.equal(r.details.task, null);
    assertNoReservedDetails(r);
  }
  assert.deepEqual(tm.calls, [], "nothing reached the TaskManager");
});

test("TaskManager errors become readable results with their code and a hint (never thrown)", async () => {
  const tm = fakeManager();
  tm.fail.status = { code: "task_not_found", message: "no task named codex-nope in /s" };
  tm.fail.start = { code: "project_dir_missing", message: "project directory /nope does not exist or is not a directory" };
  tm.fail.send = { code: "task_finished", message: "codex-x is completed; there is no agent to send to" };
  tm.fail.resume = { code: "tmux_unavailable", message: "tmux not found" };
  const t = tools(tm);
  const r1 = await t.coding_task_status.execute("id", { session: "codex-nope" });
  assert.match(text(r1), /coding_task_status failed \(task_not_found\): no task named codex-nope/);
  assert.match(text(r1), /coding_task_list/);
  // Said the same way whether the task is missing or outside the caller's scope (no path).
  assert.deepEqual(r1.details.problem, { code: "task_not_found", message: "no task named codex-nope among this conversation's coding tasks" });
  delete tm.fail.status;
  const r2 = await t.coding_task_start.execute("id", { agent: "codex", name: "x", projectDir: "/nope", prompt: "p" });
  assert.match(text(r2), /\(project_dir_missing\).*\n.*absolute path of an existing directory/);
  const r3 = await t.coding_task_send.execute("id", { session: "codex-x", text: "y" });
  assert.match(text(r3), /task_finished/);
  const r4 = await t.coding_task_resume.execute("id", { session: "codex-x" });
  assert.match(text(r4), /tmux is not installed/);
  // An unexpected non-RcaError keeps its message under the code "internal".
  tm.list = async () => { throw new TypeError("boom"); };
  const r5 = await t.coding_task_list.execute("id", {});
  assert.match(text(r5), /coding_task_list failed \(internal\): boom/);
  for (const r of [r1, r2, r3, r4, r5]) assertNoReservedDetails(r);
});

test("status, list, send, resume and stop map onto the TaskManager", async () => {
  const tm = fakeManager();
  tm.origin = MAIN_ORIGIN;
  const t = tools(tm);
  const s = await t.coding_task_status.execute("id", { session: "codex-fix-login", lines: 5 });
  assert.deepEqual(tm.calls.at(-1), { name: "status", args: ["codex-fix-login", { lines: 5 }] });
  assert.match(text(s), /codex-fix-login: running/);
  assert.match(text(s), /Recent output:\nline 1\nline 2/);
  assert.equal(s.details.task.state, "running");

  const l = await t.coding_task_list.execute("id", { state: "running" });
  assert.deepEqual(tm.calls.at(-1), { name: "list", args: [{ state: "running" }] });
  assert.match(text(l), /1 coding task:\n- codex-fix-login: running/);
  assert.equal(l.details.tasks.length, 1);

  await t.coding_task_send.execute("id", { session: "codex-fix-login", text: "y" });
  assert.deepEqual(tm.calls.at(-1), { name: "send", args: ["codex-fix-login", "y", { paste: false }] });
  const sent = await t.coding_task_send.execute("id", { session: "codex-fix-login", text: "line one\nline two" });
  assert.deepEqual(tm.calls.at(-1).args[2], { paste: true });
  assert.match(text(sent), /pasted/);

  const r = await t.coding_task_resume.execute("id", { session: "codex-fix-login" });
  assert.equal(r.details.task.state, "recovering");

  const st = await t.coding_task_stop.execute("id", { session: "codex-fix-login" });
  assert.deepEqual(tm.calls.at(-1), { name: "stop", args: ["codex-fix-login", { cleanup: false }] });
  assert.match(text(st), /transcript is kept in \/state\/tasks\/x/);
  const gone = await t.coding_task_stop.execute("id", { session: "codex-fix-login", cleanup: true });
  assert.match(text(gone), /removed its task directory/);
  assert.equal(gone.details.task.session, "codex-fix-login");
  for (const x of [s, l, sent, r, st, gone]) assertNoReservedDetails(x);
});

test("a tool called outside a session still works and says it will not notify", async () => {
  const tm = fakeManager();
  const r = await tools(tm, {}).coding_task_start.execute("id", { agent: "demo", name: "x", projectDir: PROJ, prompt: "p" });
  assert.deepEqual(tm.calls[0].args[0].origin, { kind: "openclaw" });
  assert.match(text(r), /Check it with coding_task_status/);
});

test("validateParams accepts exactly the documented shapes", () => {
  assert.deepEqual(validateParams(SCHEMAS.coding_task_list, undefined), []);
  assert.deepEqual(validateParams(SCHEMAS.coding_task_list, {}), []);
  assert.deepEqual(validateParams(SCHEMAS.coding_task_stop, { session: "pi-a-b-c", cleanup: true }), []);
  assert.deepEqual(validateParams(SCHEMAS.coding_task_start, {
    agent: "opencode", name: "a1-b2", projectDir: "/x", prompt: "p", model: "anthropic/claude", autonomy: "full", estimateMinutes: 90,
  }), []);
  assert.deepEqual(validateParams(SCHEMAS.coding_task_start, { agent: "codex", name: "x".repeat(49), projectDir: "/p", prompt: "p" }), [
    "name is longer than 48 characters",
  ]);
});

// --- service ---------------------------------------------------------------------------------

test("the service runs the monitor in start and stop aborts it and clears every timer", async () => {
  const tm = fakeManager();
  const logger = quietLogger();
  /** @type {any[]} */
  const released = [];
  const svc = createMonitorService({ getManager: (dir) => { assert.equal(dir, "/oc"); return tm; }, release: (m) => released.push(m), onEvent: () => {}, logger });
  svc.start({ stateDir: "/oc", logger });
  assert.equal(tm.calls.filter((c) => c.name === "watch").length, 1);
  const signal = tm.calls[0].args[0].signal;
  assert.equal(signal.aborted, false);
  svc.start({ stateDir: "/oc", logger }); // a second start while running is a no-op
  assert.equal(tm.calls.filter((c) => c.name === "watch").length, 1);
  const before = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  await svc.stop({ logger });
  assert.equal(signal.aborted, true);
  assert.deepEqual(released, [tm]);
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length, before);
});

test("a failing monitor is retried on a timer that stop clears", async () => {
  const tm = fakeManager();
  tm.fail.watch = { code: "monitor_busy", message: "another monitor (pid 1) is watching /s" };
  const logger = quietLogger();
  const svc = createMonitorService({ getManager: () => tm, onEvent: () => {}, logger, retryMs: 20 });
  svc.start({ stateDir: "/oc", logger });
  await new Promise((r) => setTimeout(r, 90));
  const watches = tm.calls.filter((c) => c.name === "watch").length;
  assert.ok(watches >= 2, `retried (${watches} watch calls)`);
  assert.ok(logger.lines.some((l) => /another monitor already watches/.test(l)));
  await svc.stop({ logger });
  const after = tm.calls.filter((c) => c.name === "watch").length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(tm.calls.filter((c) => c.name === "watch").length, after, "no retry after stop");
});

// --- notifications ---------------------------------------------------------------------------

/** @param {any} [cfg] @param {any} [task] */
function notifier(cfg = {}, task = undefined) {
  const { api, system } = fakeApi("full");
  const logger = quietLogger();
  /** @type {any[]} */
  const commands = [];
  const n = createNotifier({
    config: normalizeConfig({ notify: cfg }).notify,
    system: () => /** @type {any} */ (api.runtime).system,
    findTask: async () => task,
    logger,
    runCommand: async (argv, stdin) => { commands.push({ argv, stdin: JSON.parse(stdin) }); },
  });
  return { n, system, logger, commands };
}

const TASK = {
  session: "codex-fix-login", agent: "codex", name: "fix-login", state: "failed",
  taskDir: "/state/tasks/abc", attach: "tmux attach -t =codex-fix-login",
  origin: { kind: "openclaw", sessionKey: "agent:main:telegram:42", agentId: "main" },
};

test("a finished task tells the session that started it once: system event plus heartbeat", async () => {
  const { n, system } = notifier({}, TASK);
  const ev = { kind: "failed", session: "codex-fix-login", state: "failed", at: 1000, failure: { class: "auth", evidence: "401 Unauthorized" }, message: "the agent is not logged in" };
  const r = await n.handle(ev);
  assert.equal(r.told, true);
  assert.equal(system.events.length, 1);
  const { text: msg, opts } = system.events[0];
  assert.equal(opts.sessionKey, "agent:main:telegram:42");
  assert.equal(opts.agentId, "main");
  assert.match(msg, /Coding task fix-login \(codex\), session codex-fix-login, failed\./);
  assert.match(msg, /Failure class: auth — 401 Unauthorized/);
  assert.match(msg, /coding_task_status \{"session":"codex-fix-login"\}/);
  assert.match(msg, /transcript in \/state\/tasks\/abc/);
  assert.deepEqual(system.wakes, [{ source: "background-task", intent: "event", reason: "coding task codex-fix-login failed", sessionKey: "agent:main:telegram:42", agentId: "main" }]);
  // The same edge again is not told twice.
  assert.equal((await n.handle(ev)).told, false);
  assert.equal(system.events.length, 1);
});

test("only completed, failed, gave_up and waiting_for_input are told; waiting says how to answer", async () => {
  const { n, system } = notifier({}, TASK);
  for (const kind of ["started", "recovering", "stalled"]) assert.equal((await n.handle({ kind, session: TASK.session, at: 1 })).told, false);
  assert.equal(system.events.length, 0);
  for (const kind of ["completed", "gave_up", "waiting_for_input"]) assert.equal((await n.handle({ kind, session: TASK.session, at: 2 })).told, true);
  assert.match(system.events[2].text, /is waiting for input[\s\S]*coding_task_send/);
  assert.match(system.events[1].text, /gave up/);
});

test("without an origin session the configured fallback is told, else nobody; the command still runs", async () => {
  const { n, system, commands } = notifier({ sessionKey: "agent:main:main", command: ["notify-send"] }, { ...TASK, origin: null });
  await n.handle({ kind: "completed", session: TASK.session, at: 5 });
  assert.equal(system.events[0].opts.sessionKey, "agent:main:main");
  assert.equal(commands.length, 1);
  assert.deepEqual(commands[0].argv, ["notify-send"]);
  assert.equal(commands[0].stdin.kind, "completed");
  assert.match(commands[0].stdin.text, /completed/);
  const quiet = notifier({}, { ...TASK, origin: null });
  const r = await quiet.n.handle({ kind: "completed", session: TASK.session, at: 5 });
  assert.equal(r.told, false);
  assert.equal(quiet.system.events.length, 0);
  const off = notifier({ enabled: false }, TASK);
  assert.equal((await off.n.handle({ kind: "completed", session: TASK.session, at: 5 })).told, false);
});

test("the notify command really runs without a shell, gets the event on stdin, and its failure is only logged", async () => {
  const dir = makeTestDir("rca-notify-");
  try {
    const out = join(dir, "event.json");
    const { n: ok } = (() => {
      const { api } = fakeApi("full");
      const logger = quietLogger();
      return {
        n: createNotifier({
          config: normalizeConfig({ notify: { command: [process.execPath, "-e", "require('fs').writeFileSync(process.argv[1], require('fs').readFileSync(0))", out] } }).notify,
          system: () => /** @type {any} */ (api.runtime).system, findTask: async () => TASK, logger,
        }),
      };
    })();
    const r = await ok.handle({ kind: "completed", session: TASK.session, at: 9 });
    assert.equal(r.command, true);
    assert.equal(JSON.parse(readFileSync(out, "utf8")).session, TASK.session);
    const logger = quietLogger();
    const bad = createNotifier({
      config: normalizeConfig({ notify: { command: [join(dir, "missing-command")] } }).notify,
      system: () => undefined, findTask: async () => TASK, logger,
    });
    const r2 = await bad.handle({ kind: "completed", session: TASK.session, at: 9 });
    assert.equal(r2.command, false);
    assert.ok(logger.lines.some((l) => /notify command failed/.test(l)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the service's events reach the notifier through register (end to end with fakes)", async () => {
  const tm = fakeManager();
  tm.origin = { kind: "openclaw", sessionKey: "agent:main:main", agentId: "main" };
  const register = createRegister({ createTaskManager: () => tm, agentSandbox });
  const { api, calls, system } = fakeApi("full");
  register(/** @type {any} */ (api));
  const svc = calls.services[0];
  svc.start({ stateDir: "/oc", logger: quietLogger() });
  const watch = tm.calls.find((c) => c.name === "watch");
  watch.args[0].onEvent({ kind: "completed", session: "codex-fix-login", state: "completed", at: 77 });
  for (let i = 0; i < 20 && system.events.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(system.events.length, 1);
  assert.equal(system.events[0].opts.sessionKey, "agent:main:main");
  assert.equal(system.wakes.length, 1);
  await svc.stop({ logger: quietLogger() });
});

// --- CLI -------------------------------------------------------------------------------------

/**
 * A tiny stand-in for commander: records the commands, their descriptions and actions, and
 * that each hands its words over unparsed (no options, help or argument checks of its own).
 * @param {string[]} [rawArgs] the program's argv, as commander keeps it on the root
 */
function fakeProgram(rawArgs = []) {
  /** @type {Record<string, any>} */
  const commands = {};
  /** @param {string} name @param {any} parent */
  const make = (name, parent) => {
    const c = {
      name, parent, description_: "", args: /** @type {string[]} */ ([]), passThrough: 0, action_: /** @type {any} */ (null),
      command: (/** @type {string} */ n) => { const sub = make(n, c); commands[n] = sub; return sub; },
      description: (/** @type {string} */ d) => { c.description_ = d; return c; },
      argument: (/** @type {string} */ a) => { c.args.push(a); return c; },
      allowUnknownOption: () => { c.passThrough++; return c; },
      allowExcessArguments: () => { c.passThrough++; return c; },
      helpOption: (/** @type {unknown} */ v) => { if (v === false) c.passThrough++; return c; },
      helpCommand: () => c,
      action: (/** @type {any} */ fn) => { c.action_ = fn; return c; },
      /** Runs the command as commander would: its words, its options (none), itself. @param {string[]} words */
      run: (words) => c.action_(words, {}, c),
    };
    return c;
  };
  const program = Object.assign(make("openclaw", null), { rawArgs });
  return { program, commands };
}

/** The fake manager, with the event methods the command runner uses. */
function cliManager() {
  return Object.assign(fakeManager(), { on() {}, off() {}, notificationsIdle: async () => {} });
}

/** Collects what a surface writes. */
function capture() {
  /** @type {string[]} */
  const out = [];
  /** @type {string[]} */
  const err = [];
  const io = { out: /** @type {any} */ ({ write: (/** @type {string} */ s) => out.push(s) }), err: /** @type {any} */ ({ write: (/** @type {string} */ s) => err.push(s) }), stdin: /** @type {any} */ ([]) };
  return { out, err, io };
}

/** Runs a command and returns its exit status (process.exitCode, restored). @param {() => Promise<unknown>} fn */
async function exitOf(fn) {
  const saved = process.exitCode;
  process.exitCode = undefined;
  await fn();
  const code = process.exitCode ?? 0;
  process.exitCode = saved;
  return code;
}

test("openclaw coding-tasks registers every command of the table, each handing its words to the table's parser", async () => {
  const tm = cliManager();
  const { program, commands } = fakeProgram();
  const { out, err, io } = capture();
  registerCodingTasksCli(/** @type {any} */ (program), { getManager: () => /** @type {any} */ (tm), agentDefaults: { demo: { model: "m1" } }, io });
  // A command of two words (`hosts add`) is registered by its first word.
  assert.deepEqual(Object.keys(commands).filter((c) => c !== "coding-tasks").sort(), [...new Set(Object.keys(COMMANDS).map((n) => n.split(" ")[0]))].sort());
  for (const [name, spec] of Object.entries(COMMANDS)) {
    if (name.includes(" ")) continue;
    assert.equal(commands[name].description_, spec.summary, name);
    assert.equal(commands[name].passThrough, 3, `${name} leaves parsing, help and usage errors to the table`);
  }
  assert.equal(await exitOf(() => commands.start.run(["--agent", "demo", "--name", "x", "--dir", "/p", "--prompt", "do it"])), 0);
  assert.deepEqual(tm.calls.at(-1).args[0], { agent: "demo", name: "x", projectDir: "/p", prompt: "do it", model: "m1", origin: { kind: "openclaw-cli" } });
  assert.match(out.at(-1) ?? "", /^started demo-x\n/);
  assert.match(out.at(-1) ?? "", /follow it: +openclaw coding-tasks logs demo-x --follow\n/);
  await commands.start.run(["--agent", "demo", "--name", "y", "--dir", "/p", "--prompt", "p", "--env", "A=1", "--env", "B=x=y"]);
  assert.deepEqual(tm.calls.at(-1).args[0].env, { A: "1", B: "x=y" });
  await commands.list.run(["--json"]);
  assert.equal(JSON.parse(out.at(-1) ?? "")[0].session, "codex-fix-login");
  await commands.send.run(["codex-x", "yes"]);
  assert.deepEqual(tm.calls.at(-1), { name: "send", args: ["codex-x", "yes", { paste: false }] });
  tm.fail.status = { code: "task_not_found", message: "no task named codex-nope" };
  assert.equal(await exitOf(() => commands.status.run(["codex-nope"])), 1);
  assert.equal(err.at(-1), "error [task_not_found]: no task named codex-nope\n");
  // --json errors: one JSON line on stderr, as resilient-agent prints them.
  assert.equal(await exitOf(() => commands.status.run(["codex-nope", "--json"])), 1);
  assert.deepEqual(JSON.parse(err.at(-1) ?? ""), { error: { code: "task_not_found", message: "no task named codex-nope" } });
  // Usage errors: exit status 2, no manager call.
  const before = tm.calls.length;
  assert.equal(await exitOf(() => commands.logs.run(["codex-x", "--lines", "0"])), 2);
  assert.match(err.at(-1) ?? "", /^error \[usage\]: --lines must be a whole number from 1 to 100000, got "0"/);
  assert.equal(await exitOf(() => commands.start.run(["--agent", "demo", "--name", "z", "--prompt", "p", "--env", "1BAD=x"])), 2);
  assert.match(err.at(-1) ?? "", /--env wants NAME=VALUE/);
  assert.equal(await exitOf(() => commands["coding-tasks"].run(["frobnicate"])), 2);
  assert.match(err.at(-1) ?? "", /^error \[usage\]: unknown command "frobnicate"/);
  assert.equal(tm.calls.length, before);
  // No command, or --help: the table's usage, with this surface's name.
  assert.equal(await exitOf(() => commands["coding-tasks"].run([])), 0);
  assert.match(out.at(-1) ?? "", /^usage: openclaw coding-tasks <command>/);
});

test("openclaw coding-tasks: a `--` commander dropped is taken back from the program's argv", async () => {
  const tm = cliManager();
  const { program, commands } = fakeProgram(["/node", "/openclaw.mjs", "coding-tasks", "send", "codex-x", "--", "--yes"]);
  const { io } = capture();
  registerCodingTasksCli(/** @type {any} */ (program), { getManager: () => /** @type {any} */ (tm), agentDefaults: {}, io });
  // Commander hands `send` the words ["codex-x", "--yes"] (it drops the `--`).
  assert.equal(await exitOf(() => commands.send.run(["codex-x", "--yes"])), 0);
  assert.deepEqual(tm.calls.at(-1), { name: "send", args: ["codex-x", "--yes", { paste: false }] });
  // Words that are not the argv's plus a `--` are used as they are.
  assert.equal(await exitOf(() => commands.send.run(["codex-y", "--paste", "hi"])), 0);
  assert.deepEqual(tm.calls.at(-1), { name: "send", args: ["codex-y", "hi", { paste: true }] });
});

test("openclaw coding-tasks (the operator's CLI) starts pi without a sandbox, with a warning", async () => {
  const tm = cliManager();
  const { program, commands } = fakeProgram();
  const { err, io } = capture();
  registerCodingTasksCli(/** @type {any} */ (program), { getManager: () => /** @type {any} */ (tm), agentDefaults: {}, agentSandbox, io });
  await commands.start.run(["--agent", "pi", "--name", "x", "--dir", PROJ, "--prompt", "p"]);
  assert.equal(tm.calls.at(-1).name, "start");
  assert.match(err.join(""), /^warning: pi has no sandbox: this task runs with all of your rights/);
  err.length = 0;
  await commands.start.run(["--agent", "pi", "--name", "y", "--dir", PROJ, "--prompt", "p", "--autonomy", "full"]);
  await commands.start.run(["--agent", "codex", "--name", "z", "--dir", PROJ, "--prompt", "p"]);
  assert.deepEqual(err, [], "no warning when full was asked for, or for an agent with a sandbox");
});

test("plugin config: watchdog restart, reset margin and retention reach the TaskManager", () => {
  const cfg = normalizeConfig({ stallRestartMs: 900_000, recovery: { resetMarginMs: 5_000 }, retentionMs: 86_400_000 });
  const opts = taskManagerOptions(cfg, "/tmp/state");
  assert.deepEqual(opts.config, { resetMarginMs: 5_000, stallRestartMs: 900_000 });
  assert.equal(opts.retentionMs, 86_400_000);
  // null keeps finished tasks forever; leaving the key out keeps the TaskManager's default.
  assert.equal(taskManagerOptions(normalizeConfig({ retentionMs: null }), "/tmp/state").retentionMs, null);
  assert.equal("retentionMs" in taskManagerOptions(normalizeConfig({}), "/tmp/state"), false);
  // Every key the code reads is declared in the manifest's schema (OpenClaw rejects unknown keys).
  const manifest = JSON.parse(readFileSync(new URL("../../openclaw.plugin.json", import.meta.url), "utf8"));
  const props = manifest.configSchema.properties;
  assert.ok(props.stallRestartMs && props.retentionMs && props.recovery.properties.resetMarginMs);
});

test("plugin config: passEnv reaches the TaskManager and is declared in the manifest", () => {
  const opts = taskManagerOptions(normalizeConfig({ passEnv: ["SSH_AUTH_SOCK", "MY_TOKEN"] }), "/s");
  assert.deepEqual(opts.passEnv, ["SSH_AUTH_SOCK", "MY_TOKEN"]);
  assert.equal("passEnv" in taskManagerOptions(normalizeConfig({}), "/s"), false);
  const manifest = JSON.parse(readFileSync(new URL("../../openclaw.plugin.json", import.meta.url), "utf8"));
  assert.equal(manifest.configSchema.properties.passEnv.type, "array");
});
