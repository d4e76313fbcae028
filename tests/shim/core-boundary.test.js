// @ts-check
// The wasm boundary as JS sees it, on the shipped glue (host-shim/wasm/core.js as `make pkg`
// builds it): every export is called with good input and with bad input (wrong types, missing
// fields, huge strings), and every failure is a real Error { name: "CoreError", code } with a
// documented code. A new export without cases here fails the first test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import core, { guardedCore, loadCore } from "../../host-shim/core.js";

const require = createRequire(import.meta.url);
/** The generated glue itself, not the guarded wrapper of host-shim/core.js. @type {any} */
const glue = require("../../host-shim/wasm/core.js");

/** The core's codes (README error table) plus `internal` for a panic. */
const CODES = new Set([
  "invalid_task_name", "invalid_agent", "invalid_project_dir", "invalid_option", "invalid_autonomy",
  "invalid_prompt", "invalid_session_id", "invalid_session", "invalid_record", "invalid_config",
  "invalid_input", "not_resumable", "invalid_agent_profile", "internal", "budget_exceeded",
]);

const UUID = "0199a213-81c0-7800-8aa1-bbab2a035a53";
const HUGE = "x".repeat(8 * 1024 * 1024); // 8 MiB: past every size limit of the core
const spec = glue.validateSpec({ agent: "demo", name: "fix-bug", projectDir: "/srv/project" });
const ctx = { taskDir: "/srv/state/tasks/demo-fix-bug-1", demoAgent: ["node", "/srv/demo-agent.js"] };
const record = glue.newRecord(spec, ctx.taskDir, null, 1_000);
const stopped = glue.markStopped(record, 2_000);
const obs = { now: 2_000, pane: { kind: "missing" }, attempt: 1 };

/**
 * Per export: `good` calls (arguments, and a check of the result) and `bad` calls (arguments,
 * and the code they must throw).
 * @type {Record<string, { good: Array<[unknown[], (r: any) => void]>, bad: Array<[unknown[], string]> }>}
 */
