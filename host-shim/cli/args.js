// @ts-check
// The command line contract of `resilient-agent` (node:util parseArgs, strict): one table of
// commands, their options and positionals. Parsing only; main.js runs the command.
import { parseArgs } from "node:util";
import { RcaError } from "../errors.js";

/** @typedef {import("node:util").ParseArgsConfig["options"]} Options */

/** @type {NonNullable<Options>} */
const GLOBAL = {
  "state-dir": { type: "string" },
  "tmux-socket": { type: "string" },
  config: { type: "string" },
  "notify-cmd": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** @type {Record<string, { options: NonNullable<Options>, positionals: string[], summary: string }>} */
export const COMMANDS = {
  start: {
    summary: "start --agent <codex|claude|opencode|pi|demo> --name <name> --dir <path> (--prompt <text> | --prompt-file <file>) [--model M] [--autonomy sandboxed|full] [--env NAME=VALUE]...",
    positionals: [],
    options: {
      agent: { type: "string" },
      name: { type: "string" },
      dir: { type: "string" },
      prompt: { type: "string" },
      "prompt-file": { type: "string" },
      model: { type: "string" },
      autonomy: { type: "string" },
      env: { type: "string", multiple: true },
    },
  },
  status: { summary: "status <session> [--lines N]", positionals: ["session"], options: { lines: { type: "string" } } },
  list: {
    summary: "list [--state S] [--all]   (--all: also tmux sessions named codex-*/claude-*/opencode-*/pi-* not started here)",
    positionals: [],
    options: { state: { type: "string" }, all: { type: "boolean" } },
  },
  logs: {
    summary: "logs <session> [--lines N] [--follow]",
    positionals: ["session"],
    options: { lines: { type: "string" }, follow: { type: "boolean", short: "f" } },
  },
  send: { summary: "send <session> <text> [--paste]", positionals: ["session", "text"], options: { paste: { type: "boolean" } } },
  resume: { summary: "resume <session>", positionals: ["session"], options: {} },
  stop: { summary: "stop <session> [--cleanup]", positionals: ["session"], options: { cleanup: { type: "boolean" } } },
  watch: {
    summary: "watch [--once] [--all]   (a live table on a terminal; event lines with --json)",
    positionals: [],
    options: { once: { type: "boolean" }, all: { type: "boolean" } },
  },
  prune: {
    summary: "prune [--older-than DURATION]   (remove finished tasks; default: the retention time, 7d; e.g. 0, 12h, 30m)",
    positionals: [],
    options: { "older-than": { type: "string" } },
  },
  demo: { summary: "demo", positionals: [], options: {} },
};

export const USAGE = `usage: resilient-agent <command> [options]

${Object.values(COMMANDS)
  .map((c) => `  resilient-agent ${c.summary}`)
  .join("\n")}

global options: --state-dir DIR (RCA_STATE_DIR)  --tmux-socket NAME (RCA_TMUX_SOCKET)
                --config FILE (settings, JSON)  --notify-cmd '["argv",...]' (RCA_NOTIFY_CMD)
                --json  --help
<session> is <agent>-<name>, e.g. codex-fix-login-bug.`;

/**
 * @typedef {object} Parsed
 * @property {string} command
 * @property {Record<string, string>} args the named positionals
 * @property {Record<string, string | boolean | string[] | undefined>} opts
 * @property {boolean} help
 */

/**
 * @param {string[]} argv the arguments after the program name
 * @returns {Parsed}
 */
export function parseCli(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    return { command: "help", args: {}, opts: {}, help: true };
  }
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) throw new RcaError("usage", `unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL, ...spec.options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new RcaError("usage", `${e instanceof Error ? e.message : e}\nusage: resilient-agent ${spec.summary}`);
  }
  const opts = /** @type {Record<string, string | boolean | string[] | undefined>} */ (parsed.values);
  if (opts.help) return { command, args: {}, opts, help: true };
  if (parsed.positionals.length !== spec.positionals.length) {
    throw new RcaError(
      "usage",
      `${command} takes ${spec.positionals.length ? spec.positionals.map((p) => `<${p}>`).join(" ") : "no arguments"}` +
        `, got ${parsed.positionals.length}\nusage: resilient-agent ${spec.summary}`,
    );
  }
  /** @type {Record<string, string>} */
  const args = {};
  spec.positionals.forEach((name, i) => (args[name] = parsed.positionals[i]));
  if (command === "start") {
    for (const req of ["agent", "name", "dir"]) {
      if (typeof opts[req] !== "string") throw new RcaError("usage", `start needs --${req}\nusage: resilient-agent ${spec.summary}`);
    }
    if ((typeof opts.prompt === "string") === (typeof opts["prompt-file"] === "string")) {
      throw new RcaError("usage", `start needs exactly one of --prompt and --prompt-file\nusage: resilient-agent ${spec.summary}`);
    }
  }
  if (opts.lines !== undefined) positiveInt("lines", opts.lines);
  for (const e of /** @type {string[]} */ (opts.env ?? [])) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new RcaError("usage", `--env wants NAME=VALUE, got ${JSON.stringify(e)}`);
  }
  return { command, args, opts, help: false };
}

/**
 * @param {string} name
 * @param {unknown} value
 */
export function positiveInt(name, value) {
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || n < 1 || n > 100_000) {
    throw new RcaError("usage", `--${name} must be a whole number from 1 to 100000, got ${JSON.stringify(value)}`);
  }
  return n;
}
