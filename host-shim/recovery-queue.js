// @ts-check
// Fleet-safe mass recovery (the monitor's scheduler). When many agents die at once (a reboot,
// the tmux server killed), recoveries that share a login — same agent, same credential/config
// directory — must not all boot at the same instant: simultaneous boots can race on one
// rotating OAuth refresh token and turn a recoverable outage into a fleet-wide 401. So:
//   - per login, recoveries are staggered `staggerMs` apart, the first at once (a single
//     crash is still resumed immediately);
//   - different logins recover concurrently (the monitor bounds how many at once);
//   - an `auth` failure right after a recovery pauses the rest of that login's queue (a
//     circuit breaker, announced once) until a manual resume of one of its tasks succeeds.
// The core still decides *whether* to recover; this only says *when* (the `holdRecoveryUntil`
// of its observation). Times here are on the monotonic clock.
import { createHash } from "node:crypto";
import core from "./core.js";
import { RcaError } from "./errors.js";

export const DEFAULT_STAGGER_MS = 5_000;
export const DEFAULT_RECOVERY_CONCURRENCY = 8;
/** An auth failure this soon after a recovery was granted trips the breaker. */
const AUTH_WINDOW_MS = 120_000;
/** A granted recovery whose launch is not reported this long after is taken as launched. */
const LAUNCH_UNKNOWN_MS = 10_000;
/** How soon a slot waiting on the previous launch looks again. */
const LAUNCH_RECHECK_MS = 50;
/** A manually resumed task that runs this long without failing closes the breaker. */
const PROBE_OK_MS = 1_000;

/**
 * @typedef {{ staggerMs: number, concurrency: number }} RecoveryOptions
 * @typedef {{ go: true } | { go: false, until: number, paused: boolean }} Gate
 */

/**
 * @param {{ staggerMs?: unknown, concurrency?: unknown }} o
 * @returns {RecoveryOptions}
 */
export function checkRecoveryOptions(o) {
  const staggerMs = o.staggerMs ?? DEFAULT_STAGGER_MS;
  const concurrency = o.concurrency ?? DEFAULT_RECOVERY_CONCURRENCY;
  if (typeof staggerMs !== "number" || !Number.isFinite(staggerMs) || staggerMs < 0 || staggerMs > 3_600_000) {
    throw new RcaError("invalid_config", `recoveryStaggerMs must be a number of ms from 0 to 3600000, got ${JSON.stringify(staggerMs)}`);
  }
  if (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new RcaError("invalid_config", `recoveryConcurrency must be a whole number from 1 to 256, got ${JSON.stringify(concurrency)}`);
  }
  return { staggerMs, concurrency };
}

/**
 * Which login a task's agent uses: the agent, and from its fixed environment (agent.env) the
 * home directory, the profile's credential variables (profile data: `agentCredentialEnv`) and
 * every `*_CONFIG_DIR` / `*_HOME` variable (CLAUDE_CONFIG_DIR, CODEX_HOME, XDG_CONFIG_HOME…:
 * where a CLI keeps its login). Hashed: the key never holds a secret.
 * @param {string} agent
 * @param {Record<string, string> | null} env
 */
export function loginKey(agent, env) {
  const e = env ?? {};
  const names = new Set(["HOME", ...core.agentCredentialEnv(/** @type {any} */ (agent))]);
  for (const k of Object.keys(e)) if (/_CONFIG_DIR$|_HOME$/.test(k)) names.add(k);
  const parts = [...names].sort().map((k) => [k, e[k] ?? null]);
  return `${agent}:${createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16)}`;
}

export class RecoveryQueue {
  /** @param {RecoveryOptions} opts */
  constructor(opts) {
    this.staggerMs = opts.staggerMs;
    /** @type {Map<string, { nextFree: number, lastGrant: number, lastLaunch: number, slots: Map<string, number>, paused: boolean, probe: string | null }>} */
    this.logins = new Map();
    /** @type {Map<string, { key: string, at: number, undo?: { nextFree: number, lastGrant: number } }>} taskDir → the last recovery granted */
    this.granted = new Map();
  }

