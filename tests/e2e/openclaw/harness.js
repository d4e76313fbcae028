// @ts-check
// Helpers for driving the REAL OpenClaw (openclaw@2026.9.6 on Node 24, installed into the test
// cache by scripts/install-openclaw.sh) in an isolated home: every command gets its own HOME
// and OPENCLAW_STATE_DIR, the gateway listens on a free loopback port, and everything started
// here is killed by `cleanup()`.
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { makeTestDir } from "../../support/dirs.js";

export const ROOT = new URL("../../../", import.meta.url).pathname;

/**
 * Runs scripts/install-openclaw.sh (idempotent; the first run downloads Node 24 and OpenClaw)
 * and returns the launcher. A failed download fails loudly with the script's reason.
 */
export function installOpenClaw() {
  try {
    const out = execFileSync("bash", [join(ROOT, "scripts/install-openclaw.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 15 * 60_000,
    });
    const launcher = out.trim().split("\n").at(-1) ?? "";
    if (!existsSync(launcher)) throw new Error(`install-openclaw.sh printed no launcher (got ${JSON.stringify(out)})`);
    return launcher;
  } catch (err) {
    throw new Error(`installing OpenClaw for the end-to-end tests failed: ${err instanceof Error ? err.message : err}`);
  }
}

export { freePort } from "../../support/net.js";

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value; fails with `what` and the last value seen.
 * @template T
 * @param {string} what
 * @param {() => Promise<T | undefined | null | false>} fn
 * @param {{ timeoutMs?: number, intervalMs?: number }} [o]
 * @returns {Promise<T>}
 */
export async function waitFor(what, fn, o = {}) {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  /** @type {unknown} */
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await sleep(o.intervalMs ?? 1000);
  }
}

/**
 * One isolated OpenClaw installation: its own HOME, state dir, log file, tmux socket.
 */
export class OpenClawHome {
  /** @param {string} launcher */
  constructor(launcher) {
    this.launcher = launcher;
    this.dir = makeTestDir("rca-openclaw-e2e-");
    this.home = join(this.dir, "home");
    this.stateDir = join(this.home, ".openclaw");
    /** @type {NodeJS.ProcessEnv} */
    this.env = {
      ...process.env,
      HOME: this.home,
      OPENCLAW_STATE_DIR: this.stateDir,
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    };
    delete this.env.OPENCLAW_GATEWAY_TOKEN;
    /** @type {import("node:child_process").ChildProcess[]} */
    this.children = [];
    /** @type {string[]} */
    this.tmuxSockets = [];
    /** @type {number} */
    this.gatewayRuns = 0;
    execFileSync("mkdir", ["-p", this.stateDir]);
    // OpenClaw logs to /tmp/openclaw/ by default, shared by every run on the machine: keep this
    // home's log inside it.
    this.logFile = join(this.dir, "openclaw.log");
    writeFileSync(join(this.stateDir, "openclaw.json"), JSON.stringify({ logging: { file: this.logFile } }, null, 2) + "\n");
  }

