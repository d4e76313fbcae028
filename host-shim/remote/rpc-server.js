// @ts-check
// `resilient-agent rpc`: the one command another machine runs here over ssh. One JSON request on
// stdin — { v: 1, op, args } — one JSON answer on stdout — { ok: true, result } or
// { ok: false, error: { code, message } }. The request is outside input: its size, its op and
// every argument are checked before anything runs, and each op is the TaskManager's own
// operation (the one the command table runs), on this machine's own state directory and tmux
// server — paths in it are this host's, never the caller's.
import { fileURLToPath } from "node:url";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { RcaError, toRcaError } from "../errors.js";
import { checkCursor } from "./journal.js";
import { unmanagedAgents } from "../retention.js";
import core from "../core.js";
import { resolveProgram } from "../context.js";
import { runDoctor } from "../doctor/index.js";
import { checkProjectDir } from "../openclaw/policy.js";
import { normalizePolicy } from "../openclaw/config.js";
import { replaceMonitorSession } from "./monitor-session.js";
import { logsSince } from "./logs-since.js";

/** A request larger than this is refused (a 300 KB prompt is fine). */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
export const RPC_VERSION = 1;

const PKG_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** @typedef {import("../task-manager.js").TaskManager} Manager */
/** @typedef {"string" | "string?" | "boolean?" | "lines?" | "ms?" | "env?" | "json?" | "cursor" | "strings?" | "bytes?" | "number?"} ArgType */

/** Each op: its arguments (name → type; "?" optional) and what it runs. */
/** @type {Record<string, { args: Record<string, ArgType>, run: (tm: Manager, a: any) => Promise<unknown> }>} */
const OPS = {
  start: {
    args: {
      agent: "string", name: "string", projectDir: "string", prompt: "string", model: "string?", autonomy: "string?", env: "env?", origin: "json?",
      worktree: "boolean?", base: "string?", autoResume: "boolean?", confine: "boolean?",
      maxCostUsd: "number?", maxTokens: "number?",
    },
    run: async (tm, { confine, ...a }) => tm.start(confine ? { ...a, projectDir: await confinedProjectDir(tm, a.projectDir) } : a),
  },
  status: { args: { session: "string", lines: "lines?" }, run: (tm, a) => tm.status(a.session, { lines: a.lines }) },
  list: { args: { state: "string?", all: "boolean?" }, run: (tm, a) => tm.list({ state: a.state, all: !!a.all }) },
  logs: {
    args: { session: "string", lines: "lines?" },
    run: async (tm, a) => ({ session: a.session, logs: await tm.logs(a.session, { lines: a.lines }) }),
  },
  // logs --follow --host: redacted new text from a byte offset (see logs-since.js).
  "logs-since": { args: { session: "string", offset: "bytes?", hold: "string?" }, run: (tm, a) => logsSince(tm, a) },
  send: {
    args: { session: "string", text: "string", paste: "boolean?" },
    run: async (tm, a) => {
      await tm.send(a.session, a.text, { paste: !!a.paste });
      return { ok: true, session: a.session, sent: a.text.length };
    },
  },
  resume: {
    args: { session: "string", maxCostUsd: "number?", maxTokens: "number?" },
    run: (tm, a) => tm.resume(a.session, { maxCostUsd: a.maxCostUsd ?? undefined, maxTokens: a.maxTokens ?? undefined }),
  },
  stop: { args: { session: "string", cleanup: "boolean?" }, run: (tm, a) => tm.stop(a.session, { cleanup: !!a.cleanup }) },
  prune: { args: { olderThanMs: "ms?" }, run: async (tm, a) => ({ removed: await tm.prune({ olderThanMs: a.olderThanMs }) }) },
  "events-since": {
    args: { cursor: "cursor" },
    run: (tm, a) => tm.journal.since(a.cursor),
  },
  doctor: { args: { agents: "strings?" }, run: (tm, a) => runDoctor(tm, { agents: a.agents }) },
  info: { args: {}, run: (tm) => info(tm) },
  "monitor-ensure": { args: {}, run: (tm) => ensureMonitor(tm) },
};
export const RPC_OPS = Object.keys(OPS);

/**
 * A tool call's project directory, judged here where the directory is: the same rules as for a
 * tool call on the gateway's machine, with this user's home as the one allowed root (realpath;
 * never `/`, the home itself, a dot-directory, or this package's state directory). The caller
 * (the operator's OpenClaw plugin) asks for it with `confine`; the CLI, an operator surface,
 * does not.
 * @param {Manager} tm
 * @param {string} projectDir
 */
async function confinedProjectDir(tm, projectDir) {
  const home = homedir();
  return checkProjectDir(projectDir, {
    policy: { ...normalizePolicy({}), projectRoots: [home] },
    home,
    stateDirs: [{ label: "the package's state directory on this host", dir: tm.stateDir }],
  });
}

/**
 * Reads one request from `stdin`, runs it, returns the answer (never throws).
 * @param {Manager} tm
 * @param {AsyncIterable<Buffer>} stdin
 */
export async function serveRpc(tm, stdin) {
  try {
    /** @type {Buffer[]} */
    const chunks = [];
    let len = 0;
    for await (const c of stdin) {
      len += c.length;
      if (len > MAX_REQUEST_BYTES) throw new RcaError("invalid_request", `an rpc request is at most ${MAX_REQUEST_BYTES} bytes`);
      chunks.push(c);
    }
    const { op, args } = checkRequest(Buffer.concat(chunks).toString("utf8"));
    return { ok: true, result: await OPS[op].run(tm, args) };
  } catch (err) {
    const e = toRcaError(err);
    return { ok: false, error: { code: e.code, message: e.message } };
  }
}

