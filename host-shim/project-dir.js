// @ts-check
// Which directory a task's project path names (DESIGN §3a: "the project directory may vanish
// (then the task fails; it never runs elsewhere)"). Recorded at the start; checked before every
// recovery. A path that now names another directory (renamed away and re-created, a symlink
// pointed elsewhere) is as wrong as a missing one: the agent would work on something else.

/** @typedef {{ realPath: string, dev: string, ino: string }} ProjectIdentity */

/**
 * The directory `dir` names now, or null when there is none (missing, or not a directory).
 * Other errors (permissions, I/O) are thrown: they say nothing about the directory.
 * @param {import("./effects.js").Effects["fs"]} fs
 * @param {string} dir
 * @returns {Promise<ProjectIdentity | null>}
 */
export async function projectIdentity(fs, dir) {
  try {
    const realPath = await fs.realpath(dir);
    const st = await fs.stat(realPath, { bigint: true });
    if (!st.isDirectory()) return null;
    return { realPath, dev: String(st.dev), ino: String(st.ino) };
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") return null;
    throw e;
  }
}

/**
 * Why a task must not run in its project directory any more, or null when it may: the path is
 * gone, or names another directory than at the start (a record of an older version, with no
 * identity, is only checked for existence).
 * @param {import("./effects.js").Effects["fs"]} fs
 * @param {{ spec: { projectDir: string }, projectIdentity?: ProjectIdentity | null }} record
 * @returns {Promise<string | null>}
 */
export async function projectDirProblem(fs, record) {
  const dir = record.spec.projectDir;
  const now = await projectIdentity(fs, dir);
  if (!now) return `project directory ${dir} is missing or not a directory (renamed or deleted?); the agent is not run anywhere else`;
  const was = record.projectIdentity;
  if (was && (now.dev !== was.dev || now.ino !== was.ino)) {
    return `project directory ${dir} now names a different directory than at the start (device/inode ${now.dev}/${now.ino}, was ${was.dev}/${was.ino}); the agent is not run there`;
  }
  return null;
}