const CASES = {
  agentNames: {
    good: [[[], (r) => assert.deepEqual(r.slice(0, 6), ["codex", "claude", "opencode", "pi", "gemini", "demo"])]],
    bad: [],
  },
  agentProfilesJson: {
    good: [[[], (r) => assert.equal(JSON.parse(r).codex.program, "codex")]],
    bad: [],
  },
  agentProfileJson: {
    good: [[["pi"], (r) => assert.deepEqual([JSON.parse(r).source, JSON.parse(r).profile.sandbox], ["built_in", "none"])]],
    bad: [[["nope"], "invalid_agent"], [[42], "invalid_input"], [[HUGE], "invalid_agent"]],
  },
  adoptTaskProfile: {
    // A name that has a profile here already adopts nothing.
    good: [[["codex", JSON.stringify(JSON.parse(core.agentProfileJson("pi")).profile)], (r) => assert.equal(r, false)]],
    bad: [
      [["qadopt", "{}"], "invalid_agent_profile"], [["Bad Name", "{}"], "invalid_agent_profile"], [["qadopt", "[]"], "invalid_agent_profile"],
      [["qadopt", HUGE], "invalid_agent_profile"], [[42, "{}"], "invalid_input"], [["qadopt", 42], "invalid_input"],
    ],
  },
  setAgentProfiles: {
    // "{}": back to the built-ins alone (the other tests here use those).
    good: [[["{}"], (r) => assert.equal(r, undefined)]],
    bad: [
      [["[]"], "invalid_agent_profile"], [['{"Bad-Name":{}}'], "invalid_agent_profile"], [['{"x":{"start":[]}}'], "invalid_agent_profile"],
      [[HUGE], "invalid_agent_profile"], [[42], "invalid_input"],
    ],
  },
  validateTaskName: {
    good: [[["fix-login-bug"], (r) => assert.equal(r, undefined)]],
    bad: [[["Fix Login"], "invalid_task_name"], [[42], "invalid_input"], [[undefined], "invalid_input"], [[HUGE], "invalid_task_name"]],
  },
  defaultMonitorConfig: {
    good: [[[], (r) => assert.ok(r.pollMs === 2_000 && r.stallRestartMs === null)]],
    bad: [],
  },
  validateMonitorConfig: {
    good: [
      [[{ pollMs: 500 }], (r) => assert.ok(r.pollMs === 500 && r.recoveryBaseDelayMs === 180_000)],
      [[null], (r) => assert.deepEqual(r, glue.defaultMonitorConfig())],
      [[undefined], (r) => assert.deepEqual(r, glue.defaultMonitorConfig())],
    ],
    bad: [
      [[{ polMs: 500 }], "invalid_config"], [[{ pollMs: "500" }], "invalid_config"], [[{ pollMs: 1 }], "invalid_config"],
      [["fast"], "invalid_config"], [[{ [HUGE]: 1 }], "invalid_config"],
    ],
  },
  newRecord: {
    good: [[[spec, ctx.taskDir, null, 1_000], (r) => assert.ok(r.state === "starting" && r.paneId === null)]],
    bad: [
      [[{}, ctx.taskDir, null, 1], "invalid_input"], [[spec, 42, null, 1], "invalid_input"],
      [[spec, "relative/dir", null, 1], "invalid_input"], [[spec, ctx.taskDir, null, Number.NaN], "invalid_input"],
      [[spec, ctx.taskDir, null, "1000"], "invalid_input"], [[spec, ctx.taskDir, "not-a-uuid", 1], "invalid_input"],
      [[spec, "/" + HUGE, null, 1], "invalid_input"],
    ],
  },
  withProjectIdentity: {
    good: [[[record, { realPath: "/srv/project", dev: "2049", ino: "18446744073709551615" }],
      (r) => assert.deepEqual(r.projectIdentity, { realPath: "/srv/project", dev: "2049", ino: "18446744073709551615" })]],
    bad: [
      [[record, { realPath: "srv/project", dev: "1", ino: "2" }], "invalid_input"], [[record, { realPath: "/a", dev: 1, ino: "2" }], "invalid_input"],
      [[record, { realPath: "/a", dev: "-1", ino: "2" }], "invalid_input"], [[record, null], "invalid_input"], [[{}, { realPath: "/a", dev: "1", ino: "2" }], "invalid_record"],
    ],
  },
  parseRecord: {
    good: [[[JSON.stringify(record)], (r) => assert.deepEqual(r, record)]],
    bad: [
      [["not json"], "invalid_record"], [[JSON.stringify({ ...record, extra: 1 })], "invalid_record"],
      [[JSON.stringify({ ...record, attempts: undefined })], "invalid_record"],
      [[JSON.stringify({ ...record, state: "dancing" })], "invalid_record"], [[42], "invalid_input"],
      [[HUGE], "invalid_record"], [[JSON.stringify({ ...record, session: HUGE })], "invalid_record"],
    ],
  },
  // A class: made with `new` (see `make` below); its step is checked in a test of its own.
  MonitorStepper: {
    good: [[[{ pollMs: 500 }], (r) => assert.equal(r.config().pollMs, 500)], [[null], (r) => assert.equal(r.config().pollMs, 2_000)]],
    bad: [[[{ pollMs: 1 }], "invalid_config"], [[{ nope: 1 }], "invalid_config"], [[42], "invalid_config"]],
  },
  monitorStep: {
    good: [[[record, obs, null], (r) => assert.ok(Array.isArray(r.actions) && typeof r.nextCheckAt === "number" && r.record.session === record.session)]],
    bad: [
      [[{ ...record, extra: 1 }, obs, null], "invalid_record"], [[42, obs, null], "invalid_record"],
      [[record, { now: 1 }, null], "invalid_input"], [[record, { ...obs, now: Number.NaN }, null], "invalid_input"],
      [[record, { ...obs, pane: { kind: "exploded" } }, null], "invalid_input"],
      [[record, obs, { pollMs: -1 }], "invalid_config"], [[record, { ...obs, eventsTail: 42 }, null], "invalid_input"],
    ],
  },
  manualResume: {
    good: [[[stopped, 3_000], (r) => assert.equal(r.record.state, "recovering")]],
    bad: [[[{ ...record, state: "completed", finishedAt: 1_500 }, 3_000], "not_resumable"], [[{}, 1], "invalid_record"], [[stopped, "soon"], "invalid_input"]],
  },
  projectDirMissing: {
    good: [[[record, "project directory /srv/project is gone", 3_000],
      (r) => assert.ok(r.record.state === "failed" && r.record.failure.class === "project_dir_missing" && r.actions.some((/** @type {any} */ a) => a.type === "announce"))]],
    bad: [[[record, 42, 3_000], "invalid_input"], [[record, "gone", Number.NaN], "invalid_input"], [[record, "gone", "3000"], "invalid_input"], [[null, "gone", 1], "invalid_record"]],
  },
  recoveryRefused: {
    good: [[[record, "task_file_unsafe", "host.json is open to others", 3_000],
      (r) => assert.ok(r.record.state === "failed" && r.record.failure.class === "task_file_unsafe" && r.actions.some((/** @type {any} */ a) => a.type === "announce"))]],
    bad: [[[record, "crash", "x", 3_000], "invalid_input"], [[record, "no_such_class", "x", 3_000], "invalid_input"], [[record, "task_file_unsafe", 42, 3_000], "invalid_input"], [[null, "task_file_unsafe", "x", 1], "invalid_record"]],
  },
  agentTaskEnv: {
    good: [
      [["gemini", "/s-tmp/t1"], (r) => assert.deepEqual(r, { env: [{ name: "TMPDIR", value: "/s-tmp/t1" }], needsTaskTmp: true })],
      [["codex", "/s-tmp/t1"], (r) => assert.deepEqual(r, { env: [], needsTaskTmp: false })],
    ],
    bad: [[["gemini", "rel"], "invalid_input"], [["gemini", 42], "invalid_input"], [["nobody", "/x"], "invalid_agent"]],
  },
  breakerEvent: {
    good: [
      [[record, true, 3_000], (r) => assert.ok(r.kind === "recovery_paused" && r.session === record.session && r.at === 3_000 && /log in again/.test(r.message))],
      [[record, false, 3_000], (r) => assert.equal(r.kind, "recovery_resumed")],
    ],
    bad: [[[record, "yes", 3_000], "invalid_input"], [[record, true, Number.NaN], "invalid_input"], [[record, true, -1], "invalid_input"], [[null, true, 1], "invalid_record"]],
  },
  markStopped: {
    good: [[[record, 2_000], (r) => assert.equal(r.state, "stopped")]],
    bad: [[[record, Number.POSITIVE_INFINITY], "invalid_input"], [[record, "2000"], "invalid_input"], [[null, 1], "invalid_record"]],
  },
  extractSessionId: {
    good: [
      [["codex", `{"type":"thread.started","thread_id":"${UUID}"}\n`], (r) => assert.equal(r, UUID)],
      [["codex", ""], (r) => assert.equal(r, null)],
      [["codex", HUGE], (r) => assert.equal(r, null)],
    ],
    bad: [[["nope", ""], "invalid_agent"], [[42, ""], "invalid_input"], [["codex", 42], "invalid_input"], [[HUGE, ""], "invalid_agent"]],
  },
  validateSessionId: {
    good: [[["codex", UUID], (r) => assert.equal(r, undefined)]],
    bad: [[["codex", "x"], "invalid_session_id"], [["opencode", UUID], "invalid_session_id"], [["codex", HUGE], "invalid_session_id"], [["codex", {}], "invalid_input"]],
  },
  classifyExit: {
    good: [
      [["codex", { exitStatus: 1, paneTail: "ERROR: unexpected status 401 Unauthorized: invalid api key" }],
        (r) => assert.ok(r.outcome === "failed" && r.failure.class === "auth" && r.failure.reset === null)],
      [["demo", { exitStatus: 1, paneTail: HUGE }], (r) => assert.equal(r.outcome, "failed")],
    ],
    bad: [[["codex", { paneTail: 42 }], "invalid_input"], [["codex", "exit 1"], "invalid_input"], [["x", {}], "invalid_agent"]],
  },
  classifyLive: {
    good: [[["claude", "Do you want to proceed?\n❯ 1. Yes\n"], (r) => assert.equal(r.verdict, "waiting_for_input")], [["claude", HUGE], (r) => assert.equal(r.verdict, "working")]],
    bad: [[["claude", 42], "invalid_input"], [["claude", null], "invalid_input"], [["x", ""], "invalid_agent"]],
  },
  parseResetHint: {
    good: [[["try again in 5 minutes"], (r) => assert.deepEqual(r, { kind: "after", ms: 300_000 })], [["nothing here"], (r) => assert.equal(r, null)], [[HUGE], (r) => assert.equal(r, null)]],
    bad: [[[42], "invalid_input"]],
  },
  nextClockOccurrence: {
    good: [[[0, 1, 22, 0], (r) => assert.equal(r, 4_920_000)], [[4_920_001, 1, 22, -60], (r) => assert.equal(r, 8_520_000)]],
    bad: [[[0, 24, 0, 0], "invalid_input"], [["0", 1, 1, 0], "invalid_input"], [[Number.NaN, 1, 1, 0], "invalid_input"], [[0, 1, 1, 5000], "invalid_input"]],
  },
  redact: {
    good: [[["token sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD here"], (r) => assert.match(r, /\[REDACTED\]/)], [[HUGE], (r) => assert.equal(r.length, HUGE.length)]],
    bad: [[[42], "invalid_input"], [[undefined], "invalid_input"]],
  },
  validateSpec: {
    good: [[[{ agent: "codex", name: "a", projectDir: "/p", model: null, autonomy: null }], (r) => assert.deepEqual(r, { agent: "codex", name: "a", projectDir: "/p", model: null, autonomy: "sandboxed" })]],
    bad: [
      [[{ agent: "x", name: "a", projectDir: "/p" }], "invalid_agent"], [[{ agent: "demo", name: "Bad", projectDir: "/p" }], "invalid_task_name"],
      [[{ agent: "demo", name: "a" }], "invalid_input"], [[{ agent: "demo", name: "a", projectDir: "p" }], "invalid_project_dir"],
      [[{ agent: "demo", name: "a", projectDir: "/p", autonomy: "yolo" }], "invalid_autonomy"],
      [[{ agent: "demo", name: "a", projectDir: "/p", model: "-x" }], "invalid_option"],
      [[{ agent: "demo", name: "a", projectDir: "/" + HUGE }], "invalid_project_dir"], [["demo"], "invalid_input"], [[[]], "invalid_input"],
    ],
  },
  validatePrompt: {
    good: [[["fix the bug"], (r) => assert.equal(r, undefined)]],
    bad: [[["   "], "invalid_prompt"], [[HUGE], "invalid_prompt"], [["a\0b"], "invalid_prompt"], [[42], "invalid_input"]],
  },
  sessionName: {
    good: [[[spec], (r) => assert.equal(r, "demo-fix-bug")]],
    bad: [[[{ ...spec, name: "Bad" }], "invalid_task_name"], [[{}], "invalid_input"], [[{ ...spec, agent: "x" }], "invalid_input"]],
  },
  parseSession: {
    good: [[["demo-fix-bug"], (r) => assert.deepEqual(r, { agent: "demo", name: "fix-bug" })]],
    bad: [[["nope"], "invalid_session"], [[HUGE], "invalid_session"], [[42], "invalid_input"]],
  },
  planStart: {
    good: [[[spec, "fix it", ctx, 1], (r) => assert.ok(r.files.length > 0 && r.commands[0].argv[0] === "tmux" && r.commands[0].stdin === null)]],
    bad: [
      [[spec, "fix it", {}, 1], "invalid_input"], [[spec, "fix it", ctx, 1.5], "invalid_input"], [[spec, "fix it", ctx, -1], "invalid_input"],
      [[spec, "fix it", { ...ctx, env: "A=1" }], "invalid_input"], [[spec, 42, ctx, 1], "invalid_input"],
    ],
  },
  planRecover: {
    good: [[[spec, UUID, ctx, { mode: "recreate" }, 2], (r) => assert.ok(r.commands.length > 0)]],
    bad: [[[spec, UUID, ctx, { mode: "teleport" }, 2], "invalid_input"], [[spec, "bad id", ctx, { mode: "recreate" }, 2], "invalid_session_id"], [[spec, UUID, ctx, { mode: "respawn" }, 2], "invalid_input"]],
  },
  planListPanes: {
    good: [[[null], (r) => assert.equal(r.argv[0], "tmux")], [["rca-test"], (r) => assert.ok(r.argv.includes("rca-test"))]],
    bad: [[[42], "invalid_input"]],
  },
  parsePaneList: {
    good: [[["junk\nmore junk\n"], (r) => assert.deepEqual(r, [])], [["rca1\t%3\t123\t1\t\t\t99\tdemo-fix-bug\n"], (r) => assert.deepEqual(r, [
      { session: "demo-fix-bug", paneId: "%3", panePid: 123, dead: true, deadStatus: null, deadSignal: null, serverPid: 99 },
    ])]],
    bad: [[[42], "invalid_input"]],
  },
  planCapture: {
    good: [[[null, "%1", 200], (r) => assert.ok(r.argv.includes("capture-pane"))]],
    bad: [[[null, "%1", "many"], "invalid_input"], [[null, "%1", 2 ** 40], "invalid_input"], [[null, 7, 200], "invalid_input"]],
  },
  planSend: {
    good: [[[null, "demo-fix-bug", "hello", false], (r) => assert.ok(r.commands.length > 0)], [[null, "demo-fix-bug", HUGE.slice(0, 1 << 20), true], (r) => assert.ok(r.commands.length > 0)]],
    bad: [[[null, "demo-fix-bug", HUGE, true], "invalid_input"], [[null, "demo-fix-bug", "hi", "yes"], "invalid_input"], [[null, "demo-fix-bug", 42, false], "invalid_input"]],
  },
  planStop: {
    good: [[[null, "demo-fix-bug"], (r) => assert.ok(r.argv.includes("kill-session"))]],
    bad: [[[null, 42], "invalid_input"]],
  },
  planStopSessionId: {
    good: [[[null, "$3"], (r) => assert.ok(r.argv.includes("$3"))]],
    bad: [[[null, 42], "invalid_input"]],
  },
  wrapperScript: {
    good: [[[], (r) => assert.ok(typeof r === "string" && r.length > 0)]],
    bad: [],
  },
  attemptFiles: {
    good: [[[2], (r) => assert.equal(r.prompt, "prompt.2")]],
    bad: [[[-1], "invalid_input"], [["2"], "invalid_input"], [[1.5], "invalid_input"]],
  },
  conversationProbe: {
    good: [[[spec, UUID, ctx], (r) => assert.equal(r, undefined)]],
    bad: [[[spec, "bad id", ctx], "invalid_session_id"], [[spec, UUID, { taskDir: 42 }], "invalid_input"]],
  },
  chooseRecovery: {
    good: [[[record, true, 5_000], (r) => assert.ok(["resume", "fresh_start"].includes(r.kind) && r.record.session === record.session)]],
    bad: [[[record, "yes", 5_000], "invalid_input"], [[record, true, Number.NaN], "invalid_input"], [[{ ...record, version: 2 }, true, 1], "invalid_record"]],
  },
  agentIdSource: {
    good: [[["claude"], (r) => assert.equal(r, "preset")], [["codex"], (r) => assert.equal(r, "from_events")]],
    bad: [[["x"], "invalid_agent"], [[42], "invalid_input"]],
  },
  agentProgram: {
    good: [[["codex"], (r) => assert.equal(r, "codex")], [["demo"], (r) => assert.equal(r, undefined)]],
    bad: [[["x"], "invalid_agent"], [[null], "invalid_input"]],
  },
  agentSandbox: {
    good: [[["pi"], (r) => assert.equal(r, "none")], [["codex"], (r) => assert.equal(r, "os")]],
    bad: [[["x"], "invalid_agent"]],
  },
  agentCredentialEnv: {
    good: [[["codex"], (r) => assert.ok(Array.isArray(r) && r.every((n) => typeof n === "string"))]],
    bad: [[["x"], "invalid_agent"]],
  },
  readUsage: {
    good: [
      [["demo", null, '{"type":"turn.completed","usage":{"input_tokens":12,"cached_input_tokens":2,"output_tokens":6}}\n'],
        (r) => assert.deepEqual(r, { inputTokens: 12, outputTokens: 6, cachedTokens: 2, costUsd: null })],
      [["claude", { inputTokens: 1, outputTokens: 1, cachedTokens: 0, costUsd: 0.5 }, '{"type":"result","usage":{"input_tokens":3,"output_tokens":4},"total_cost_usd":0.25}\n'],
        (r) => assert.deepEqual(r, { inputTokens: 4, outputTokens: 5, cachedTokens: 0, costUsd: 0.75 })],
      [["codex", null, HUGE], (r) => assert.equal(r, null)],
    ],
    bad: [[["x", null, ""], "invalid_agent"], [["demo", { inputTokens: -1 }, ""], "invalid_input"], [["demo", null, 42], "invalid_input"]],
  },
  withBudget: {
    good: [[[record, { maxTokens: 1000 }, 3_000], (r) => assert.deepEqual(r.budget, { maxCostUsd: null, maxTokens: 1000 })], [[record, null, 3_000], (r) => assert.equal(r.budget, null)]],
    bad: [[[record, { maxTokens: 0 }, 3_000], "invalid_option"], [[record, { maxCostUsd: -1 }, 3_000], "invalid_option"], [[record, { maxTokens: 1 }, Number.NaN], "invalid_input"], [[null, null, 1], "invalid_record"]],
  },
  agentUsageReport: {
    good: [[["claude"], (r) => assert.deepEqual(r, { tokens: true, cost: true })], [["codex"], (r) => assert.deepEqual(r, { tokens: true, cost: false })]],
    bad: [[["x"], "invalid_agent"]],
  },
  failureClasses: {
    good: [[[], (r) => assert.ok(r.includes("budget_exceeded") && r.includes("crash") && r.length === 11, String(r))]],
    bad: [],
  },
  // Run by wasm-bindgen at instantiation; calling it again sets the same hook.
  __installPanicHook: { good: [[[], (r) => assert.equal(r, undefined)]], bad: [] },
  // Test only: its own test below (it breaks the instance it runs in).
  __panicForTest: { good: [], bad: [] },
};

