// @ts-check
// The host's reading of an attempt's usage (host-shim/usage-reader.js) from a real file that
// grows: whole lines only, each read once, a half-written line waited for, a new attempt or a
// replaced file read from the start; and the budget resolution (host-shim/budget.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, writeFile, rm } from "node:fs/promises";
import * as fsp from "node:fs/promises";
import { join } from "node:path";
import { UsageReader } from "../../host-shim/usage-reader.js";
import { resolveBudget, checkBudgetConfig } from "../../host-shim/budget.js";
import { makeTestDir } from "../support/dirs.js";

const dir = makeTestDir("rca-usage-reader-");
test.after(() => rm(dir, { recursive: true, force: true }));

/** A record as far as the reader looks at it. @param {string} agent */
const rec = (agent) => /** @type {any} */ ({ taskDir: join(dir, agent), spec: { agent } });
const step = (/** @type {number} */ i, /** @type {number} */ o) => JSON.stringify({ type: "step_finish", part: { tokens: { input: i, output: o, reasoning: 0, cache: { read: 1, write: 0 } }, cost: 0.5 } }) + "\n";

test("per-event usage of a growing event file is summed once per line, half lines waited for", async () => {
  const file = join(dir, "events.1.jsonl");
  const r = new UsageReader(fsp);
  assert.equal(await r.read(rec("opencode"), file, 1), null, "no file yet");
  await writeFile(file, '{"type":"step_start"}\n' + step(10, 2));
  assert.deepEqual(await r.read(rec("opencode"), file, 1), { inputTokens: 11, outputTokens: 2, cachedTokens: 1, costUsd: 0.5 });
  const half = step(20, 4);
  await appendFile(file, half.slice(0, 30));
  assert.equal((await r.read(rec("opencode"), file, 1))?.inputTokens, 11, "the half line is not read yet");
  await appendFile(file, half.slice(30));
  assert.deepEqual(await r.read(rec("opencode"), file, 1), { inputTokens: 32, outputTokens: 6, cachedTokens: 2, costUsd: 1 });
  assert.equal((await r.read(rec("opencode"), file, 1))?.inputTokens, 32, "read again: nothing counted twice");
  // A fresh reader (a monitor that restarted) reads the file once from the start: the same.
  assert.equal((await new UsageReader(fsp).read(rec("opencode"), file, 1))?.inputTokens, 32);
  // The next attempt's file starts from nothing; a replaced (shorter) file is read again.
  const file2 = join(dir, "events.2.jsonl");
  await writeFile(file2, step(5, 1));
  assert.equal((await r.read(rec("opencode"), file2, 2))?.inputTokens, 6);
  await writeFile(file2, "");
  assert.equal(await r.read(rec("opencode"), file2, 2), null, "emptied: nothing reported any more");
  await writeFile(file2, step(1, 1));
  assert.equal((await r.read(rec("opencode"), file2, 2))?.inputTokens, 2);
});

test("a symlink in the event file's place is not followed", async () => {
  const real = join(dir, "elsewhere.jsonl");
  await writeFile(real, step(100, 100));
  const link = join(dir, "events.9.jsonl");
  await fsp.symlink(real, link);
  assert.equal(await new UsageReader(fsp).read(rec("opencode"), link, 9), null);
});

test("budgets: asked, else the default, else the ceiling; never above the ceiling", () => {
  const none = { maxCostUsd: null, maxTokens: null };
  assert.equal(resolveBudget({}, none, none), null);
  assert.deepEqual(resolveBudget({ maxTokens: 10 }, { maxCostUsd: 2, maxTokens: null }, none), { maxCostUsd: 2, maxTokens: 10 });
  assert.deepEqual(resolveBudget({}, none, { maxCostUsd: 3, maxTokens: null }), { maxCostUsd: 3, maxTokens: null });
  assert.throws(() => resolveBudget({ maxCostUsd: 4 }, none, { maxCostUsd: 3, maxTokens: null }), (/** @type {any} */ e) => e.code === "budget_above_ceiling");
  assert.throws(() => resolveBudget({ maxTokens: 1.5 }, none, none), (/** @type {any} */ e) => e.code === "invalid_option");
  assert.throws(() => checkBudgetConfig("budgetCeiling", { maxTokenz: 1 }), (/** @type {any} */ e) => e.code === "invalid_config");
});
