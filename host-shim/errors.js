// @ts-check
// One error type for everything the host shim throws. Core errors (name "CoreError") keep their
// code when they pass through, so callers switch on `err.code` whichever side refused.

/**
 * Codes the host adds to the core's (see the README's error table).
 * @typedef {"task_exists" | "task_not_found" | "project_dir_missing" | "monitor_busy"
 *   | "tmux_unavailable" | "tmux_failed" | "record_corrupt" | "state_dir_unsafe"
 *   | "program_not_found" | "task_file_unsafe" | "record_unreadable" | "state_unreadable" | "state_write_failed"
 *   | "task_busy" | "task_finished" | "policy_denied" | "usage" | "duplicate_option" | "internal"
 *   | "budget_above_ceiling"} HostErrorCode
 */

export class RcaError extends Error {
  /**
   * @param {string} code stable snake_case code (a core code or a {@link HostErrorCode})
   * @param {string} message what happened and, where possible, what to do
   * @param {{ cause?: unknown, details?: Record<string, unknown> }} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "RcaError";
    this.code = code;
    /** Structured facts (a path, a session) for machines; never needed to read the message. */
    this.details = extra.details ?? {};
  }
}

/**
 * Turns anything thrown by the core (or by Node) into an RcaError, keeping a CoreError's code.
 * @param {unknown} err
 * @param {string} [fallbackCode]
 * @returns {RcaError}
 */
export function toRcaError(err, fallbackCode = "internal") {
  if (err instanceof RcaError) return err;
  if (err instanceof Error) {
    const code = /** @type {{ code?: unknown }} */ (err).code;
    // Node's own codes (ENOENT, EACCES…) are upper case; only the core's snake_case codes pass.
    const keep = err.name === "CoreError" && typeof code === "string";
    return new RcaError(keep ? code : fallbackCode, err.message, { cause: err });
  }
  return new RcaError(fallbackCode, String(err));
}

/**
 * Calls a core function and rethrows its CoreError as an RcaError with the same code.
 * @template T
 * @param {() => T} fn
 * @returns {T}
 */
export function viaCore(fn) {
  try {
    return fn();
  } catch (err) {
    throw toRcaError(err, "invalid_input");
  }
}
