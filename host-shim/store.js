// @ts-check
// The state directory: one mkdtemp-style directory per task (0700) holding its files (0600,
// created exclusively, never through a symlink), the task record written atomically, and an
// index from session name to task directory. A corrupt record is set aside and reported; it
// never stops the other tasks from being read.
//
//   <state>/tasks/<session>-XXXXXX/record.json, prompt, events.1.jsonl, …
//   <state>/sessions/<session>     → "<session>-XXXXXX" (the index, one small file per task)
//   <state>/monitor.lock           (see lock.js)
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { RcaError } from "./errors.js";
import { fsConstants } from "./effects.js";
import { EXCLUSIVE, READ_NOFOLLOW as READ, writeExclusive } from "./exclusive-file.js";
import { checkNotTemporary, checkComponents } from "./state-dir.js";
import { checkRecordPlace } from "./task-files.js";

/** @typedef {import("./effects.js").Effects} Effects */

export const RECORD_FILE = "record.json";
export const ORIGIN_FILE = "origin.json";
const RECORD_LOCK = "record.lock";

/**
 * Where state lives: `--state-dir`, then RCA_STATE_DIR, then the XDG state home.
 * @param {string | undefined} explicit
 * @param {Record<string, string | undefined>} env
 * @returns {string}
 */
export function resolveStateDir(explicit, env = process.env) {
  if (explicit) return resolve(explicit);
  if (env.RCA_STATE_DIR) return resolve(env.RCA_STATE_DIR);
  const base = env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(env.HOME || homedir(), ".local", "state");
  return join(base, "resilient-coding-agent");
}

/**
 * @typedef {{ mtimeMs: number, size: number, ino: number }} Stamp
 *   what a record file looked like when read; a write that finds another stamp lost a race
 */

export class Store {
  /**
   * @param {string} stateDir absolute path
   * @param {Effects} effects
   */
  constructor(stateDir, effects) {
    this.stateDir = stateDir;
    this.tasksDir = join(stateDir, "tasks");
    this.sessionsDir = join(stateDir, "sessions");
    this.fx = effects;
  }

  /**
   * Creates the layout (0700) and refuses a state directory a sandboxed agent or another user
   * could write into (state-dir.js): a temporary directory is refused before anything is made.
   * @param {{ tempDirs?: Array<string | undefined> }} [opts] $TMPDIR values to refuse as well
   */
  async init(opts = {}) {
    const fs = this.fx.fs;
    await checkNotTemporary(fs, this.stateDir, opts.tempDirs ?? []);
    await fs.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await checkComponents(fs, this.stateDir, typeof process.getuid === "function" ? process.getuid() : (await fs.stat(this.stateDir)).uid);
    await this.#checkSafe(this.stateDir);
    for (const dir of [this.tasksDir, this.sessionsDir]) {
      await fs.mkdir(dir, { mode: 0o700 }).catch((e) => {
        if (e.code !== "EEXIST") throw e;
      });
      await this.#checkSafe(dir);
    }
  }

