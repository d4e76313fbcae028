// @ts-check
// Where the state directory may be (DESIGN §3a). What a recovery is built from (the record,
// host.json, agent.env) lives there, so a place a sandboxed agent can write is refused with
// `state_dir_unsafe`: under /tmp, /var/tmp, /dev/shm or a $TMPDIR (every agent sandbox may write
// its temporary directory), inside a project or holding one (the agent works there), or behind a
// path component that another user could change (OpenSSH's StrictModes: every directory from /
// down owned by root or by us and writable by neither group nor others; no sticky exception).
import { dirname, basename, join, isAbsolute, sep } from "node:path";
import { RcaError } from "./errors.js";
import { isInside } from "./context.js";

/** @typedef {import("./effects.js").Effects["fs"]} Fs */

const SAFE_DEFAULT = "~/.local/state/resilient-coding-agent (the default; or --state-dir / RCA_STATE_DIR)";
/** Temporary directories every sandbox may write, whatever $TMPDIR says. */
export const TEMP_ROOTS = ["/tmp", "/var/tmp", "/dev/shm"];

/**
 * The path with every existing prefix resolved (realpath of the deepest existing ancestor, the
 * rest appended): where a directory not created yet would really be.
 * @param {Fs} fs
 * @param {string} path absolute
 */
export async function realish(fs, path) {
  /** @type {string[]} */
  const rest = [];
  let head = path;
  for (;;) {
    try {
      return join(await fs.realpath(head), ...rest.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return path;
      rest.push(basename(head));
      head = up;
    }
  }
}

/**
 * @param {string} path
 * @param {string} why
 */
function unsafe(path, why) {
  return new RcaError("state_dir_unsafe", `state directory ${path} is unsafe: ${why}; choose a directory only you can write, outside any temporary directory and any project, e.g. ${SAFE_DEFAULT}`, {
    details: { path },
  });
}

/**
 * Refuses a state directory under a temporary directory, before anything is created there.
 * @param {Fs} fs
 * @param {string} stateDir absolute
 * @param {Array<string | undefined>} tempDirs $TMPDIR values to refuse as well (the host's, the agent's)
 */
export async function checkNotTemporary(fs, stateDir, tempDirs) {
  if (!isAbsolute(stateDir)) throw unsafe(stateDir, "it is not an absolute path");
  const real = await realish(fs, stateDir);
  for (const t of [...TEMP_ROOTS, ...tempDirs]) {
    if (!t || !isAbsolute(t)) continue;
    const tReal = await realish(fs, t);
    if (isInside(stateDir, t) || isInside(real, tReal)) {
      throw unsafe(stateDir, `it is inside the temporary directory ${t}, which a sandboxed agent may write`);
    }
  }
}

/**
 * Checks every component of the state directory (the path as given and its realpath): owned by
 * root or by us, writable by neither group nor others; the directory itself owned by us.
 * @param {Fs} fs
 * @param {string} stateDir absolute, existing
 * @param {number} uid
 */
export async function checkComponents(fs, stateDir, uid) {
  const real = await fs.realpath(stateDir);
  for (const path of new Set([...prefixes(stateDir), ...prefixes(real)])) {
    const st = await fs.lstat(path);
    if (st.isSymbolicLink()) continue; // its directory is a prefix (checked); its target is in the realpath
    const last = path === real || path === stateDir;
    if (!st.isDirectory()) throw unsafe(stateDir, `${path} is not a directory`);
    if (st.uid !== uid && (last || st.uid !== 0)) {
      throw unsafe(stateDir, `${path} belongs to uid ${st.uid}, not to you${last ? "" : " or root"}`);
    }
    if ((st.mode & 0o022) !== 0) {
      throw unsafe(stateDir, `${path} is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${(st.mode & 0o7777).toString(8)})`);
    }
  }
}

/**
 * Refuses a task whose project directory holds the state directory or lies inside it (an agent
 * working in its project could then rewrite how it is resumed), or whose agent's $TMPDIR holds it.
 * @param {Fs} fs
 * @param {string} stateDir
 * @param {string} projectDir absolute
 * @param {string | undefined} agentTmpDir
 */
export async function checkTaskPlacement(fs, stateDir, projectDir, agentTmpDir) {
  const stateReal = await realish(fs, stateDir);
  const projectReal = await realish(fs, projectDir);
  if (isInside(stateReal, projectReal) || isInside(stateDir, projectDir)) {
    throw unsafe(stateDir, `it is inside the project directory ${projectDir}, where the agent works`);
  }
  if (isInside(projectReal, stateReal) || isInside(projectDir, stateDir)) {
    throw unsafe(stateDir, `the project directory ${projectDir} is inside it, so the agent could write there`);
  }
  await checkNotTemporary(fs, stateDir, [agentTmpDir]);
}

/** "/", "/a", "/a/b" … of an absolute path. @param {string} path */
function prefixes(path) {
  const out = ["/"];
  let cur = "";
  for (const part of path.split(sep).filter(Boolean)) {
    cur += sep + part;
    out.push(cur);
  }
  return out;
}
