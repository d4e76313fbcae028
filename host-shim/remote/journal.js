// @ts-check
// The event journal of a state directory: every event a TaskManager announces, one JSON line
// appended to <state>/events.jsonl (0600, no symlink followed). A host that watches this one
// from afar (`watch` over ssh, the `events-since` rpc) keeps a cursor — the file's identity and
// a byte offset — and asks for what came after it: after a dropped link it catches up with no
// event lost and none shown twice. Appends from several processes (the monitor, a `resume` by
// hand) are single O_APPEND writes, so lines never interleave.
import { constants as fsConstants } from "node:fs";
import { join } from "node:path";

export const JOURNAL_FILE = "events.jsonl";
/** Past this size the journal is rotated to events.1.jsonl (one older generation is kept). */
export const JOURNAL_MAX_BYTES = 4 * 1024 * 1024;
/** At most this much is returned by one read (the caller asks again from the new cursor). */
const READ_MAX_BYTES = 1024 * 1024;

const APPEND = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW;
const READ = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW;

/**
 * Where a reader is: the journal file (its inode) and the byte offset read up to.
 * @typedef {{ ino: number, offset: number }} Cursor
 */

export class EventJournal {
  /**
   * @param {string} stateDir
   * @param {import("../effects.js").Effects["fs"]} fs
   */
  constructor(stateDir, fs) {
    this.path = join(stateDir, JOURNAL_FILE);
    this.older = join(stateDir, "events.1.jsonl");
    this.fs = fs;
  }

  /**
   * Appends one event (a line of JSON). Throws what the file system throws.
   * @param {unknown} event
   * @returns {Promise<void>}
   */
  async append(event) {
    const line = JSON.stringify(event) + "\n";
    const fh = await this.fs.open(this.path, APPEND, 0o600);
    try {
      const { size } = await fh.stat();
      if (size + line.length > JOURNAL_MAX_BYTES && size > 0) {
        // Rotate: a reader whose cursor names the old inode finishes it in events.1.jsonl.
        await this.fs.rename(this.path, this.older).catch(() => {});
        await fh.close();
        return this.append(event);
      }
      await fh.write(line);
    } finally {
      await fh.close().catch(() => {});
    }
  }

  /**
   * The events after `cursor` (null: none, only where the journal ends now — a new watcher
   * sees what happens from now on) and the cursor to ask from next time.
   * @param {Cursor | null} cursor
   * @returns {Promise<{ events: unknown[], cursor: Cursor, reset: boolean }>} `reset`: the cursor
   *   named a journal that no longer exists (rotated twice, or removed): reading restarted at
   *   the start of the current one, and events in between may be missing
   */
  async since(cursor) {
    const now = await this.#stat(this.path);
    if (cursor === null) return { events: [], cursor: { ino: now?.ino ?? 0, offset: now?.size ?? 0 }, reset: false };
    if (now && cursor.ino === 0 && cursor.offset === 0) {
      // There was no journal yet when the cursor was taken: all of it is new.
      const { events, offset } = await this.#read(this.path, 0, now.ino);
      return { events, cursor: { ino: now.ino, offset }, reset: false };
    }
    if (now && now.ino === cursor.ino && now.size >= cursor.offset) {
      const { events, offset } = await this.#read(this.path, cursor.offset, now.ino);
      return { events, cursor: { ino: now.ino, offset }, reset: false };
    }
    const old = await this.#stat(this.older);
    if (old && old.ino === cursor.ino && old.size >= cursor.offset) {
      // Rotated since: the rest of the old generation first, then the new one from its start.
      const first = await this.#read(this.older, cursor.offset, old.ino);
      if (first.offset < old.size) return { events: first.events, cursor: { ino: old.ino, offset: first.offset }, reset: false };
      const rest = now ? await this.#read(this.path, 0, now.ino) : { events: [], offset: 0 };
      return { events: [...first.events, ...rest.events], cursor: { ino: now?.ino ?? 0, offset: rest.offset }, reset: false };
    }
    if (!now) return { events: [], cursor: { ino: 0, offset: 0 }, reset: cursor.ino !== 0 };
    const all = await this.#read(this.path, 0, now.ino);
    return { events: all.events, cursor: { ino: now.ino, offset: all.offset }, reset: true };
  }

  /** @param {string} path */
  async #stat(path) {
    const st = await this.fs.lstat(path).catch(() => null);
    return st && st.isFile() ? { ino: st.ino, size: st.size } : null;
  }

  /**
   * Whole lines from `from` on (up to READ_MAX_BYTES); a line being written is left for later.
   * @param {string} path
   * @param {number} from
   * @param {number} ino the file must still be this one (a rename in between is read next time)
   */
  async #read(path, from, ino) {
    const fh = await this.fs.open(path, READ).catch(() => null);
    if (!fh) return { events: [], offset: from };
    try {
      const st = await fh.stat();
      if (st.ino !== ino) return { events: [], offset: from };
      const len = Math.min(st.size - from, READ_MAX_BYTES);
      if (len <= 0) return { events: [], offset: from };
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, from);
      const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      /** @type {unknown[]} */
      const events = [];
      for (const line of buf.subarray(0, end).toString("utf8").split("\n")) {
        if (!line) continue;
        try {
          events.push(JSON.parse(line));
        } catch {
          // A torn line (a crash mid-write) is skipped, never fatal to the reader.
        }
      }
      return { events, offset: from + end };
    } finally {
      await fh.close();
    }
  }
}

/**
 * A cursor from outside (an rpc request): null, or { ino, offset } of whole non-negative numbers.
 * @param {unknown} v
 * @returns {Cursor | null | undefined} undefined when it is not a cursor
 */
export function checkCursor(v) {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) return undefined;
  const { ino, offset } = /** @type {Record<string, unknown>} */ (v);
  const whole = (/** @type {unknown} */ n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!whole(ino) || !whole(offset) || Object.keys(v).length !== 2) return undefined;
  return { ino: /** @type {number} */ (ino), offset: /** @type {number} */ (offset) };
}
