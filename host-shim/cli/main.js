#!/usr/bin/env node
// @ts-check
// `resilient-agent`: the command line surface of the TaskManager. The commands, their options,
// output and errors are the shared command table (../commands.js, run by ../commands-run.js);
// this file adds what only this surface has: the options that choose the state directory,
// tmux server and settings, and the TaskManager built from them.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TaskManager } from "../task-manager.js";
import { RcaError } from "../errors.js";
import { coreSandbox } from "../commands.js";
import { runCommand } from "../commands-run.js";
import { readBounded } from "./read-bounded.js";

/** The global options of this surface: which state directory, tmux server and settings. */
const GLOBALS = /** @type {Record<string, import("../commands.js").OptionSpec>} */ ({
  "state-dir": { type: "string", value: "DIR", help: "the state directory (RCA_STATE_DIR)" },
  "tmux-socket": { type: "string", value: "NAME", help: "a private tmux server, tmux -L NAME (RCA_TMUX_SOCKET)" },
  config: { type: "string", value: "FILE", help: "settings, a JSON object (see the README)" },
  "notify-cmd": { type: "string", value: "JSON", help: "run this argv, a JSON array ('[\"notify-send\",\"task\"]', no shell), on every event (RCA_NOTIFY_CMD)" },
});

/**
 * The `resilient-agent` surface of the command table.
 * @param {{ io?: import("../commands-run.js").Io }} [o]
 * @returns {import("../commands-run.js").Surface}
 */
export function cliSurface(o = {}) {
  return {
    prog: "resilient-agent",
    globals: GLOBALS,
    async manager(g) {
      const settings = g.config ? await readConfig(String(g.config)) : {};
      const host = hostSettings(settings, g["notify-cmd"], process.env.RCA_NOTIFY_CMD);
      return new TaskManager({
        stateDir: g["state-dir"],
        tmuxSocket: g["tmux-socket"],
        config: Object.keys(settings).length ? settings : undefined,
        ...host,
      });
    },
    // The hints after `start` repeat the options that chose this state directory and server.
    again: (g) =>
      [
        g["state-dir"] ? ` --state-dir ${shellWord(String(g["state-dir"]))}` : "",
        g["tmux-socket"] ? ` --tmux-socket ${shellWord(String(g["tmux-socket"]))}` : "",
      ].join(""),
    keepAlive: (again) => `resilient-agent watch${again}   (recovers crashes; or run the OpenClaw service)`,
    agentSandbox: coreSandbox,
    io: o.io ?? { out: process.stdout, err: process.stderr, stdin: process.stdin },
  };
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>} the exit status
 */
export function main(argv) {
  return runCommand(cliSurface(), argv);
}

/** A settings file is a few KB; this leaves room and stops a slip (`--config /dev/zero`). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** @param {string} file */
export async function readConfig(file) {
  const text = (await readBounded(file, MAX_CONFIG_BYTES, `--config ${file}`)).toString("utf8");
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
const HOST_KEYS = [
  "notifyCommand", "notifyTimeoutMs", "notifyEvents", "retentionMs", "passEnv", "agents",
  "worktree", "worktreeRoot", "setupCommand", "autoResume", "recoveryStaggerMs", "recoveryConcurrency",
  "defaultBudget", "budgetCeiling",
];

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
  return /** @type {{ notifyCommand?: string[], notifyTimeoutMs?: number, notifyEvents?: string[], retentionMs?: number | null, passEnv?: string[], agents?: Record<string, unknown> }} */ (host);
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
