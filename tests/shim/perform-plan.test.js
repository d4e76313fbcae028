// @ts-check
// performPlan, the one place that carries out a plan (a start, a recovery, a send): files are
// written and synced before any command runs, and a session that tmux created before a later
// part of the same command failed is killed by its id — for a recovery as for a start — so a
// failed attempt never leaves an unrecorded session running an agent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { performPlan } from "../../host-shim/monitor.js";

/** A recording store and a tmux whose first command fails with `first`. @param {{ code: number, stdout: string, stderr: string }} first */
function fakes(first) {
  /** @type {string[]} */
  const log = [];
  const store = {
    /** @param {string} _d @param {string} path */ writeNew: async (_d, path) => void log.push(`writeNew ${path}`),
    /** @param {string} _d @param {string} path */ replaceAtomically: async (_d, path) => void log.push(`replace ${path}`),
    syncDir: async () => void log.push("syncDir"),
  };
  let calls = 0;
  const tmux = {
    socket: "rca-test",
    /** @param {{ argv: string[] }} cmd */
    run: async (cmd) => {
      log.push(cmd.argv.join(" "));
      return calls++ === 0 ? { ...first, noServer: false } : { code: 0, stdout: "", stderr: "", noServer: false };
    },
  };
  return { log, store: /** @type {any} */ (store), tmux: /** @type {any} */ (tmux) };
}

const plan = {
  files: [{ path: "prompt.2", contents: "p", mode: 0o600, exclusive: true }],
  commands: [{ argv: ["tmux", "-L", "rca-test", "new-session", "-d", "-s", "demo-x", "-P", "-F", "#{session_id}"], stdin: null, env: [] }],
};

test("a command that failed after tmux printed the new session's id: that session is killed by id, then tmux_failed", async () => {
  const { log, store, tmux } = fakes({ code: 1, stdout: "$17\n", stderr: "no such window" });
  await assert.rejects(performPlan(store, tmux, "/task", /** @type {any} */ (plan)), (/** @type {any} */ e) => e.code === "tmux_failed" && /no such window/.test(e.message));
  assert.deepEqual(log, ["writeNew prompt.2", "syncDir", plan.commands[0].argv.join(" "), "tmux -u -L rca-test kill-session -t $17"]);
});

test("a failure before any session existed kills nothing; a name already taken is task_exists", async () => {
  const { log, store, tmux } = fakes({ code: 1, stdout: "", stderr: "duplicate session: demo-x" });
  await assert.rejects(performPlan(store, tmux, "/task", /** @type {any} */ (plan)), { code: "task_exists" });
  assert.equal(log.filter((l) => l.includes("kill-session")).length, 0, log.join("\n"));
});

test("a plan without files (send) runs its commands without syncing", async () => {
  const { log, store, tmux } = fakes({ code: 0, stdout: "", stderr: "" });
  await performPlan(store, tmux, "/task", /** @type {any} */ ({ files: [], commands: plan.commands }));
  assert.deepEqual(log, [plan.commands[0].argv.join(" ")]);
});
