// @ts-check
// Reading a task's transcript while it grows (logs --follow, here and on a remote host): new
// bytes from an offset, and a range before it as redaction context. Never through a symlink,
// never blocking on a FIFO put in its place.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { READ_NOFOLLOW } from "./exclusive-file.js";

/** Largest read of new transcript text at a time (a transcript that jumped by GBs is read in steps). */
const MAX_READ = 8 * 1024 * 1024;

/**
 * The transcript's bytes from `offset` on (at most MAX_READ), or `truncated` when it is now
 * shorter than `offset`; no bytes when it does not exist (yet). Opened without following a
 * symlink (a transcript replaced by a link is not ours to show) and without blocking (a FIFO in
 * its place would block the open until Ctrl-C could not stop it); anything but a regular file
 * is an error.
 * @param {string} path
 * @param {number} offset
 * @returns {Promise<{ bytes: Buffer, truncated: boolean }>}
 */
export async function readNew(path, offset) {
  const none = { bytes: Buffer.alloc(0), truncated: false };
  const fh = await open(path, READ_NOFOLLOW | constants.O_NONBLOCK).catch((e) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });
  if (!fh) return none;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error("it is not a regular file");
    if (st.size < offset) return { bytes: none.bytes, truncated: true };
    const want = Math.min(st.size - offset, MAX_READ);
    if (want === 0) return none;
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, offset);
    return { bytes: buf.subarray(0, bytesRead), truncated: false };
  } finally {
    await fh.close();
  }
}

/**
 * Bytes `from..to` of a file as text ("" when it cannot be read).
 * @param {string} path
 * @param {number} from
 * @param {number} to
 */
export async function readRange(path, from, to) {
  const fh = await open(path, READ_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (!fh || to <= from || !(await fh.stat()).isFile()) {
    await fh?.close();
    return "";
  }
  try {
    const buf = Buffer.alloc(to - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}
