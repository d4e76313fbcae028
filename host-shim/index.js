// @ts-check
// The package's Node API: the TaskManager, its error type, and the core's pure functions
// (validation, plans, classification, the monitor step, redaction), typed from the wasm glue.
import core from "./core.js";

export { TaskManager } from "./task-manager.js";
export { RcaError } from "./errors.js";
export { resolveStateDir } from "./store.js";
export { DEMO_AGENT_PATH } from "./context.js";

/** The core (wasm) module itself. */
export { core };

// The core's functions by name. They throw Error objects named "CoreError" with a stable `code`.
export const {
  validateTaskName,
  validateSpec,
  validatePrompt,
  sessionName,
  parseSession,
  planStart,
  planRecover,
  planListPanes,
  parsePaneList,
  planCapture,
  planSend,
  planStop,
  wrapperScript,
  attemptFiles,
  extractSessionId,
  agentSandbox,
  validateSessionId,
  classifyExit,
  classifyLive,
  parseResetHint,
  nextClockOccurrence,
  redact,
  defaultMonitorConfig,
  validateMonitorConfig,
  newRecord,
  parseRecord,
  monitorStep,
  MonitorStepper,
  manualResume,
  markStopped,
} = core;