/**
 * Asserts that `f` throws a CoreError with `code`.
 * @param {() => unknown} f
 * @param {string} code
 * @param {string} what
 */
function throwsCode(f, code, what) {
  assert.throws(f, (thrown) => {
    const err = /** @type {Error & { code?: string }} */ (thrown);
    assert.ok(err instanceof Error, `${what}: an Error object, not ${typeof thrown}`);
    assert.equal(err.name, "CoreError", `${what}: ${err.name}: ${err.message}`);
    assert.equal(err.code, code, `${what}: ${err.message.slice(0, 300)}`);
    assert.ok(err.message.length <= 2_000, `${what}: a message of ${err.message.length} characters`);
    return true;
  });
}

/**
 * Calls an export: a class (wasm-bindgen's structs) is made with `new`.
 * @param {string} name @param {unknown[]} args
 */
function make(name, args) {
  const f = glue[name];
  return /^class\b/.test(Function.prototype.toString.call(f)) ? new f(...args) : f(...args);
}

/**
 * Asserts that a value returned by the core holds no `undefined` (absent values are `null`).
 * @param {unknown} v
 * @param {string} path
 */
function noUndefined(v, path) {
  if (Array.isArray(v)) v.forEach((x, i) => noUndefined(x, `${path}[${i}]`));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      assert.notEqual(x, undefined, `${path}.${k} is undefined`);
      noUndefined(x, `${path}.${k}`);
    }
  }
}

