// @ts-check
// The package's Node API: the TaskManager, its error type, and the core's pure functions
// (validation, plans, classification, the monitor step, redaction), typed from the wasm glue.
import core from "./core.js";

export { TaskManager } from "./task-manager.js";
export { RcaError } from "./errors.js";
export { resolveStateDir } from "./store.js";
export { DEMO_AGENT_PATH } from "./context.js";

/** The core (wasm) itself, every export included. */
export { core };
