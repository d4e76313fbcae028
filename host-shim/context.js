// @ts-check
// What the host knows and the core cannot (the core's HostContext): paths, identity, the
// environment the agent gets, and the absolute program it runs (DESIGN §3a: all of it fixed at
// start from operator-side input, never re-read from where the agent could write).
import { fileURLToPath } from "node:url";
import { isAbsolute, join, sep } from "node:path";
import { constants as fsConstants } from "node:fs";
import { RcaError } from "./errors.js";

/** @typedef {{ name: string, value: string }} EnvVar */
/** @typedef {import("./effects.js").Effects["fs"]} Fs */

/** Absolute path of the simulated agent shipped with the package. */
export const DEMO_AGENT_PATH = fileURLToPath(new URL("./demo-agent.js", import.meta.url));

// Variables the agent needs to find its home, its config and its locale, and the demo's knobs.
// Secrets (API keys, SSH_AUTH_SOCK) are not here: the operator names what an agent may have
// (`env`, `passEnv`, a task's `--env`), and it travels in the task's 0600 agent.env file.
const PASSED = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TMPDIR|TZ|XDG_[A-Z_]+|CODEX_HOME|CLAUDE_CONFIG_DIR|PI_OFFLINE|RCA_DEMO_[A-Z_]+)$/;
// Set by the wrapper or by tmux itself; the core refuses them.
const RESERVED = new Set(["RCA_TASK_DIR", "RCA_ATTEMPT", "RCA_PROJECT_DIR", "TMUX", "TMUX_PANE"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// The environment of every tmux client we run, and so of a tmux server one of them starts (a
// server keeps the environment it was started with and hands it to every pane): what tmux needs
// to find its socket and draw, nothing else. Never the caller's secrets.
const TMUX_CLIENT = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TERM|TZ|TMPDIR|TMUX_TMPDIR|XDG_RUNTIME_DIR)$/;

/**
 * The agent environment used when the caller gives none: a short allow-list of process.env,
 * plus the variables the operator names in `passEnv` (e.g. OPENAI_API_KEY, SSH_AUTH_SOCK).
 * @param {Record<string, string | undefined>} env
 * @param {string[]} [passEnv]
 * @returns {Record<string, string>}
 */
export function defaultAgentEnv(env = process.env, passEnv = []) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && PASSED.test(k)) out[k] = v;
  return { ...out, ...passedEnv(env, passEnv) };
}

/**
 * The variables named in `passEnv` that `env` has (checked names; a missing one is skipped).
 * @param {Record<string, string | undefined>} env
 * @param {string[]} passEnv
 * @returns {Record<string, string>}
 */
export function passedEnv(env, passEnv) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const k of passEnv) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Checks the `passEnv` option: an array of variable names.
 * @param {unknown} v
 * @returns {string[]}
 */
export function checkPassEnv(v) {
  if (v == null) return [];
  if (!Array.isArray(v) || !v.every((k) => typeof k === "string" && NAME.test(k) && !RESERVED.has(k))) {
    throw new RcaError("invalid_option", `passEnv must be an array of variable names to give the agent, e.g. ["OPENAI_API_KEY", "SSH_AUTH_SOCK"], got ${JSON.stringify(v)}`);
  }
  return [...v];
}

/**
 * The environment of the tmux clients this package runs (and of a server they start).
 * @param {Record<string, string | undefined>} env
 * @returns {Record<string, string>}
 */
export function tmuxClientEnv(env = process.env) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && TMUX_CLIENT.test(k)) out[k] = v;
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
 * Parses the task's agent.env (`NAME=VALUE` entries ended by NUL) back into an object.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseEnvFile(text) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0 && NAME.test(entry.slice(0, eq))) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/**
 * Whether `path` is `dir` or inside it (both absolute, normalised).
 * @param {string} path
 * @param {string} dir
 */
export function isInside(path, dir) {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Resolves a program name to an absolute path once, at start, on the operator's PATH: only
 * absolute entries, never one inside the project (the agent can write there), the first
 * regular executable file found. An absolute name is checked and kept. Recoveries run the
 * path kept with the task, never a name looked up again on the pane's PATH.
 * @param {Fs} fs
 * @param {string} name
 * @param {string | undefined} pathValue the operator's PATH for this task
 * @param {string} projectDir
 * @returns {Promise<string>}
 */
export async function resolveProgram(fs, name, pathValue, projectDir) {
  if (isAbsolute(name)) {
    if (await isExecutableFile(fs, name)) return name;
    throw new RcaError("program_not_found", `${name} is not an executable file`, { details: { program: name } });
  }
  if (name.includes("/") || name === "" || name === "." || name === "..") {
    throw new RcaError("program_not_found", `${JSON.stringify(name)} is neither a program name nor an absolute path`, { details: { program: name } });
  }
  const projectReal = await fs.realpath(projectDir).catch(() => projectDir);
  for (const entry of (pathValue ?? "").split(":")) {
    if (!entry || !isAbsolute(entry)) continue;
    if (isInside(entry, projectDir) || isInside(entry, projectReal)) continue;
    const real = await fs.realpath(entry).catch(() => null);
    if (!real || isInside(real, projectReal)) continue;
    const candidate = join(entry, name);
    if (await isExecutableFile(fs, candidate)) return candidate;
  }
  throw new RcaError(
    "program_not_found",
    `${name} was not found on the agent's PATH (only absolute directories outside the project are searched: ${pathValue ?? "(no PATH)"}); install it or put its directory on PATH`,
    { details: { program: name } },
  );
}

/** @param {Fs} fs @param {string} path */
async function isExecutableFile(fs, path) {
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) return false;
    await fs.access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {object} o
 * @param {string} o.taskDir
 * @param {string | null} o.socket
 * @param {Record<string, string>} o.agentEnv
 * @param {string | null} [o.presetSessionId]
 * @param {string | null} [o.titleTag]
 * @param {string[]} [o.demoAgent]
 * @param {string | null} [o.program] the absolute program path resolved at start
 * @param {string | null} [o.projectRealDir] the project directory's realpath (Claude's conversation folder)
 */
export function hostContext({ taskDir, socket, agentEnv, presetSessionId = null, titleTag = null, demoAgent, program = null, projectRealDir = null }) {
  return {
    taskDir,
    socket,
    env: envVars(agentEnv),
    isRoot: typeof process.getuid === "function" && process.getuid() === 0,
    program,
    demoAgent: demoAgent ?? [process.execPath, DEMO_AGENT_PATH],
    presetSessionId,
    titleTag,
    projectRealDir,
  };
}
