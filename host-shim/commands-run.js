// @ts-check
// Runs one command of the table (./commands.js) on a surface — the `resilient-agent` CLI or
// `openclaw coding-tasks` — from its argv: parses it (node:util parseArgs, strict), validates
// it, gets the surface's TaskManager, runs the handler, and prints through the one formatter
// and the one error printer:
// - results on stdout: readable text, or with --json the API's objects (pretty-printed JSON);
// - errors on stderr, on both surfaces and with or without --json (so stdout holds only
//   results and a script never parses an error as data): `error [code]: message`, or one line
//   `{"error":{"code","message"}}` with --json; exit status 1, or 2 for a usage error;
// - warnings on stderr: `warning [code]: message`.
import { parseArgs } from "node:util";
import { RcaError, toRcaError } from "./errors.js";
import { COMMANDS } from "./commands.js";
import { remoteManager } from "./remote/commands.js";

/**
 * @typedef {import("./commands.js").OptionSpec} OptionSpec
 * @typedef {import("./commands.js").CommandSpec} CommandSpec
 * @typedef {import("./commands.js").Manager} Manager
 * @typedef {{
 *   out: NodeJS.WritableStream & { isTTY?: boolean, columns?: number },
 *   err: NodeJS.WritableStream,
 *   stdin: AsyncIterable<Buffer>,
 * }} Io
 * What differs between the surfaces; everything else is the table.
 * @typedef {{
 *   prog: string,
 *   globals: Record<string, OptionSpec>,
 *   manager: (globals: Record<string, any>) => Manager | Promise<Manager>,
 *   again?: (globals: Record<string, any>) => string,
 *   keepAlive: (again: string) => string,
 *   startDefaults?: (agent: string) => { model?: string, autonomy?: string } | undefined,
 *   origin?: Record<string, unknown>,
 *   agentSandbox: (agent: string) => string,
 *   io: Io,
 * }} Surface
 * @typedef {{ command: string, args: Record<string, string>, opts: Record<string, any>, globals: Record<string, any>, json: boolean }
 *   | { help: string, json: boolean }} Parsed
 */

/** Options every command takes on every surface. @type {Record<string, OptionSpec>} */
const COMMON = {
  json: { type: "boolean", help: "machine-readable output (JSON)" },
  help: { type: "boolean", short: "h", help: "this help" },
};

/**
 * Runs argv (the words after the program's name) and returns the exit status.
 * @param {Surface} surface
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function runCommand(surface, argv) {
  const { io } = surface;
  let json = argv.includes("--json");
  try {
    const cli = parse(surface, argv);
    json = cli.json;
    if ("help" in cli) {
      io.out.write(cli.help + "\n");
      return 0;
    }
    const spec = COMMANDS[cli.command];
    const local = spec.noManager ? /** @type {Manager} */ (/** @type {unknown} */ (null)) : await surface.manager(cli.globals);
    // --host NAME: the same handler, with the operation done on that configured host.
    const tm = cli.opts.host === undefined ? local : /** @type {Manager} */ (/** @type {unknown} */ (await remoteManager(local, cli.opts.host)));
    // Each distinct problem once (the live view lists the tasks every second).
    const warned = new Set();
    const onProblem = (/** @type {{ code: string, message: string }} */ p) => {
      const line = `warning [${p.code}]: ${p.message}\n`;
      if (warned.has(line)) return;
      warned.add(line);
      io.err.write(line);
    };
    tm?.on("problem", onProblem);
    try {
      return await spec.run({
        ...cli,
        tm,
        surface,
        print: (data, text) => {
          const s = cli.json ? JSON.stringify(data, null, 2) : text();
          if (s !== "") io.out.write(s + "\n");
        },
      });
    } finally {
      tm?.off("problem", onProblem);
    }
  } catch (err) {
    return printError(io.err, json, err);
  }
}

/**
 * The one error printer. @returns {number} the exit status
 * @param {NodeJS.WritableStream} err
 * @param {boolean} json
 * @param {unknown} error
 */
export function printError(err, json, error) {
  const e = toRcaError(error);
  if (json) err.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + "\n");
  else err.write(`error [${e.code}]: ${e.message}\n`);
  return e.code === "usage" || e.code === "duplicate_option" ? 2 : 1;
}

/**
 * Parses argv against the table: the command, its named positionals, its options (checked and
 * converted by their `check`) and the surface's global options.
 * @param {Surface} surface
 * @param {string[]} argv
 * @returns {Parsed}
 */
