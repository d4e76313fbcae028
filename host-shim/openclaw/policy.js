// @ts-check
// The operator's ceiling on what a tool call may ask for (DESIGN §3a). The model calling the
// tools is not trusted (it may be prompt-injected): it can ask for less than the operator
// allows, never more, and it sees only the tasks of its own OpenClaw agent. A request beyond
// the ceiling fails with `policy_denied` and a message the model can relay to the user.
// The CLI and the Node API are operator surfaces and are not bound by this file.
import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { RcaError } from "../errors.js";

export const SHARE_MODES = /** @type {const} */ (["agent", "session", "all"]);

/**
 * @typedef {{
 *   maxAutonomy: "sandboxed" | "full",
 *   projectRoots: string[],
 *   shareTasks: (typeof SHARE_MODES)[number],
 *   allowUnsandboxed: string[],
 * }} Policy
 * @typedef {"os" | "permissions" | "none" | "simulated"} SandboxKind
 * @typedef {{ sessionKey?: string, agentId?: string }} Caller
 */

/** @param {string} message @param {Record<string, unknown>} [details] */
const denied = (message, details = {}) => new RcaError("policy_denied", message, { details });

/**
 * The OpenClaw agent a session key belongs to: `agent:<agentId>:<rest>` (OpenClaw's session
 * key form), else undefined.
 * @param {unknown} key
 */
export function agentOfSessionKey(key) {
  if (typeof key !== "string") return undefined;
  const m = /^agent:([^:]+):/.exec(key);
  return m ? m[1] : undefined;
}

/** The calling agent: the context's agentId, else the one named by its session key. @param {Caller} c */
export function callerAgent(c) {
  return c.agentId || agentOfSessionKey(c.sessionKey);
}

/**
 * The autonomy a start runs with, or policy_denied. `requested` is the tool call's; the
 * operator's per-agent default applies when it says nothing. The ceiling is
 * `policy.maxAutonomy`, raised to full for an agent the operator made full by default.
 * @param {{ agent: string, requested?: string, agentDefault?: string, sandbox: SandboxKind, policy: Policy }} o
 * @returns {{ autonomy: "sandboxed" | "full", unsandboxed: boolean }}
 */
export function checkAutonomy(o) {
  const autonomy = /** @type {"sandboxed" | "full"} */ (o.requested ?? o.agentDefault ?? "sandboxed");
  const ceiling = o.policy.maxAutonomy === "full" || o.agentDefault === "full" ? "full" : "sandboxed";
  if (autonomy === "full" && ceiling !== "full") {
    throw denied(
      `autonomy "full" (no sandbox, no approvals) is above what the operator allows for tool calls (policy.maxAutonomy is "sandboxed"). `
      + `Start the task with autonomy "sandboxed", or ask the user to raise policy.maxAutonomy in the plugin's configuration.`,
      { autonomy, ceiling },
    );
  }
  if (autonomy === "sandboxed" && o.sandbox === "none" && !o.policy.allowUnsandboxed.includes(o.agent)) {
    throw denied(
      `${o.agent} has no sandbox: a "sandboxed" ${o.agent} task would run with all of the user's rights. `
      + `Use an agent with a sandbox (codex, claude or opencode), or ask the user to allow unsandboxed ${o.agent} runs (policy.allowUnsandboxed: ["${o.agent}"]).`,
      { agent: o.agent, sandbox: o.sandbox },
    );
  }
  return { autonomy, unsandboxed: autonomy === "full" || o.sandbox === "none" };
}

