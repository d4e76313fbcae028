// @ts-check
// A panic in the core (a bug) while the monitor steps one task, on real tmux with the demo
// agent: the step reports `internal` with the panic's message, the core is instantiated afresh,
// and the monitor goes on serving the other task (and, once the bug stops firing, this one).
import { test } from "node:test";
import assert from "node:assert/strict";
import core from "../../host-shim/core.js";
import { world, waitFor, watching } from "./helpers.js";

const w = await world();

test("a core panic on one task's step is reported as internal; the monitor serves every task on", async () => {
  // The bug: stepping task `demo-panic-a` panics inside the core, three times. The patch sits
  // on the stepper the monitor makes from the shared core object, so the panic is a real one in
  // the wasm (and the stepper is made again on the fresh instance).
  const MonitorStepper = core.MonitorStepper;
  let panics = 0;
  /** @type {any} */ (core).MonitorStepper = function (/** @type {any} */ config) {
    const stepper = new MonitorStepper(config);
    const step = stepper.step;
    stepper.step = (/** @type {any} */ record, /** @type {any} */ obs) => {
      if (record?.session === "demo-panic-a" && panics < 3) {
        panics++;
        core.__panicForTest();
      }
      return step(record, obs);
    };
    return stepper;
  };
  const tm = w.manager({ env: w.agentEnv({ RCA_DEMO_MODE: "succeed" }) });
  /** @type {Array<{ code: string, message: string, session?: string }>} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const stopWatching = watching(tm);
  try {
    for (const name of ["panic-a", "panic-b"]) {
      await tm.start({ agent: "demo", name, projectDir: w.projectDir, prompt: `work (${name})` });
    }
    await waitFor(async () => (await tm.status("demo-panic-b")).state === "completed", {
      timeoutMs: 45_000,
      what: "the healthy task completed",
    });
    await waitFor(() => panics >= 3, { timeoutMs: 30_000, what: "three panics" });
    const internal = problems.filter((p) => p.code === "internal");
    assert.equal(internal.length, 3, JSON.stringify(problems));
    for (const p of internal) {
      assert.equal(p.session, "demo-panic-a");
      assert.match(p.message, /deliberate panic for a test/);
    }
    // Once the bug no longer fires, the monitor (on a fresh instance) finishes that task too.
    await waitFor(async () => (await tm.status("demo-panic-a")).state === "completed", {
      timeoutMs: 45_000,
      what: "the task whose steps panicked completed",
    });
  } finally {
    /** @type {any} */ (core).MonitorStepper = MonitorStepper;
    await stopWatching().catch(() => {});
  }
});
