// @ts-check
// Paths of the files in a task directory. The names come from the core (attemptFiles), which
// owns the wrapper that writes them; only the host's own files are named here. And the reading
// of what a recovery is built from (DESIGN §3a): only files that are plain, ours, private and
// not symlinks, and a record that agrees with where it was read.
import { basename, join } from "node:path";
import core from "./core.js";
import { RcaError } from "./errors.js";
import { READ_NOFOLLOW } from "./exclusive-file.js";
import { parseEnvFile } from "./context.js";

/** @typedef {import("./effects.js").Effects["fs"]} Fs */

/** The pane transcript, all attempts (written by the wrapper). */
export const TRANSCRIPT = core.attemptFiles(1).transcript;
/** The agent's environment (NUL-separated NAME=VALUE), written once at start by the plan, read by the wrapper. */
export const ENV_FILE = core.attemptFiles(1).env;
/**
 * What the operator decided at start that a recovery by any process must reuse, written once
 * (exclusive) at start: `{ program, demoAgent, spec }` (the agent's absolute program path, the
 * demo agent's argv prefix, and the task spec: autonomy, model, project, which the record must
 * still carry when the task is resumed).
 */
export const HOST_FILE = "host.json";

/**
 * The files of attempt `n` in a task directory (absolute paths), plus the name of the file
 * where the monitor keeps a dead pane's screen before a respawn wipes it.
 * @param {string} taskDir
 * @param {number} n
 */
export function attemptPaths(taskDir, n) {
  const f = core.attemptFiles(n);
  return {
    prompt: join(taskDir, f.prompt),
    started: join(taskDir, f.started),
    pid: join(taskDir, f.pid),
    events: join(taskDir, f.events),
    stderr: join(taskDir, f.stderr),
    exit: join(taskDir, f.exit),
    transcript: join(taskDir, f.transcript),
    paneFinal: `pane.${n}.log`,
  };
}

/**
 * Reads a task file a recovery depends on: never through a symlink (O_NOFOLLOW), only a plain
 * file owned by us that no one else can read or write. Null when it does not exist; anything
 * else wrong is `task_file_unsafe` (the recovery does not run).
 * @param {Fs} fs
 * @param {string} path
 * @param {number} max bytes
 * @returns {Promise<string | null>}
 */
export async function readPrivate(fs, path, max) {
  let fh;
  try {
    fh = await fs.open(path, READ_NOFOLLOW);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === "ENOENT") return null;
    throw new RcaError("task_file_unsafe", `${path} cannot be read safely (${code === "ELOOP" ? "it is a symlink" : code ?? e}); the task is not resumed from it`, {
      details: { path },
    });
  }
  try {
    const st = await fh.stat();
    const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0 || st.size > max) {
      throw new RcaError(
        "task_file_unsafe",
        `${path} must be a private file of yours (found ${st.isFile() ? "a file" : "not a file"}, uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}, ${st.size} bytes); the task is not resumed from it`,
        { details: { path } },
      );
    }
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/**
 * What a recovery runs, as fixed at start: the absolute program (or the demo prefix) from
 * host.json and the agent's environment from agent.env (for the core's conversation probe; the
 * wrapper reads the file itself). `null` fields mean the task predates these files.
 * @param {Fs} fs
 * @param {string} taskDir
 * @returns {Promise<{ program: string | null, demoAgent: string[] | null, spec: any, agentProfile: any, env: Record<string, string> | null }>}
 */
export async function readLaunch(fs, taskDir) {
  // The agent's profile is kept there too (at most 1 MiB, the core's limit).
  const hostText = await readPrivate(fs, join(taskDir, HOST_FILE), 1088 * 1024);
  const envText = await readPrivate(fs, join(taskDir, ENV_FILE), 4 * 1024 * 1024);
  let program = null;
  let demoAgent = null;
  let spec = null;
  let agentProfile = null;
  if (hostText !== null) {
    let host;
    try {
      host = JSON.parse(hostText);
    } catch {
      throw new RcaError("task_file_unsafe", `${join(taskDir, HOST_FILE)} is not JSON; the task is not resumed from it`);
    }
    if (typeof host?.program === "string" && host.program.startsWith("/")) program = host.program;
    const d = host?.demoAgent;
    if (Array.isArray(d) && d.length > 0 && d.every((v) => typeof v === "string")) demoAgent = d;
    if (host?.spec && typeof host.spec === "object") spec = host.spec;
    if (host?.agentProfile && typeof host.agentProfile === "object") agentProfile = host.agentProfile;
  }
  return { program, demoAgent, spec, agentProfile, env: envText === null ? null : parseEnvFile(envText) };
}