test("every export of the shipped wasm has boundary cases here", () => {
  const exported = Object.keys(glue).filter((k) => typeof glue[k] === "function").sort();
  assert.deepEqual(exported, Object.keys(CASES).sort());
  // The guarded core of host-shim/core.js offers the same functions.
  assert.deepEqual(Object.keys(core).sort(), exported);
});

for (const [name, { good, bad }] of Object.entries(CASES)) {
  if (name === "__panicForTest") continue;
  test(`${name}: good input gives a value, bad input a CoreError with its code`, () => {
    for (const [args, check] of good) {
      const r = make(name, args);
      check(r);
      noUndefined(r, name);
    }
    for (const [i, [args, code]] of bad.entries()) throwsCode(() => make(name, args), code, `${name} bad #${i}`);
  });
}

test("MonitorStepper: the settings are checked once; its step reads records and observations like monitorStep", () => {
  const stepper = new glue.MonitorStepper({ pollMs: 500 });
  const o = /** @type {any} */ (obs);
  const r = stepper.step(record, o);
  assert.deepEqual(r, glue.monitorStep(record, o, { pollMs: 500 }));
  throwsCode(() => stepper.step({ ...record, extra: 1 }, obs), "invalid_record", "stepper record");
  throwsCode(() => stepper.step(record, { ...o, now: Number.NaN }), "invalid_input", "stepper observation");
  throwsCode(() => stepper.step(record, /** @type {any} */ (42)), "invalid_input", "stepper observation type");
  // The guarded core makes it with `new` too, and its methods answer the same.
  const guarded = new core.MonitorStepper({ pollMs: 500 });
  assert.deepEqual(guarded.step(record, o), r);
  assert.equal(guarded.config().pollMs, 500);
});

