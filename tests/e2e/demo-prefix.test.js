// @ts-check
// The TaskManager's `demoAgent` option (the argv prefix that runs the simulated agent; OpenClaw
// passes the installed package's copy because it runs plugin code from a temporary one): the
// start uses it, and a recovery by ANOTHER TaskManager (another process, without the option)
// uses the same prefix, kept in the task's host.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskManager, DEMO_AGENT_PATH } from "../../host-shim/index.js";
import { world, waitFor, watching } from "./helpers.js";

const w = await world();

test("demoAgent: the start and a recovery by another manager run the given prefix", async () => {
  // A prefix that logs each run, then becomes the demo agent (as `node demo-agent.js …`).
  const shim = join(w.root, "demo-shim.mjs");
  const log = join(w.root, "demo-shim.log");
  await writeFile(shim, [
    `import { appendFileSync } from "node:fs";`,
    `const [agent, ...rest] = process.argv.slice(2);`,
    `appendFileSync(${JSON.stringify(log)}, JSON.stringify(rest) + "\\n");`,
    `process.argv.splice(2, 1);`,
    `await import(agent);`,
  ].join("\n"));
  const env = w.agentEnv({ RCA_DEMO_MODE: "crash-once", RCA_DEMO_WORK_MS: "800" });
  const starter = new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, env, config: { pollMs: 200 },
    demoAgent: [process.execPath, shim, DEMO_AGENT_PATH] });
  const v = await starter.start({ agent: "demo", name: "prefix", projectDir: w.projectDir, prompt: "demo" });
  const host = JSON.parse(await readFile(join(v.taskDir, "host.json"), "utf8"));
  assert.deepEqual(host.demoAgent, [process.execPath, shim, DEMO_AGENT_PATH]);

  // Another manager, without the option, watches: the crash is recovered with the task's prefix.
  const other = w.manager({ env });
  const stopWatching = watching(other);
  try {
    const s = await waitFor(async () => {
      const s = await other.status(v.session);
      return s.state === "completed" ? s : null;
    }, { timeoutMs: 40_000, what: "completed after one recovery" });
    assert.equal(s.attempts, 2);
    const runs = (await readFile(log, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(runs.length, 2, "both runs went through the prefix");
    assert.ok(!runs[0].includes("resume"), JSON.stringify(runs[0]));
    assert.deepEqual(runs[1].slice(runs[1].indexOf("resume"), runs[1].indexOf("resume") + 2), ["resume", s.agentSessionId]);
  } finally {
    await stopWatching();
  }
});

test("demoAgent must be a non-empty array of strings", () => {
  for (const bad of [[], "node demo.js", [process.execPath, 3], [""]]) {
    assert.throws(
      () => new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, demoAgent: /** @type {any} */ (bad) }),
      (/** @type {any} */ e) => e.code === "invalid_option",
      JSON.stringify(bad),
    );
  }
});