/**
 * Adopts the operator profile a task fixed in its host.json at start (a private file of ours in
 * the state directory) when this process has no profile of that name: a process started with
 * another configuration, or none, still reads, monitors and resumes the task with the profile
 * it started with (DESIGN §3a: the fixed launch data rules existing tasks). New tasks never get
 * it (the core's adoptTaskProfile). False when nothing was adopted.
 * @param {Fs} fs
 * @param {string} taskDir
 * @returns {Promise<boolean>}
 */
export async function adoptKeptProfile(fs, taskDir) {
  const kept = (await readLaunch(fs, taskDir).catch(() => null))?.agentProfile;
  if (!kept || kept.source !== "operator" || typeof kept.name !== "string" || !kept.profile || typeof kept.profile !== "object") return false;
  return core.adoptTaskProfile(kept.name, JSON.stringify(kept.profile));
}

/**
 * Refuses a recovery whose record carries another task spec (autonomy, model, project, agent)
 * than the one fixed at start in host.json.
 * @param {any} fixed the spec from host.json (null: a task that predates it)
 * @param {any} spec the record's
 * @param {string} taskDir
 */
export function checkSameSpec(fixed, spec, taskDir) {
  if (fixed === null) return;
  const keys = ["agent", "name", "projectDir", "model", "autonomy"];
  const changed = keys.filter((k) => (fixed[k] ?? null) !== (spec?.[k] ?? null));
  if (changed.length) {
    throw new RcaError(
      "task_file_unsafe",
      `the task record in ${taskDir} no longer carries the task as it was started (${changed.join(", ")} changed); it is not resumed`,
      { details: { taskDir, changed } },
    );
  }
}

/**
 * Refuses a recovery when the task was started with an operator-defined agent profile and the
 * profile of that name is now another one (or gone): a configuration edit must not change how
 * an existing task is resumed (DESIGN §3a). Built-in profiles change only with the package (and
 * the CLI versions it was checked against), so a task started on one follows the package.
 * @param {any} kept host.json's agentProfile ({ name, source, profile }; null: older task, which
 *   may not use a profile adopted from another task)
 * @param {string} current the core's agentProfileJson for the task's agent, or "" when unknown
 * @param {string} taskDir
 */
export function checkSameProfile(kept, current, taskDir) {
  const now = current ? JSON.parse(current) : null;
  if (!kept) {
    // A task that kept no profile is resumed only with one this process was configured with or
    // built in: a profile adopted from another task's host.json decides for that task alone.
    if (now?.source !== "task") return;
    throw new RcaError(
      "task_file_unsafe",
      `this task kept no agent profile and ${JSON.stringify(now.name ?? "its agent")} is known here only from another task's files; it is not resumed (configure the agent, or start the task again)`,
      { details: { taskDir, agent: now.name ?? null } },
    );
  }
  if (kept.source !== "operator") return;
  // "task": this process adopted the kept profile itself (adoptKeptProfile).
  if (now && (now.source === "operator" || now.source === "task") && JSON.stringify(now.profile) === JSON.stringify(kept.profile)) return;
  throw new RcaError(
    "task_file_unsafe",
    `the agent profile ${JSON.stringify(kept.name)} this task was started with has changed or is gone from the configuration; it is not resumed (restore the profile, or start the task again)`,
    { details: { taskDir, agent: kept.name } },
  );
}

/**
 * A record is used only where it belongs: its taskDir is the directory it was read from (or the
 * same directory by another path) and that directory was made for its session. Anything else
 * would make a recovery act on another directory (a record copied or planted): refused.
 * @param {Fs} fs
 * @param {any} record a parsed TaskRecord
 * @param {string} taskDir where it was read
 */
export async function checkRecordPlace(fs, record, taskDir) {
  // Only task records (the core's parseRecord requires both fields); the store also reads other JSON.
  if (!record || typeof record !== "object" || !("taskDir" in record && "session" in record)) return record;
  let same = record.taskDir === taskDir;
  if (!same && typeof record.taskDir === "string") {
    const [a, b] = await Promise.all([fs.realpath(record.taskDir).catch(() => null), fs.realpath(taskDir).catch(() => null)]);
    same = a !== null && a === b;
  }
  if (!same) throw new Error(`its taskDir ${JSON.stringify(record.taskDir)} is not the directory it was read from`);
  if (!basename(taskDir).startsWith(`${record.session}-`)) {
    throw new Error(`its session ${JSON.stringify(record.session)} is not the one its directory was made for`);
  }
  return record;
}