export function parse(surface, argv) {
  let [command, ...rest] = argv;
  // A command of two words (`hosts add`): the second word names it too.
  if (rest.length > 0 && Object.hasOwn(COMMANDS, `${command} ${rest[0]}`)) {
    command = `${command} ${rest[0]}`;
    rest = rest.slice(1);
  }
  if (command === undefined || command === "--help" || command === "-h") return { help: usage(surface), json: false };
  if (command === "help") {
    const about = rest[0];
    return { help: about !== undefined && Object.hasOwn(COMMANDS, about) ? commandHelp(surface, about) : usage(surface), json: false };
  }
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) throw new RcaError("usage", `unknown command ${JSON.stringify(command)}\n\n${usage(surface)}`);
  const all = { ...surface.globals, ...spec.options, ...COMMON };
  const bad = (/** @type {string} */ why) => new RcaError("usage", `${why}\nusage: ${synopsis(surface, command)}`);
  let parsed;
  try {
    /** @type {NonNullable<import("node:util").ParseArgsConfig["options"]>} */
    const options = {};
    for (const [name, o] of Object.entries(all)) {
      options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    }
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  // parseArgs keeps the last of a repeated option: `--lines 5 --lines 9` would silently mean 9.
  // An option that takes one value may be given once; `multiple` ones (`--env`) repeat.
  const seen = new Set();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option" || all[t.name]?.type !== "string" || all[t.name]?.multiple) continue;
    if (seen.has(t.name)) {
      throw new RcaError("duplicate_option", `--${t.name} was given more than once; give it once\nusage: ${synopsis(surface, command)}`);
    }
    seen.add(t.name);
  }
  const values = /** @type {Record<string, any>} */ (parsed.values);
  const json = values.json === true;
  if (values.help) return { help: commandHelp(surface, command), json };
  const required = spec.args.filter((a) => !a.optional).length;
  if (parsed.positionals.length < required || parsed.positionals.length > spec.args.length) {
    const want = spec.args.length ? spec.args.map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`)).join(" ") : "no arguments";
    throw bad(`${command} takes ${want}, got ${parsed.positionals.length}`);
  }
  /** @type {Record<string, string>} */
  const args = {};
  spec.args.forEach((a, i) => (args[a.name] = parsed.positionals[i]));
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.required && values[name] === undefined) throw bad(`${command} needs --${name}`);
  }
  const rule = spec.needs?.(values);
  if (rule) throw bad(rule);
  /** @type {Record<string, any>} */
  const opts = {};
  /** @type {Record<string, any>} */
  const globals = {};
  for (const [name, o] of Object.entries(all)) {
    if (values[name] === undefined) continue;
    const value = o.check ? o.check(values[name]) : values[name];
    if (Object.hasOwn(spec.options, name)) opts[name] = value;
    else globals[name] = value;
  }
  return { command, args, opts, globals, json };
}

/** `start --agent AGENT --name NAME [--dir DIR] …` @param {Surface} surface @param {string} command */
export function synopsis(surface, command) {
  const spec = COMMANDS[command];
  const words = [surface.prog, command, ...spec.args.map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`))];
  for (const [name, o] of Object.entries(spec.options)) {
    const flag = `--${name}${o.value ? ` ${o.value}` : ""}`;
    words.push(o.required ? flag : `[${flag}]${o.multiple ? "..." : ""}`);
  }
  return words.join(" ");
}

/** Every command, for `--help` and an unknown command. @param {Surface} surface */
export function usage(surface) {
  const lines = [`usage: ${surface.prog} <command> [options]`, ""];
  for (const [name, spec] of Object.entries(COMMANDS)) lines.push(`  ${synopsis(surface, name)}`, `      ${spec.summary}`);
  lines.push("", "options of every command:", ...optionLines(surface.globals), ...optionLines(COMMON));
  lines.push(`<session> is <agent>-<name>, e.g. codex-fix-login-bug. ${surface.prog} <command> --help: its options.`);
  return lines.join("\n");
}

/** One command's options and arguments. @param {Surface} surface @param {string} command */
export function commandHelp(surface, command) {
  const spec = COMMANDS[command];
  const lines = [`usage: ${synopsis(surface, command)}`, "", spec.summary, ""];
  for (const a of spec.args) lines.push(row(`<${a.name}>`, a.help));
  lines.push(...optionLines(spec.options), ...optionLines(COMMON));
  if (Object.keys(surface.globals).length) lines.push("options of every command:", ...optionLines(surface.globals));
  return lines.join("\n");
}

/** @param {Record<string, OptionSpec>} options */
function optionLines(options) {
  return Object.entries(options).map(([name, o]) =>
    row(`${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}`, o.help),
  );
}

/** @param {string} left @param {string} help */
function row(left, help) {
  return `  ${left.padEnd(26)} ${help}`;
}
