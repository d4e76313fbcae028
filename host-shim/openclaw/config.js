// @ts-check
// The plugin's configuration (`plugins.entries.resilient-coding-agent.config` in openclaw.json,
// validated by OpenClaw against openclaw.plugin.json's configSchema before we see it) turned
// into TaskManager options. Pure: no I/O, so every registration mode can call it.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { SHARE_MODES } from "./policy.js";
import core from "../core.js";
import { checkHosts } from "../remote/hosts-file.js";

export const PLUGIN_ID = "resilient-coding-agent";
/** The registered agents (the core's profiles: built-ins and `agentProfiles`). @returns {string[]} */
export const agentNames = () => core.agentNames();
export const AUTONOMY = /** @type {const} */ (["sandboxed", "full"]);
export const STATES = /** @type {const} */ ([
  "starting", "running", "waiting_for_input", "stalled", "recovering", "completed", "failed", "stopped",
]);
/** Event kinds that tell the session that started a task (DESIGN §3.10). */
export const NOTIFY_KINDS = /** @type {const} */ (["completed", "failed", "gave_up", "waiting_for_input"]);

/**
 * @typedef {{ model?: string, autonomy?: "sandboxed" | "full" }} AgentDefaults
 * @typedef {{
 *   enabled: boolean,
 *   events: string[],
 *   sessionKey?: string,
 *   command?: string[],
 *   commandTimeoutMs: number,
 * }} NotifyConfig
 * @typedef {{
 *   stateDir?: string,
 *   tmuxSocket?: string,
 *   agents: Record<string, AgentDefaults>,
 *   agentProfiles?: Record<string, unknown>,
 *   monitor: Record<string, number>,
 *   notify: NotifyConfig,
 *   retentionMs?: number | null,
 *   passEnv?: string[],
 *   policy: import("./policy.js").Policy,
 *   worktree?: boolean, worktreeRoot?: string, setupCommand?: string[], autoResume?: boolean,
 *   recoveryStaggerMs?: number, recoveryConcurrency?: number,
 *   defaultBudget?: unknown, budgetCeiling?: unknown,
 *   hosts?: Record<string, import("../remote/hosts-file.js").HostEntry>,
 * }} PluginConfig
 */

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
/** @param {unknown} v */
const num = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
/** @param {unknown} v */
const str = (v) => (typeof v === "string" && v.trim() !== "" ? v : undefined);

/** `~` and `~/x` mean the user's home; a relative path is taken from the home directory too. */
export function expandHome(/** @type {string} */ p) {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(homedir(), p);
}

/**
 * @param {unknown} raw api.pluginConfig (may be undefined or {})
 * @returns {PluginConfig}
 */
export function normalizeConfig(raw) {
  const cfg = isObject(raw) ? raw : {};
  // The operator's agent profiles are registered first: agent names in the policy and the tool
  // schemas are checked against them. An invalid one stops the plugin with
  // invalid_agent_profile naming the field (an operator's configuration error).
  const agentProfiles = isObject(cfg.agentProfiles) ? cfg.agentProfiles : undefined;
  core.setAgentProfiles(JSON.stringify(agentProfiles ?? {}));
  /** @type {Record<string, AgentDefaults>} */
  const agents = {};
  if (isObject(cfg.agents)) {
    for (const [agent, value] of Object.entries(cfg.agents)) {
      if (!isObject(value)) continue;
      /** @type {AgentDefaults} */
      const d = {};
      const model = str(value.model);
      if (model) d.model = model;
      if (value.autonomy === "sandboxed" || value.autonomy === "full") d.autonomy = value.autonomy;
      agents[agent] = d;
    }
  }
  // MonitorConfig (core, camelCase) fields; only what the user set, the core fills the rest.
  /** @type {Record<string, number>} */
  const monitor = {};
  const recovery = isObject(cfg.recovery) ? cfg.recovery : {};
  /** @type {[string, unknown][]} */
  const pairs = [
    ["recoveryBaseDelayMs", recovery.baseDelayMs],
    ["recoveryMaxDelayMs", recovery.maxDelayMs],
    ["healthyResetMs", recovery.healthyResetMs],
    ["giveUpAfterMs", recovery.giveUpAfterMs],
    ["maxResetWaitMs", recovery.maxResetWaitMs],
    ["resetMarginMs", recovery.resetMarginMs],
    ["stallMs", cfg.stallMs],
    ["stallRestartMs", cfg.stallRestartMs],
    ["pollMs", cfg.pollMs],
  ];
  for (const [key, value] of pairs) {
    const n = num(value);
    if (n !== undefined) monitor[key] = n;
  }
  const n = isObject(cfg.notify) ? cfg.notify : {};
  const events = Array.isArray(n.events)
    ? n.events.filter((e) => typeof e === "string" && /** @type {readonly string[]} */ (NOTIFY_KINDS).includes(e))
    : [...NOTIFY_KINDS];
  const command = Array.isArray(n.command) && n.command.length > 0 && n.command.every((a) => typeof a === "string")
    ? /** @type {string[]} */ (n.command)
    : undefined;
  /** @type {PluginConfig} */
  const out = {
    agents,
    ...(agentProfiles ? { agentProfiles } : {}),
    monitor,
    policy: normalizePolicy(cfg.policy),
    notify: {
      enabled: n.enabled !== false,
      events,
      commandTimeoutMs: num(n.commandTimeoutMs) ?? 10_000,
    },
  };
  const sk = str(n.sessionKey);
  if (sk) out.notify.sessionKey = sk;
  if (command) out.notify.command = command;
  const stateDir = str(cfg.stateDir);
  if (stateDir) out.stateDir = expandHome(stateDir);
  const socket = str(cfg.tmuxSocket);
  if (socket) out.tmuxSocket = socket;
  // null keeps finished tasks forever; a number is how long they are kept after finishing.
  if (cfg.retentionMs === null) out.retentionMs = null;
  else if (num(cfg.retentionMs) !== undefined) out.retentionMs = num(cfg.retentionMs);
  // Names of the gateway's variables the agents get too (the TaskManager checks the names).
  if (Array.isArray(cfg.passEnv)) out.passEnv = cfg.passEnv.map(String);
  // Worktrees, auto-resume and recovery pacing (the TaskManager checks the values).
  if (typeof cfg.worktree === "boolean") out.worktree = cfg.worktree;
  if (typeof cfg.autoResume === "boolean") out.autoResume = cfg.autoResume;
  // Budgets: the default of a task and the ceiling no tool call can raise (checked by the TaskManager).
  if (cfg.defaultBudget !== undefined) out.defaultBudget = cfg.defaultBudget;
  if (cfg.budgetCeiling !== undefined) out.budgetCeiling = cfg.budgetCeiling;
  const root = str(cfg.worktreeRoot);
  if (root) out.worktreeRoot = expandHome(root);
  if (Array.isArray(cfg.setupCommand) && cfg.setupCommand.every((a) => typeof a === "string")) out.setupCommand = /** @type {string[]} */ (cfg.setupCommand);
  if (num(cfg.recoveryStaggerMs) !== undefined) out.recoveryStaggerMs = num(cfg.recoveryStaggerMs);
  if (num(cfg.recoveryConcurrency) !== undefined) out.recoveryConcurrency = num(cfg.recoveryConcurrency);
  // Remote hosts (name → ssh target): the only hosts a tool call may name (checked in full, as
  // each field ends up in an ssh argv; a bad entry is a config error, not a silent skip).
  if (cfg.hosts !== undefined) out.hosts = checkHosts(cfg.hosts);
  return out;
}