/**
 * A request's op and its checked arguments.
 * @param {string} text
 * @returns {{ op: string, args: Record<string, unknown> }}
 */
export function checkRequest(text) {
  let req;
  try {
    req = JSON.parse(text);
  } catch {
    throw new RcaError("invalid_request", "the rpc request is not JSON (one object on stdin)");
  }
  if (typeof req !== "object" || req === null || Array.isArray(req)) throw new RcaError("invalid_request", "the rpc request must be a JSON object");
  for (const k of Object.keys(req)) if (!["v", "op", "args"].includes(k)) throw new RcaError("invalid_request", `unknown request key ${JSON.stringify(k)}`);
  if (req.v !== RPC_VERSION) {
    throw new RcaError("rpc_version", `this host speaks rpc version ${RPC_VERSION}, the request is version ${JSON.stringify(req.v)}: install the same package version on both (hosts install)`);
  }
  if (typeof req.op !== "string" || !Object.hasOwn(OPS, req.op)) {
    throw new RcaError("invalid_request", `unknown op ${JSON.stringify(req.op)}; known: ${RPC_OPS.join(", ")}`);
  }
  const spec = OPS[req.op].args;
  const raw = req.args ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new RcaError("invalid_request", "args must be a JSON object");
  /** @type {Record<string, unknown>} */
  const args = {};
  for (const k of Object.keys(raw)) if (!Object.hasOwn(spec, k)) throw new RcaError("invalid_request", `${req.op} takes no argument ${JSON.stringify(k)}`);
  for (const [k, type] of Object.entries(spec)) {
    const v = raw[k];
    const bad = (/** @type {string} */ want) => new RcaError("invalid_request", `${req.op}: ${k} must be ${want}`);
    const optional = type.endsWith("?");
    if (v === undefined || (v === null && type !== "cursor")) {
      if (!optional && type !== "cursor") throw bad("given");
      continue;
    }
    switch (type.replace("?", "")) {
      case "string":
        if (typeof v !== "string") throw bad("a string");
        break;
      case "boolean":
        if (typeof v !== "boolean") throw bad("true or false");
        break;
      case "lines":
        if (!Number.isInteger(v) || /** @type {number} */ (v) < 1 || /** @type {number} */ (v) > 100_000) throw bad("a whole number from 1 to 100000");
        break;
      case "number": // checked by the TaskManager (budgets)
        if (typeof v !== "number" || !Number.isFinite(v)) throw bad("a number");
        break;
      case "ms":
        if (!Number.isSafeInteger(v) || /** @type {number} */ (v) < 0) throw bad("a whole number of milliseconds");
        break;
      case "bytes":
        if (!Number.isSafeInteger(v) || /** @type {number} */ (v) < 0) throw bad("a whole number of bytes");
        break;
      case "strings":
        if (!Array.isArray(v) || v.length > 64 || !v.every((x) => typeof x === "string")) throw bad("an array of strings");
        break;
      case "env":
        if (typeof v !== "object" || Array.isArray(v) || !Object.values(/** @type {object} */ (v)).every((x) => typeof x === "string")) {
          throw bad("an object of strings");
        }
        break;
      case "cursor": {
        const c = checkCursor(v);
        if (c === undefined) throw bad("null or { ino, offset }");
        args[k] = c;
        continue;
      }
      default: // json: any JSON value, kept as it is
    }
    args[k] = v;
  }
  return { op: req.op, args };
}

/**
 * What `hosts check` shows of this host: package version, node, tmux, agents found, monitor.
 * @param {Manager} tm
 */
async function info(tm) {
  const version = JSON.parse(readFileSync(join(PKG_ROOT, "package.json"), "utf8")).version ?? null;
  const tmux = await tm.fx.run("tmux", ["-V"], { timeoutMs: 10_000 }).then(
    (r) => (r.code === 0 ? r.stdout.trim() : null),
    () => null,
  );
  /** @type {Record<string, string | null>} */
  const agents = {};
  // Every registered agent with a program of its own (profile data), by its program's name.
  for (const name of unmanagedAgents()) {
    const program = String(core.agentProgram(name));
    agents[name] = await resolveProgram(tm.fx.fs, program, tm.agentEnv.PATH ?? tm.hostPath, "/nonexistent-project").catch(() => null);
  }
  const owner = await tm.lock.owner().catch(() => null);
  return {
    version,
    node: process.version,
    tmux,
    agents,
    monitor: { running: owner !== null, pid: owner?.pid ?? null },
    stateDir: tm.stateDir,
  };
}

/**
 * Starts this host's monitor unless one is running: `resilient-agent watch` in its own tmux
 * session (a child of the tmux server, never of the ssh session that asked).
 * @param {Manager} tm
 */
async function ensureMonitor(tm) {
  const owner = await tm.lock.owner().catch(() => null);
  if (owner) return { started: false, pid: owner.pid };
  const launcher = join(dirname(PKG_ROOT), "bin", "resilient-agent");
  const program = await tm.fx.fs.access(launcher).then(
    () => [launcher],
    () => [process.execPath, join(PKG_ROOT, "host-shim", "cli", "main.js")],
  );
  // A dead monitor's session is replaced: killed only when it is the one recorded as ours.
  await replaceMonitorSession(tm, [...program, "watch"]);
  return { started: true, pid: null };
}