test("a value of any wrong type in any argument is a CoreError, never a trap or a TypeError", () => {
  const wrong = [42, -1, 1.5, Number.NaN, "", "x", true, null, undefined, {}, [], [1, 2], 10n, Symbol("s"), () => 1, HUGE];
  let calls = 0;
  for (const [name, { good }] of Object.entries(CASES)) {
    if (good.length === 0) continue;
    const args = good[0][0];
    for (let at = 0; at < Math.max(args.length, glue[name].length); at++) {
      for (const w of wrong) {
        const tried = [...args];
        tried[at] = w;
        calls++;
        try {
          make(name, tried);
        } catch (thrown) {
          const err = /** @type {Error & { code?: string }} */ (thrown);
          assert.ok(err instanceof Error && err.name === "CoreError", `${name} arg ${at} = ${String(w).slice(0, 20)}: ${String(err)}`);
          assert.ok(CODES.has(String(err.code)), `${name}: unknown code ${err.code}`);
          assert.notEqual(err.code, "internal", `${name} arg ${at}: ${err.message}`);
        }
      }
    }
  }
  assert.ok(calls > 500, `${calls} calls`);
  // The instance is unharmed.
  assert.equal(glue.sessionName(spec), "demo-fix-bug");
});

test("a panic reaches JS as internal with its message, and the host carries on with a fresh instance", () => {
  let loads = 0;
  const guarded = guardedCore(() => {
    loads++;
    return loadCore();
  });
  assert.equal(loads, 1);
  throwsCode(() => guarded.__panicForTest(), "internal", "panic");
  assert.throws(() => guarded.__panicForTest(), /deliberate panic for a test/);
  assert.equal(loads, 3, "each panic replaced the instance");
  // The fresh instance answers as before.
  assert.equal(guarded.sessionName(spec), "demo-fix-bug");
  assert.deepEqual(guarded.parseRecord(JSON.stringify(record)), record);
  throwsCode(() => guarded.validateTaskName("Bad"), "invalid_task_name", "after a panic");
  assert.equal(loads, 3, "an ordinary error keeps the instance");
});

