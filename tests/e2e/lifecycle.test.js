// @ts-check
// Start → running → completed on real tmux, for the demo agent and the four CLIs (fakes that
// accept the real flags and print the real output), all watched by one monitor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, collect, watching } from "./helpers.js";

const w = await world();

test("every agent runs to completion in its own tmux session, with its session id recorded", async () => {
  const tm = w.manager({ env: w.agentEnv({ RCA_DEMO_MODE: "succeed" }) });
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const agents = ["demo", "codex", "claude", "opencode", "pi"];
    const views = [];
    for (const agent of agents) {
      views.push(
        await tm.start({
          agent,
          name: `life-${agent}`,
          projectDir: w.projectDir,
          prompt: `say hi (${agent})`,
          model: agent === "opencode" ? "mock/mock-model" : undefined,
        }),
      );
    }
    for (const v of views) {
      assert.equal(v.state, "starting");
      assert.equal(v.attempts, 1);
      assert.match(v.attach, new RegExp(`tmux -L ${w.socket} attach -t '=${v.session}'`));
    }
    await waitFor(
      async () => (await tm.list()).every((v) => v.state === "completed"),
      { timeoutMs: 45_000, what: "all five tasks completed" },
    );
    const list = await tm.list();
    const ids = Object.fromEntries(list.map((v) => [v.agent, v.agentSessionId]));
    assert.match(ids.demo ?? "", /^[0-9a-f-]{36}$/);
    assert.match(ids.codex ?? "", /^[0-9a-f-]{36}$/);
    assert.match(ids.claude ?? "", /^[0-9a-f-]{36}$/);
    assert.match(ids.opencode ?? "", /^ses_[A-Za-z0-9]{26}$/);
    assert.match(ids.pi ?? "", /^[0-9a-f-]{36}$/);

    // Exactly one started and one completed event per task: edges, not levels.
    for (const v of views) {
      const kinds = events.filter((e) => e.session === v.session).map((e) => e.kind);
      assert.deepEqual(kinds.filter((k) => k === "completed"), ["completed"], `${v.session}: ${kinds}`);
      assert.ok(kinds.filter((k) => k === "started").length <= 1, `${v.session}: ${kinds}`);
      assert.ok(!kinds.includes("recovering"), `${v.session}: ${kinds}`);
    }

    // Each fake ran once, in the project directory, with its real flags and the prompt on stdin.
    const calls = await w.calls();
    const by = Object.fromEntries(calls.map((c) => [c.agent, c]));
    for (const agent of ["codex", "claude", "opencode", "pi"]) {
      assert.equal(calls.filter((c) => c.agent === agent).length, 1, agent);
      assert.equal(by[agent].cwd, w.projectDir);
      assert.ok(by[agent].promptBytes > 0, `${agent} got the prompt on stdin`);
    }
    assert.deepEqual(by.codex.argv.slice(0, 2), ["exec", "--json"]);
    assert.ok(by.claude.argv.includes("--session-id"));
    assert.equal(by.claude.argv[by.claude.argv.indexOf("--session-id") + 1], ids.claude);

    // The transcript keeps what the pane showed, with the compatibility marker.
    const demo = views[0];
    const transcript = await readFile(join(demo.taskDir, "transcript.log"), "utf8");
    assert.match(transcript, /"type":"turn.completed"/);
    assert.match(transcript, /__TASK_DONE__/);
    const status = await tm.status(demo.session);
    assert.equal(status.state, "completed");
    assert.equal(status.failure, null);
    assert.match(status.recentOutput, /__TASK_DONE__/);
  } finally {
    await stopWatching();
  }
});
