// @ts-check
// Operator agent profiles in the OpenClaw plugin config (`agentProfiles`): registered with the
// core when the config is read, offered by the tool schema, named in policy, passed to the
// TaskManager; an invalid one stops the plugin with invalid_agent_profile naming the field.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import core from "../../host-shim/core.js";
import { normalizeConfig, taskManagerOptions } from "../../host-shim/openclaw/config.js";
import { validateParams, SCHEMAS } from "../../host-shim/openclaw/tools.js";
import { checkSameProfile } from "../../host-shim/task-files.js";

const tinker = JSON.parse(readFileSync(new URL("../fixtures/agents/tinker-config.json", import.meta.url), "utf8")).agents.tinker;
// Back to the built-ins for whatever runs next in this process.
after(() => core.setAgentProfiles("{}"));

test("agentProfiles add an agent to the core, the tool schema, the policy and the TaskManager", () => {
  const start = { agent: "tinker", name: "a", projectDir: "/p", prompt: "p" };
  normalizeConfig({});
  assert.ok(!core.agentNames().includes("tinker"));
  assert.equal(validateParams(SCHEMAS.coding_task_start, start).length, 1);
  const cfg = normalizeConfig({ agentProfiles: { tinker }, policy: { allowUnsandboxed: ["tinker", "nope"] } });
  assert.deepEqual(core.agentNames(), ["codex", "claude", "opencode", "pi", "gemini", "demo", "tinker"]);
  assert.deepEqual(validateParams(SCHEMAS.coding_task_start, start), []);
  assert.ok(JSON.stringify(SCHEMAS.coding_task_start).includes('"tinker"'), "the schema OpenClaw shows lists it");
  assert.deepEqual(cfg.policy.allowUnsandboxed, ["tinker"]);
  assert.deepEqual(taskManagerOptions(cfg, "/s").agents, { tinker });
  assert.equal(core.agentSandbox("tinker"), "permissions");
  assert.equal(JSON.parse(core.agentProfileJson("tinker")).source, "operator");
});

test("an invalid profile is refused with the field named, and changes nothing", () => {
  normalizeConfig({ agentProfiles: { tinker } });
  const broken = { ...tinker, session_id: { ...tinker.session_id, text: "^>> conversation (tk-[0-9a-f]{8}" } };
  assert.throws(() => normalizeConfig({ agentProfiles: { tinker: broken } }), (/** @type {any} */ e) =>
    e.code === "invalid_agent_profile" && /agents\.tinker\.session_id\.text: regex parse error/.test(e.message));
  assert.throws(() => normalizeConfig({ agentProfiles: { tinker: { ...tinker, prompt: "argv" } } }), { code: "invalid_agent_profile" });
  assert.ok(core.agentNames().includes("tinker"), "the previous set stays");
});

test("a task started on an operator profile is not resumed once that profile changed", () => {
  normalizeConfig({ agentProfiles: { tinker } });
  const kept = JSON.parse(core.agentProfileJson("tinker"));
  checkSameProfile(kept, core.agentProfileJson("tinker"), "/t");
  checkSameProfile(null, "", "/t"); // a task from before profiles were kept
  checkSameProfile(JSON.parse(core.agentProfileJson("codex")), core.agentProfileJson("codex"), "/t");
  normalizeConfig({ agentProfiles: { tinker: { ...tinker, autonomy: { sandboxed: [], full: [] } } } });
  assert.throws(() => checkSameProfile(kept, core.agentProfileJson("tinker"), "/t"), { code: "task_file_unsafe" });
  assert.throws(() => checkSameProfile(kept, "", "/t"), { code: "task_file_unsafe" });
});

test("Gemini's profile gives each task its own TMPDIR (task_env data, filled by the core)", () => {
  const e = core.agentTaskEnv("gemini", "/home/u/state-tmp/gemini-x-1");
  assert.deepEqual(e, { env: [{ name: "TMPDIR", value: "/home/u/state-tmp/gemini-x-1" }], needsTaskTmp: true });
  assert.deepEqual(core.agentTaskEnv("codex", "/x"), { env: [], needsTaskTmp: false });
  assert.throws(() => core.agentTaskEnv("gemini", "relative"), (err) => /** @type {any} */ (err).code === "invalid_input");
});

test("a task that kept no profile is not resumed with one adopted from another task's host.json", () => {
  normalizeConfig({ agentProfiles: { tinker } });
  const kept = JSON.parse(core.agentProfileJson("tinker"));
  normalizeConfig({}); // a process configured without tinker
  assert.equal(core.adoptTaskProfile("tinker", JSON.stringify(kept.profile)), true);
  assert.equal(JSON.parse(core.agentProfileJson("tinker")).source, "task");
  checkSameProfile(kept, core.agentProfileJson("tinker"), "/t"); // the task that kept it
  assert.throws(() => checkSameProfile(null, core.agentProfileJson("tinker"), "/t"), { code: "task_file_unsafe" });
  checkSameProfile(null, core.agentProfileJson("codex"), "/t"); // built in: an older task goes on
});
