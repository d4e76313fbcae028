#!/usr/bin/env node
// @ts-check
// `resilient-agent`: the command line surface of the TaskManager. Readable tables by default,
// `--json` for machines; errors on stderr with their code and a non-zero exit status
// (1 = refused or failed, 2 = bad usage).
import { open, readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { TaskManager } from "../task-manager.js";
import { RcaError, toRcaError } from "../errors.js";
import core from "../core.js";
import { parseCli, positiveInt, USAGE } from "./args.js";
import { eventLine, taskDetails, taskTable } from "./format.js";
import { runDemo } from "./demo.js";
import { TRANSCRIPT } from "../task-files.js";

/** @typedef {import("./args.js").Parsed} Parsed */

/**
 * @param {string[]} argv
 * @returns {Promise<number>} the exit status
 */
export async function main(argv) {
  let json = argv.includes("--json");
  try {
    const cli = parseCli(argv);
    json = !!cli.opts.json;
    if (cli.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (cli.command === "demo") return await runDemo({ out: process.stdout });
    const tm = new TaskManager({
      stateDir: str(cli.opts["state-dir"]),
      tmuxSocket: str(cli.opts["tmux-socket"]),
      config: cli.opts.config ? await readConfig(String(cli.opts.config)) : undefined,
    });
    return await run(tm, cli, json);
  } catch (err) {
    const e = toRcaError(err);
    if (json) process.stderr.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + "\n");
    else process.stderr.write(`resilient-agent: error [${e.code}]: ${e.message}\n`);
    return e.code === "usage" ? 2 : 1;
  }
}

/**
 * @param {TaskManager} tm
 * @param {Parsed} cli
 * @param {boolean} json
 */
async function run(tm, cli, json) {
  const { args, opts } = cli;
  const print = (/** @type {unknown} */ obj, /** @type {() => string} */ human) =>
    process.stdout.write((json ? JSON.stringify(obj, null, 2) : human()) + "\n");
  tm.on("problem", (p) => process.stderr.write(`resilient-agent: warning [${p.code}]: ${p.message}\n`));
  switch (cli.command) {
    case "start": {
      const prompt =
        typeof opts.prompt === "string" ? opts.prompt : await readPrompt(String(opts["prompt-file"]));
      const view = await tm.start({
        agent: String(opts.agent),
        name: String(opts.name),
        projectDir: String(opts.dir),
        prompt,
        model: str(opts.model),
        autonomy: str(opts.autonomy),
        env: Object.fromEntries(
          /** @type {string[]} */ (opts.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
        ),
      });
      const global = [
        opts["state-dir"] ? `--state-dir ${shellWord(String(opts["state-dir"]))}` : "",
        opts["tmux-socket"] ? `--tmux-socket ${shellWord(String(opts["tmux-socket"]))}` : "",
      ].filter(Boolean).join(" ");
      print(view, () =>
        [
          `started ${view.session}`,
          `  watch it live:  ${view.attach}`,
          `  follow it:      resilient-agent logs ${view.session} --follow${global ? " " + global : ""}`,
          `  status:         resilient-agent status ${view.session}${global ? " " + global : ""}`,
          `  keep it alive:  resilient-agent watch${global ? " " + global : ""}   (recovers crashes; or run the OpenClaw service)`,
        ].join("\n"),
      );
      return 0;
    }
    case "status": {
      const view = await tm.status(args.session, { lines: opts.lines ? positiveInt("lines", opts.lines) : undefined });
      print(view, () => taskDetails(view));
      return 0;
    }
    case "list": {
      const views = await tm.list({ state: str(opts.state) });
      print(views, () => taskTable(views));
      return 0;
    }
    case "logs": {
      const lines = opts.lines ? positiveInt("lines", opts.lines) : 200;
      const text = await tm.logs(args.session, { lines });
      if (text) process.stdout.write(text + "\n");
      if (opts.follow) await follow(tm, args.session);
      return 0;
    }
    case "send":
      await tm.send(args.session, args.text, { paste: !!opts.paste });
      if (json) print({ ok: true, session: args.session }, () => "");
      return 0;
    case "resume": {
      const view = await tm.resume(args.session);
      print(view, () => `resuming ${view.session} (attempt ${view.attempts}, state ${view.state})`);
      return 0;
    }
    case "stop": {
      const view = await tm.stop(args.session, { cleanup: !!opts.cleanup });
      print(view ?? { session: args.session, removed: true }, () =>
        view ? `stopped ${view.session} (state ${view.state})` : `stopped ${args.session} and removed its directory`,
      );
      return 0;
    }
    case "watch":
      return await watch(tm, !!opts.once, json);
    default:
      throw new RcaError("usage", USAGE);
  }
}

/**
 * Prints every state change as it happens (one JSON object per line with --json).
 * @param {TaskManager} tm
 * @param {boolean} once
 * @param {boolean} json
 */
async function watch(tm, once, json) {
  const show = (/** @type {import("../monitor.js").TaskEvent} */ ev) =>
    process.stdout.write((json ? JSON.stringify(ev) : eventLine(ev)) + "\n");
  if (once) {
    for (const ev of await tm.check()) show(ev);
    return 0;
  }
  tm.on("monitor", (m) => {
    if (json) return;
    if (m.status === "standby") process.stderr.write(`another monitor (pid ${m.owner?.pid ?? "?"}) is active; standing by\n`);
    else process.stderr.write(`monitoring ${tm.stateDir}${tm.socket ? ` (tmux -L ${tm.socket})` : ""}; Ctrl-C to stop\n`);
  });
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await tm.watch({ signal: ctl.signal, onEvent: show });
  return 0;
}

/**
 * Prints the transcript's new lines as they arrive (redacted), until Ctrl-C.
 * @param {TaskManager} tm
 * @param {string} session
 */
async function follow(tm, session) {
  const view = await tm.status(session, { lines: 1 });
  const path = join(view.taskDir, TRANSCRIPT);
  let offset = (await tm.fx.fs.stat(path).catch(() => ({ size: 0 }))).size;
  let partial = "";
  let stopped = false;
  process.once("SIGINT", () => (stopped = true));
  while (!stopped) {
    const fh = await open(path, "r").catch(() => null);
    if (fh) {
      const { size } = await fh.stat();
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        const text = partial + buf.toString("utf8");
        const cut = text.lastIndexOf("\n") + 1;
        partial = text.slice(cut);
        if (cut > 0) process.stdout.write(core.redact(text.slice(0, cut)));
      }
      await fh.close();
    }
    await tm.fx.sleep(500);
  }
}

/** @param {string} file */
async function readPrompt(file) {
  if (file === "-") {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    return Buffer.concat(chunks).toString("utf8");
  }
  return readFile(file, "utf8").catch((e) => {
    throw new RcaError("usage", `cannot read --prompt-file ${file}: ${e.message}`);
  });
}

/** @param {string} file */
async function readConfig(file) {
  const text = await readFile(file, "utf8").catch((e) => {
    throw new RcaError("usage", `cannot read --config ${file}: ${e.message}`);
  });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RcaError("invalid_config", `--config ${file} is not JSON: ${e instanceof Error ? e.message : e}`);
  }
}

/** @param {unknown} v */
function str(v) {
  return typeof v === "string" ? v : undefined;
}

/** Quotes a word for a command line a person copies (display only). @param {string} s */
function shellWord(s) {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

// Run when executed as the bin (also through npm's symlink), not when imported by tests.
const self = fileURLToPath(import.meta.url);
const invoked = process.argv[1] ? safeRealpath(process.argv[1]) : "";
if (invoked === self) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/** @param {string} p */
function safeRealpath(p) {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
