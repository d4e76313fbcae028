// @ts-check
// Runs the tmux commands the core plans. The core builds every argv; this file only executes
// them: argv arrays (never a shell), the planned stdin, and the planned client environment.
// The client environment matters twice: the first client to run starts the server, which keeps
// that environment for its whole life and hands it to every pane; and tmux 3.3a takes a new
// pane's PATH from the client. So every client runs with a short allow-list (tmuxClientEnv: what
// tmux needs, never the caller's secrets), and the agent's own environment, PATH included,
// travels in the task's agent.env file, never on tmux's argv (which the server keeps, readable
// by every local user in /proc/<pid>/cmdline).
import { RcaError } from "./errors.js";
import { tmuxClientEnv } from "./context.js";

/** @typedef {import("./effects.js").Effects} Effects */
/** @typedef {{ name: string, value: string }} EnvVar */
/** @typedef {{ argv: string[], stdin?: string | null, env?: EnvVar[] }} Command */
/** @typedef {import("./effects.js").RunResult} RunResult */

// Said by a tmux client when there is no server on the socket: "nothing is running", not an error.
const NO_SERVER = /no server running on|error connecting to|server exited unexpectedly/;

export class Tmux {
  /**
   * @param {object} opts
   * @param {string | null} opts.socket private server name (`-L`), null for the user's default
   * @param {Effects} opts.effects
   * @param {Record<string, string | undefined>} [opts.baseEnv] where the client's environment is
   *   taken from (default: this process's), through the allow-list; never TMUX, so a shim running
   *   inside tmux never talks to the wrong server
   * @param {string} [opts.program] the tmux executable
   */
  constructor({ socket, effects, baseEnv = process.env, program = "tmux" }) {
    this.socket = socket;
    this.fx = effects;
    this.program = program;
    /** @type {Record<string, string>} */
    this.baseEnv = tmuxClientEnv(baseEnv);
  }

  /**
   * Runs one planned command; a non-zero exit is returned, not thrown.
   * @param {Command} cmd
   * @returns {Promise<RunResult & { noServer: boolean }>}
   */
  async run(cmd) {
    if (!Array.isArray(cmd.argv) || cmd.argv[0] !== "tmux") {
      throw new RcaError("internal", `not a tmux command: ${JSON.stringify(cmd.argv)}`);
    }
    const env = { ...this.baseEnv };
    for (const { name, value } of cmd.env ?? []) env[name] = value;
    let res;
    try {
      res = await this.fx.run(this.program, cmd.argv.slice(1), { env, input: cmd.stdin ?? undefined, timeoutMs: 30_000 });
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      throw new RcaError(
        "tmux_unavailable",
        code === "ENOENT" ? "tmux is not installed or not on PATH (install tmux 3.x)" : `cannot run tmux: ${e}`,
        { cause: e },
      );
    }
    return { ...res, noServer: res.code !== 0 && NO_SERVER.test(res.stderr) };
  }

  /**
   * Runs a command and throws `tmux_failed` (with tmux's own words) when it fails.
   * @param {Command} cmd
   */
  async runChecked(cmd) {
    const res = await this.run(cmd);
    if (res.code !== 0) {
      throw new RcaError("tmux_failed", `tmux ${cmd.argv.slice(1, 5).filter((a) => a !== "-u").join(" ")}… failed: ${res.stderr.trim() || `exit ${res.code}`}`, {
        details: { stderr: res.stderr, code: res.code },
      });
    }
    return res;
  }

  /**
   * How a person attaches to a session (printed, never executed).
   * @param {string} session
   */
  attachHint(session) {
    return `tmux ${this.socket ? `-L ${this.socket} ` : ""}attach -t '=${session}'`;
  }
}