  /**
   * Runs `openclaw …` and resolves with its exit code and output (never rejects on a non-zero
   * exit: OpenClaw often exits 0 on failure anyway, callers parse the output).
   * @param {string[]} args
   * @param {{ env?: Record<string, string | undefined>, timeoutMs?: number }} [o]
   * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
   */
  run(args, o = {}) {
    return new Promise((resolve) => {
      execFile(this.launcher, args, {
        env: { ...this.env, ...o.env },
        timeout: o.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        killSignal: "SIGKILL",
      }, (err, stdout, stderr) => {
        const code = err ? (typeof (/** @type {any} */ (err).code) === "number" ? /** @type {any} */ (err).code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  /**
   * Runs a command whose stdout must be JSON (after any banner lines).
   * @param {string[]} args
   * @param {{ env?: Record<string, string | undefined>, timeoutMs?: number }} [o]
   */
  async json(args, o = {}) {
    const r = await this.run(args, o);
    const start = r.stdout.search(/^[[{]/m);
    if (start < 0) throw new Error(`openclaw ${args.join(" ")} printed no JSON (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    try {
      return { ...r, data: JSON.parse(r.stdout.slice(start)) };
    } catch (err) {
      throw new Error(`openclaw ${args.join(" ")}: bad JSON (${err}):\n${r.stdout}\nstderr: ${r.stderr}`);
    }
  }

  /** openclaw.json of this home, edited in place. @param {(cfg: any) => void} edit */
  editConfig(edit) {
    const file = join(this.stateDir, "openclaw.json");
    const cfg = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
    edit(cfg);
    writeFileSync(file, JSON.stringify(cfg, null, 2) + "\n");
  }

  /**
   * Starts `openclaw gateway run` on a loopback port in its own process group and waits until
   * it reports ready.
   * @param {{ port: number, token: string, env?: Record<string, string> }} o
   */
  async startGateway(o) {
    // A test that failed half-way may have left its gateway running: it would hold OpenClaw's
    // state lock and make this start fail too (one failure must not cascade).
    if (this.gateway && !this.gatewayExit) await this.stopGateway();
    this.gatewayRuns = (this.gatewayRuns ?? 0) + 1;
    this.gatewayLog = join(this.dir, `gateway-${this.gatewayRuns}.log`);
    const fd = openSync(this.gatewayLog, "a");
    const child = spawn(this.launcher, [
      "gateway", "run", "--allow-unconfigured", "--auth", "token", "--token", o.token,
      "--port", String(o.port), "--bind", "loopback",
    ], { env: { ...this.env, ...o.env }, stdio: ["ignore", fd, fd], detached: true });
    closeSync(fd);
    this.children.push(child);
    this.gateway = child;
    /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
    this.gatewayExit = null;
    child.once("exit", (code, signal) => { this.gatewayExit = { code, signal }; });
    this.gatewayUrl = `ws://127.0.0.1:${o.port}`;
    this.gatewayToken = o.token;
    await waitFor("the gateway to be ready", async () => {
      if (this.gatewayExit) throw new Error(`gateway exited early (${JSON.stringify(this.gatewayExit)}):\n${this.gatewayLogText()}`);
      return /\[gateway\] ready/.test(this.gatewayLogText());
    }, { timeoutMs: 120_000, intervalMs: 500 });
    return child;
  }

  /** The log of the gateway started last. */
  gatewayLogText() {
    return this.gatewayLog && existsSync(this.gatewayLog) ? readFileSync(this.gatewayLog, "utf8") : "";
  }

  /**
   * `openclaw gateway call <method> --params <json> --json` against the running gateway.
   * @param {string} method
   * @param {unknown} params
   */
  async call(method, params) {
    const r = await this.json([
      "gateway", "call", method, "--url", String(this.gatewayUrl), "--token", String(this.gatewayToken),
      "--json", "--params", JSON.stringify(params),
    ]);
    return r.data;
  }

  /**
   * Invokes one tool through the gateway (`tools.invoke`) as the given session.
   * @param {string} name
   * @param {Record<string, unknown>} args
   * @param {string} sessionKey
   * @returns {Promise<{ ok: boolean, text: string, details: any, raw: any }>}
   */
  async tool(name, args, sessionKey) {
    const raw = await this.call("tools.invoke", { name, args, sessionKey });
    const text = (raw?.output?.content ?? []).map((/** @type {any} */ c) => c.text ?? "").join("\n");
    return { ok: raw?.ok === true, text, details: raw?.output?.details, raw };
  }

  /**
   * Stops the gateway with SIGTERM and waits for it to exit.
   * @param {number} [timeoutMs]
   */
  async stopGateway(timeoutMs = 60_000) {
    const child = this.gateway;
    if (!child || this.gatewayExit) return this.gatewayExit;
    child.kill("SIGTERM");
    await waitFor("the gateway to exit after SIGTERM", async () => this.gatewayExit, { timeoutMs, intervalMs: 200 });
    return this.gatewayExit;
  }

  /** Kills everything this home started and removes it. */
  cleanup() {
    for (const child of this.children) {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
      }
    }
    for (const socket of this.tmuxSockets) {
      try { execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" }); } catch { /* no server */ }
    }
    if (!process.env.RCA_KEEP_E2E) rmSync(this.dir, { recursive: true, force: true });
  }
}
