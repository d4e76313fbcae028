// @ts-check
// What bench/run.js measures with: a private tmux server and temporary state directory that are
// always removed (also on error and SIGINT), effects that record every child process the shim
// spawns and every file-watch wake-up, small statistics, and CPU time read from /proc.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, mkdir, readFile } from "node:fs/promises";
import { readFileSync, readdirSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { defaultEffects } from "../../host-shim/effects.js";
import { makeTestDir } from "../../tests/support/dirs.js";

/** @typedef {import("../../host-shim/effects.js").Effects} Effects */
/** @typedef {{ t: number, done: number | null, file: string, args: string[] }} RunRecord */

/** USER_HZ: /proc reports CPU time in these ticks (100 on every Linux Node supports). */
export const CLK_TCK = 100;

/**
 * Effects that count and timestamp (performance.now()) every process spawned, file-system call
 * and directory-watch wake-up, then do the real thing.
 */
export function instrumentedEffects() {
  /** @type {Set<(r: RunRecord) => void>} */
  const runListeners = new Set();
  /** @type {Set<(dir: string, file: string, t: number) => void>} */
  const watchListeners = new Set();
  const counters = { runs: 0, tmux: 0, fs: 0 };
  /** @type {Effects["run"]} */
  const run = (file, args, opts) => {
    /** @type {RunRecord} */
    const rec = { t: performance.now(), done: null, file, args };
    counters.runs++;
    if (file === "tmux") counters.tmux++;
    for (const l of runListeners) l(rec);
    const p = defaultEffects.run(file, args, opts);
    p.then(
      () => {
        rec.done = performance.now();
      },
      () => {
        rec.done = performance.now();
      },
    );
    return p;
  };
  const fs = /** @type {Effects["fs"]} */ (
    new Proxy(defaultEffects.fs, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        return (/** @type {any[]} */ ...a) => {
          counters.fs++;
          return v.apply(target, a);
        };
      },
    })
  );
  /** @type {Effects["watchDir"]} */
  const watchDir = (dir, onChange) =>
    defaultEffects.watchDir(dir, (file) => {
      const t = performance.now();
      for (const l of watchListeners) l(dir, file, t);
      onChange(file);
    });
  return {
    effects: /** @type {Partial<Effects>} */ ({ run, fs, watchDir }),
    counters,
    /** @param {(r: RunRecord) => void} l */
    onRun(l) {
      runListeners.add(l);
      return () => runListeners.delete(l);
    },
    /** @param {(dir: string, file: string, t: number) => void} l */
    onWatch(l) {
      watchListeners.add(l);
      return () => watchListeners.delete(l);
    },
  };
}

/**
 * A private world: tmux socket `rca-bench-<random>`, a temporary root with state/ and project/.
 * `cleanup()` kills the tmux server, the extra processes registered with `track`, and removes
 * the root; it runs once, and also on SIGINT/SIGTERM and on an uncaught error.
 */
