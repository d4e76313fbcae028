// @ts-check
// The state directory: one mkdtemp-style directory per task (0700) holding its files (0600,
// created exclusively, never through a symlink), the task record written atomically, and an
// index from session name to task directory. A corrupt record (bytes that do not parse) is set
// aside and reported; it never stops the other tasks from being read. An I/O error is not
// corruption: the record is kept and the error reported (`record_unreadable`), to be read again.
//
//   <state>/tasks/<session>-XXXXXX/record.json, prompt, events.1.jsonl, …
//   <state>/tasks/<session>-XXXXXX/record.lock.d/   (the record lock, see lock.js)
//   <state>/sessions/<session>     → "<session>-XXXXXX" (the index, one small file per task)
//   <state>/monitor.lock.d/        (see lock.js)
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { RcaError } from "./errors.js";
import { fsConstants } from "./effects.js";
import { EXCLUSIVE, READ_NOFOLLOW as READ, writeExclusive } from "./exclusive-file.js";
import { checkNotTemporary, checkComponents } from "./state-dir.js";
import { checkRecordPlace } from "./task-files.js";
import { Lock } from "./lock.js";
import { mapLimit } from "./limit.js";

/** @typedef {import("./effects.js").Effects} Effects */

export const RECORD_FILE = "record.json";
export const ORIGIN_FILE = "origin.json";
const RECORD_LOCK = "record.lock.d";
/** How long a command waits for a record lock held by a live process before `task_busy`. */
const RECORD_LOCK_WAIT_MS = 10_000;
/** Errors that say "not now" rather than "this file is bad": read again after a short pause. */
const TRANSIENT = new Set(["EMFILE", "ENFILE", "EAGAIN", "EINTR", "EBUSY", "ENOMEM"]);
const READ_TRIES = 3;
/** The largest record or index entry read (they are a few KB; texts in a record are capped at 4 KB each). */
const MAX_SMALL_FILE = 1024 * 1024;

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
    try {
      await this.fx.fs.chmod(dir, 0o700);
      await this.syncDir(this.tasksDir);
    } catch (e) {
      await this.fx.fs.rm(dir, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
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
   * Replaces a file atomically: write a temporary file (exclusive; removed again if the write
   * fails), fsync, rename over the old one, fsync the directory.
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
    await this.syncDir(dir);
  }

  /**
   * fsyncs a directory, so the entries just created, renamed or removed in it survive a crash.
   * @param {string} dir
   */
  async syncDir(dir) {
    const dh = await this.fx.fs.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY).catch(() => null);
    if (dh) await dh.sync().catch(() => {}).finally(() => dh.close());
  }

  /**
   * @param {string} taskDir
   * @param {object} record a TaskRecord
   */
  async writeRecord(taskDir, record) {
    try {
      await this.replaceAtomically(taskDir, RECORD_FILE, JSON.stringify(record, null, 2) + "\n");
    } catch (e) {
      // The old record is still whole (the rename never happened); say why the new one is not.
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      throw new RcaError("state_write_failed", `the task record in ${taskDir} could not be written (${code ?? e}); the previous one is kept`, {
        cause: e,
        details: { taskDir, errno: code ?? null },
      });
    }
    return this.recordStamp(taskDir);
  }

  /**
   * Runs `fn` holding the task's record lock: the monitor (another process, perhaps) and a
   * `stop`/`resume` must not both read-modify-write the record at once, or the last writer
   * would undo the other (a stopped task resumed). Held for a few ms; released by a holder that
   * dies at any instant (lock.js). A live holder is waited for up to `waitMs` (0: not at all),
   * then `task_busy`.
   * @template T
   * @param {string} taskDir
   * @param {() => Promise<T>} fn
   * @param {{ waitMs?: number }} [opts]
   * @returns {Promise<T>}
   */
  async withRecordLock(taskDir, fn, opts = {}) {
    const lock = new Lock(join(taskDir, RECORD_LOCK), this.fx);
    const deadline = this.fx.now() + (opts.waitMs ?? RECORD_LOCK_WAIT_MS);
    while (!(await lock.tryAcquire())) {
      if (this.fx.now() >= deadline) {
        const owner = await lock.owner().catch(() => null);
        throw new RcaError("task_busy", `the record in ${taskDir} is locked by pid ${owner?.pid ?? "?"}; try again`, {
          details: { taskDir, pid: owner?.pid ?? null },
        });
      }
      await this.fx.sleep(5 + Math.random() * 10);
    }
    try {
      return await fn();
    } finally {
      await lock.release();
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
   * Reads a whole small file without following a symlink, with its stamp. A transient error
   * (EMFILE, ENFILE…) is retried a few times; any other error, or the last one, is thrown as
   * is for the caller to map (an I/O error is never taken for a missing or corrupt file).
   * @param {string} path
   * @returns {Promise<{ text: string, stamp: Stamp }>}
   */
  async #readRetrying(path) {
    for (let attempt = 1; ; attempt++) {
      try {
        const fh = await this.fx.fs.open(path, READ);
        try {
          const st = await fh.stat();
          // Records and index entries are a few KB: a huge file is not one this package wrote,
          // and reading it whole would stall the monitor (and every surface) on one task.
          if (st.size > MAX_SMALL_FILE) throw Object.assign(new Error(`larger than ${MAX_SMALL_FILE} bytes`), { code: "EFBIG" });
          return { stamp: { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino }, text: await fh.readFile("utf8") };
        } finally {
          await fh.close();
        }
      } catch (e) {
        const code = /** @type {NodeJS.ErrnoException} */ (e).code;
        if (code && TRANSIENT.has(code) && attempt < READ_TRIES) {
          await this.fx.sleep(10 * attempt);
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Reads a record's text. A missing record, a symlink in its place, or bytes that `parse`
   * refuses are `record_corrupt` (the bad file set aside, when it exists at all). Any other
   * error (EMFILE, EIO, EACCES…) is `record_unreadable`: the record stays where it is, to be
   * read again; transient ones are retried here first.
   * @param {string} taskDir
   * @param {(text: string) => any} parse the core's parseRecord
   * @returns {Promise<{ record: any, stamp: Stamp }>}
   */
  async readRecord(taskDir, parse) {
    const path = join(taskDir, RECORD_FILE);
    /** @type {string} */ let text;
    /** @type {Stamp} */ let stamp;
    try {
      ({ text, stamp } = await this.#readRetrying(path));
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
      // O_NOFOLLOW met a symlink: never followed, and not a record.
      if (code === "ELOOP") throw await this.#setAside(taskDir, "it is a symbolic link");
      if (code === "EFBIG") throw await this.#setAside(taskDir, `it is larger than ${MAX_SMALL_FILE} bytes`);
      throw new RcaError(
        "record_unreadable",
        `the task record in ${taskDir} cannot be read (${code ?? e}); it was kept as it is and will be read again`,
        { cause: e, details: { taskDir, errno: code ?? null } },
      );
    }
    try {
      return { record: await checkRecordPlace(this.fx.fs, parse(text), taskDir), stamp };
    } catch (e) {
      // A fault of the parser itself says nothing about the bytes: keep them. Nor does an agent
      // this process has no profile for (an operator agent left out of this configuration).
      if (/** @type {{ code?: unknown }} */ (e)?.code === "internal") throw e;
      if (/** @type {{ code?: unknown }} */ (e)?.code === "invalid_agent") throw e;
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
    await this.syncDir(this.sessionsDir);
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
    await this.syncDir(this.sessionsDir);
  }

  /**
   * The task directory of a session, or null when there is no such (valid) index entry. An
   * entry that exists but cannot be read now (EMFILE, EIO…) is an error (`state_unreadable`),
   * never "no task".
   * @param {string} session
   * @returns {Promise<string | null>}
   */
  async lookup(session) {
    let text;
    try {
      ({ text } = await this.#readRetrying(join(this.sessionsDir, safeName(session))));
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      // Missing, a symlink (never followed) or a huge file (never ours): no task of that name.
      if (code === "ENOENT" || code === "ELOOP" || code === "EISDIR" || code === "EFBIG") return null;
      if (e instanceof RcaError) throw e;
      throw new RcaError("state_unreadable", `the index entry of ${session} cannot be read (${code ?? e}); try again`, {
        cause: e,
        details: { session, errno: code ?? null },
      });
    }
    const dirName = text.trim();
    // Only a direct child of tasks/ made for this session is accepted: the index is data.
    if (!dirName.startsWith(`${session}-`) || dirName.includes("/") || dirName.includes("\0")) return null;
    return join(this.tasksDir, dirName);
  }

  /**
   * Every indexed task, by name. An entry that cannot be read now is left out of this answer
   * only, and said through `onProblem`; the next call reads it again.
   * @param {{ onProblem?: (p: { code: string, message: string, session: string }) => void }} [opts]
   * @returns {Promise<Array<{ session: string, taskDir: string }>>}
   */
  async sessions(opts = {}) {
    /** @type {string[]} */ let names;
    try {
      names = await this.fx.fs.readdir(this.sessionsDir);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code !== "ENOENT") {
        // Never "no tasks" because the directory could not be listed this once.
        throw new RcaError("state_unreadable", `the task index ${this.sessionsDir} cannot be listed (${code ?? e}); try again`, {
          cause: e,
          details: { errno: code ?? null },
        });
      }
      names = [];
    }
    const wanted = names.filter((n) => !n.startsWith(".")).sort();
    // A bounded number at once; an entry whose file did not change (an index entry is only
    // ever created or replaced by a rename: a new inode) is not read again.
    const dirs = await mapLimit(wanted, (session) =>
      this.#lookupCached(session).catch((err) => {
        const e = err instanceof RcaError ? err : new RcaError("state_unreadable", String(err));
        opts.onProblem?.({ code: e.code, message: e.message, session });
        return null;
      }),
    );
    const live = new Set(wanted);
    for (const session of this.#index.keys()) if (!live.has(session)) this.#index.delete(session);
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
    // A failed read throws before anything is remembered: it is tried again next time.
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
    // The task's private temporary directory (profile task_env) goes with it.
    await this.fx.fs.rm(this.taskTmpDir(taskDir), { recursive: true, force: true, maxRetries: 3 });
    // Retried: a monitor that still knew the task may be making its record lock in it right now.
    await this.fx.fs.rm(taskDir, { recursive: true, force: true, maxRetries: 3 });
  }

  /**
   * A task's private temporary directory (`{task_tmp}` of a profile's task_env): beside the state
   * directory, not in it (nothing in an agent's environment points into the state directory)
   * and not in /tmp (shared with every user).
   * @param {string} taskDir
   */
  taskTmpDir(taskDir) {
    return join(`${this.stateDir}-tmp`, basename(taskDir));
  }

  /**
   * Makes the task's private temporary directory (0700, new; its parent 0700, a real directory
   * of ours, never a symlink). Returns its path.
   * @param {string} taskDir
   */
  async makeTaskTmpDir(taskDir) {
    const fs = this.fx.fs;
    const dir = this.taskTmpDir(taskDir);
    const root = dirname(dir);
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    const st = await fs.lstat(root);
    const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
      throw new RcaError("state_dir_unsafe", `${root} must be a directory of yours that nobody else can use (mode 700); it holds the tasks' temporary directories`, { details: { path: root } });
    }
    await fs.mkdir(dir, { mode: 0o700 });
    return dir;
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
      const st = await fh.stat();
      // Something the agent put in the file's place (a directory, a FIFO) shows nothing, like a
      // missing file; reading it would fail (EISDIR) or block.
      if (!st.isFile()) return "";
      const { size } = st;
      const length = Math.min(size, max);
      const position = fromEnd ? size - length : 0;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      let text = buf.subarray(0, bytesRead).toString("utf8");
      // A tail that starts mid-line (or mid-character) starts at the next whole line instead;
      // one that holds no newline (a line longer than `max`) loses its cut-off start.
      if (fromEnd && position > 0) {
        const nl = text.indexOf("\n");
        text = nl >= 0 ? text.slice(nl + 1) : dropCutStart(text);
      }
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
 * The start of a tail cut inside a line, dropped: the cut-off word (the end of a key, or of a
 * secret's name), then the value of an assignment it ends (`ssword: hunter2`, `ization: Bearer
 * abc`), or else the next word (a flag's or an auth scheme's value: `ssword hunter2`, `arer
 * abc`). Redaction would see none of these as a secret: its name or prefix is cut off.
 * @param {string} text
 */
export function dropCutStart(text) {
  return text.replace(CUT_START, "").replace(/^[ \t]+/, "");
}

const CUT_START = /^[^\s:=]*(?:[ \t]*(?:=>|:=|[:=])[ \t]*(?:(?:bearer|basic|token|digest|bot)[ \t]+)?(?:"[^"]*"|'[^']*'|\S*)|[ \t]+\S*)?/i;

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
