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
import { LiveView, startLive } from "./live.js";
import { CONTEXT_BYTES, FollowRedactor } from "./follow.js";
import { StringDecoder } from "node:string_decoder";
import { parseDuration } from "../retention.js";
import { readPromptFile } from "./prompt-file.js";

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
    const settings = cli.opts.config ? await readConfig(String(cli.opts.config)) : {};
    const host = hostSettings(settings, cli.opts["notify-cmd"], process.env.RCA_NOTIFY_CMD);
    const tm = new TaskManager({
      stateDir: str(cli.opts["state-dir"]),
      tmuxSocket: str(cli.opts["tmux-socket"]),
      config: Object.keys(settings).length ? settings : undefined,
      ...host,
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
  // Each distinct problem once (the live view lists the tasks every second).
  const warned = new Set();
  tm.on("problem", (p) => {
    const line = `resilient-agent: warning [${p.code}]: ${p.message}\n`;
    if (warned.has(line)) return;
    warned.add(line);
    process.stderr.write(line);
  });
  switch (cli.command) {
    case "start": {
      const prompt =
        typeof opts.prompt === "string" ? opts.prompt : await readPromptFile(String(opts["prompt-file"]));
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
      // The terminal user is the operator: an agent without a sandbox runs, with a warning.
      if (view.autonomy !== "full" && core.agentSandbox(view.agent) === "none") {
        process.stderr.write(`resilient-agent: warning: ${view.agent} has no sandbox: this task runs with all of your rights, as with --autonomy full\n`);
      }
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
      const views = await tm.list({ state: str(opts.state), all: !!opts.all });
      print(views, () => taskTable(views));
      return 0;
    }
    case "prune": {
      const olderThanMs = typeof opts["older-than"] === "string" ? parseDuration(opts["older-than"]) : undefined;
      const removed = await tm.prune({ olderThanMs });
      print({ removed }, () =>
        removed.length === 0
          ? "nothing to prune"
          : removed.map((r) => `removed ${r.session} (${r.state}, finished ${r.finishedAt})`).join("\n"),
      );
      return 0;
    }
    case "logs": {
      const lines = opts.lines ? positiveInt("lines", opts.lines) : 200;
      // Where following starts is taken before the tail is read: text written in between is
      // shown twice rather than never.
      const from = opts.follow ? await transcriptSize(tm, args.session) : 0;
      const text = await tm.logs(args.session, { lines });
      if (text) process.stdout.write(text + "\n");
      if (opts.follow) await follow(tm, args.session, from);
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
      return await watch(tm, !!opts.once, json, !!opts.all);
    default:
      throw new RcaError("usage", USAGE);
  }
}

/**
 * Runs the monitor and prints every state change as it happens (one JSON object per line with
 * --json); without --json also a live table of the tasks (redrawn in place on a terminal,
 * changed rows as plain lines otherwise).
 * @param {TaskManager} tm
 * @param {boolean} once
 * @param {boolean} json
 * @param {boolean} all
 */
async function watch(tm, once, json, all) {
  const live = json ? null : new LiveView({ out: process.stdout });
  const show = (/** @type {import("../monitor.js").TaskEvent} */ ev) => {
    if (live) live.log(eventLine(ev));
    else process.stdout.write(JSON.stringify(ev) + "\n");
  };
  if (once) {
    for (const ev of await tm.check()) show(ev);
    await tm.notificationsIdle();
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
  const refresher = live ? startLive(tm, live, { all }) : null;
  // An event redraws the table at once (not only at the next second).
  const onEvent = (/** @type {import("../monitor.js").TaskEvent} */ ev) => {
    show(ev);
    void refresher?.refresh();
  };
  try {
    await tm.watch({ signal: ctl.signal, onEvent });
  } finally {
    await refresher?.stop();
    await tm.notificationsIdle();
  }
  return 0;
}

/**
 * Size of a task's transcript now (0 when there is none yet).
 * @param {TaskManager} tm
 * @param {string} session
 */
async function transcriptSize(tm, session) {
  const view = await tm.status(session, { lines: 1 });
  return (await tm.fx.fs.stat(join(view.taskDir, TRANSCRIPT)).catch(() => ({ size: 0 }))).size;
}

/**
 * Prints the transcript's new lines from byte `from` on as they arrive (redacted across reads,
 * see follow.js), until Ctrl-C.
 * @param {TaskManager} tm
 * @param {string} session
 * @param {number} from
 */
async function follow(tm, session, from) {
  const view = await tm.status(session, { lines: 1 });
  const path = join(view.taskDir, TRANSCRIPT);
  let offset = from;
  // The text just before the start is context, so a secret that began there is still seen.
  const before = await readRange(path, Math.max(0, offset - CONTEXT_BYTES), offset);
  const redactor = new FollowRedactor((t) => core.redact(t), before);
  const decoder = new StringDecoder("utf8");
  let stopped = false;
  process.once("SIGINT", () => (stopped = true));
  while (!stopped) {
    const fh = await open(path, "r").catch(() => null);
    let text = "";
    if (fh) {
      const { size } = await fh.stat();
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        text = decoder.write(buf);
      }
      await fh.close();
    }
    const out = redactor.push(text, performance.now());
    if (out) process.stdout.write(out);
    await tm.fx.sleep(500);
  }
  const rest = redactor.flush(performance.now());
  if (rest) process.stdout.write(rest);
}

/**
 * Bytes `from..to` of a file as text ("" when it cannot be read).
 * @param {string} path
 * @param {number} from
 * @param {number} to
 */
async function readRange(path, from, to) {
  const fh = await open(path, "r").catch(() => null);
  if (!fh || to <= from) {
    await fh?.close();
    return "";
  }
  try {
    const buf = Buffer.alloc(to - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}

/** @param {string} file */
async function readConfig(file) {
  const text = await readFile(file, "utf8").catch((e) => {
    throw new RcaError("usage", `cannot read --config ${file}: ${e.message}`);
  });
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RcaError("invalid_config", `--config ${file} is not JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RcaError("invalid_config", `--config ${file} must hold a JSON object of settings`);
  }
  return /** @type {Record<string, unknown>} */ (value);
}

/** Settings of the host (not the core's MonitorConfig) that a --config file may hold. */
const HOST_KEYS = ["notifyCommand", "notifyTimeoutMs", "notifyEvents", "retentionMs", "passEnv"];

/**
 * Takes the host's keys out of the --config settings (the rest is the MonitorConfig), and
 * applies --notify-cmd / RCA_NOTIFY_CMD (a JSON argv) over the file's notifyCommand.
 * @param {Record<string, unknown>} settings modified: host keys removed
 * @param {unknown} flag
 * @param {string | undefined} env
 */
function hostSettings(settings, flag, env) {
  /** @type {Record<string, any>} */
  const host = {};
  for (const k of HOST_KEYS) {
    if (Object.hasOwn(settings, k)) {
      host[k] = settings[k];
      delete settings[k];
    }
  }
  const text = typeof flag === "string" ? flag : env || undefined;
  if (text !== undefined) {
    const where = typeof flag === "string" ? "--notify-cmd" : "RCA_NOTIFY_CMD";
    try {
      host.notifyCommand = JSON.parse(text);
    } catch {
      throw new RcaError("usage", `${where} must be a JSON array of strings (an argv, no shell), e.g. '["notify-send","coding task"]'`);
    }
    if (!Array.isArray(host.notifyCommand)) {
      throw new RcaError("usage", `${where} must be a JSON array of strings (an argv, no shell), e.g. '["notify-send","coding task"]'`);
    }
  }
  return /** @type {{ notifyCommand?: string[], notifyTimeoutMs?: number, notifyEvents?: string[], retentionMs?: number | null, passEnv?: string[] }} */ (host);
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