export async function benchWorld() {
  const socket = `rca-bench-${randomBytes(5).toString("hex")}`;
  const root = makeTestDir("rca-bench-");
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const socketPath = join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${uid}`, socket);
  const stateDir = join(root, "state");
  const projectDir = join(root, "project");
  await mkdir(projectDir);
  /** @type {Set<number>} */
  const tracked = new Set();
  /** @type {Array<() => Promise<void> | void>} */
  const before = [];
  let done = false;
  async function cleanup() {
    if (done) return;
    done = true;
    for (const f of before) {
      try {
        await f();
      } catch {
        // Best effort: the server and the directory go below regardless.
      }
    }
    for (const pid of tracked) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    try {
      execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
    } catch {
      // No server running.
    }
    // tmux 3.3a leaves its socket file behind after kill-server.
    await rm(socketPath, { force: true });
    // Stragglers that outlived the server (a tee or agent whose argv names our root).
    for (const pid of processesMentioning(root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    await rm(root, { recursive: true, force: true });
  }
  const onSignal = (/** @type {NodeJS.Signals} */ sig) => {
    process.stderr.write(`\nbench: ${sig}, cleaning up…\n`);
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("uncaughtException", (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    cleanup().finally(() => process.exit(1));
  });
  return {
    socket,
    root,
    stateDir,
    projectDir,
    cleanup,
    /** @param {number} pid */
    track(pid) {
      tracked.add(pid);
    },
    /** @param {number} pid */
    untrack(pid) {
      tracked.delete(pid);
    },
    /** @param {() => Promise<void> | void} f run first at cleanup */
    beforeCleanup(f) {
      before.push(f);
    },
    /** tmux on this world's private server. @param {string[]} args */
    tmux(...args) {
      return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    },
  };
}

/**
 * Pids of processes (of this user) whose command line contains `text`.
 * @param {string} text
 * @returns {number[]}
 */
export function processesMentioning(text) {
  /** @type {number[]} */
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.includes(text)) out.push(Number(name));
    } catch {
      // Exited meanwhile.
    }
  }
  return out;
}

/**
 * CPU time of a process from /proc/<pid>/stat, in ms: its own (utime+stime) and that of its
 * children it has waited for (cutime+cstime). null when it is gone.
 * @param {number | "self"} pid
 */
export function procCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14..17 overall (utime stime cutime cstime) = indexes 11..14 after pid and comm.
    const tick = 1000 / CLK_TCK;
    return { self: (Number(f[11]) + Number(f[12])) * tick, children: (Number(f[13]) + Number(f[14])) * tick };
  } catch {
    return null;
  }
}

/** The tmux server's pid for a socket name (null when none runs). @param {string} socket */
export function tmuxServerPid(socket) {
  try {
    const out = execFileSync("tmux", ["-L", socket, "display-message", "-p", "#{pid}"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const pid = Number.parseInt(out, 10);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Waits until `fn` returns something truthy (polling every `intervalMs`), or throws.
 * @template T
 * @param {() => Promise<T> | T} fn
 * @param {{ timeoutMs?: number, intervalMs?: number, what?: string }} [o]
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(fn, { timeoutMs = 30_000, intervalMs = 20, what = "condition" } = {}) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return /** @type {NonNullable<T>} */ (v);
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A task's record as the store wrote it (null while unreadable).
 * @param {string} taskDir
 * @returns {Promise<any>}
 */
export async function readRecord(taskDir) {
  try {
    return JSON.parse(await readFile(join(taskDir, "record.json"), "utf8"));
  } catch {
    return null;
  }
}

/**
 * The pid written by the wrapper for attempt `n` (0 while absent).
 * @param {string} taskDir
 * @param {number} n
 */
export async function agentPid(taskDir, n) {
  const text = await readFile(join(taskDir, `pid.${n}`), "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isFinite(pid) && pid > 0 ? pid : 0;
}

/**
 * Quantile by linear interpolation (q in 0..1) of a list of numbers; NaN when empty.
 * @param {number[]} xs
 * @param {number} q
 */
export function quantile(xs, q) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** @param {number[]} xs */
export function summary(xs) {
  return {
    n: xs.length,
    median: round(quantile(xs, 0.5)),
    p95: round(quantile(xs, 0.95)),
    min: round(xs.length ? Math.min(...xs) : Number.NaN),
    max: round(xs.length ? Math.max(...xs) : Number.NaN),
  };
}

/** @param {number} x */
export function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** What the figures came from: machine, CPU, node, tmux, load. */
export function machine() {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1].trim();
  } catch {
    // Not Linux: os.cpus() said it.
  }
  const sh = (/** @type {string} */ f, /** @type {string[]} */ a) => {
    try {
      return execFileSync(f, a, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "unknown";
    }
  };
  let load = "unknown";
  try {
    load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    // Not Linux.
  }
  return {
    nproc: Number(sh("nproc", [])) || cpus().length,
    cpuModel,
    node: process.version,
    tmux: sh("tmux", ["-V"]),
    kernel: sh("uname", ["-sr"]),
    loadAvgAtStart: load,
  };
}
