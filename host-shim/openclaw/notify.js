// @ts-check
// Tells the OpenClaw session that started a task when the task completes, fails, gives up or
// waits for input: a system event queued for that session plus a heartbeat wake, so the agent
// there sees it on its next turn. Optionally also runs a configured notify command (an argv,
// no shell, the event as JSON on stdin, the RCA_* variables of the host's notify command: the
// host's runner, host-shim/notify.js). A notification failure never affects the task.
import { eventText } from "./format.js";
import { runCommand, notifyEnv } from "../notify.js";

/**
 * @typedef {import("./format.js").TaskEvent} TaskEvent
 * @typedef {import("./format.js").TaskView} TaskView
 * @typedef {{
 *   enqueueSystemEvent(text: string, o: { sessionKey: string, agentId?: string, contextKey?: string }): boolean,
 *   requestHeartbeat(o: { source: string, intent: string, reason?: string, sessionKey?: string, agentId?: string }): void,
 * }} SystemRuntime
 * @typedef {{ info(m: string): void, warn(m: string): void, error(m: string): void }} Logger
 * @typedef {(argv: string[], stdin: string, timeoutMs: number, env?: Record<string, string | undefined>) => Promise<void>} RunCommand
 */

/** @type {RunCommand} */
export function runNotifyCommand(argv, stdin, timeoutMs, env) {
  return runCommand(argv, { stdin, timeoutMs, env });
}

/** @param {unknown} origin */
function originOf(origin) {
  const o = /** @type {Record<string, unknown>} */ (typeof origin === "object" && origin !== null ? origin : {});
  return {
    sessionKey: typeof o.sessionKey === "string" && o.sessionKey ? o.sessionKey : undefined,
    agentId: typeof o.agentId === "string" && o.agentId ? o.agentId : undefined,
  };
}

/**
 * @param {{
 *   config: import("./config.js").NotifyConfig,
 *   system: () => SystemRuntime | undefined,
 *   findTask: (session: string) => Promise<TaskView | undefined>,
 *   logger: Logger,
 *   runCommand?: RunCommand,
 * }} deps
 */
export function createNotifier(deps) {
  const run = deps.runCommand ?? runNotifyCommand;
  /** Edges already told (session + kind + time), so a repeated event is not told twice. */
  const told = new Set();

  /**
   * Handles one task event; resolves to what was done (for tests and logs). Never throws.
   * @param {TaskEvent} ev
   * @returns {Promise<{ told: boolean, sessionKey?: string, command?: boolean, reason?: string }>}
   */
  async function handle(ev) {
    try {
      if (!deps.config.enabled) return { told: false, reason: "notifications disabled" };
      if (!deps.config.events.includes(ev.kind)) return { told: false, reason: `not notified: ${ev.kind}` };
      const key = `${ev.session}\u0000${ev.kind}\u0000${ev.at ?? ""}`;
      if (told.has(key)) return { told: false, reason: "already told" };
      told.add(key);
      if (told.size > 10_000) told.clear();

      /** @type {TaskView | undefined} */
      let task;
      try {
        task = await deps.findTask(ev.session);
      } catch (err) {
        deps.logger.warn(`resilient-coding-agent: could not read task ${ev.session} for its notification: ${String(err)}`);
      }
      const origin = originOf(task?.origin);
      const sessionKey = origin.sessionKey ?? deps.config.sessionKey;
      const text = eventText(ev, task);
      /** @type {{ told: boolean, sessionKey?: string, command?: boolean, reason?: string }} */
      const result = { told: false };
      if (sessionKey) {
        const system = deps.system();
        if (!system) {
          result.reason = "OpenClaw runtime unavailable";
        } else {
          /** @type {{ sessionKey: string, agentId?: string, contextKey?: string }} */
          const opts = { sessionKey, contextKey: `resilient-coding-agent:${ev.session}:${ev.kind}` };
          if (origin.agentId) opts.agentId = origin.agentId;
          const accepted = system.enqueueSystemEvent(text, opts);
          /** @type {{ source: string, intent: string, reason: string, sessionKey: string, agentId?: string }} */
          const wake = { source: "background-task", intent: "event", reason: `coding task ${ev.session} ${ev.kind}`, sessionKey };
          if (origin.agentId) wake.agentId = origin.agentId;
          system.requestHeartbeat(wake);
          result.told = accepted !== false;
          result.sessionKey = sessionKey;
          deps.logger.info(`resilient-coding-agent: told session ${sessionKey} that ${ev.session} ${ev.kind} (system event accepted: ${accepted !== false})`);
        }
      } else {
        result.reason = "no session to tell (task not started from OpenClaw and notify.sessionKey unset)";
      }
      if (deps.config.command) {
        const payload = JSON.stringify({ ...ev, task: task ?? null, text }) + "\n";
        try {
          const env = { ...process.env, ...notifyEnv(ev, task?.taskDir ?? null) };
          await run(deps.config.command, payload, deps.config.commandTimeoutMs, env);
          result.command = true;
        } catch (err) {
          result.command = false;
          deps.logger.warn(`resilient-coding-agent: notify command failed for ${ev.session} ${ev.kind}: ${String(err)}`);
        }
      }
      return result;
    } catch (err) {
      deps.logger.warn(`resilient-coding-agent: notification for ${ev.session} ${ev.kind} failed: ${String(err)}`);
      return { told: false, reason: String(err) };
    }
  }

  return { handle };
}
