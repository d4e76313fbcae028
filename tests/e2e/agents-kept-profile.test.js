// @ts-check
// An existing task of an operator agent is read, monitored and resumed with the profile kept in
// its host.json by a process (or a TaskManager) whose configuration does not define that agent;
// new tasks only ever get the agents of their own manager's configuration. On real tmux with
// the fake `tinker` CLI (tests/fixtures/agents/tinker-config.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { TaskManager } from "../../host-shim/task-manager.js";
import { world, waitFor, agentPid, FAST } from "./helpers.js";

const CONFIG = fileURLToPath(new URL("../fixtures/agents/tinker-config.json", import.meta.url));
const w = await world();
const agents = JSON.parse(await readFile(CONFIG, "utf8")).agents;
const log = join(w.root, "tinker-calls.jsonl");
const calls = async () => (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l));

/** @type {TaskManager[]} */
const managers = [];
test.after(async () => {
  for (const tm of managers) await tm.close();
});
/** @param {Record<string, unknown>} agentsConfig @param {Record<string, string>} [env] */
function manager(agentsConfig, env = {}) {
  const tm = new TaskManager({
    stateDir: w.stateDir, tmuxSocket: w.socket, config: { ...FAST }, agents: agentsConfig,
    env: w.agentEnv({ TINKER_LOG: log, ...env }),
  });
  managers.push(tm);
  return tm;
}

test("without the configuration, a task of an operator agent is listed, monitored and resumed with its kept profile", async () => {
  const withConfig = manager(agents, { TINKER_WORK_MS: "30000", TINKER_RESUME_WORK_MS: "300" });
  const v = await withConfig.start({ agent: "tinker", name: "kept", projectDir: w.projectDir, prompt: "long job", model: "big-brain" });
  // Another process, no --config: the task is listed as it is, not as an unknown agent.
  const list = await w.cli(["list", "--json"]);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout);
  const row = (Array.isArray(listed) ? listed : listed.tasks ?? []).find((/** @type {any} */ t) => t.session === v.session);
  assert.ok(row, `${list.stdout}\n${list.stderr}`);
  assert.equal(row.agent, "tinker");
  assert.notEqual(row.state, "invalid_agent");
  assert.doesNotMatch(list.stderr, /invalid_agent/);

  // A manager of this process configured without tinker monitors it: SIGKILLed, resumed by
  // the same id with tinker's own flags (the kept profile), completed.
  const without = manager({}, { TINKER_RESUME_WORK_MS: "300" });
  const ctl = new AbortController();
  const watching = without.watch({ signal: ctl.signal });
  try {
    const running = await waitFor(async () => {
      const s = await without.status(v.session);
      return s.state === "running" && s.agentSessionId ? s : null;
    }, { what: "running, seen by the manager without tinker" });
    process.kill(await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" }), "SIGKILL");
    const done = await waitFor(async () => {
      const s = await without.status(v.session);
      return ["completed", "failed"].includes(s.state) ? s : null;
    }, { what: "the end after the resume" });
    assert.equal(done.state, "completed", JSON.stringify(done.failure));
    assert.equal(done.attempts, 2);
    const resumed = (await calls()).find((c) => c.resumeId === running.agentSessionId);
    assert.deepEqual(resumed?.argv, ["chat", "--stdin-prompt", "--careful", "--brain", "big-brain", "--pick-up", running.agentSessionId]);

    // That manager's configuration has no tinker: it starts none, although it resumed one.
    await assert.rejects(without.start({ agent: "tinker", name: "not-mine", projectDir: w.projectDir, prompt: "x" }), { code: "invalid_agent" });
    // The manager configured with tinker still starts it, after the other one was built.
    const again = await withConfig.start({ agent: "tinker", name: "still-mine", projectDir: w.projectDir, prompt: "short job" });
    assert.equal(again.session, "tinker-still-mine");
    await withConfig.stop(again.session);
  } finally {
    ctl.abort();
    await watching;
  }
});
