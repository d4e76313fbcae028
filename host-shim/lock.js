// @ts-check
// Exactly one monitor acts on a state directory at a time, so a crash is never resumed twice.
//
// The lock is a file created with O_EXCL holding the owner's pid, the pid's start time (a pid
// can be reused after a reboot or wrap-around) and a random token. An owner whose process is
// gone is stale and can be taken over. Taking over is itself serialised by a second O_EXCL file,
// so two monitors that both see the same stale owner cannot both win; and a monitor re-reads the
// lock before every recovery it performs (`stillHeld`), so one that lost the lock stops acting.
import { join } from "node:path";
import { READ_NOFOLLOW, writeExclusive } from "./exclusive-file.js";

/** @typedef {import("./effects.js").Effects} Effects */
/** @typedef {{ pid: number, startTime: number | null, token: string, since: number }} Owner */

export const LOCK_FILE = "monitor.lock";
const TAKEOVER_FILE = "monitor.lock.takeover";

export class MonitorLock {
  /**
   * @param {string} stateDir
   * @param {Effects} effects
   */
  constructor(stateDir, effects) {
    this.path = join(stateDir, LOCK_FILE);
    this.takeoverPath = join(stateDir, TAKEOVER_FILE);
    this.fx = effects;
    /** @type {Owner} */
    this.me = { pid: effects.pid, startTime: effects.processStartTime(effects.pid), token: effects.uuid(), since: 0 };
    this.held = false;
  }

  /** @returns {Promise<boolean>} true when this monitor now holds the lock */
  async tryAcquire() {
    if (this.held && (await this.stillHeld())) return true;
    this.held = false;
    if (await this.#create(this.path)) return (this.held = true);
    const owner = await readOwner(this.fx, this.path);
    if (owner && this.isAlive(owner)) return false;
    // An unreadable file may be a contender's lock between its create and its write: give it time.
    if (owner && owner.pid === -1 && this.fx.now() - owner.since < 2000) return false;
    // The owner is gone (or the file is unreadable junk): take over, one contender at a time.
    if (!(await this.#create(this.takeoverPath))) {
      const taker = await readOwner(this.fx, this.takeoverPath);
      if (taker && this.isAlive(taker)) return false;
      // A taker that died mid-takeover leaves its file behind; clear it and let the next try win.
      await this.fx.fs.rm(this.takeoverPath, { force: true });
      return false;
    }
    try {
      const again = await readOwner(this.fx, this.path);
      if (again && owner && again.token !== owner.token) return false; // someone else won meanwhile
      if (again && this.isAlive(again)) return false;
      await this.fx.fs.rm(this.path, { force: true });
      return (this.held = await this.#create(this.path));
    } finally {
      await this.fx.fs.rm(this.takeoverPath, { force: true });
    }
  }

  /** @returns {Promise<boolean>} whether the lock file still names this monitor */
  async stillHeld() {
    const owner = await readOwner(this.fx, this.path);
    this.held = !!owner && owner.token === this.me.token;
    return this.held;
  }

  async release() {
    if (await this.stillHeld()) await this.fx.fs.rm(this.path, { force: true });
    this.held = false;
  }

  /** @returns {Promise<Owner | null>} who holds the lock now */
  owner() {
    return readOwner(this.fx, this.path);
  }

  /**
   * A process is the owner only if its pid is alive AND started when the owner said it did.
   * @param {Owner} owner
   */
  isAlive(owner) {
    if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
    try {
      this.fx.kill(owner.pid, 0);
    } catch (e) {
      // EPERM: alive, someone else's process; ESRCH: gone.
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EPERM") return false;
    }
    const started = this.fx.processStartTime(owner.pid);
    return owner.startTime == null || started == null || started === owner.startTime;
  }

  /** @param {string} path @returns {Promise<boolean>} false when it already exists */
  async #create(path) {
    const text = JSON.stringify({ ...this.me, since: this.fx.now() }) + "\n";
    try {
      await writeExclusive(this.fx.fs, path, text);
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code === "EEXIST") return false;
      throw e;
    }
    return true;
  }
}

/**
 * @param {Effects} fx
 * @param {string} path
 * @returns {Promise<Owner | null>} null when missing; a junk file reads as a dead owner
 */
async function readOwner(fx, path) {
  let text;
  let mtime = 0;
  try {
    const fh = await fx.fs.open(path, READ_NOFOLLOW);
    try {
      mtime = (await fh.stat()).mtimeMs;
      text = await fh.readFile("utf8");
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT") return null;
    return { pid: -1, startTime: null, token: "unreadable", since: 0 };
  }
  try {
    const o = JSON.parse(text);
    return { pid: Number(o.pid), startTime: o.startTime ?? null, token: String(o.token), since: Number(o.since) || 0 };
  } catch {
    // Half-written by an owner that died while creating it (or junk): treat as dead.
    return { pid: -1, startTime: null, token: `junk:${text.length}`, since: mtime };
  }
}
