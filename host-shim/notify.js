// @ts-check
// The notify command (DESIGN §3.10): a configured argv, run WITHOUT a shell on every announced
// edge, with the event as one JSON line on stdin and a few RCA_* variables in its environment.
// A timeout bounds it (the child is killed), and its failure is reported as a `problem` — it
// never affects the task. Commands run one at a time, in event order.
import { spawn } from "node:child_process";
import { RcaError } from "./errors.js";

/** @typedef {import("./monitor.js").TaskEvent} TaskEvent */

export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
/** Every kind the monitor announces. */
export const EVENT_KINDS = /** @type {const} */ ([
  "started", "resumed", "recovering", "completed", "failed", "waiting_for_input", "stalled", "gave_up",
  // The recovery circuit breaker (recovery-queue.js): a login's recoveries paused / continuing.
  "recovery_paused", "recovery_resumed",
]);
/** Output kept from a failing command for its problem report. */
const MAX_OUTPUT = 2048;

/**
 * Runs one command: argv[0] with argv[1..] (no shell), `stdin` written to it, killed (SIGKILL)
 * after `timeoutMs`. Resolves when it exits 0; rejects with a short reason otherwise.
 * @param {string[]} argv
 * @param {{ stdin?: string, timeoutMs?: number, env?: Record<string, string | undefined> }} [o]
 * @returns {Promise<void>}
 */
export function runCommand(argv, o = {}) {
  const timeoutMs = o.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== "string") || !argv[0]) {
      reject(new Error("the notify command must be a non-empty array of strings"));
      return;
    }
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), {
        stdio: ["pipe", "ignore", "pipe"],
        env: o.env ? /** @type {NodeJS.ProcessEnv} */ (o.env) : process.env,
        windowsHide: true,
      });
    } catch (e) {
      reject(e);
      return;
    }
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stderr?.on("data", (b) => {
      if (stderr.length < MAX_OUTPUT) stderr += String(b);
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`timed out after ${timeoutMs} ms (killed)`));
      else if (code === 0) resolve();
      else {
        const why = code !== null ? `exit status ${code}` : `signal ${signal}`;
        const tail = stderr.trim().slice(-300);
        reject(new Error(tail ? `${why}: ${tail}` : why));
      }
    });
    child.stdin?.on("error", () => {}); // a command that ignores stdin must not crash us (EPIPE)
    child.stdin?.end(o.stdin ?? "");
  });
}

/**
 * The RCA_* variables a notify command gets (on top of the host's environment).
 * @param {{ kind: string, session: string, state?: string, attempts?: number, message?: string, failure?: any, nextRecoveryAt?: number | string | null }} ev
 * @param {string | null} taskDir
 * @returns {Record<string, string>}
 */
export function notifyEnv(ev, taskDir) {
  return {
    RCA_EVENT: String(ev.kind),
    RCA_SESSION: String(ev.session),
    RCA_STATE: String(ev.state ?? ""),
    RCA_TASK_DIR: taskDir ?? "",
    RCA_ATTEMPTS: String(ev.attempts ?? ""),
    RCA_MESSAGE: String(ev.message ?? ""),
    RCA_FAILURE_CLASS: ev.failure?.class ? String(ev.failure.class) : "",
    RCA_NEXT_RECOVERY_AT: ev.nextRecoveryAt == null ? "" : new Date(ev.nextRecoveryAt).toISOString(),
  };
}

/**
 * Checks a notify command setting: null/undefined (none) or a non-empty array of strings.
 * @param {unknown} v
 * @param {string} where for the error message
 * @returns {string[] | null}
 */
export function checkNotifyCommand(v, where = "notifyCommand") {
  if (v == null) return null;
  if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === "string") || !v[0]) {
    throw new RcaError("invalid_config", `${where} must be a non-empty JSON array of strings (an argv, run without a shell), got ${JSON.stringify(v)}`);
  }
  return /** @type {string[]} */ (v);
}

/**
 * Runs the configured command for each event it is given, one at a time.
 */
export class Notifier {
  /**
   * @param {object} o
   * @param {string[]} o.command
   * @param {number} [o.timeoutMs]
   * @param {readonly string[] | null} [o.events] kinds to notify (default every kind)
   * @param {Record<string, string | undefined>} [o.env] the base environment (default process.env)
   * @param {(session: string) => Promise<string | null>} o.taskDir finds a session's task directory
   * @param {(p: { code: string, message: string, session?: string }) => void} o.onProblem
   * @param {typeof runCommand} [o.run] (tests)
   */
  constructor(o) {
    this.command = o.command;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
    this.events = o.events ?? null;
    this.env = o.env ?? process.env;
    this.taskDir = o.taskDir;
    this.onProblem = o.onProblem;
    this.run = o.run ?? runCommand;
    /** @type {Promise<void>} */
    this.queue = Promise.resolve();
  }

  /**
   * Queues the command for one event; never throws.
   * @param {TaskEvent} ev
   */
  notify(ev) {
    if (this.events && !this.events.includes(ev.kind)) return;
    this.queue = this.queue.then(() => this.#one(ev));
  }

  /** Resolves once every queued command has finished. */
  idle() {
    return this.queue;
  }

  /** @param {TaskEvent} ev */
  async #one(ev) {
    try {
      const taskDir = await this.taskDir(ev.session).catch(() => null);
      const payload = JSON.stringify({ ...ev, taskDir }) + "\n";
      await this.run(this.command, { stdin: payload, timeoutMs: this.timeoutMs, env: { ...this.env, ...notifyEnv(ev, taskDir) } });
    } catch (err) {
      this.onProblem({
        code: "notify_failed",
        message: `notify command ${JSON.stringify(this.command[0])} failed for ${ev.session} ${ev.kind}: ${err instanceof Error ? err.message : String(err)}`,
        session: ev.session,
      });
    }
  }
}
