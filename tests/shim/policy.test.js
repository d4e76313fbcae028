// @ts-check
// The operator's ceiling on tool calls (host-shim/openclaw/policy.js, DESIGN §3a): autonomy,
// which directories may be projects (real directories and symlinks on disk), agents without a
// sandbox, and which tasks a calling OpenClaw agent/session may see. Through the tools and
// through the real register path, with an in-memory TaskManager that keeps each task's origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, symlinkSync, writeFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { checkAutonomy, checkProjectDir, inScope, present } from "../../host-shim/openclaw/policy.js";
import { normalizeConfig, normalizePolicy } from "../../host-shim/openclaw/config.js";
import { createTools } from "../../host-shim/openclaw/tools.js";
import { createRegister } from "../../host-shim/openclaw/register.js";
import { makeTestDir } from "../support/dirs.js";

/** The sandbox kinds of the profiles (src/profiles.rs), as the core reports them. */
const SANDBOX = /** @type {Record<string, any>} */ ({ codex: "os", claude: "permissions", opencode: "permissions", pi: "none", demo: "simulated" });
const agentSandbox = (/** @type {string} */ a) => SANDBOX[a];

/**
 * A home with projects, hidden directories, the state directories and symlinks into each.
 *   <root>/home/work/app            an ordinary project
 *   <root>/home/work/rca-state      the plugin's state directory (configured there)
 *   <root>/home/.config/app         a hidden directory
 *   <root>/home/oc-state            OpenClaw's state directory (OPENCLAW_STATE_DIR)
 *   <root>/outside/app              outside the home
 */
