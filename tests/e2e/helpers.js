// @ts-check
// Shared by the end-to-end tests: a private tmux server and state directory per test (never
// the user's default server), polling waits (never fixed sleeps as assertions), the fake CLIs
// on PATH, and the CLI as a child process.
import { after } from "node:test";
import { spawn, execFileSync } from "node:child_process";
import { rm, readFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { TaskManager } from "../../host-shim/index.js";
import { makeTestDir } from "../support/dirs.js";

export const FAKES = fileURLToPath(new URL("../fakes", import.meta.url));
export const CLI = fileURLToPath(new URL("../../host-shim/cli/main.js", import.meta.url));

/**
 * Waits until `fn` returns a truthy value (polling), or fails with `what` after `timeoutMs`.
 * @template T
 * @param {() => Promise<T> | T} fn
 * @param {{ timeoutMs?: number, intervalMs?: number, what?: string }} [o]
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(fn, { timeoutMs = 30_000, intervalMs = 100, what = "condition" } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return /** @type {NonNullable<T>} */ (last);
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Fast monitor settings for tests (the schedule itself is tested in the core). */
export const FAST = { pollMs: 200, liveQuietMs: 300, startGraceMs: 15_000 };

/**
 * A private world for one test file: tmux socket, state dir, project dir, fake-CLI log.
 * Everything is removed (and the tmux server killed) in an `after` hook.
 */
export async function world() {
  const socket = `rca-test-${randomBytes(5).toString("hex")}`;
  const root = makeTestDir("rca-e2e-");
  const stateDir = join(root, "state");
  const projectDir = join(root, "project");
  await mkdir(projectDir);
  const fakeLog = join(root, "fake-calls.jsonl");
  /** @type {Array<import("node:child_process").ChildProcess>} */
  const children = [];
  /** @type {TaskManager[]} */
  const managers = [];
  after(async () => {
    for (const tm of managers) await tm.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    killServer(socket);
    await rm(root, { recursive: true, force: true });
  });
  /** The agent environment: fakes first on PATH, the test's knobs. @param {Record<string, string>} [extra] */
  const agentEnv = (extra = {}) => ({
    PATH: `${FAKES}:${process.env.PATH}`,
    HOME: process.env.HOME ?? root,
    // The fake claude keeps its transcripts where the real one does; not in the user's home.
    CLAUDE_CONFIG_DIR: join(root, "claude-config"),
    RCA_FAKE_LOG: fakeLog,
    RCA_FAKE_WORK_MS: "1200",
    RCA_DEMO_WORK_MS: "1200",
    ...extra,
  });
  return {
    socket,
    root,
    stateDir,
    projectDir,
    fakeLog,
    agentEnv,
    /** @param {{ env?: Record<string, string>, config?: Record<string, unknown> }} [o] */
    manager(o = {}) {
      const tm = new TaskManager({ stateDir, tmuxSocket: socket, env: o.env ?? agentEnv(), config: { ...FAST, ...o.config } });
      managers.push(tm);
      return tm;
    },
    /**
     * Invocations of the fake CLIs so far. The agent's environment names no task directory, so
     * each run's `taskDir` and `attempt` come from the wrapper's pid.<n> files (the agent's pid).
     * @returns {Promise<any[]>}
     */
    async calls() {
      const text = await readFile(fakeLog, "utf8").catch(() => "");
      const calls = text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      if (calls.some((c) => !c.taskDir)) {
        const runs = await pidIndex(stateDir);
        for (const c of calls) if (!c.taskDir && runs.has(c.pid)) Object.assign(c, runs.get(c.pid));
      }
      return calls;
    },
    /**
     * Starts `resilient-agent` as a child process; lines of stdout are collected.
     * @param {string[]} args
     * @param {{ env?: Record<string, string>, input?: string }} [o]
     */
    spawnCli(args, o = {}) {
      const child = spawn(process.execPath, [CLI, ...args, "--state-dir", stateDir, "--tmux-socket", socket], {
        env: { ...process.env, CLAUDE_CONFIG_DIR: join(root, "claude-config"), ...o.env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      children.push(child);
      const out = { stdout: "", stderr: "", child, exited: new Promise((r) => child.on("close", (code) => r(code))) };
      child.stdout.on("data", (b) => (out.stdout += b));
      child.stderr.on("data", (b) => (out.stderr += b));
      child.stdin.end(o.input ?? "");
      return out;
    },
    /** Runs the CLI to the end. @param {string[]} args @param {{ env?: Record<string, string>, input?: string }} [o] */
    async cli(args, o = {}) {
      const run = this.spawnCli(args, o);
      const code = await run.exited;
      return { code, stdout: run.stdout, stderr: run.stderr };
    },
    /** tmux on this test's private server only. @param {string[]} args */
    tmux(...args) {
      return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    },
  };
}

/**
 * pid → { taskDir, attempt } from every pid.<n> file under a state directory.
 * @param {string} stateDir
 */
async function pidIndex(stateDir) {
  /** @type {Map<number, { taskDir: string, attempt: number }>} */
  const out = new Map();
  const tasks = join(stateDir, "tasks");
  for (const dir of await readdir(tasks).catch(() => /** @type {string[]} */ ([]))) {
    const taskDir = join(tasks, dir);
    for (const name of await readdir(taskDir).catch(() => /** @type {string[]} */ ([]))) {
      const m = /^pid\.(\d+)$/.exec(name);
      if (!m) continue;
      const pid = Number.parseInt(await readFile(join(taskDir, name), "utf8").catch(() => ""), 10);
      if (pid > 0) out.set(pid, { taskDir, attempt: Number(m[1]) });
    }
  }
  return out;
}

/** @param {string} socket */
export function killServer(socket) {
  try {
    execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
  } catch {
    // Not running: nothing to kill.
  }
}

/**
 * Collects a TaskManager's events.
 * @param {TaskManager} tm
 */
export function collect(tm) {
  /** @type {any[]} */
  const events = [];
  tm.on("event", (ev) => events.push(ev));
  return events;
}

/**
 * Runs `tm.watch()` (the monitor loop) until the returned function is called; that function
 * stops it and resolves when the loop has ended (rejecting if the loop failed).
 * @param {TaskManager} tm
 * @returns {() => Promise<void>}
 */
export function watching(tm) {
  const ctl = new AbortController();
  const done = tm.watch({ signal: ctl.signal });
  return async () => {
    ctl.abort();
    await done;
  };
}

/**
 * The pid of attempt `n`'s agent (written by the wrapper).
 * @param {string} taskDir
 * @param {number} n
 */
export async function agentPid(taskDir, n) {
  const text = await readFile(join(taskDir, `pid.${n}`), "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isFinite(pid) && pid > 0 ? pid : 0;
}
