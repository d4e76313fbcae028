// @ts-check
// Readable output: tables line up, details show failures and how to attach.
import { test } from "node:test";
import assert from "node:assert/strict";
import { table, taskTable, taskDetails, duration, eventLine } from "../../host-shim/cli/format.js";

/** @type {import("../../host-shim/task-manager.js").TaskView} */
const view = {
  session: "codex-fix-it",
  agent: "codex",
  name: "fix-it",
  projectDir: "/src/app",
  model: null,
  autonomy: "sandboxed",
  state: "recovering",
  failure: { class: "signal", evidence: "exit status 137" },
  gaveUp: false,
  attempts: 2,
  agentSessionId: "01a20aee-07dc-7642-86cc-36bb08482310",
  createdAt: "2026-11-24T01:00:00.000Z",
  updatedAt: "2026-11-24T01:02:00.000Z",
  nextRecoveryAt: "2026-11-24T01:05:00.000Z",
  taskDir: "/state/tasks/codex-fix-it-abc123",
  attach: "tmux attach -t '=codex-fix-it'",
  origin: null,
};

test("columns are padded to the widest cell", () => {
  assert.equal(table(["A", "BB"], [["xxx", "y"], ["z", "w"]]), "A    BB\nxxx  y\nz    w");
});

test("the task table shows state, attempts and the failure", () => {
  const out = taskTable([view]);
  assert.match(out, /^SESSION\s+STATE\s+ATTEMPTS/);
  assert.match(out, /codex-fix-it\s+recovering\s+2\s+-\s+2026-11-24 01:02:00Z\s+signal: exit status 137/);
  const used = taskTable([{ ...view, usage: { inputTokens: 12_000, outputTokens: 3_400, cachedTokens: 0, costUsd: 0.0421 } }]);
  assert.match(used, /^SESSION\s+STATE\s+ATTEMPTS\s+USAGE\s+UPDATED/);
  assert.match(used, /codex-fix-it\s+recovering\s+2\s+15k tok \$0\.0421\s+2026/);
  assert.equal(taskTable([]), "no tasks");
});

test("details show usage in total and per attempt, and the budget", () => {
  const u = (/** @type {number} */ n, /** @type {number | null} */ c) => ({ inputTokens: n, outputTokens: 10, cachedTokens: 5, costUsd: c });
  const out = taskDetails({ ...view, usage: u(2000, 0.5), usageByAttempt: [{ attempt: 1, usage: u(500, 0.1) }, { attempt: 2, usage: u(1500, 0.4) }], budget: { maxCostUsd: 2, maxTokens: 1_000_000 } });
  assert.match(out, /^usage\s+2,010 tokens \(in 2,000 incl\. 5 cached, out 10\), \$0\.5000$/m);
  assert.match(out, /^per attempt\s+#1 510 tok \$0\.1000, #2 1\.5k tok \$0\.4000$/m);
  assert.match(out, /^budget\s+\$2\.00, 1,000,000 tokens$/m);
  assert.match(taskDetails({ ...view, usage: u(1, null) }), /cost not reported/);
});

test("details show the session id, the failure, the attach command and recent output", () => {
  const out = taskDetails({ ...view, recentOutput: "last line" });
  assert.match(out, /agent session\s+01a20aee/);
  assert.match(out, /failure\s+signal: exit status 137/);
  assert.match(out, /attach\s+tmux attach -t '=codex-fix-it'/);
  assert.match(out, /recent output:\nlast line$/);
});

test("durations and event lines read well", () => {
  assert.equal(duration(850), "850 ms");
  assert.equal(duration(4200), "4.2 s");
  assert.equal(duration(185_000), "3 min 5 s");
  const line = eventLine({ kind: "completed", session: "s", state: "completed", failure: null, attempts: 2, at: Date.UTC(2026, 0, 1), nextRecoveryAt: null, message: "s completed" });
  assert.match(line, /^\d\d:\d\d:\d\d\.\d{3}  completed\s+s completed$/);
});
