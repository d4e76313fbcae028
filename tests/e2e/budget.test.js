// @ts-check
// Budgets on real tmux with a fake CLI that reports its usage as it works (tests/fakes/meter,
// known only through tests/fixtures/agents/meter-config.json: its `usage` section is operator
// data). A budget crossed mid-run stops the agent (its tmux session is killed): failed, class
// budget_exceeded, announced once, never resumed automatically; a manual resume is refused
// until the budget is raised; the operator's ceiling binds every start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { TaskManager } from "../../host-shim/task-manager.js";
import { world, waitFor, collect, FAST } from "./helpers.js";

const CONFIG = fileURLToPath(new URL("../fixtures/agents/meter-config.json", import.meta.url));
const w = await world();
const agents = JSON.parse(await readFile(CONFIG, "utf8")).agents;
const log = join(w.root, "meter-calls.jsonl");
const calls = async () => (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l));
/** @type {TaskManager[]} */
const managers = [];
test.after(async () => {
  for (const tm of managers) await tm.close();
});

/** @param {Record<string, unknown>} [opts] */
function manager(opts = {}) {
  const tm = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: w.socket, config: { ...FAST }, agents,
    env: w.agentEnv({ METER_LOG: log, METER_STEP_MS: "150" }), ...opts,
  });
  managers.push(tm);
  return tm;
}

const hasSession = (/** @type {string} */ s) => {
  try {
    w.tmux("has-session", "-t", `=${s}`);
    return true;
  } catch {
    return false;
  }
};
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

test("a budget crossed mid-run stops the agent as budget_exceeded; never resumed until raised", async () => {
  const tm = manager();
  const events = collect(tm);
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    // 1,200 tokens per step: the 5th step reaches 6,000 ≥ 5,000.
    const v = await tm.start({ agent: "meter", name: "spender", projectDir: w.projectDir, prompt: "work forever", maxTokens: 5000 });
    assert.deepEqual(v.budget, { maxCostUsd: null, maxTokens: 5000 });
    const failed = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "failed" ? s : null;
    }, { what: "stopped by its budget" });
    assert.equal(failed.failure?.class, "budget_exceeded", JSON.stringify(failed.failure));
    assert.match(failed.failure?.evidence ?? "", /used \d+ tokens of a 5000-token budget/);
    const total = /** @type {any} */ (failed.usage);
    assert.ok(total.inputTokens + total.outputTokens >= 5000, JSON.stringify(total));
    assert.equal((total.inputTokens + total.outputTokens) % 1200, 0, "whole steps only");
    assert.ok(total.costUsd > 0, "the fake reports cost too");
    assert.equal(hasSession(v.session), false, "the agent's tmux session was killed");
    // Never resumed: still one run, one failed event (announced once, carrying the usage).
    await sleep(1500);
    const later = await tm.status(v.session);
    assert.equal(later.state, "failed");
    assert.equal(later.attempts, 1);
    assert.equal((await calls()).length, 1);
    const mine = events.filter((e) => e.session === v.session);
    assert.deepEqual(mine.map((e) => e.kind), ["started", "failed"]);
    assert.deepEqual(mine[1].usage, failed.usage);

    // A manual resume is refused while the budget is spent (CLI and library) …
    const cli = await w.cli(["resume", v.session, "--config", CONFIG]);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /budget_exceeded.*raise the budget/);
    await assert.rejects(tm.resume(v.session), (/** @type {any} */ e) => e.code === "budget_exceeded");
    // … and runs, resuming the same conversation, with a higher one; it stops again there.
    const raised = total.inputTokens + total.outputTokens + 2400;
    const resumed = await tm.resume(v.session, { maxTokens: raised });
    assert.equal(resumed.budget?.maxTokens, raised);
    const again = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "failed" && s.attempts === 2 ? s : null;
    }, { what: "stopped again at the raised budget" });
    assert.equal(again.failure?.class, "budget_exceeded");
    const [first, second] = await calls();
    assert.equal(second.resumeId, failed.agentSessionId, `resumed the same conversation (${JSON.stringify(first)})`);
    const per = /** @type {any[]} */ (again.usageByAttempt);
    assert.deepEqual(per.map((a) => a.attempt), [1, 2]);
    const sum = per.reduce((s, a) => s + a.usage.inputTokens + a.usage.outputTokens, 0);
    const t2 = /** @type {any} */ (again.usage);
    assert.equal(t2.inputTokens + t2.outputTokens, sum, "the total is the attempts' sum");
    assert.ok(sum >= raised, `${sum} ≥ ${raised}`);

    // status and list show it.
    const status = await w.cli(["status", v.session, "--config", CONFIG]);
    assert.match(status.stdout, /usage\s+[\d,]+ tokens \(in [\d,]+ incl\. 0 cached, out [\d,]+\), \$0\.\d+/);
    assert.match(status.stdout, /budget\s+[\d,]+ tokens/);
    const list = await w.cli(["list", "--config", CONFIG]);
    assert.match(list.stdout, /^SESSION\s+STATE\s+ATTEMPTS\s+USAGE/);
    assert.match(list.stdout, /meter-spender\s+failed\s+2\s+[\d.]+k tok \$0\.\d+/);
  } finally {
    ctl.abort();
    await watching;
  }
});

test("the operator's ceiling binds every start; a default applies when a start names none", async () => {
  const tm = manager({ budgetCeiling: { maxTokens: 100_000 }, defaultBudget: { maxCostUsd: 5 } });
  await assert.rejects(
    tm.start({ agent: "meter", name: "greedy", projectDir: w.projectDir, prompt: "x", maxTokens: 200_000 }),
    (/** @type {any} */ e) => e.code === "budget_above_ceiling" && /at most 100000/.test(e.message),
  );
  assert.equal(hasSession("meter-greedy"), false, "nothing started");
  const v = await tm.start({ agent: "meter", name: "modest", projectDir: w.projectDir, prompt: "x" });
  assert.deepEqual(v.budget, { maxCostUsd: 5, maxTokens: 100_000 }, "the default, and the ceiling as the limit");
  await assert.rejects(tm.resume(v.session, { maxTokens: 200_000 }), (/** @type {any} */ e) => e.code === "budget_above_ceiling");
  await tm.stop(v.session);
  assert.throws(() => manager({ budgetCeiling: { maxTokens: 10 }, defaultBudget: { maxTokens: 20 } }), (/** @type {any} */ e) => e.code === "invalid_config");
});
