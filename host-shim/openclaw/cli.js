// @ts-check
// `openclaw coding-tasks …`: the `resilient-agent` commands (same names, options and output,
// using its formatters from ../cli/format.js) inside OpenClaw's CLI, on the plugin's state
// directory and tmux socket, so they see the tasks the agent tools started. Readable output for
// people, `--json` for machines; errors print `error [code]: message` and exit 1.
// (`resilient-agent`'s main() builds its own TaskManager from flags, so it is not reused as is;
// this maps the same commands onto the plugin's TaskManager.)
import { readFileSync } from "node:fs";
import { AGENTS, AUTONOMY, STATES } from "./config.js";
import { eventLine, taskDetails, taskTable } from "../cli/format.js";

export const CLI_NAME = "coding-tasks";
export const CLI_DESCRIPTION = "Long coding-agent tasks in tmux that survive crashes and restarts (resilient-coding-agent)";

/**
 * @typedef {import("./format.js").TaskView} TaskView
 * @typedef {import("./format.js").TaskEvent} TaskEvent
 * @typedef {{
 *   start(o: Record<string, unknown>): Promise<TaskView>,
 *   status(s: string, o?: { lines?: number }): Promise<TaskView>,
 *   list(o?: { state?: string }): Promise<TaskView[]>,
 *   logs(s: string, o?: { lines?: number }): Promise<string>,
 *   send(s: string, text: string, o?: { paste?: boolean }): Promise<unknown>,
 *   resume(s: string): Promise<TaskView>,
 *   stop(s: string, o?: { cleanup?: boolean }): Promise<TaskView | null>,
 *   check(): Promise<TaskEvent[]>,
 *   watch(o: { signal?: AbortSignal, onEvent?: (ev: TaskEvent) => void }): Promise<void>,
 * }} CliManager
 * @typedef {{ out: (s: string) => void, err: (s: string) => void }} Io
 * @typedef {{
 *   command(name: string): CommanderCommand,
 *   description(d: string): CommanderCommand,
 *   argument(spec: string, d?: string): CommanderCommand,
 *   option(flags: string, d?: string, parseOrDefault?: unknown, def?: unknown): CommanderCommand,
 *   requiredOption(flags: string, d?: string, def?: unknown): CommanderCommand,
 *   action(fn: (...args: any[]) => unknown): CommanderCommand,
 * }} CommanderCommand
 */

/** @type {Io} */
const stdio = {
  out: (s) => { process.stdout.write(s.endsWith("\n") ? s : `${s}\n`); },
  err: (s) => { process.stderr.write(s.endsWith("\n") ? s : `${s}\n`); },
};

/** @param {unknown} v */
function positiveInt(v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`expected a positive integer, got ${String(v)}`), { code: "usage" });
  return n;
}

/**
 * Registers the command group on OpenClaw's commander program.
 * @param {CommanderCommand} program
 * @param {{
 *   getManager: () => CliManager,
 *   agentDefaults: Record<string, { model?: string, autonomy?: string }>,
 *   agentSandbox?: (agent: string) => string,
 *   io?: Io,
 * }} deps
 */
