// @ts-check
// One lock mechanism for the whole package: the state directory's monitor lock (exactly one
// monitor acts at a time, so a crash is never resumed twice) and each task's record lock (the
// monitor and a `stop`/`resume` never read-modify-write a record at once).
//
// It must stay right when a holder dies at ANY instant, and two contenders must never both win.
// Node has no flock(), so it is built from the one atomic, exclusive operation files offer:
// creating a name that does not exist yet. A lock is a directory of numbered entries:
//
//   <lock dir>/<n>   the highest n decides: held while it names a live process, free otherwise
//
// - Acquire: read the highest entry n. If its owner is alive, the lock is busy. Otherwise write
//   my owner (pid, its start time, the boot id, a random token) to a temporary file and link()
//   it to n+1. link() fails if n+1 exists, so of all contenders that saw the same dead or free n
//   exactly one wins; an entry appears complete or not at all (no half-written owner to guess
//   about, so no grace period and no wedge).
// - Release: create an empty n+1 (free), then remove my n.
// - Numbers only grow: the highest entry is never removed except by the holder of a higher one.
//   So a contender that listed long ago and creates an old, already-cleaned number finds a
//   higher entry when it looks again, and backs off. Nobody ever deletes another's entry to take
//   over (that delete-then-create is what let two takers both win before).
// - Dead means: no such pid, or a pid now started at another time (reused), or another boot.
//   An entry that does not parse (an empty free marker, junk) is held by nobody.
//
// Entries are not fsynced: after a power loss every holder is dead anyway (another boot id), so
// an entry that lost its bytes reads as free, which is then the truth.
import { join } from "node:path";
import { READ_NOFOLLOW, writeExclusive } from "./exclusive-file.js";
import { fsConstants } from "./effects.js";

/** @typedef {import("./effects.js").Effects} Effects */
/** @typedef {{ pid: number, startTime: number | null, bootId: string | null, token: string, since: number }} Owner */

/** The monitor lock's directory in a state directory. */
export const MONITOR_LOCK = "monitor.lock.d";
const ENTRY = /^[0-9]{1,15}$/;
const TEMP_PREFIX = ".tmp-";
/** Contenders that keep finding a newer entry give up after this many looks (busy, try later). */
const MAX_ROUNDS = 8;

export class Lock {
  /**
   * @param {string} dir the lock's directory (created on first use, 0700)
   * @param {Effects} effects
   */
  constructor(dir, effects) {
    this.dir = dir;
    this.fx = effects;
    /** @type {Owner} */
    this.me = {
      pid: effects.pid,
      startTime: effects.processStartTime(effects.pid),
      bootId: effects.bootId(),
      token: effects.uuid(),
      since: 0,
    };
    /** The entry number this lock holds (meaningful while `held`). */
    this.entry = 0;
    this.held = false;
  }

  /** @returns {Promise<boolean>} true when this lock is now held; false when someone alive holds it */
  async tryAcquire() {
    if (this.held && (await this.stillHeld())) return true;
    this.held = false;
    await this.#ensureDir();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const nums = await this.#entries();
      const top = nums.length ? nums[nums.length - 1] : 0;
      if (top) {
        const owner = await this.#read(top);
        if (owner === undefined) continue; // removed meanwhile: a newer entry exists, look again
        if (owner && this.isAlive(owner)) return false;
      }
      const mine = top + 1;
      if (!(await this.#publish(mine))) continue; // another contender took it first: look again
      const after = await this.#entries();
      if (after[after.length - 1] !== mine) {
        // `top` was stale (this contender listed long ago): a newer holder exists. Our entry is
        // below the highest one, so removing it can never free anybody's lock.
        await this.#remove(mine);
        continue;
      }
      this.entry = mine;
      this.held = true;
      await this.#clean(after.filter((n) => n < mine));
      return true;
    }
    return false;
  }

  /** @returns {Promise<boolean>} whether this lock's entry is still the deciding one */
  async stillHeld() {
    if (!this.held) return false;
    const nums = await this.#entries().catch(() => /** @type {number[]} */ ([]));
    const top = nums[nums.length - 1];
    const owner = top === this.entry ? await this.#read(top) : null;
    this.held = !!owner && owner.token === this.me.token;
    return this.held;
  }

  async release() {
    if (!(await this.stillHeld())) return;
    this.held = false;
    // Free first (a higher, empty entry), then our own entry goes: the highest never drops.
    // When the marker cannot be made (a full disk), our entry is emptied in place instead
    // (truncating needs no space): removing it would let the numbers drop, and a contender
    // that read an old number as free could then link it above a newer holder's entry.
    if (await this.#createEmpty(this.entry + 1)) await this.#remove(this.entry);
    else await this.#empty(this.entry);
  }

  /** @returns {Promise<Owner | null>} who holds the lock now (null: free, or held by a dead process) */
  async owner() {
    const nums = await this.#entries().catch(() => /** @type {number[]} */ ([]));
    if (!nums.length) return null;
    const owner = await this.#read(nums[nums.length - 1]);
    return owner && this.isAlive(owner) ? owner : null;
  }

  /**
   * A process is the owner only if its pid is alive AND it started when the owner said it did,
   * in this boot.
   * @param {Owner} owner
   */
  isAlive(owner) {
    if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
    if (owner.bootId && this.me.bootId && owner.bootId !== this.me.bootId) return false;
    try {
      this.fx.kill(owner.pid, 0);
    } catch (e) {
      // EPERM: alive, someone else's process; ESRCH: gone.
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EPERM") return false;
    }
    // A killed owner whose parent has not reaped it yet still answers kill(pid, 0); it holds
    // nothing and does nothing, so it is dead (else its successor never starts).
    if (this.fx.processIsZombie?.(owner.pid)) return false;
    const started = this.fx.processStartTime(owner.pid);
    return owner.startTime == null || started == null || started === owner.startTime;
  }

  async #ensureDir() {
    try {
      await this.fx.fs.mkdir(this.dir, { mode: 0o700 });
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
      // Never work through a symlink planted where the directory should be.
      const st = await this.fx.fs.lstat(this.dir);
      if (!st.isDirectory()) throw Object.assign(new Error(`lock ${this.dir} is not a directory`), { code: "ENOTDIR" });
    }
  }

  /** @returns {Promise<number[]>} the entry numbers, ascending */
  async #entries() {
    const names = await this.fx.fs.readdir(this.dir);
    return names.filter((n) => ENTRY.test(n)).map(Number).sort((a, b) => a - b);
  }

