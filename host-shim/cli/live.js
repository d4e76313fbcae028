// @ts-check
// The live view of `resilient-agent watch` (and of the demo): one compact row per task — task,
// agent, state, elapsed time, attempts, time until the next recovery, the latest line of
// activity (redacted). On a terminal the table is redrawn in place (ANSI cursor moves) with the
// event lines scrolling above it; otherwise a plain line is printed whenever a task's row
// changes (state, attempts, next recovery or activity), so a log file stays readable.
import { join } from "node:path";
import core from "../core.js";
import { TRANSCRIPT } from "../task-files.js";
import { clock, table, usageCell } from "./format.js";

/** @typedef {import("../task-manager.js").TaskView} TaskView */
/** @typedef {import("../task-manager.js").TaskManager} TaskManager */

const ACTIVITY_BYTES = 8 * 1024;
const HEADERS = ["TASK", "AGENT", "STATE", "ELAPSED", "TRIES", "NEXT TRY", "USAGE", "ACTIVITY"];

/** Compact duration: 42s, 3m05s, 1h02m, 2d03h. @param {number} ms */
export function shortDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${p(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${p(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${p(Math.floor((s % 86_400) / 3600))}h`;
}

/**
 * One line of agent output made readable: a JSON event becomes `type: text`.
 * @param {string} line
 */
export function summarize(line) {
  const t = line.trim();
  if (t.startsWith("{")) {
    try {
      const o = JSON.parse(t);
      /** @type {unknown[]} */
      const candidates = [
        o.item?.text, o.item?.command, o.item?.message, o.message?.content?.[0]?.text, typeof o.message === "string" ? o.message : undefined,
        o.error?.message, o.result, o.part?.text, o.part?.tool, o.errorMessage, o.message?.errorMessage,
      ];
      const text = candidates.find((c) => typeof c === "string" && c.trim() !== "");
      const kind = [o.type, o.item?.type ?? o.subtype].filter((x) => typeof x === "string").join(" ");
      return (text ? `${kind ? kind + ": " : ""}${text}` : kind || t).replace(/\s+/g, " ");
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  return t.replace(/\s+/g, " ");
}

/**
 * The latest non-empty line of a task's transcript, readable and redacted.
 * @param {TaskManager} tm
 * @param {string} taskDir
 */
export async function latestActivity(tm, taskDir) {
  if (!taskDir) return "";
  const raw = await tm.store.readTail(join(taskDir, TRANSCRIPT), ACTIVITY_BYTES).catch(() => "");
  // The whole tail is redacted (control sequences go with it), not only its last line: a
  // private key's body line is only recognised with the lines around it. A lone \r (a
  // progress bar redrawing its line) ends a line here.
  const tail = core.redact(raw.replace(/\r(?!\n)/g, "\n"));
  const lines = tail.split("\n").map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? "";
  return core.redact(summarize(last));
}

/**
 * @typedef {{ session: string, agent: string, state: string, elapsed: string, attempts: string, next: string, usage: string, activity: string, key: string }} LiveRow
 */

/**
 * A row per task (now: the clock for elapsed / next-try).
 * @param {TaskView} v
 * @param {string} activity
 * @param {number} now
 * @returns {LiveRow}
 */
export function liveRow(v, activity, now) {
  const created = Date.parse(v.createdAt);
  const end = v.finishedAt ? Date.parse(v.finishedAt) : now;
  const elapsed = Number.isFinite(created) ? shortDuration(end - created) : "-";
  const nextAt = v.nextRecoveryAt ? Date.parse(v.nextRecoveryAt) : NaN;
  const next = Number.isFinite(nextAt) ? (nextAt <= now ? "now" : `in ${shortDuration(nextAt - now + 999)}`) : "-";
  const state = v.state + (v.gaveUp ? " (gave up)" : "");
  const attempts = v.managed === false ? "-" : String(v.attempts);
  const act = v.managed === false ? "(not started by resilient-agent)" : activity;
  return {
    session: v.session, agent: v.agent, state, elapsed, attempts, next, usage: usageCell(v.usage), activity: act,
    // Usage is not in the key: a plain log gets a line per change of state, not per turn.
    key: [state, attempts, v.nextRecoveryAt ?? "", act].join("\u0000"),
  };
}

/**
 * The table, every line cut to `width` columns (so a redraw never wraps).
 * @param {LiveRow[]} rows
 * @param {number} width
 */
export function liveTable(rows, width) {
  if (rows.length === 0) return "no tasks yet";
  const text = table(HEADERS, rows.map((r) => [r.session, r.agent, r.state, r.elapsed, r.attempts, r.next, r.usage, r.activity]));
  return text.split("\n").map((l) => cut(l, width)).join("\n");
}

/** @param {string} s @param {number} width */
function cut(s, width) {
  const chars = [...s];
  return chars.length > width ? chars.slice(0, Math.max(1, width - 1)).join("") + "…" : s;
}

/** Draws the table in place on a terminal, or prints changed rows as plain lines. */
export class LiveView {
  /**
   * @param {{ out: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }, tty?: boolean, now?: () => number }} o
   */
  constructor(o) {
    this.out = o.out;
    this.tty = o.tty ?? !!o.out.isTTY;
    this.now = o.now ?? Date.now;
    /** Lines of the block currently on screen (TTY). */
    this.drawn = 0;
    this.block = "";
    /** @type {Map<string, string>} last printed key per session (plain mode) */
    this.printed = new Map();
  }

  get width() {
    return Math.max(40, (this.out.columns ?? 120) - 1);
  }

  /**
   * Shows the current rows.
   * @param {LiveRow[]} rows
   */
  render(rows) {
    if (this.tty) {
      const stamp = `${clock(this.now()).slice(0, 8)}  ${rows.length} task${rows.length === 1 ? "" : "s"}  (Ctrl-C to stop)`;
      this.block = `${stamp}\n${liveTable(rows, this.width)}\n`;
      this.#erase();
      this.#draw();
      return;
    }
    for (const r of rows) {
      if (this.printed.get(r.session) === r.key) continue;
      this.printed.set(r.session, r.key);
      const line = `${clock(this.now())}  ${r.session}  agent=${r.agent}  state=${r.state}  elapsed=${r.elapsed}  ` +
        `attempts=${r.attempts}  next=${r.next}  usage=${r.usage}${r.activity ? `  | ${r.activity}` : ""}`;
      this.out.write(cut(line, 400) + "\n");
    }
  }

  /**
   * A line that scrolls (an event): above the table on a terminal.
   * @param {string} line
   */
  log(line) {
    if (!this.tty) {
      this.out.write(line + "\n");
      return;
    }
    this.#erase();
    this.out.write(line + "\n");
    this.#draw();
  }

  /** Leaves the last table on screen and the cursor below it. */
  close() {
    this.drawn = 0;
  }

  #erase() {
    // Cursor up to the block's first line, then clear to the end of the screen.
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  #draw() {
    if (!this.block) return;
    this.out.write(this.block);
    this.drawn = this.block.split("\n").length - 1;
  }
}

/**
 * Rows for every task of a TaskManager (and, with `all`, the unmanaged sessions).
 * @param {TaskManager} tm
 * @param {{ all?: boolean, only?: Set<string> }} [o]
 * @returns {Promise<LiveRow[]>}
 */
export async function collectRows(tm, o = {}) {
  const views = await tm.list({ all: !!o.all });
  const now = Date.now();
  /** @type {LiveRow[]} */
  const rows = [];
  for (const v of views) {
    if (o.only && !o.only.has(v.session)) continue;
    rows.push(liveRow(v, await latestActivity(tm, v.taskDir), now));
  }
  return rows;
}

/**
 * Keeps a LiveView fresh: redraws every `everyMs` (TTY) / checks for changes (plain) until
 * stopped.
 * @param {TaskManager} tm
 * @param {LiveView} view
 * @param {{ everyMs?: number, all?: boolean, only?: Set<string> }} [o]
 */
export function startLive(tm, view, o = {}) {
  let stopped = false;
  let busy = false;
  const tick = async () => {
    if (stopped || busy) return;
    busy = true;
    try {
      const rows = await collectRows(tm, o);
      if (!stopped) view.render(rows);
    } catch {
      // A task removed while being read: the next refresh shows the new truth.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, o.everyMs ?? 1000);
  void tick();
  return {
    refresh: tick,
    async stop() {
      clearInterval(timer);
      // One last look, so the final states are on screen.
      while (busy) await new Promise((r) => setTimeout(r, 10));
      const rows = await collectRows(tm, o).catch(() => null);
      if (rows) view.render(rows);
      stopped = true;
      view.close();
    },
  };
}
