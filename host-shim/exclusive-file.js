// @ts-check
// Creating a file the safe way, in one place: O_EXCL (never over an existing file, so a racing
// process or a planted file loses), O_NOFOLLOW (never through a symlink), mode 0600 at most, and
// fsync before close so a crash never leaves a half-written file that looks complete. A write
// that fails (a full disk) removes the file it created: nothing half-made is left behind.
import { fsConstants } from "./effects.js";

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fsConstants;
export const EXCLUSIVE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
export const READ_NOFOLLOW = O_RDONLY | O_NOFOLLOW;

/**
 * Creates `path` holding `contents`. Throws what `open` or the write throws (EEXIST when it
 * exists; ENOSPC…, after removing the file it had created).
 * @param {import("./effects.js").Effects["fs"]} fs
 * @param {string} path
 * @param {string} contents
 * @param {number} [mode]
 * @param {{ sync?: boolean }} [opts] sync: false skips the fsync (a lock entry, see lock.js)
 */
export async function writeExclusive(fs, path, contents, mode = 0o600, opts = {}) {
  const fh = await fs.open(path, EXCLUSIVE, mode & 0o600);
  try {
    await fh.writeFile(contents, "utf8");
    if (opts.sync !== false) await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    // Ours (created exclusively just now): an empty or partial file must not stay behind.
    await fs.unlink(path).catch(() => {});
    throw e;
  }
  await fh.close();
}