/** Whether `child` is `parent` or inside it (both absolute and resolved). @param {string} parent @param {string} child */
export function isWithin(parent, child) {
  if (parent === child) return true;
  const rel = relative(parent, child);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

/** realpath, or the path itself (resolved) when it does not exist or cannot be read. @param {string} p */
async function realOrSelf(p) {
  try {
    return await realpath(p);
  } catch {
    return resolve(p);
  }
}

/**
 * Checks a projectDir from a tool call and returns its real path (symlinks resolved), which is
 * what the task must then use: the check and the task see the same directory.
 * Refused: a relative path; `/`; the home directory or anything containing it; anything inside
 * or containing the plugin's state directory or OpenClaw's; anything outside every
 * `policy.projectRoots`; a hidden (dot) directory below the root it is in.
 * @param {unknown} projectDir
 * @param {{ policy: Policy, home: string, stateDirs: { label: string, dir: string | undefined }[] }} o
 * @returns {Promise<string>}
 */
export async function checkProjectDir(projectDir, o) {
  if (typeof projectDir !== "string" || !isAbsolute(projectDir)) {
    throw new RcaError("invalid_project_dir", `projectDir must be an absolute path (got ${JSON.stringify(String(projectDir).slice(0, 200))})`);
  }
  let real;
  try {
    real = await realpath(projectDir);
  } catch (err) {
    const code = /** @type {{ code?: string }} */ (err).code ?? "error";
    throw new RcaError("project_dir_missing", `project directory ${projectDir} does not exist or cannot be resolved (${code})`, { details: { projectDir } });
  }
  const st = await stat(real).catch(() => null);
  if (!st?.isDirectory()) {
    throw new RcaError("project_dir_missing", `project directory ${projectDir} is not a directory`, { details: { projectDir } });
  }
  const shown = real === projectDir ? projectDir : `${projectDir} (really ${real})`;
  if (real === sep) throw denied(`projectDir ${shown} is the root directory; use the project's own directory.`, { projectDir: real });
  const home = await realOrSelf(o.home);
  if (isWithin(real, home)) {
    throw denied(`projectDir ${shown} is the home directory${real === home ? "" : " or contains it"}; use the project's own directory inside it.`, { projectDir: real });
  }
  for (const { label, dir } of o.stateDirs) {
    if (!dir) continue;
    const s = await realOrSelf(dir);
    if (isWithin(s, real) || isWithin(real, s)) {
      throw denied(`projectDir ${shown} is inside or contains ${label} (${s}), which a coding agent must not be able to write.`, { projectDir: real });
    }
  }
  const roots = await Promise.all(o.policy.projectRoots.map(realOrSelf));
  const root = roots.filter((r) => isWithin(r, real)).sort((a, b) => b.length - a.length)[0];
  if (root === undefined) {
    throw denied(`projectDir ${shown} is outside the directories the operator allows for projects (policy.projectRoots: ${roots.join(", ")}).`, { projectDir: real, projectRoots: roots });
  }
  const hidden = relative(root, real).split(sep).find((part) => part.startsWith("."));
  if (hidden) {
    throw denied(`projectDir ${shown} is inside the hidden directory ${hidden} (configuration and credentials live in dot-directories); use a regular project directory.`, { projectDir: real });
  }
  return real;
}

/**
 * Whether a task (its view, with `origin` as the TaskManager keeps it) is visible to the caller.
 * "agent": tasks started by tool calls of the same OpenClaw agent; "session": of the same
 * session; "all": every task. Tasks started from the CLI or the Node API (no OpenClaw origin)
 * are visible only with "all".
 * @param {{ origin?: unknown }} task
 * @param {Caller} caller
 * @param {Policy} policy
 */
export function inScope(task, caller, policy) {
  if (policy.shareTasks === "all") return true;
  const origin = /** @type {{ kind?: unknown, sessionKey?: unknown, agentId?: unknown } | null | undefined} */ (task.origin);
  if (!origin || typeof origin !== "object" || origin.kind !== "openclaw") return false;
  if (policy.shareTasks === "session") return typeof caller.sessionKey === "string" && origin.sessionKey === caller.sessionKey;
  const owner = (typeof origin.agentId === "string" && origin.agentId) || agentOfSessionKey(origin.sessionKey);
  const mine = callerAgent(caller);
  if (owner || mine) return owner === mine;
  // Neither names an agent: "no agent" is nobody's identity, so only the same session shares.
  return typeof caller.sessionKey === "string" && origin.sessionKey === caller.sessionKey;
}

/**
 * A task view as a tool result may show it: another session's key is removed from its origin.
 * @template {{ origin?: unknown }} T
 * @param {T} task
 * @param {Caller} caller
 * @returns {T}
 */
export function present(task, caller) {
  const origin = /** @type {Record<string, unknown> | null | undefined} */ (task.origin);
  if (!origin || typeof origin !== "object" || !("sessionKey" in origin) || origin.sessionKey === caller.sessionKey) return task;
  const { sessionKey: _hidden, ...rest } = origin;
  return { ...task, origin: rest };
}

/**
 * The error for a task the caller may not see, the same as for one that does not exist: a
 * tool call learns nothing about tasks outside its scope.
 * @param {string} session
 */
export function notFound(session) {
  return new RcaError("task_not_found", `no task named ${session} among this conversation's coding tasks`, { details: { session } });
}
