// @ts-check
// The settings around worktrees, auto-resume and recovery pacing: the tool's parameters, the
// plugin's config passed on to the TaskManager, and what is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SCHEMAS, validateParams } from "../../host-shim/openclaw/tools.js";
import { normalizeConfig, taskManagerOptions } from "../../host-shim/openclaw/config.js";
import { checkSetupCommand, parseWorktreeInfo, gitEnv } from "../../host-shim/worktree.js";

const start = { agent: "codex", name: "x", projectDir: "/home/u/p", prompt: "p" };

test("coding_task_start takes isolation, base and autoResume, and refuses other values", () => {
  assert.deepEqual(validateParams(SCHEMAS.coding_task_start, { ...start, isolation: "worktree", base: "main", autoResume: false }), []);
  assert.notDeepEqual(validateParams(SCHEMAS.coding_task_start, { ...start, isolation: "container" }), []);
  assert.notDeepEqual(validateParams(SCHEMAS.coding_task_start, { ...start, autoResume: "no" }), []);
});

test("the plugin's worktree and recovery settings reach the TaskManager", () => {
  const cfg = normalizeConfig({ worktree: true, autoResume: false, setupCommand: ["npm", "ci"], worktreeRoot: "/srv/wt", recoveryStaggerMs: 2000, recoveryConcurrency: 4 });
  const opts = taskManagerOptions(cfg, "/state");
  assert.equal(opts.worktree, true);
  assert.equal(opts.autoResume, false);
  assert.deepEqual(opts.setupCommand, ["npm", "ci"]);
  assert.equal(opts.worktreeRoot, "/srv/wt");
  assert.equal(opts.recoveryStaggerMs, 2000);
  assert.equal(opts.recoveryConcurrency, 4);
});

test("a setup command is an argv; a worktree record is checked; git gets none of the caller's GIT_* variables", () => {
  assert.deepEqual(checkSetupCommand(["npm", "ci"]), ["npm", "ci"]);
  assert.equal(checkSetupCommand(null), null);
  assert.throws(() => checkSetupCommand("npm ci"), /argv array/);
  assert.throws(() => checkSetupCommand([]), /argv array/);
  const ok = { repo: "/r", path: "/w/x", branch: "rca/x", base: "HEAD", baseCommit: "a".repeat(40) };
  assert.deepEqual(parseWorktreeInfo(ok), ok);
  assert.equal(parseWorktreeInfo({ ...ok, branch: "main" }), null, "only our branches");
  assert.equal(parseWorktreeInfo({ ...ok, path: "relative" }), null);
  const env = gitEnv({ PATH: "/bin", HOME: "/h", GIT_DIR: "/evil", GIT_CONFIG_GLOBAL: "/evil", GIT_WORK_TREE: "/evil" });
  assert.deepEqual(Object.keys(env).filter((k) => k.startsWith("GIT_") && k !== "GIT_TERMINAL_PROMPT"), []);
});
