// @ts-check
// The calling side of `resilient-agent rpc`: one ssh call per request (through the host's
// master connection), the request as JSON on stdin, the answer as JSON on stdout. A
// RemoteManager has the TaskManager methods the command table calls, so `--host NAME` runs the
// very same command handlers with the operation done on that host.
import { EventEmitter } from "node:events";
import { RcaError } from "../errors.js";
import { REMOTE, controlPath, runSsh, sshArgv, unreachable } from "./ssh.js";
import { RPC_VERSION } from "./rpc-server.js";

/** How long one rpc call may take (a start waits for tmux; a list reads every record). */
export const RPC_TIMEOUT_MS = 60_000;

/**
 * Calls `op` on a host. Throws the remote's error (its code and message) as an RcaError,
 * `host_unreachable` when ssh cannot connect, `host_not_installed` when the package is missing.
 * @param {string} stateDir this machine's state directory (for the master connection's socket)
 * @param {import("./hosts-file.js").HostEntry} h
 * @param {string} op
 * @param {Record<string, unknown>} [args]
 * @param {{ timeoutMs?: number }} [o]
 */
export async function callRemote(stateDir, h, op, args = {}, o = {}) {
  const cp = await controlPath(stateDir, h);
  const argv = sshArgv(h, cp, REMOTE.rpc);
  const res = await runSsh(argv, {
    key: cp ?? h.name,
    host: h.name,
    input: JSON.stringify({ v: RPC_VERSION, op, args }),
    timeoutMs: o.timeoutMs ?? RPC_TIMEOUT_MS,
  });
  if (res.code === 255) throw unreachable(h.name, res.stderr);
  if (res.code === 126 || res.code === 127) {
    throw new RcaError("host_not_installed", `resilient-coding-agent is not installed for that user on host ${h.name}: run resilient-agent hosts install ${h.name}`, {
      details: { host: h.name },
    });
  }
  let answer;
  try {
    answer = JSON.parse(res.stdout);
  } catch {
    const why = (res.stderr.trim().split("\n").pop() ?? "").slice(0, 300);
    throw new RcaError("remote_failed", `host ${h.name} gave no rpc answer (exit ${res.code})${why ? `: ${why}` : ""}`, { details: { host: h.name } });
  }
  if (answer?.ok === true) return answer.result;
  const code = typeof answer?.error?.code === "string" && /^[a-z][a-z0-9_]{0,63}$/.test(answer.error.code) ? answer.error.code : "remote_failed";
  const message = typeof answer?.error?.message === "string" ? answer.error.message.slice(0, 4000) : "the remote host refused the request";
  throw new RcaError(code, `host ${h.name}: ${message}`, { details: { host: h.name } });
}

/** @param {any} v @param {string} host */
const tag = (v, host) => (v && typeof v === "object" && !Array.isArray(v) ? { ...v, host } : v);

/**
 * The TaskManager methods of the command table, done on a remote host.
 */
export class RemoteManager extends EventEmitter {
  /**
   * @param {string} stateDir this machine's state directory
   * @param {import("./hosts-file.js").HostEntry} host
   */
  constructor(stateDir, host) {
    super();
    this.stateDir = stateDir;
    this.host = host;
    /** The remote watch has no local monitor socket. */
    this.socket = null;
  }

  /** @param {string} op @param {Record<string, unknown>} [args] */
  call(op, args) {
    return callRemote(this.stateDir, this.host, op, args);
  }

  /** @param {import("../task-manager.js").StartInput} input */
  async start(input) {
    return tag(await this.call("start", { ...input }), this.host.name);
  }

  /** @param {string} session @param {{ lines?: number }} [o] */
  async status(session, o = {}) {
    return tag(await this.call("status", { session, lines: o.lines }), this.host.name);
  }

  /** @param {{ state?: string, all?: boolean }} [o] */
  async list(o = {}) {
    const views = await this.call("list", { state: o.state, all: o.all });
    return /** @type {any[]} */ (views).map((v) => tag(v, this.host.name));
  }

  /** @param {string} session @param {{ lines?: number }} [o] */
  async logs(session, o = {}) {
    return /** @type {{ logs: string }} */ (await this.call("logs", { session, lines: o.lines })).logs;
  }

  /**
   * logs --follow: the host's redacted transcript text from byte `offset` (see logs-since.js).
   * @param {string} session @param {number | undefined} offset @param {string} [hold]
   * @returns {Promise<{ offset: number, text: string, held: number, truncated: boolean }>}
   */
  async logsSince(session, offset, hold) {
    const r = /** @type {any} */ (await this.call("logs-since", { session, offset, hold }));
    const count = (/** @type {unknown} */ n) => Number.isSafeInteger(n) && /** @type {number} */ (n) >= 0;
    if (!r || typeof r.text !== "string" || !count(r.offset) || !count(r.held) || typeof r.truncated !== "boolean") {
      throw new RcaError("remote_failed", `host ${this.host.name} gave a malformed logs-since answer`, { details: { host: this.host.name } });
    }
    return { offset: r.offset, text: r.text, held: r.held, truncated: r.truncated };
  }

  /** @param {string} session @param {string} text @param {{ paste?: boolean }} [o] */
  async send(session, text, o = {}) {
    await this.call("send", { session, text, paste: !!o.paste });
  }

  /** @param {string} session @param {{ maxCostUsd?: number, maxTokens?: number }} [o] */
  async resume(session, o = {}) {
    return tag(await this.call("resume", { session, maxCostUsd: o.maxCostUsd, maxTokens: o.maxTokens }), this.host.name);
  }

  /** @param {string} session @param {{ cleanup?: boolean }} [o] */
  async stop(session, o = {}) {
    return tag(await this.call("stop", { session, cleanup: !!o.cleanup }), this.host.name);
  }

  /** @param {{ olderThanMs?: number }} [o] */
  async prune(o = {}) {
    return /** @type {{ removed: any[] }} */ (await this.call("prune", { olderThanMs: o.olderThanMs })).removed;
  }

  /** @param {import("./journal.js").Cursor | null} cursor */
  async eventsSince(cursor) {
    return /** @type {{ events: any[], cursor: import("./journal.js").Cursor, reset: boolean }} */ (await this.call("events-since", { cursor }));
  }

  /** @param {{ agents?: string[] }} [o] */
  async doctor(o = {}) {
    return tag(await this.call("doctor", { agents: o.agents }), this.host.name);
  }

  async notificationsIdle() {}
}
