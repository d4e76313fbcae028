// @ts-check
// Creating a file the safe way, in one place: O_EXCL (never over an existing file, so a racing
// process or a planted file loses), O_NOFOLLOW (never through a symlink), mode 0600 at most, and
// fsync before close so a crash never leaves a half-written file that looks complete.
import { fsConstants } from "./effects.js";

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fsConstants;
export const EXCLUSIVE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
export const READ_NOFOLLOW = O_RDONLY | O_NOFOLLOW;

/**
 * Creates `path` holding `contents`. Throws what `open` throws (EEXIST when it exists).
 * @param {import("./effects.js").Effects["fs"]} fs
 * @param {string} path
 * @param {string} contents
 * @param {number} [mode]
 */
export async function writeExclusive(fs, path, contents, mode = 0o600) {
  const fh = await fs.open(path, EXCLUSIVE, mode & 0o600);
  try {
    await fh.writeFile(contents, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
}
