// @ts-check
// OpenClaw plugin entry (package.json `openclaw.extensions`). OpenClaw loads it with require()
// semantics: synchronous all the way down, no top-level await (the wasm core is instantiated
// synchronously by ../core.js). `register` only registers — tools, the monitor service and the
// `openclaw coding-tasks` CLI group; nothing starts until OpenClaw starts the service in the
// gateway or a tool or command runs. See ./register.js.
import core from "../core.js";
import { TaskManager } from "../task-manager.js";
import { createRegister } from "./register.js";

/** The core's default recovery schedule, for the text coding_task_start answers with. */
function monitorDefaults() {
  try {
    const d = /** @type {any} */ (core).defaultMonitorConfig?.();
    if (d && typeof d.recoveryBaseDelayMs === "number" && typeof d.giveUpAfterMs === "number") {
      return { recoveryBaseDelayMs: d.recoveryBaseDelayMs, giveUpAfterMs: d.giveUpAfterMs };
    }
  } catch {
    // fall through to the documented defaults
  }
  return { recoveryBaseDelayMs: 180_000, giveUpAfterMs: 5 * 3_600_000 };
}

const register = createRegister({
  createTaskManager: (opts) => /** @type {any} */ (new TaskManager(opts)),
  agentSandbox: (agent) => /** @type {any} */ (core).agentSandbox(agent),
  defaults: monitorDefaults(),
});

export default register;