/**
 * The operator's ceiling for tool calls (./policy.js). Defaults: sandboxed at most, projects
 * inside the home directory, each OpenClaw agent sees its own tasks, no unsandboxed agent.
 * @param {unknown} raw
 * @returns {import("./policy.js").Policy}
 */
export function normalizePolicy(raw) {
  const p = isObject(raw) ? raw : {};
  const roots = Array.isArray(p.projectRoots)
    ? p.projectRoots.filter((r) => typeof r === "string" && r.trim() !== "").map((r) => expandHome(/** @type {string} */ (r)))
    : ["~"].map(expandHome);
  const share = /** @type {readonly unknown[]} */ (SHARE_MODES).includes(p.shareTasks)
    ? /** @type {import("./policy.js").Policy["shareTasks"]} */ (p.shareTasks)
    : "agent";
  const allow = Array.isArray(p.allowUnsandboxed)
    ? p.allowUnsandboxed.filter((a) => typeof a === "string" && /** @type {readonly string[]} */ (agentNames()).includes(a))
    : [];
  return {
    maxAutonomy: p.maxAutonomy === "full" ? "full" : "sandboxed",
    projectRoots: roots,
    shareTasks: share,
    allowUnsandboxed: /** @type {string[]} */ (allow),
  };
}

/**
 * Where tasks live. The configured directory wins; otherwise a folder inside OpenClaw's own
 * state directory (the service context's `stateDir`, or what OpenClaw resolves from the
 * environment, i.e. OPENCLAW_STATE_DIR or ~/.openclaw) — never next to the plugin's code,
 * which OpenClaw may replace on update.
 * @param {PluginConfig} cfg
 * @param {string | undefined} openclawStateDir
 */
export function resolveStateDir(cfg, openclawStateDir) {
  if (cfg.stateDir) return cfg.stateDir;
  const base = openclawStateDir
    || (process.env.OPENCLAW_STATE_DIR ? expandHome(process.env.OPENCLAW_STATE_DIR) : join(homedir(), ".openclaw"));
  return join(base, PLUGIN_ID);
}

/**
 * Options for `new TaskManager(...)`.
 * @param {PluginConfig} cfg
 * @param {string} stateDir
 */
export function taskManagerOptions(cfg, stateDir) {
  /** @type {{ stateDir: string, tmuxSocket?: string, config?: Record<string, number>, retentionMs?: number | null, passEnv?: string[], hosts?: Record<string, unknown>, agents?: Record<string, unknown> } & Record<string, unknown>} */
  const opts = { stateDir };
  if (cfg.hosts) opts.hosts = cfg.hosts;
  if (cfg.agentProfiles) opts.agents = cfg.agentProfiles;
  if (cfg.tmuxSocket) opts.tmuxSocket = cfg.tmuxSocket;
  if (cfg.passEnv) opts.passEnv = cfg.passEnv;
  if (cfg.retentionMs !== undefined) opts.retentionMs = cfg.retentionMs;
  for (const k of /** @type {const} */ (["worktree", "worktreeRoot", "setupCommand", "autoResume", "recoveryStaggerMs", "recoveryConcurrency", "defaultBudget", "budgetCeiling"])) {
    if (cfg[k] !== undefined) opts[k] = cfg[k];
  }
  if (Object.keys(cfg.monitor).length > 0) opts.config = { ...cfg.monitor };
  return opts;
}