  /** @param {string} key */
  #login(key) {
    let l = this.logins.get(key);
    if (!l) {
      l = { nextFree: -Infinity, lastGrant: -Infinity, lastLaunch: -Infinity, slots: new Map(), paused: false, probe: null };
      this.logins.set(key, l);
    }
    return l;
  }

  /**
   * May the due recovery of `taskDir` (login `key`) run now? Yes, or: not before `until`.
   * A manual resume always runs (it is how an operator tests a paused login).
   * @param {string} key
   * @param {string} taskDir
   * @param {number} now
   * @param {boolean} manual
   * @returns {Gate}
   */
  ask(key, taskDir, now, manual) {
    const l = this.#login(key);
    for (const [dir, at] of l.slots) if (at < now - 10 * this.staggerMs - 60_000) l.slots.delete(dir);
    if (manual) {
      l.slots.delete(taskDir);
      if (l.paused) l.probe = taskDir;
      return this.#grant(l, key, taskDir, now);
    }
    if (l.paused) return { go: false, until: now + Math.max(this.staggerMs, 1_000), paused: true };
    // No stagger: every recovery goes at once (only the circuit breaker applies).
    if (this.staggerMs === 0) return this.#grant(l, key, taskDir, now);
    // Two recoveries of one login are `staggerMs` apart, counted from the later of the previous
    // grant and its launch (its tmux command done): a slow launch (a tmux server starting)
    // must not squeeze the next one closer. A late slot moves the slots behind it as much.
    // While the last one granted is still being launched, when it began is not known yet.
    const launching = l.lastLaunch < l.lastGrant && now - l.lastGrant < LAUNCH_UNKNOWN_MS;
    const earliest = launching ? Math.max(l.lastGrant + this.staggerMs, now + LAUNCH_RECHECK_MS) : Math.max(l.lastGrant, l.lastLaunch) + this.staggerMs;
    const slot = l.slots.get(taskDir);
    if (slot !== undefined) {
      const at = Math.max(slot, earliest);
      if (at > now) {
        if (at > slot) {
          const delta = at - slot;
          for (const [dir, t] of l.slots) if (t >= slot) l.slots.set(dir, t + delta);
          l.nextFree += delta;
        }
        return { go: false, until: at, paused: false };
      }
      l.slots.delete(taskDir);
      return this.#grant(l, key, taskDir, now);
    }
    if (l.slots.size === 0 && earliest <= now) return this.#grant(l, key, taskDir, now);
    const at = Math.max(l.nextFree, earliest, now);
    l.slots.set(taskDir, at);
    l.nextFree = at + this.staggerMs;
    return { go: false, until: at, paused: false };
  }

  /**
   * @param {{ nextFree: number, lastGrant: number }} l
   * @param {string} key
   * @param {string} taskDir
   * @param {number} now
   * @returns {Gate}
   */
  #grant(l, key, taskDir, now) {
    const undo = { nextFree: l.nextFree, lastGrant: l.lastGrant };
    l.nextFree = Math.max(l.nextFree, now + this.staggerMs);
    l.lastGrant = now;
    this.granted.set(taskDir, { key, at: now, undo });
    return { go: true };
  }

  /**
   * A granted recovery did not happen (another process held the task's record, the recovery
   * was refused): its slot is given back, unless a later grant of the login came meanwhile.
   * @param {string} key
   * @param {string} taskDir
   */
  cancel(key, taskDir) {
    const g = this.granted.get(taskDir);
    const l = this.logins.get(key);
    if (!g || !l || g.key !== key) return;
    this.granted.delete(taskDir);
    if (g.undo && l.lastGrant === g.at) {
      l.lastGrant = g.undo.lastGrant;
      l.nextFree = Math.min(l.nextFree, Math.max(g.undo.nextFree, ...[...l.slots.values()].map((t) => t + this.staggerMs)));
    }
  }

  /**
   * The granted recovery of a task of login `key` has been launched (its tmux command is done).
   * @param {string} key
   * @param {number} now
   */
  launched(key, now) {
    const l = this.#login(key);
    // At least the grant's time: the launch is known from here on.
    l.lastLaunch = Math.max(l.lastLaunch, l.lastGrant, now);
    l.nextFree = Math.max(l.nextFree, now + this.staggerMs);
  }

  /**
   * After each step: an `auth` failure soon after a granted recovery pauses its login
   * (returns the key the first time, to announce once); a manually resumed task of a paused
   * login that has run a while closes the breaker (returns "resumed").
   * @param {string} taskDir
   * @param {{ state: string, failure?: { class: string } | null }} record
   * @param {number} now
   * @returns {{ paused: string } | { resumed: string } | null}
   */
  observe(taskDir, record, now) {
    const g = this.granted.get(taskDir);
    if (!g) return null;
    const l = this.#login(g.key);
    if (record.failure?.class === "auth" && record.state === "failed" && now - g.at <= AUTH_WINDOW_MS) {
      this.granted.delete(taskDir);
      if (l.probe === taskDir) l.probe = null;
      if (l.paused) return null;
      l.paused = true;
      return { paused: g.key };
    }
    if (l.paused && l.probe === taskDir && ["running", "waiting_for_input", "completed"].includes(record.state) && now - g.at >= PROBE_OK_MS) {
      l.paused = false;
      l.probe = null;
      l.nextFree = now;
      return { resumed: g.key };
    }
    if (now - g.at > AUTH_WINDOW_MS) this.granted.delete(taskDir);
    return null;
  }

  /** Whether recoveries of login `key` are queued. @param {string} key */
  hasWaiting(key) {
    return (this.logins.get(key)?.slots.size ?? 0) > 0;
  }

  /** @param {string} key */
  isPaused(key) {
    return this.logins.get(key)?.paused ?? false;
  }
}