export function registerCodingTasksCli(program, deps) {
  const io = deps.io ?? stdio;
  /**
   * @param {boolean | undefined} json
   * @param {(tm: CliManager) => Promise<{ data: unknown, text: string }>} fn
   */
  const act = async (json, fn) => {
    try {
      const { data, text } = await fn(deps.getManager());
      if (json) io.out(JSON.stringify(data, null, 2));
      else if (text) io.out(text);
    } catch (err) {
      const e = /** @type {{ code?: unknown, message?: unknown }} */ (err ?? {});
      const code = typeof e.code === "string" ? e.code : "internal";
      const message = typeof e.message === "string" ? e.message : String(err);
      if (json) io.out(JSON.stringify({ error: { code, message } }, null, 2));
      else io.err(`openclaw coding-tasks: error [${code}]: ${message}`);
      process.exitCode = 1;
    }
  };

  const group = program.command(CLI_NAME).description(CLI_DESCRIPTION);

  group.command("start")
    .description("start a task: its agent runs in tmux session <agent>-<name>")
    .requiredOption("--agent <agent>", `agent CLI: ${AGENTS.join(", ")}`)
    .requiredOption("--name <name>", "task name: a-z, 0-9 and single hyphens, at most 48 characters")
    .option("--dir <dir>", "the project directory the agent works in (default: the current directory)")
    .option("--prompt <text>", "the task for the agent")
    .option("--prompt-file <file>", "read the task from a file ('-' for stdin)")
    .option("--model <model>", "the agent's model")
    .option("--autonomy <mode>", `${AUTONOMY.join(" or ")} (default sandboxed)`)
    .option("--env <NAME=VALUE>", "add a variable to the agent's environment (repeatable; kept for recoveries)",
      (/** @type {string} */ v, /** @type {string[]} */ prev) => [...prev, v], [])
    .option("--json", "machine-readable output")
    .action((/** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      let prompt = o.prompt;
      if (o.promptFile !== undefined) prompt = readFileSync(o.promptFile === "-" ? 0 : o.promptFile, "utf8");
      if (typeof prompt !== "string") throw Object.assign(new Error("give the task with --prompt <text> or --prompt-file <file>"), { code: "usage" });
      const defaults = deps.agentDefaults[o.agent] ?? {};
      /** @type {Record<string, unknown>} */
      const input = { agent: o.agent, name: o.name, projectDir: o.dir ?? process.cwd(), prompt, origin: { kind: "openclaw-cli" } };
      const model = o.model ?? defaults.model;
      const autonomy = o.autonomy ?? defaults.autonomy;
      if (model) input.model = model;
      if (autonomy) input.autonomy = autonomy;
      const pairs = /** @type {string[]} */ (o.env ?? []);
      if (pairs.length > 0) {
        /** @type {Record<string, string>} */
        const env = {};
        for (const pair of pairs) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(pair);
          if (!m) throw Object.assign(new Error(`--env wants NAME=VALUE, got ${JSON.stringify(pair)}`), { code: "usage" });
          env[m[1]] = m[2];
        }
        input.env = env;
      }
      const task = await tm.start(input);
      if (task.autonomy !== "full" && deps.agentSandbox?.(task.agent) === "none") {
        io.err(`openclaw coding-tasks: warning: ${task.agent} has no sandbox: this task runs with all of your rights, as with --autonomy full`);
      }
      return {
        data: task,
        text: [
          `started ${task.session}`,
          `  watch it live:  ${task.attach}`,
          `  status:         openclaw coding-tasks status ${task.session}`,
          "  kept alive by the OpenClaw gateway's monitor (or run: openclaw coding-tasks watch)",
        ].join("\n"),
      };
    }));

  group.command("status")
    .description("show one task and its recent output")
    .argument("<session>", "the task's session, <agent>-<name>")
    .option("--lines <n>", "recent output lines")
    .option("--json", "machine-readable output")
    .action((/** @type {string} */ session, /** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      const task = await tm.status(session, o.lines ? { lines: positiveInt(o.lines) } : {});
      return { data: task, text: taskDetails(/** @type {any} */ (task)) };
    }));

  group.command("list")
    .description("list tasks")
    .option("--state <state>", `only this state: ${STATES.join(", ")}`)
    .option("--json", "machine-readable output")
    .action((/** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      const tasks = await tm.list(o.state ? { state: o.state } : {});
      return { data: tasks, text: taskTable(/** @type {any} */ (tasks)) };
    }));

  group.command("logs")
    .description("print a task's transcript (redacted)")
    .argument("<session>", "the task's session, <agent>-<name>")
    .option("--lines <n>", "last lines", "200")
    .option("--json", "machine-readable output")
    .action((/** @type {string} */ session, /** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      const text = await tm.logs(session, { lines: positiveInt(o.lines) });
      return { data: { session, logs: text }, text };
    }));

  group.command("send")
    .description("type text into the agent's terminal and press Enter (answer a waiting agent)")
    .argument("<session>", "the task's session, <agent>-<name>")
    .argument("<text>", "the text (quote it)")
    .option("--paste", "paste as one block (multi-line text)")
    .option("--json", "machine-readable output")
    .action((/** @type {string} */ session, /** @type {string} */ text, /** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      await tm.send(session, text, { paste: Boolean(o.paste) });
      return { data: { session, sent: text.length }, text: `sent ${text.length} characters to ${session}` };
    }));

  group.command("resume")
    .description("resume a task now in the same agent conversation")
    .argument("<session>", "the task's session, <agent>-<name>")
    .option("--json", "machine-readable output")
    .action((/** @type {string} */ session, /** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      const task = await tm.resume(session);
      return { data: task, text: `resuming ${task.session} (attempt ${task.attempts}, state ${task.state})` };
    }));

  group.command("stop")
    .description("stop a task (kill its tmux session)")
    .argument("<session>", "the task's session, <agent>-<name>")
    .option("--cleanup", "also delete the task's directory")
    .option("--json", "machine-readable output")
    .action((/** @type {string} */ session, /** @type {Record<string, any>} */ o) => act(o.json, async (tm) => {
      const task = await tm.stop(session, { cleanup: Boolean(o.cleanup) });
      return {
        data: task ?? { session, removed: true },
        text: task ? `stopped ${task.session} (state ${task.state})` : `stopped ${session} and removed its directory`,
      };
    }));

  group.command("watch")
    .description("run the monitor in the foreground until Ctrl-C (stands by while the gateway's monitor is active); --once: one tick")
    .option("--once", "one monitor tick, print its events, exit")
    .option("--json", "one JSON event per line")
    .action(async (/** @type {Record<string, any>} */ o) => {
      const show = (/** @type {TaskEvent} */ ev) => io.out(o.json ? JSON.stringify(ev) : eventLine(/** @type {any} */ (ev)));
      if (o.once) {
        await act(false, async (tm) => {
          const events = await tm.check();
          for (const ev of events) show(ev);
          return { data: null, text: events.length ? "" : "nothing changed" };
        });
        return;
      }
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        await act(false, async (tm) => {
          await tm.watch({ signal: controller.signal, onEvent: show });
          return { data: null, text: "monitor stopped" };
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });

  return group;
}
