// @ts-check
// What the host knows and the core cannot (the core's HostContext): paths, identity and the
// environment the agent gets.
import { fileURLToPath } from "node:url";

/** @typedef {{ name: string, value: string }} EnvVar */

/** Absolute path of the simulated agent shipped with the package. */
export const DEMO_AGENT_PATH = fileURLToPath(new URL("./demo-agent.js", import.meta.url));

// Variables the agent needs to find its binary, its home and its config, and the demo's knobs.
// API keys are deliberately not here: `-e` values are visible in `ps` while tmux starts; keys
// reach the pane through the tmux server's environment (inherited when the shim starts it).
const PASSED = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TMPDIR|TZ|XDG_[A-Z_]+|CODEX_HOME|CLAUDE_CONFIG_DIR|PI_OFFLINE|RCA_DEMO_[A-Z_]+)$/;
// Set by the wrapper or by tmux itself; the core refuses them.
const RESERVED = new Set(["RCA_TASK_DIR", "RCA_ATTEMPT", "RCA_PROJECT_DIR", "TMUX", "TMUX_PANE"]);

/**
 * The agent environment used when the caller gives none: a short allow-list of process.env.
 * @param {Record<string, string | undefined>} env
 * @returns {Record<string, string>}
 */
export function defaultAgentEnv(env = process.env) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && PASSED.test(k)) out[k] = v;
  return out;
}

/**
 * @param {Record<string, string>} env
 * @returns {EnvVar[]} sorted, without the names the wrapper and tmux reserve
 */
export function envVars(env) {
  return Object.keys(env)
    .filter((k) => !RESERVED.has(k))
    .sort()
    .map((name) => ({ name, value: String(env[name]) }));
}

/**
 * @param {object} o
 * @param {string} o.taskDir
 * @param {string | null} o.socket
 * @param {Record<string, string>} o.agentEnv
 * @param {string | null} [o.presetSessionId]
 * @param {string | null} [o.titleTag]
 * @param {string[]} [o.demoAgent]
 * @param {string | null} [o.projectRealDir] the project directory's realpath (Claude's conversation folder)
 */
export function hostContext({ taskDir, socket, agentEnv, presetSessionId = null, titleTag = null, demoAgent, projectRealDir = null }) {
  return {
    taskDir,
    socket,
    env: envVars(agentEnv),
    isRoot: typeof process.getuid === "function" && process.getuid() === 0,
    program: null,
    demoAgent: demoAgent ?? [process.execPath, DEMO_AGENT_PATH],
    presetSessionId,
    titleTag,
    projectRealDir,
  };
}