function layout() {
  const root = realpathSync(makeTestDir("rca-policy-"));
  const home = join(root, "home");
  const d = {
    root, home,
    app: join(home, "work", "app"),
    stateDir: join(home, "work", "rca-state"),
    hidden: join(home, ".config", "app"),
    ocState: join(home, "oc-state"),
    outside: join(root, "outside", "app"),
    file: join(home, "work", "notes.txt"),
  };
  for (const dir of [d.app, d.stateDir, d.hidden, d.ocState, d.outside, join(d.stateDir, "tasks")]) mkdirSync(dir, { recursive: true });
  writeFileSync(d.file, "not a directory\n");
  const links = join(home, "work", "links");
  mkdirSync(links);
  /** @type {Record<string, string>} */
  const link = {};
  for (const [name, target] of /** @type {[string, string][]} */ ([
    ["toRoot", "/"], ["toHome", home], ["toHidden", d.hidden], ["toState", join(d.stateDir, "tasks")],
    ["toOcState", d.ocState], ["toOutside", d.outside], ["toApp", d.app],
  ])) {
    link[name] = join(links, name);
    symlinkSync(target, link[name]);
  }
  return { ...d, link, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Runs `fn` on a fresh {@link layout}, removed afterwards whatever `fn` does. @param {(d: ReturnType<typeof layout>) => Promise<void>} fn */
async function withLayout(fn) {
  const d = layout();
  try {
    await fn(d);
  } finally {
    d.cleanup();
  }
}

/** @param {ReturnType<typeof layout>} d @param {unknown} [raw] */
function projectOpts(d, raw = {}) {
  return {
    policy: normalizePolicy({ projectRoots: [d.home], ...(/** @type {object} */ (raw)) }),
    home: d.home,
    stateDirs: [
      { label: "the plugin's state directory", dir: d.stateDir },
      { label: "OpenClaw's state directory", dir: d.ocState },
    ],
  };
}

/** @param {Promise<unknown>} p @param {string} code @param {RegExp} [message] */
async function rejectsWith(p, code, message) {
  await assert.rejects(p, (/** @type {any} */ err) => {
    assert.equal(err.code, code, `code of: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

// --- autonomy ---------------------------------------------------------------------------------

test("autonomy: a tool call cannot ask for more than the operator's ceiling (default sandboxed)", () => {
  const policy = normalizePolicy(undefined);
  assert.equal(policy.maxAutonomy, "sandboxed");
  assert.throws(() => checkAutonomy({ agent: "codex", requested: "full", sandbox: "os", policy }),
    (/** @type {any} */ e) => e.code === "policy_denied" && /policy\.maxAutonomy/.test(e.message));
  // The operator's own "sandboxed" default for the agent does not let the call raise it either.
  assert.throws(() => checkAutonomy({ agent: "claude", requested: "full", agentDefault: "sandboxed", sandbox: "permissions", policy }),
    (/** @type {any} */ e) => e.code === "policy_denied");
  assert.deepEqual(checkAutonomy({ agent: "codex", sandbox: "os", policy }), { autonomy: "sandboxed", unsandboxed: false });
  assert.deepEqual(checkAutonomy({ agent: "codex", requested: "sandboxed", sandbox: "os", policy }), { autonomy: "sandboxed", unsandboxed: false });
  // Raised by the operator: globally, or for one agent through its default.
  const full = normalizePolicy({ maxAutonomy: "full" });
  assert.deepEqual(checkAutonomy({ agent: "codex", requested: "full", sandbox: "os", policy: full }), { autonomy: "full", unsandboxed: true });
  assert.deepEqual(checkAutonomy({ agent: "codex", requested: "full", agentDefault: "full", sandbox: "os", policy }), { autonomy: "full", unsandboxed: true });
  // Asking for less than the operator's default is always allowed.
  assert.deepEqual(checkAutonomy({ agent: "codex", requested: "sandboxed", agentDefault: "full", sandbox: "os", policy }), { autonomy: "sandboxed", unsandboxed: false });
});

test("autonomy: an agent without a sandbox (pi) is refused unless the operator allows it, and then said to be unsandboxed", () => {
  const policy = normalizePolicy({});
  assert.throws(() => checkAutonomy({ agent: "pi", sandbox: "none", policy }),
    (/** @type {any} */ e) => e.code === "policy_denied" && /pi has no sandbox/.test(e.message) && /allowUnsandboxed/.test(e.message));
  const allowed = normalizePolicy({ allowUnsandboxed: ["pi"] });
  assert.deepEqual(checkAutonomy({ agent: "pi", sandbox: "none", policy: allowed }), { autonomy: "sandboxed", unsandboxed: true });
  // Allowing pi does not raise the autonomy ceiling.
  assert.throws(() => checkAutonomy({ agent: "pi", requested: "full", sandbox: "none", policy: allowed }),
    (/** @type {any} */ e) => e.code === "policy_denied");
  // Unknown names in the list are dropped (the schema also rejects them).
  assert.deepEqual(normalizePolicy({ allowUnsandboxed: ["pi", "gpt", 3] }).allowUnsandboxed, ["pi"]);
});

// --- projectDir ------------------------------------------------------------------------------

test("projectDir: an ordinary project inside the roots passes and comes back as its real path", () => withLayout(async (d) => {
  assert.equal(await checkProjectDir(d.app, projectOpts(d)), d.app);
  // A symlink to an allowed project is allowed; the task gets the real directory.
  assert.equal(await checkProjectDir(d.link.toApp, projectOpts(d)), d.app);
  // The default root is the home directory.
  assert.deepEqual(normalizePolicy({}).projectRoots.length, 1);
}));

test("projectDir: /, the home, a directory containing the home, dot-directories and outside the roots are refused", () => withLayout(async (d) => {
  const o = projectOpts(d);
  await rejectsWith(checkProjectDir("/", o), "policy_denied", /root directory/);
  await rejectsWith(checkProjectDir(d.home, o), "policy_denied", /home directory/);
  await rejectsWith(checkProjectDir(d.root, o), "policy_denied", /home directory or contains it/);
  await rejectsWith(checkProjectDir(d.hidden, o), "policy_denied", /hidden directory \.config/);
  await rejectsWith(checkProjectDir(d.outside, o), "policy_denied", /outside the directories the operator allows/);
  // Even when the operator makes "/" a root, the home and / themselves stay refused.
  const wide = projectOpts(d, { projectRoots: ["/", d.root] });
  await rejectsWith(checkProjectDir("/", wide), "policy_denied", /root directory/);
  await rejectsWith(checkProjectDir(d.home, wide), "policy_denied", /home directory/);
  assert.equal(await checkProjectDir(d.outside, wide), d.outside);
}));

test("projectDir: the plugin's and OpenClaw's state directories, inside or containing, are refused", () => withLayout(async (d) => {
  const o = projectOpts(d);
  await rejectsWith(checkProjectDir(d.stateDir, o), "policy_denied", /the plugin's state directory/);
  await rejectsWith(checkProjectDir(join(d.stateDir, "tasks"), o), "policy_denied", /the plugin's state directory/);
  // A project that contains the state directory would let the agent write it too.
  await rejectsWith(checkProjectDir(join(d.home, "work"), o), "policy_denied", /the plugin's state directory/);
  await rejectsWith(checkProjectDir(d.ocState, o), "policy_denied", /OpenClaw's state directory/);
}));

test("projectDir: a symlink into a forbidden place is judged by where it leads", () => withLayout(async (d) => {
  const o = projectOpts(d);
  await rejectsWith(checkProjectDir(d.link.toRoot, o), "policy_denied", /really \/\)/);
  await rejectsWith(checkProjectDir(d.link.toHome, o), "policy_denied", /home directory/);
  await rejectsWith(checkProjectDir(d.link.toHidden, o), "policy_denied", /hidden directory/);
  await rejectsWith(checkProjectDir(d.link.toState, o), "policy_denied", /the plugin's state directory/);
  await rejectsWith(checkProjectDir(d.link.toOcState, o), "policy_denied", /OpenClaw's state directory/);
  await rejectsWith(checkProjectDir(d.link.toOutside, o), "policy_denied", /outside the directories/);
}));

test("projectDir: relative, missing and non-directory paths get their own codes", () => withLayout(async (d) => {
  const o = projectOpts(d);
  await rejectsWith(checkProjectDir("work/app", o), "invalid_project_dir", /absolute/);
  await rejectsWith(checkProjectDir(join(d.home, "work", "nope"), o), "project_dir_missing");
  await rejectsWith(checkProjectDir(d.file, o), "project_dir_missing", /not a directory/);
}));

// --- scope -------------------------------------------------------------------------------------

const A1 = { sessionKey: "agent:alpha:telegram:1", agentId: "alpha" };
const A2 = { sessionKey: "agent:alpha:discord:2", agentId: "alpha" };
const B1 = { sessionKey: "agent:beta:main", agentId: "beta" };

test("scope: by default an agent's sessions see its tasks; other agents and CLI tasks are out of scope", () => {
  const mine = { origin: { kind: "openclaw", sessionKey: A1.sessionKey, agentId: "alpha" } };
  const cli = { origin: { kind: "openclaw-cli" } };
  const agentScope = normalizePolicy({});
  assert.equal(agentScope.shareTasks, "agent");
  assert.equal(inScope(mine, A1, agentScope), true);
  assert.equal(inScope(mine, A2, agentScope), true);
  assert.equal(inScope(mine, B1, agentScope), false);
  assert.equal(inScope(cli, A1, agentScope), false);
  assert.equal(inScope({ origin: null }, A1, agentScope), false);
  // The agent is read from the session key when the context has no agentId.
  assert.equal(inScope(mine, { sessionKey: "agent:alpha:x" }, agentScope), true);
  assert.equal(inScope({ origin: { kind: "openclaw", sessionKey: "agent:beta:y" } }, { sessionKey: "agent:alpha:x" }, agentScope), false);
  const sessionScope = normalizePolicy({ shareTasks: "session" });
  assert.equal(inScope(mine, A1, sessionScope), true);
  assert.equal(inScope(mine, A2, sessionScope), false);
  const all = normalizePolicy({ shareTasks: "all" });
  assert.equal(inScope(mine, B1, all), true);
  assert.equal(inScope(cli, B1, all), true);
});

test("scope: another session's key is never shown", () => {
  const task = { session: "demo-x", origin: { kind: "openclaw", sessionKey: A1.sessionKey, agentId: "alpha" } };
  assert.deepEqual(present(task, A1).origin, task.origin);
  assert.deepEqual(present(task, A2).origin, { kind: "openclaw", agentId: "alpha" });
  assert.deepEqual(present({ origin: null }, A2).origin, null);
});

// --- through the tools and the real register path ----------------------------------------------

/** An in-memory TaskManager that keeps each task's origin, as the real one does. */
function memoryManager() {
  /** @type {Map<string, any>} */
  const tasks = new Map();
  /** @type {{ name: string, args: any[] }[]} */
  const calls = [];
  const get = (/** @type {string} */ s) => {
    const t = tasks.get(s);
    if (!t) throw Object.assign(new Error(`no task named ${s} in /secret/state/dir`), { code: "task_not_found" });
    return t;
  };
  return {
    tasks, calls,
    start: async (/** @type {any} */ i) => {
      calls.push({ name: "start", args: [i] });
      if (tasks.has(`${i.agent}-${i.name}`)) {
        throw Object.assign(new Error(`a task named ${i.agent}-${i.name} already exists; stop it first (resilient-agent stop ${i.agent}-${i.name} --cleanup)`), { code: "task_exists" });
      }
      const t = { session: `${i.agent}-${i.name}`, agent: i.agent, name: i.name, projectDir: i.projectDir, autonomy: i.autonomy ?? "sandboxed", state: "starting", origin: i.origin ?? null };
      tasks.set(t.session, t);
      return { ...t };
    },
    status: async (/** @type {string} */ s, /** @type {any} */ o) => { calls.push({ name: "status", args: [s, o] }); return { ...get(s), recentOutput: "out" }; },
    list: async () => { calls.push({ name: "list", args: [] }); return [...tasks.values()].map((t) => ({ ...t })); },
    send: async (/** @type {string} */ s, /** @type {string} */ text) => { calls.push({ name: "send", args: [s, text] }); get(s); },
    resume: async (/** @type {string} */ s) => { calls.push({ name: "resume", args: [s] }); return { ...get(s), state: "recovering" }; },
    stop: async (/** @type {string} */ s, /** @type {any} */ o) => { calls.push({ name: "stop", args: [s, o] }); const t = get(s); t.state = "stopped"; return { ...t }; },
  };
}

/**
 * The tools as the plugin's real register() builds them from a plugin config, for one context.
 * @param {ReturnType<typeof memoryManager>} tm @param {unknown} pluginConfig @param {string} home
 */
function registered(tm, pluginConfig, home) {
  // The test's home stands in for the user's: projects are allowed inside it (the default root
  // "~" is the real home directory).
  const raw = /** @type {Record<string, any>} */ (pluginConfig);
  pluginConfig = { ...raw, policy: { projectRoots: [home], ...raw.policy } };
  /** @type {any[]} */
  const factories = [];
  const api = {
    registrationMode: "full",
    pluginConfig,
    logger: { info() {}, warn() {}, error() {} },
    runtime: { state: { resolveStateDir: () => join(home, "oc-state") }, system: {} },
    registerTool: (/** @type {any} */ f) => factories.push(f),
    registerService() {},
    registerCli() {},
  };
  createRegister({ createTaskManager: () => /** @type {any} */ (tm), agentSandbox, home })(/** @type {any} */ (api));
  return (/** @type {any} */ ctx) => {
    /** @type {Record<string, any>} */
    const byName = {};
    for (const f of factories) {
      const t = f(ctx);
      byName[t.name] = t;
    }
    return byName;
  };
}

/** @param {any} r */
const problem = (r) => r.details?.problem?.code;

test("tools: autonomy full under the default ceiling is policy_denied and nothing is started", () => withLayout(async (d) => {
  const tm = memoryManager();
  const tools = registered(tm, { stateDir: d.stateDir }, d.home)(A1);
  const r = await tools.coding_task_start.execute("c1", { agent: "codex", name: "x", projectDir: d.app, prompt: "p", autonomy: "full" });
  assert.equal(problem(r), "policy_denied", r.content[0].text);
  assert.match(r.content[0].text, /coding_task_start failed \(policy_denied\): autonomy "full"/);
  assert.match(r.content[0].text, /only the user can change/);
  // Even with the operator's per-agent default "sandboxed" set.
  const t2 = registered(tm, { stateDir: d.stateDir, agents: { codex: { autonomy: "sandboxed" } } }, d.home)(A1);
  assert.equal(problem(await t2.coding_task_start.execute("c2", { agent: "codex", name: "x", projectDir: d.app, prompt: "p", autonomy: "full" })), "policy_denied");
  assert.equal(tm.calls.filter((c) => c.name === "start").length, 0, "the TaskManager was never asked");
  // Raised by the operator, the same call starts, and the result says there is no sandbox.
  const t3 = registered(tm, { stateDir: d.stateDir, policy: { maxAutonomy: "full" } }, d.home)(A1);
  const ok = await t3.coding_task_start.execute("c3", { agent: "codex", name: "x", projectDir: d.app, prompt: "p", autonomy: "full" });
  assert.equal(ok.details.task?.session, "codex-x", ok.content[0].text);
  assert.equal(tm.calls.at(-1)?.args[0].autonomy, "full");
  assert.equal(ok.details.sandbox, "none");
  assert.match(ok.content[0].text, /WITHOUT a sandbox \(autonomy full\)/);
}));

test("tools: projectDir is checked with the real state directories and passed on as its real path", () => withLayout(async (d) => {
  const tm = memoryManager();
  const tools = registered(tm, { stateDir: d.stateDir }, d.home)(A1);
  for (const bad of ["/", d.home, d.hidden, d.stateDir, join(d.home, "oc-state"), d.link.toRoot, d.link.toState, d.outside]) {
    const r = await tools.coding_task_start.execute("c", { agent: "demo", name: "x", projectDir: bad, prompt: "p" });
    assert.equal(problem(r), "policy_denied", `${bad}: ${r.content[0].text}`);
  }
  assert.equal(tm.calls.length, 0);
  const r = await tools.coding_task_start.execute("c", { agent: "demo", name: "x", projectDir: d.link.toApp, prompt: "p" });
  assert.equal(r.details.task.session, "demo-x", r.content[0].text);
  assert.equal(tm.calls[0].args[0].projectDir, d.app, "the task uses the directory that was checked");
  assert.equal(tm.calls[0].args[0].autonomy, "sandboxed");
  assert.equal(r.details.sandbox, "simulated");
}));

test("tools: pi is refused unless allowed; allowed, it starts and the result says it is unsandboxed", () => withLayout(async (d) => {
  const tm = memoryManager();
  const denied = await registered(tm, { stateDir: d.stateDir }, d.home)(A1)
    .coding_task_start.execute("c", { agent: "pi", name: "x", projectDir: d.app, prompt: "p" });
  assert.equal(problem(denied), "policy_denied");
  assert.match(denied.content[0].text, /pi has no sandbox/);
  assert.equal(tm.calls.length, 0);
  const ok = await registered(tm, { stateDir: d.stateDir, policy: { allowUnsandboxed: ["pi"] } }, d.home)(A1)
    .coding_task_start.execute("c", { agent: "pi", name: "x", projectDir: d.app, prompt: "p" });
  assert.equal(ok.details.task.session, "pi-x", ok.content[0].text);
  assert.equal(ok.details.sandbox, "none");
  assert.match(ok.content[0].text, /WITHOUT a sandbox \(pi has no sandbox; the operator allows it\)/);
}));

test("tools: another OpenClaw agent cannot see, read, send to, resume or stop a task (task_not_found, nothing done)", () => withLayout(async (d) => {
  const tm = memoryManager();
  const as = registered(tm, { stateDir: d.stateDir }, d.home);
  const started = await as(A1).coding_task_start.execute("c", { agent: "demo", name: "mine", projectDir: d.app, prompt: "p" });
  assert.equal(started.details.task.origin.sessionKey, A1.sessionKey, "the caller sees its own session key");
  assert.equal(tm.tasks.get("demo-mine").origin.agentId, "alpha");

  const other = as(B1);
  const list = await other.coding_task_list.execute("c", {});
  assert.deepEqual(list.details.tasks, []);
  assert.equal(list.content[0].text, "No coding tasks.");
  const before = tm.calls.length;
  for (const [name, args] of /** @type {[string, any][]} */ ([
    ["coding_task_status", { session: "demo-mine" }],
    ["coding_task_send", { session: "demo-mine", text: "rm -rf ~" }],
    ["coding_task_resume", { session: "demo-mine" }],
    ["coding_task_stop", { session: "demo-mine", cleanup: true }],
  ])) {
    const r = await other[name].execute("c", args);
    assert.equal(problem(r), "task_not_found", `${name}: ${r.content[0].text}`);
    // Exactly what a task that does not exist gets (and no state directory path).
    const missing = await other[name].execute("c", { ...args, session: "demo-nothing" });
    assert.equal(r.details.problem.message.replace("demo-mine", "S"), missing.details.problem.message.replace("demo-nothing", "S"));
    assert.doesNotMatch(r.content[0].text, /secret\/state/);
  }
  // Its name is taken for the other agent too, but nothing says how to stop that task.
  const taken = await other.coding_task_start.execute("c", { agent: "demo", name: "mine", projectDir: d.app, prompt: "p" });
  assert.equal(problem(taken), "task_exists");
  assert.equal(taken.details.problem.message, "the name demo-mine is taken; pick another name");
  const own = await as(A2).coding_task_start.execute("c", { agent: "demo", name: "mine", projectDir: d.app, prompt: "p" });
  assert.match(own.details.problem.message, /already exists; stop it first/, "the owner's agent gets the full message");
  const acted = tm.calls.slice(before).filter((c) => ["send", "resume", "stop"].includes(c.name));
  assert.deepEqual(acted, [], "nothing was sent, resumed or stopped");
  assert.equal(tm.tasks.get("demo-mine").state, "starting");

  // A second session of the same agent sees the task, without the first session's key.
  const sibling = as(A2);
  const seen = await sibling.coding_task_list.execute("c", {});
  assert.deepEqual(seen.details.tasks.map((/** @type {any} */ t) => t.session), ["demo-mine"]);
  assert.equal(seen.details.tasks[0].origin.sessionKey, undefined);
  assert.doesNotMatch(JSON.stringify(seen), /telegram/);
  const st = await sibling.coding_task_status.execute("c", { session: "demo-mine" });
  assert.equal(st.details.task.session, "demo-mine");
  assert.doesNotMatch(JSON.stringify(st), /telegram/);
  const stopped = await sibling.coding_task_stop.execute("c", { session: "demo-mine" });
  assert.equal(stopped.details.task.state, "stopped");
  assert.doesNotMatch(JSON.stringify(stopped), /telegram/);
}));

test("tools: shareTasks session and all", () => withLayout(async (d) => {
  const tm = memoryManager();
  await registered(tm, { stateDir: d.stateDir }, d.home)(A1).coding_task_start.execute("c", { agent: "demo", name: "mine", projectDir: d.app, prompt: "p" });
  tm.tasks.set("demo-cli", { session: "demo-cli", agent: "demo", name: "cli", state: "running", origin: { kind: "openclaw-cli" } });
  const bySession = registered(tm, { stateDir: d.stateDir, policy: { shareTasks: "session" } }, d.home);
  assert.equal((await bySession(A2).coding_task_list.execute("c", {})).details.count, 0);
  assert.equal((await bySession(A1).coding_task_list.execute("c", {})).details.count, 1);
  const shared = registered(tm, { stateDir: d.stateDir, policy: { shareTasks: "all" } }, d.home);
  const all = await shared(B1).coding_task_list.execute("c", {});
  assert.deepEqual(all.details.tasks.map((/** @type {any} */ t) => t.session).sort(), ["demo-cli", "demo-mine"]);
  assert.doesNotMatch(JSON.stringify(all), /telegram/, "shared, but never another session's key");
}));

test("config: the policy defaults and the manifest's schema agree", async () => {
  const cfg = normalizeConfig({});
  assert.equal(cfg.policy.maxAutonomy, "sandboxed");
  assert.equal(cfg.policy.shareTasks, "agent");
  assert.deepEqual(cfg.policy.allowUnsandboxed, []);
  const { readFileSync } = await import("node:fs");
  const manifest = JSON.parse(readFileSync(new URL("../../openclaw.plugin.json", import.meta.url), "utf8"));
  const schema = manifest.configSchema.properties.policy;
  assert.deepEqual(Object.keys(schema.properties).sort(), ["allowUnsandboxed", "maxAutonomy", "projectRoots", "shareTasks"]);
  assert.deepEqual(schema.properties.shareTasks.enum, ["agent", "session", "all"]);
  assert.equal(schema.additionalProperties, false);
});
