// @ts-check
// `openclaw coding-tasks …`: the command table of `resilient-agent` (../commands.js) inside
// OpenClaw's CLI, on the plugin's TaskManager (its state directory and tmux socket), so it sees
// the tasks the agent tools started. Commander only routes: each command is registered with its
// description and hands its words, unparsed, to the same parser, handlers, formatter and error
// printer as `resilient-agent`, so both surfaces accept, refuse and print exactly the same.
import { runCommand } from "../commands-run.js";
import { COMMANDS, coreSandbox } from "../commands.js";

export const CLI_NAME = "coding-tasks";
export const CLI_DESCRIPTION = "Long coding-agent tasks in tmux that survive crashes and restarts (resilient-coding-agent)";

/**
 * The part of commander's Command this file uses (commander 15, as OpenClaw 2026.9.6 ships).
 * @typedef {{
 *   command(name: string): CommanderCommand,
 *   description(d: string): CommanderCommand,
 *   argument(spec: string, d?: string): CommanderCommand,
 *   allowUnknownOption(allow?: boolean): CommanderCommand,
 *   allowExcessArguments(allow?: boolean): CommanderCommand,
 *   helpOption(flags: string | boolean): CommanderCommand,
 *   helpCommand(enable: boolean): CommanderCommand,
 *   action(fn: (...args: any[]) => unknown): CommanderCommand,
 *   parent?: CommanderCommand | null,
 *   rawArgs?: string[],
 * }} CommanderCommand
 */

/**
 * Registers the command group on OpenClaw's commander program.
 * @param {CommanderCommand} program
 * @param {{
 *   getManager: () => import("../commands.js").Manager,
 *   agentDefaults: Record<string, { model?: string, autonomy?: string }>,
 *   agentSandbox?: (agent: string) => string,
 *   io?: import("../commands-run.js").Io,
 * }} deps
 */
export function registerCodingTasksCli(program, deps) {
  /** @type {import("../commands-run.js").Surface} */
  const surface = {
    prog: `openclaw ${CLI_NAME}`,
    globals: {},
    manager: () => deps.getManager(),
    keepAlive: () => `the OpenClaw gateway's monitor (or run: openclaw ${CLI_NAME} watch)`,
    startDefaults: (agent) => (Object.hasOwn(deps.agentDefaults, agent) ? deps.agentDefaults[agent] : undefined),
    origin: { kind: "openclaw-cli" },
    agentSandbox: deps.agentSandbox ?? coreSandbox,
    io: deps.io ?? { out: process.stdout, err: process.stderr, stdin: process.stdin },
  };
  /**
   * @param {CommanderCommand} cmd
   * @param {string[]} path the command's words after the group's name
   * @param {string[]} words what commander left after them
   */
  const run = async (cmd, path, words) => {
    const code = await runCommand(surface, [...path, ...exactWords(cmd, path, words)]);
    if (code !== 0) process.exitCode = code;
  };
  /** Commander hands over every word: no parsing, help or usage errors of its own. @param {CommanderCommand} c */
  const passThrough = (c) =>
    c.argument("[words...]").allowUnknownOption().allowExcessArguments().helpOption(false);

  const group = passThrough(program.command(CLI_NAME).description(CLI_DESCRIPTION)).helpCommand(false);
  // No command, `--help` or an unknown command: the table's usage (or its usage error).
  group.action((/** @type {string[]} */ words, /** @type {unknown} */ _o, /** @type {CommanderCommand} */ cmd) => run(cmd, [], words));
  const registered = new Set();
  for (const [name, spec] of Object.entries(COMMANDS)) {
    // A command of two words (`hosts add`) is registered once by its first word; the table's
    // parser reads the second.
    const first = name.split(" ")[0];
    if (registered.has(first)) continue;
    registered.add(first);
    const summary = first === name ? spec.summary : `${first} ${Object.keys(COMMANDS).filter((n) => n.startsWith(`${first} `)).map((n) => n.slice(first.length + 1)).join("|")}`;
    passThrough(group.command(first).description(summary))
      .action((/** @type {string[]} */ words, /** @type {unknown} */ _o, /** @type {CommanderCommand} */ cmd) => run(cmd, [first], words));
  }
  return group;
}

/**
 * Commander drops a `--` that comes before any option (`send codex-x -- --text`), and the table's
 * parser needs it to read what follows as text: when the program's raw argv holds exactly these
 * words plus that `--`, they are taken from there.
 * @param {CommanderCommand} cmd
 * @param {string[]} path
 * @param {string[]} words
 */
function exactWords(cmd, path, words) {
  let root = cmd;
  while (root.parent) root = root.parent;
  const raw = Array.isArray(root.rawArgs) ? root.rawArgs : [];
  const head = [CLI_NAME, ...path];
  for (let at = 0; at + head.length <= raw.length; at++) {
    if (!head.every((w, i) => raw[at + i] === w)) continue;
    const rest = raw.slice(at + head.length);
    const cut = rest.indexOf("--");
    const without = cut < 0 ? rest : [...rest.slice(0, cut), ...rest.slice(cut + 1)];
    if (cut >= 0 && same(without, words)) return rest;
  }
  return words;
}

/** @param {string[]} a @param {string[]} b */
function same(a, b) {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}