  /**
   * @param {number} n
   * @returns {Promise<Owner | null | undefined>} undefined when the entry no longer exists, null
   *   when it names nobody (free marker or junk)
   */
  async #read(n) {
    let text;
    try {
      const fh = await this.fx.fs.open(join(this.dir, String(n)), READ_NOFOLLOW);
      try {
        text = await fh.readFile("utf8");
      } finally {
        await fh.close();
      }
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT") return undefined;
      throw e;
    }
    try {
      const o = JSON.parse(text);
      if (!o || typeof o !== "object") return null;
      return {
        pid: Number(o.pid),
        startTime: typeof o.startTime === "number" ? o.startTime : null,
        bootId: typeof o.bootId === "string" ? o.bootId : null,
        token: String(o.token),
        since: Number(o.since) || 0,
      };
    } catch {
      return null;
    }
  }

  /**
   * Makes entry n appear with this lock's owner in it, whole, or not at all.
   * @param {number} n
   * @returns {Promise<boolean>} false when entry n already exists
   */
  async #publish(n) {
    const temp = join(this.dir, `${TEMP_PREFIX}${this.fx.pid}-${this.me.token}`);
    const text = JSON.stringify({ ...this.me, since: this.fx.now() }) + "\n";
    try {
      await writeExclusive(this.fx.fs, temp, text, 0o600, { sync: false });
      await this.fx.fs.link(temp, join(this.dir, String(n)));
      return true;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code === "EEXIST") return false;
      throw e;
    } finally {
      await this.fx.fs.unlink(temp).catch(() => {});
    }
  }

  /**
   * @param {number} n
   * @returns {Promise<boolean>} whether entry n now exists (made here, or already there)
   */
  async #createEmpty(n) {
    try {
      const fh = await this.fx.fs.open(join(this.dir, String(n)), fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      await fh.close();
      return true;
    } catch (e) {
      return /** @type {NodeJS.ErrnoException} */ (e).code === "EEXIST";
    }
  }

  /** Empties entry n in place (a free marker). @param {number} n */
  async #empty(n) {
    const fh = await this.fx.fs.open(join(this.dir, String(n)), fsConstants.O_WRONLY | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW).catch(() => null);
    await fh?.close();
  }

  /** @param {number} n */
  async #remove(n) {
    await this.fx.fs.unlink(join(this.dir, String(n))).catch(() => {});
  }

  /**
   * The holder tidies up: entries below its own, and temporary files of processes that died
   * between writing and linking them.
   * @param {number[]} below
   */
  async #clean(below) {
    for (const n of below) await this.#remove(n);
    const names = await this.fx.fs.readdir(this.dir).catch(() => /** @type {string[]} */ ([]));
    for (const name of names) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const pid = Number.parseInt(name.slice(TEMP_PREFIX.length), 10);
      if (!this.isAlive({ pid, startTime: null, bootId: null, token: "", since: 0 })) {
        await this.fx.fs.unlink(join(this.dir, name)).catch(() => {});
      }
    }
  }
}

/** Exactly one monitor per state directory. */
export class MonitorLock extends Lock {
  /**
   * @param {string} stateDir
   * @param {Effects} effects
   */
  constructor(stateDir, effects) {
    super(join(stateDir, MONITOR_LOCK), effects);
  }
}