test("a trap without a message (a WebAssembly.RuntimeError) is reported as internal too", () => {
  let loads = 0;
  const broken = /** @type {any} */ ({
    redact: () => {
      throw new WebAssembly.RuntimeError("unreachable");
    },
  });
  const guarded = /** @type {any} */ (guardedCore(() => (loads++ === 0 ? broken : loadCore())));
  throwsCode(() => guarded.redact("x"), "internal", "trap");
  assert.equal(loads, 2);
  assert.equal(guarded.redact("plain"), "plain");
});

test("the shared core of the host survives a panic", () => {
  throwsCode(() => core.__panicForTest(), "internal", "panic");
  assert.equal(core.sessionName(spec), "demo-fix-bug");
});

test("a bad task name throws a CoreError with code invalid_task_name", () => {
  for (const name of ["Fix Login", "", "a--b", "$(touch /tmp/x)", "x".repeat(49)]) {
    assert.throws(
      () => core.validateTaskName(name),
      (thrown) => {
        const err = /** @type {Error & { code?: string }} */ (thrown);
        assert.ok(err instanceof Error, "an Error object, not a string");
        assert.equal(err.name, "CoreError");
        assert.equal(err.code, "invalid_task_name");
        assert.match(err.message, /a-z and 0-9/);
        return true;
      },
    );
  }
});

