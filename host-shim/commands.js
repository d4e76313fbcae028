// @ts-check
// The one command table of `resilient-agent` and `openclaw coding-tasks`: every command's name,
// positionals, options (type, validation, help) and handler over a TaskManager. Both surfaces
// parse argv with it and print through one formatter and one error printer
// (./commands-run.js), so their commands, validation and output cannot drift apart. What
// differs between the surfaces (where the TaskManager comes from, the program's name in hints)
// is a Surface (./commands-run.js), never a branch here.
import core from "./core.js";
import { RcaError, viaCore } from "./errors.js";
import { parseDuration } from "./retention.js";
import { taskDetails, taskTable } from "./cli/format.js";
import { runDemo } from "./cli/demo.js";
import { readPromptFile } from "./cli/prompt-file.js";
import { follow, transcriptSize, watch } from "./commands-stream.js";
import { dashboardCommand } from "./dashboard/command.js";
import { parseListen } from "./dashboard/serve.js";
import { HOST_OPTION, REMOTE_COMMANDS, listFleet } from "./remote/commands.js";
import { formatDoctor, runDoctor } from "./doctor/index.js";

/**
 * One option. `check` validates the raw value and returns what the handler gets; it throws a
 * `usage` error. `value` names the value in help (`N`, `DIR`). `needs` is a rule across
 * options (the message of the usage error, or null).
 * @typedef {{
 *   type: "string" | "boolean", short?: string, multiple?: boolean, required?: boolean, value?: string,
 *   help: string, check?: (raw: any) => unknown,
 * }} OptionSpec
 * @typedef {{
 *   summary: string,
 *   args: Array<{ name: string, help: string, optional?: boolean }>,
 *   options: Record<string, OptionSpec>,
 *   needs?: (opts: Record<string, any>) => string | null,
 *   noManager?: boolean,
 *   run: (ctx: Ctx) => Promise<number>,
 * }} CommandSpec
 * @typedef {import("./task-manager.js").TaskManager} Manager
 * @typedef {{
 *   tm: Manager, args: Record<string, string>, opts: Record<string, any>, globals: Record<string, any>, json: boolean,
 *   surface: import("./commands-run.js").Surface,
 *   print: (data: unknown, text: () => string) => void,
 * }} Ctx
 */