  /** @param {string} dir */
  async #checkSafe(dir) {
    const st = await this.fx.fs.stat(dir);
    const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
      throw new RcaError(
        "state_dir_unsafe",
        `state directory ${dir} must be a directory owned by you and writable by no one else ` +
          `(found uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); fix it or choose another with --state-dir`,
        { details: { path: dir } },
      );
    }
  }

  /**
   * A fresh task directory with an unpredictable name, mode 0700.
   * @param {string} session
   */
  async createTaskDir(session) {
    const dir = await this.fx.fs.mkdtemp(join(this.tasksDir, `${session}-`));
    await this.fx.fs.chmod(dir, 0o700);
    return dir;
  }

  /**
   * Creates a new file: exclusive, never through a symlink, mode 0600 (or `mode`).
   * @param {string} taskDir
   * @param {string} name a plain file name inside the task directory
   * @param {string} contents
   * @param {number} [mode]
   */
  async writeNew(taskDir, name, contents, mode = 0o600) {
    const path = join(taskDir, safeName(name));
    await writeExclusive(this.fx.fs, path, contents, mode);
    return path;
  }

  /**
   * Replaces a file atomically: write a temporary file, fsync, rename over the old one.
   * @param {string} dir
   * @param {string} name
   * @param {string} contents
   */
  async replaceAtomically(dir, name, contents) {
    const tmp = `.${safeName(name)}.tmp-${this.fx.pid}-${this.fx.uuid().slice(0, 8)}`;
    await this.writeNew(dir, tmp, contents);
    try {
      await this.fx.fs.rename(join(dir, tmp), join(dir, name));
    } catch (e) {
      await this.fx.fs.rm(join(dir, tmp), { force: true });
      throw e;
    }
    // Make the rename itself durable (a reboot right after must not bring the old record back).
    const dh = await this.fx.fs.open(dir, fsConstants.O_RDONLY).catch(() => null);
    if (dh) await dh.sync().catch(() => {}).finally(() => dh.close());
  }

  /**
   * @param {string} taskDir
   * @param {object} record a TaskRecord
   */
  async writeRecord(taskDir, record) {
    await this.replaceAtomically(taskDir, RECORD_FILE, JSON.stringify(record, null, 2) + "\n");
    return this.recordStamp(taskDir);
  }

  /**
   * Runs `fn` holding the task's record lock: the monitor (another process, perhaps) and a
   * `stop`/`resume` must not both read-modify-write the record at once, or the last writer
   * would undo the other (a stopped task resumed). Held for a few ms; a holder that died is
   * detected by its pid and the lock taken over.
   * @template T
   * @param {string} taskDir
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async withRecordLock(taskDir, fn) {
    const path = join(taskDir, RECORD_LOCK);
    const deadline = this.fx.now() + 10_000;
    for (;;) {
      let fh = null;
      try {
        fh = await this.fx.fs.open(path, EXCLUSIVE, 0o600);
      } catch (e) {
        if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
      }
      if (fh) {
        try {
          await fh.writeFile(`${this.fx.pid}\n`, "utf8");
        } finally {
          await fh.close();
        }
        try {
          return await fn();
        } finally {
          await this.fx.fs.rm(path, { force: true });
        }
      }
      const holder = Number.parseInt(await this.readHead(path, 32), 10);
      if (holder > 0 && !this.#alive(holder)) {
        await this.fx.fs.rm(path, { force: true });
        continue;
      }
      if (this.fx.now() > deadline) {
        throw new RcaError("task_busy", `the record in ${taskDir} is locked by pid ${holder || "?"}; try again`);
      }
      await this.fx.sleep(5 + Math.random() * 10);
    }
  }

  /** @param {number} pid */
  #alive(pid) {
    try {
      this.fx.kill(pid, 0);
      return true;
    } catch (e) {
      return /** @type {NodeJS.ErrnoException} */ (e).code === "EPERM";
    }
  }

  /** @param {string} taskDir @returns {Promise<Stamp | null>} */
  async recordStamp(taskDir) {
    const st = await this.#stat(join(taskDir, RECORD_FILE), false);
    return st ? { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino } : null;
  }

  /**
   * A file's stats, null when it is missing or cannot be stat'ed: synchronous when the effects
   * offer it (cheap on a local disk; a tick takes a few per task), else the promise API.
   * @param {string} path
   * @param {boolean} follow stat (true) or lstat (false)
   * @returns {Promise<import("node:fs").Stats | null>}
   */
  async #stat(path, follow) {
    const fs = this.fx.fs;
    const sync = follow ? fs.statSync : fs.lstatSync;
    if (sync) {
      try {
        return sync(path, { throwIfNoEntry: false }) ?? null;
      } catch {
        return null;
      }
    }
    return (follow ? fs.stat(path) : fs.lstat(path)).catch(() => null);
  }

  /**
   * Up to `max` bytes from the start of a file that may well not exist ("" when missing): a
   * cheap stat first, the read only when it is there.
   * @param {string} path
   * @param {number} max
   */
  async readHeadIfExists(path, max) {
    return (await this.#stat(path, true)) ? this.readHead(path, max) : "";
  }

  /**
   * Reads a record's text; a missing, unreadable or symlinked record is `record_corrupt`
   * (after being set aside, when it exists at all).
   * @param {string} taskDir
   * @param {(text: string) => any} parse the core's parseRecord
   * @returns {Promise<{ record: any, stamp: Stamp }>}
   */
  async readRecord(taskDir, parse) {
    const path = join(taskDir, RECORD_FILE);
    /** @type {string} */ let text;
    /** @type {Stamp} */ let stamp;
    try {
      const fh = await this.fx.fs.open(path, READ);
      try {
        const st = await fh.stat();
        stamp = { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
        text = await fh.readFile("utf8");
      } finally {
        await fh.close();
      }
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code === "ENOENT") {
        const aside = await this.setAsideFiles(taskDir);
        throw new RcaError(
          "record_corrupt",
          aside.length
            ? `the task record in ${taskDir} was set aside as ${aside[aside.length - 1]} because it could not be read`
            : `the task directory ${taskDir} has no record`,
          { details: { taskDir, setAside: aside } },
        );
      }
      throw await this.#setAside(taskDir, `cannot be read (${code ?? e})`);
    }
    try {
      return { record: await checkRecordPlace(this.fx.fs, parse(text), taskDir), stamp };
    } catch (e) {
      throw await this.#setAside(taskDir, e instanceof Error ? e.message : String(e));
    }
  }

  /**
   * Moves a bad record out of the way (`record.json.corrupt-<time>`) and says so.
   * @param {string} taskDir
   * @param {string} why
   */
  async #setAside(taskDir, why) {
    const asideName = `${RECORD_FILE}.corrupt-${this.fx.now()}`;
    const moved = await this.fx.fs
      .rename(join(taskDir, RECORD_FILE), join(taskDir, asideName))
      .then(() => true, () => false);
    return new RcaError(
      "record_corrupt",
      `the task record in ${taskDir} is corrupt (${why})` +
        (moved ? `; it was set aside as ${asideName}` : "; it could not be moved aside"),
      { details: { taskDir, setAside: moved ? [asideName] : [], reason: why } },
    );
  }

  /** @param {string} taskDir @returns {Promise<string[]>} names of set-aside records, oldest first */
  async setAsideFiles(taskDir) {
    const names = await this.fx.fs.readdir(taskDir).catch(() => /** @type {string[]} */ ([]));
    return names.filter((n) => n.startsWith(`${RECORD_FILE}.corrupt-`)).sort();
  }

  /**
   * Claims a session name for a task directory; fails with EEXIST when the name is taken.
   * @param {string} session
   * @param {string} taskDir
   */
  async claimSession(session, taskDir) {
    await this.writeNew(this.sessionsDir, safeName(session), basename(taskDir) + "\n");
  }

  /**
   * Points a session name at a task directory, replacing an older entry atomically.
   * @param {string} session
   * @param {string} taskDir
   */
  async pointSession(session, taskDir) {
    await this.replaceAtomically(this.sessionsDir, safeName(session), basename(taskDir) + "\n");
  }

  /** @param {string} session */
  async forgetSession(session) {
    await this.fx.fs.rm(join(this.sessionsDir, safeName(session)), { force: true });
  }

  /**
   * The task directory of a session, or null.
   * @param {string} session
   * @returns {Promise<string | null>}
   */
  async lookup(session) {
    let text;
    try {
      const fh = await this.fx.fs.open(join(this.sessionsDir, safeName(session)), READ);
      try {
        text = await fh.readFile("utf8");
      } finally {
        await fh.close();
      }
    } catch {
      return null;
    }
    const dirName = text.trim();
    // Only a direct child of tasks/ made for this session is accepted: the index is data.
    if (!dirName.startsWith(`${session}-`) || dirName.includes("/") || dirName.includes("\0")) return null;
    return join(this.tasksDir, dirName);
  }

  /** @returns {Promise<Array<{ session: string, taskDir: string }>>} every indexed task, by name */
  async sessions() {
    const names = await this.fx.fs.readdir(this.sessionsDir).catch(() => /** @type {string[]} */ ([]));
    const wanted = names.filter((n) => !n.startsWith(".")).sort();
    // All entries at once; an entry whose file did not change (an index entry is only ever
    // created or replaced by a rename: a new inode) is not read again.
    const dirs = await Promise.all(wanted.map((session) => this.#lookupCached(session)));
    for (const session of this.#index.keys()) if (!wanted.includes(session)) this.#index.delete(session);
    /** @type {Array<{ session: string, taskDir: string }>} */
    const out = [];
    for (const [i, session] of wanted.entries()) {
      const taskDir = dirs[i];
      if (taskDir) out.push({ session, taskDir });
    }
    return out;
  }

  /** Index entries already read: session → the entry's stamp and what it named. */
  /** @type {Map<string, { stamp: Stamp, taskDir: string | null }>} */
  #index = new Map();

  /** @param {string} session */
  async #lookupCached(session) {
    const st = await this.#stat(join(this.sessionsDir, session), false);
    const stamp = st && st.isFile() ? { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino } : null;
    const known = this.#index.get(session);
    if (stamp && known && sameStamp(known.stamp, stamp)) return known.taskDir;
    const taskDir = await this.lookup(session);
    if (stamp) this.#index.set(session, { stamp, taskDir });
    else this.#index.delete(session);
    return taskDir;
  }

  /**
   * Removes a task directory (only ever one under tasks/).
   * @param {string} taskDir
   */
  async removeTaskDir(taskDir) {
    if (resolve(taskDir, "..") !== this.tasksDir) throw new Error(`refusing to remove ${taskDir}`);
    await this.fx.fs.rm(taskDir, { recursive: true, force: true });
  }

  /**
   * Up to `max` bytes from the start of a file ("" when missing).
   * @param {string} path
   * @param {number} max
   */
  async readHead(path, max) {
    return this.#readRange(path, max, false);
  }

  /**
   * Up to `max` bytes from the end of a file ("" when missing), cut at a line start.
   * @param {string} path
   * @param {number} max
   */
  async readTail(path, max) {
    return this.#readRange(path, max, true);
  }

  /**
   * @param {string} path
   * @param {number} max
   * @param {boolean} fromEnd
   */
  async #readRange(path, max, fromEnd) {
    let fh;
    try {
      fh = await this.fx.fs.open(path, READ);
    } catch {
      return "";
    }
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, max);
      const position = fromEnd ? size - length : 0;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      let text = buf.subarray(0, bytesRead).toString("utf8");
      // A tail that starts mid-line (or mid-character) starts at the next whole line instead.
      if (fromEnd && position > 0) text = text.slice(text.indexOf("\n") + 1);
      return text;
    } finally {
      await fh.close();
    }
  }

  /** @param {string} path @returns {Promise<number | null>} mtime in ms, null when missing */
  async mtime(path) {
    const st = await this.#stat(path, true);
    return st ? st.mtimeMs : null;
  }
}

/**
 * @param {Stamp | null | undefined} a
 * @param {Stamp | null | undefined} b
 */
function sameStamp(a, b) {
  return !!a && !!b && a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

/**
 * A file name the store accepts: one path component, nothing hidden in it.
 * @param {string} name
 */
function safeName(name) {
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new RcaError("invalid_input", `not a plain file name: ${JSON.stringify(name)}`);
  }
  return name;
}