test("only the end of a long text crosses into the core, with the same verdict as the whole", () => {
  const line = "• Ran cargo test -p core --lib … ok, 12 passed; 0 failed\n";
  const crash = "ERROR: unexpected status 401 Unauthorized: invalid api key\n";
  // 10,000 lines (~600 KB) of output, astral characters (surrogate pairs) around the 64 Ki cut.
  const body = line.repeat(10_000) + "😀".repeat(40_000) + "\n" + crash;
  const whole = core.classifyExit("codex", { exitStatus: 1, paneTail: body });
  const tail = core.classifyExit("codex", { exitStatus: 1, paneTail: body.slice(-70_000) });
  assert.deepEqual(whole, tail);
  assert.equal(whole.outcome, "failed");
  assert.equal(/** @type {any} */ (whole).failure.class, "auth");
  // A prompt at the very end of a huge pane is still seen; one far before the end is not read.
  const waiting = core.classifyLive("claude", line.repeat(10_000) + "Do you want to proceed?\n❯ 1. Yes\n");
  assert.equal(waiting.verdict, "waiting_for_input");
  const old = core.classifyLive("claude", "Do you want to proceed?\n" + line.repeat(10_000));
  assert.equal(old.verdict, "working");
  assert.throws(() => core.classifyExit("codex", { paneTail: /** @type {any} */ (42) }), { code: "invalid_input" });
});