/** A whole number of lines, 1 to 100000 (a typo must not read a 10 GB transcript). @param {unknown} value */
export function positiveLines(value) {
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || n < 1 || n > 100_000) {
    throw new RcaError("usage", `--lines must be a whole number from 1 to 100000, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `--max-cost-usd`: dollars, greater than 0. @param {string} value */
export function costOption(value) {
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+(\.\d+)?$/.test(value) || !(n > 0)) {
    throw new RcaError("usage", `--max-cost-usd must be a cost in US dollars greater than 0 (e.g. 2.50), got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `--max-tokens`: a whole number of tokens, at least 1. @param {string} value */
export function tokensOption(value) {
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new RcaError("usage", `--max-tokens must be a whole number of tokens of at least 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

const BUDGET_OPTIONS = /** @type {Record<string, OptionSpec>} */ ({
  "max-cost-usd": { type: "string", value: "USD", check: costOption, help: "stop the task (failed, budget_exceeded) once its agent reports this cost (within the operator's ceiling)" },
  "max-tokens": { type: "string", value: "N", check: tokensOption, help: "stop the task once it has used this many tokens, input + output (within the operator's ceiling)" },
});

/** `--env NAME=VALUE`, repeatable, into an object (the value may hold `=`). @param {string[]} pairs */
export function envPairs(pairs) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(pair);
    // The value is never echoed (it is often a key): only the name, when there is one.
    if (!m) throw new RcaError("usage", `--env wants NAME=VALUE (a letter or _ first, then letters, digits, _), ${envNameSeen(pair)}`);
    env[m[1]] = m[2];
  }
  return env;
}

/** What a malformed `--env` pair is shown as: its name part, short, and never its value. @param {string} pair */
function envNameSeen(pair) {
  const eq = pair.indexOf("=");
  if (eq < 0) return "got no = (the text itself is not shown: it may be a secret)";
  const name = pair.slice(0, eq);
  return `got the name ${JSON.stringify(name.length > 64 ? name.slice(0, 64) + "…" : name)}`;
}

const SESSION = { name: "session", help: "the task's session, <agent>-<name> (e.g. codex-fix-login-bug)" };
const lines = (/** @type {string} */ dflt) =>
  /** @type {OptionSpec} */ ({ type: "string", value: "N", help: `recent output lines (default ${dflt})`, check: positiveLines });

/** @type {Record<string, CommandSpec>} */
export const COMMANDS = {
  start: {
    summary: "start a task: its agent runs in tmux session <agent>-<name>",
    args: [],
    options: {
      agent: { type: "string", required: true, value: "AGENT", help: `the agent CLI: ${core.agentNames().join(", ")}, or one added in the settings (\`agents list\`; required)` },
      name: { type: "string", required: true, value: "NAME", help: "task name: a-z, 0-9 and single hyphens, at most 48 characters (required)" },
      dir: { type: "string", value: "DIR", help: "the project directory the agent works in (default: the current directory)" },
      prompt: { type: "string", value: "TEXT", help: "the task for the agent" },
      "prompt-file": { type: "string", value: "FILE", help: "read the task from a file ('-' for stdin)" },
      model: { type: "string", value: "MODEL", help: "the agent's model" },
      autonomy: { type: "string", value: "MODE", help: "sandboxed or full (default sandboxed)" },
      env: {
        type: "string", multiple: true, value: "NAME=VALUE", check: envPairs,
        help: "add a variable to the agent's environment (repeatable; kept for recoveries)",
      },
      worktree: { type: "boolean", help: "run the agent in its own git worktree on a new branch rca/<name>" },
      base: { type: "string", value: "REF", help: "with --worktree: the branch, tag or commit the new branch starts from (default HEAD)" },
      "no-auto-resume": { type: "boolean", help: "never recover this task automatically: a crash or limit stops it until `resume`" },
      ...BUDGET_OPTIONS,
      host: HOST_OPTION,
    },
    needs: (o) => {
      if ((o.prompt === undefined) === (o["prompt-file"] === undefined)) return "start needs exactly one of --prompt and --prompt-file";
      if (o.host !== undefined && o.dir === undefined) return "start --host needs --dir, a directory on that host";
      return null;
    },
    async run({ tm, opts, globals, surface, print }) {
      const prompt = opts.prompt ?? (await readPromptFile(opts["prompt-file"], surface.io.stdin));
      const defaults = surface.startDefaults?.(opts.agent) ?? {};
      /** @type {import("./task-manager.js").StartInput} */
      const input = { agent: opts.agent, name: opts.name, projectDir: opts.dir ?? process.cwd(), prompt };
      const model = opts.model ?? defaults.model;
      const autonomy = opts.autonomy ?? defaults.autonomy;
      if (model !== undefined) input.model = model;
      if (autonomy !== undefined) input.autonomy = autonomy;
      if (opts.env && Object.keys(opts.env).length > 0) input.env = opts.env;
      if (opts.worktree) input.worktree = true;
      if (opts.base !== undefined) input.base = opts.base;
      if (opts["no-auto-resume"]) input.autoResume = false;
      if (opts["max-cost-usd"] !== undefined) input.maxCostUsd = opts["max-cost-usd"];
      if (opts["max-tokens"] !== undefined) input.maxTokens = opts["max-tokens"];
      if (surface.origin) input.origin = surface.origin;
      const view = await tm.start(input);
      // Both surfaces are the operator's: an agent without a sandbox runs, with a warning.
      if (view.autonomy !== "full" && surface.agentSandbox(view.agent) === "none") {
        surface.io.err.write(`warning: ${view.agent} has no sandbox: this task runs with all of your rights, as with --autonomy full\n`);
      }
      // On a remote host the hints name it (a host name is plain a-z0-9-).
      const again = (surface.again?.(globals) ?? "") + (opts.host !== undefined ? ` --host ${opts.host}` : "");
      print(view, () =>
        [
          `started ${view.session}`,
          `  watch it live:  ${opts.host !== undefined ? `ssh to ${opts.host}, then ` : ""}${view.attach}`,
          `  follow it:      ${surface.prog} ${opts.host !== undefined ? "watch" : `logs ${view.session} --follow`}${again}`,
          `  status:         ${surface.prog} status ${view.session}${again}`,
          `  keep it alive:  ${surface.keepAlive(again)}`,
        ].join("\n"),
      );
      return 0;
    },
  },
  status: {
    summary: "show one task and its recent output",
    args: [SESSION],
    options: { lines: lines("20"), host: HOST_OPTION },
    async run({ tm, args, opts, print }) {
      const view = await tm.status(args.session, { lines: opts.lines });
      print(view, () => taskDetails(view));
      return 0;
    },
  },
  list: {
    summary: "list tasks",
    args: [],
    options: {
      state: { type: "string", value: "STATE", help: "only tasks in this state (running, waiting_for_input, completed, failed, …)" },
      all: { type: "boolean", help: "also tmux sessions named codex-*/claude-*/opencode-*/pi-* not started here" },
      host: HOST_OPTION,
    },
    async run({ tm, opts, print }) {
      // Without --host: this machine and every configured host (a HOST column when there are any).
      const o = { state: opts.state, all: !!opts.all };
      const views = opts.host === undefined ? await listFleet(tm, o) : await tm.list(o);
      print(views, () => taskTable(views));
      return 0;
    },
  },
  logs: {
    summary: "print a task's transcript (redacted)",
    args: [SESSION],
    options: { lines: lines("200"), follow: { type: "boolean", short: "f", help: "then print new output as it arrives, until Ctrl-C" }, host: HOST_OPTION },
    async run(ctx) {
      const { tm, args, opts, json, surface, print } = ctx;
      // Where following starts is taken before the tail is read: text written in between is
      // shown twice rather than never.
      const from = opts.follow ? await transcriptSize(tm, args.session) : 0;
      const text = await tm.logs(args.session, { lines: opts.lines ?? 200 });
      // Followed, --json is one compact object per line (the tail, then each new chunk).
      if (opts.follow && json) surface.io.out.write(JSON.stringify({ session: args.session, logs: text }) + "\n");
      else print({ session: args.session, logs: text }, () => text);
      if (opts.follow) await follow(ctx, from);
      return 0;
    },
  },
  send: {
    summary: "type text into the agent's terminal and press Enter (answer a waiting agent)",
    args: [SESSION, { name: "text", help: "the text (quote it; after -- if it starts with -)" }],
    options: { paste: { type: "boolean", help: "paste as one block (multi-line text)" }, host: HOST_OPTION },
    async run({ tm, args, opts, print }) {
      await tm.send(args.session, args.text, { paste: !!opts.paste });
      print({ ok: true, session: args.session, sent: args.text.length }, () => `sent ${args.text.length} characters to ${args.session}`);
      return 0;
    },
  },
  resume: {
    summary: "resume a task now, in the same agent conversation",
    args: [SESSION],
    options: { ...BUDGET_OPTIONS, host: HOST_OPTION },
    async run({ tm, args, opts, print }) {
      // A task stopped by its budget resumes only with a higher one.
      /** @type {{ maxCostUsd?: number, maxTokens?: number }} */
      const raise = {};
      if (opts["max-cost-usd"] !== undefined) raise.maxCostUsd = opts["max-cost-usd"];
      if (opts["max-tokens"] !== undefined) raise.maxTokens = opts["max-tokens"];
      const view = await tm.resume(args.session, raise);
      print(view, () => `resuming ${view.session} (attempt ${view.attempts}, state ${view.state})`);
      return 0;
    },
  },
  stop: {
    summary: "stop a task (kill its tmux session)",
    args: [SESSION],
    options: {
      cleanup: { type: "boolean", help: "also delete the task's directory (and its worktree; the branch stays)" },
      "delete-branch": { type: "boolean", help: "with --cleanup: delete the task's worktree branch too (refused when unmerged)" },
      force: { type: "boolean", help: "with --delete-branch: delete it even with unmerged commits" },
      host: HOST_OPTION,
    },
    async run({ tm, args, opts, print }) {
      const view = await tm.stop(args.session, { cleanup: !!opts.cleanup, deleteBranch: !!opts["delete-branch"], force: !!opts.force });
      print(view ?? { session: args.session, removed: true }, () =>
        view ? `stopped ${view.session} (state ${view.state})` : `stopped ${args.session} and removed its directory`,
      );
      return 0;
    },
  },
  watch: {
    summary: "run the monitor until Ctrl-C: a live table, event lines with --json (stands by while another monitor is active)",
    args: [],
    options: {
      once: { type: "boolean", help: "one monitor tick: print its events and exit" },
      all: { type: "boolean", help: "the live table also shows tmux sessions not started here" },
      host: { ...HOST_OPTION, help: "only follow this configured host's events (its own monitor runs there)" },
    },
    needs: (o) => (o.host !== undefined && o.once ? "watch --host follows a host's events: without --once" : null),
    run: watch,
  },
  dashboard: {
    summary: "serve the web dashboard on 127.0.0.1 (URL with its key printed) and run the monitor, until Ctrl-C",
    args: [],
    options: {
      listen: {
        type: "string", value: "ADDR[:PORT]", check: parseListen,
        help: "listen there instead of 127.0.0.1 on a free port (e.g. 0.0.0.0:8080: reachable from other machines)",
      },
    },
    run: dashboardCommand,
  },
  prune: {
    summary: "remove finished tasks older than the retention time (default 7d)",
    args: [],
    options: {
      "older-than": { type: "string", value: "DURATION", help: "instead of the retention time: e.g. 0 (every finished task), 30m, 12h", check: parseDuration },
      host: HOST_OPTION,
    },
    async run({ tm, opts, print }) {
      const removed = await tm.prune({ olderThanMs: opts["older-than"] });
      print({ removed }, () =>
        removed.length === 0
          ? "nothing to prune"
          : removed.map((r) => `removed ${r.session} (${r.state}, finished ${r.finishedAt})`).join("\n"),
      );
      return 0;
    },
  },
  agents: {
    summary: "the agents tasks can run (built-in and from the settings' `agents`): `agents list`, `agents show <agent>`",
    args: [
      { name: "action", help: "list, or show (one agent's whole profile)" },
      { name: "agent", help: "the agent to show", optional: true },
    ],
    options: {},
    run: async ({ args, print }) => {
      const profiles = /** @type {Record<string, any>} */ (JSON.parse(core.agentProfilesJson()));
      if (args.action === "list" && args.agent === undefined) {
        // In the core's order: built-ins first, then the operator's.
        const rows = core.agentNames().map((name) => {
          const p = profiles[name];
          const info = JSON.parse(core.agentProfileJson(name));
          return { name, source: info.source, program: p.program ?? null, sandbox: p.sandbox, verifiedVersion: p.cli?.verified_version ?? null };
        });
        print({ agents: rows }, () =>
          rows.map((r) => `${r.name.padEnd(10)} ${r.source.padEnd(9)} ${String(r.program ?? "(host argv)").padEnd(12)} sandbox ${r.sandbox.padEnd(12)} ${r.verifiedVersion ? `checked with ${r.verifiedVersion}` : ""}`.trimEnd()).join("\n"),
        );
        return 0;
      }
      if (args.action === "show" && args.agent !== undefined) {
        const info = JSON.parse(viaCore(() => core.agentProfileJson(args.agent)));
        print(info, () => JSON.stringify(info, null, 2));
        return 0;
      }
      throw new RcaError("usage", "agents takes `list` or `show <agent>`");
    },
  },
  doctor: {
    summary: "check the agent CLIs (found, version, flags, login, policy), tmux and the state directory: run it after upgrading a CLI",
    args: [],
    options: {
      agent: { type: "string", multiple: true, value: "AGENT", help: "an agent you use (repeatable; default: every agent found installed)" },
      host: HOST_OPTION,
    },
    async run({ tm, opts, print }) {
      // --host: the same checks, run there (its agents, its tmux, its state directory).
      const report = opts.host !== undefined
        ? await /** @type {any} */ (tm).doctor({ agents: opts.agent })
        : await runDoctor(tm, { agents: opts.agent });
      print(report, () => formatDoctor(report));
      return report.ok ? 0 : 1;
    },
  },
  demo: {
    summary: "the whole loop on the built-in simulated agent (start, crash, resume, finish): no API key",
    args: [],
    options: {},
    noManager: true,
    run: ({ surface }) => runDemo({ out: surface.io.out }),
  },
  ...REMOTE_COMMANDS,
};

/** How real an agent's "sandboxed" is (the core's profile data): "none" earns a warning. @param {string} agent */
export function coreSandbox(agent) {
  return String(core.agentSandbox(/** @type {any} */ (agent)));
}
