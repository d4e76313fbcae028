// @ts-check
// The only doors to the outside world: processes, files, the clock, timers and signals. Every
// part of the shim takes an `effects` object, so tests swap in fakes and production code has no
// test hooks. Processes always run from an argv array (`shell: false`), never a command string.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fsp from "node:fs/promises";
import { constants as fsConstants, watch as fsWatch } from "node:fs";
import { readFileSync, statSync, lstatSync } from "node:fs";

/**
 * @typedef {object} RunOptions
 * @property {Record<string, string>} [env] the child's whole environment
 * @property {string} [input] written to the child's stdin (then closed)
 * @property {number} [timeoutMs] SIGKILL the child after this long
 */
/**
 * @typedef {object} RunResult
 * @property {number | null} code exit status (null when killed by a signal)
 * @property {string | null} signal
 * @property {string} stdout
 * @property {string} stderr
 */
/**
 * @typedef {object} Effects
 * @property {(file: string, args: string[], opts?: RunOptions) => Promise<RunResult>} run
 *   runs a program (never through a shell); rejects only when it cannot start (e.g. ENOENT)
 * @property {typeof fsp & { statSync?: typeof statSync, lstatSync?: typeof lstatSync }} fs the
 *   promise file-system API; with statSync/lstatSync when the cheap stats of a monitor tick may be
 *   taken synchronously (a few µs each on a local disk, instead of a thread-pool round trip)
 * @property {() => number} now milliseconds since the epoch
 * @property {() => number} mono a monotonic clock, ms: schedules measure elapsed time with it,
 *   so a wall-clock step is not taken for time passing
 * @property {string} monoClock which monotonic clock `mono` reads: readings of one `monoClock`
 *   are comparable (across processes when it names the boot)
 * @property {(ms: number, signal?: AbortSignal) => Promise<void>} sleep resolves early on abort
 * @property {(pid: number, signal: NodeJS.Signals | 0) => void} kill process.kill
 * @property {() => string} uuid a random UUID (v4)
 * @property {number} pid this process's pid
 * @property {(pid: number) => number | null} processStartTime the start time of a process in
 *   clock ticks since boot (Linux /proc), null when unknown; tells a live owner from a reused pid
 * @property {(pid: number) => boolean} [processIsZombie] whether a process has exited and waits to
 *   be reaped (Linux /proc state Z or X): `kill(pid, 0)` still succeeds on it, but it is dead
 * @property {() => string | null} bootId this boot's id (Linux), null when unknown; a lock owner
 *   from another boot is dead whatever its pid
 * @property {(dir: string, onChange: (file: string) => void) => { close(): void } | null} watchDir
 *   watches a directory for new or changed files (a wake-up hint only; may return null)
 */

/** @type {RunOptions} */
const NO_OPTIONS = {};

/** @type {Effects["run"]} */
function run(file, args, opts = NO_OPTIONS) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      shell: false,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs,
      killSignal: "SIGKILL",
    });
    /** @type {Buffer[]} */ const out = [];
    /** @type {Buffer[]} */ const err = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    // A child that exits before reading its stdin gives EPIPE; that is its business, not ours.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** @type {Effects["sleep"]} */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** @type {Effects["processStartTime"]} */
function processStartTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[19]); // field 22 overall = index 19 after the first two fields
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** @type {NonNullable<Effects["processIsZombie"]>} */
function processIsZombie(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}

/** @type {string | null | undefined} */
let bootIdCache;

/** @type {Effects["bootId"]} */
function bootId() {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache;
}

/** @type {Effects["watchDir"]} */
function watchDir(dir, onChange) {
  try {
    const watcher = fsWatch(dir, { persistent: false }, (_event, file) => onChange(String(file ?? "")));
    watcher.on("error", () => watcher.close());
    return watcher;
  } catch {
    return null;
  }
}

// process.hrtime is CLOCK_MONOTONIC on Linux: counted from boot, so comparable across the
// processes of one boot (named by the kernel's boot id); elsewhere only within this process.
const MONO_CLOCK = (() => {
  try {
    const id = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    if (/^[0-9a-f-]{36}$/.test(id) && process.platform === "linux") return `boot:${id}`;
  } catch {
    // Not Linux: a clock of this process only.
  }
  return `proc:${randomUUID()}`;
})();

/** The real effects. */
export const defaultEffects = Object.freeze(
  /** @type {Effects} */ ({
    run,
    fs: { ...fsp, statSync, lstatSync },
    now: () => Date.now(),
    mono: () => Number(process.hrtime.bigint() / 1000n) / 1000,
    monoClock: MONO_CLOCK,
    sleep,
    kill: (pid, signal) => {
      process.kill(pid, signal);
    },
    uuid: () => randomUUID(),
    pid: process.pid,
    processStartTime,
    processIsZombie,
    bootId,
    watchDir,
  }),
);

/**
 * Fills in the real effect for every one the caller did not inject.
 * @param {Partial<Effects>} [overrides]
 * @returns {Effects}
 */
export function makeEffects(overrides = {}) {
  return { ...defaultEffects, ...overrides };
}

export { fsConstants };
