// @ts-check
// What the dashboard shows, built only from the TaskManager (the same `list`/`status`/`logs`
// the CLI prints) plus the wrapper's per-attempt files for the timeline. Every string that
// leaves here has passed the core's redaction (which also strips terminal control sequences),
// the same path `logs` and `status` use: the page never sees raw text.
import { lstat } from "node:fs/promises";
import core from "../core.js";
import { attemptPaths } from "../task-files.js";
import { listFleet } from "../remote/commands.js";

/** @typedef {import("../task-manager.js").TaskManager} Manager */
/** @typedef {import("../task-manager.js").TaskView} TaskView */

/** Lines of transcript the task page shows. */
export const TAIL_LINES = 200;
/** Configured remote hosts are asked (one ssh call each) at most this often; this machine's tasks at every look. */
export const REMOTE_EVERY_MS = 5_000;
/** Attempts drawn at most (a crash loop must not make the page huge): the newest ones. */
const MAX_BARS = 50;

/** A finite number, else null. @param {unknown} v */
const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** @param {unknown} v */
const safe = (v) => (typeof v === "string" ? core.redact(v) : null);

/**
 * The fields of a task the page shows, every string redacted. `host` is "local" (tasks on
 * this machine) unless the view names another; `branch` and `usage` when the view has them.
 * @param {TaskView & Record<string, any>} v
 */
export function rowOf(v) {
  return {
    session: String(safe(v.session)),
    agent: safe(v.agent),
    name: safe(v.name),
    host: safe(v.host) ?? "local",
    state: String(safe(v.state)),
    model: safe(v.model),
    attempts: Number(v.attempts) || 0,
    createdAt: safe(v.createdAt),
    updatedAt: safe(v.updatedAt),
    finishedAt: safe(v.finishedAt ?? null),
    nextRecoveryAt: safe(v.nextRecoveryAt),
    recoveryReason: safe(v.recoveryReason ?? null),
    failure: v.failure ? { class: safe(v.failure.class), evidence: safe(v.failure.evidence) } : null,
    gaveUp: !!v.gaveUp,
    branch: safe(v.branch ?? v.worktree?.branch ?? null),
    usage: v.usage && typeof v.usage === "object" ? JSON.parse(core.redact(JSON.stringify(v.usage))) : null,
    budget: v.budget && typeof v.budget === "object" ? { maxCostUsd: num(v.budget.maxCostUsd), maxTokens: num(v.budget.maxTokens) } : null,
    managed: v.managed !== false,
    // The task page and its actions act on this machine's tasks (remote ones: `--host` on the CLI).
    local: (v.host ?? "local") === "local",
  };
}

/**
 * The fleet: every task on this machine and on every configured host (`list`'s listFleet), and
 * a count per state. A host that cannot be asked is one row `{ host, reachable: false, error }`.
 * The remote part is asked at most every REMOTE_EVERY_MS (kept in `cache` between looks).
 * @param {Manager} tm
 * @param {{ at: number, rows: any[] }} [cache]
 */
export async function fleet(tm, cache) {
  /** @type {any[]} */
  let views;
  if (!cache || Date.now() - cache.at >= REMOTE_EVERY_MS) {
    views = await listFleet(tm, {});
    if (cache) {
      cache.at = Date.now();
      cache.rows = views.filter((v) => v.host !== undefined && v.host !== "local");
    }
  } else {
    const local = await tm.list();
    views = cache.rows.length ? [...local.map((v) => ({ ...v, host: "local" })), ...cache.rows] : local;
  }
  const rows = views.map((v) => (v.reachable === false ? hostRow(v) : rowOf(v)));
  /** @type {Record<string, number>} */
  const counts = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return { tasks: rows, counts };
}

/** A host that could not be asked: its name and why, redacted. @param {any} v */
function hostRow(v) {
  return {
    host: String(safe(v.host)),
    state: "unreachable",
    reachable: false,
    error: { code: safe(v.error?.code), message: safe(v.error?.message) },
  };
}

/**
 * One task: its row, its attempts as a timeline, and the redacted tail of its transcript.
 * @param {Manager} tm
 * @param {string} session
 */
export async function taskPage(tm, session) {
  const view = await tm.status(session, { lines: TAIL_LINES });
  return {
    task: rowOf(view),
    attempts: await timeline(tm, view),
    // Already redacted by `status` (on a larger tail, so a secret cut by the first line shown
    // is still seen); once more here so nothing reaches the page that did not pass it here too.
    tail: core.redact(view.recentOutput),
  };
}

/**
 * One bar per attempt: when it started (the wrapper's `started.<n>`), when it ended and how
 * (`exit.<n>`: its status and time), how long the task then waited for the next attempt.
 * The last attempt of a task that failed or is recovering carries the record's failure class
 * and evidence; earlier ones only their exit status (the record keeps the latest failure).
 * @param {Manager} tm
 * @param {TaskView} view
 */
export async function timeline(tm, view) {
  const n = Math.max(0, Math.min(Number(view.attempts) || 0, 100_000));
  const bars = [];
  for (let i = Math.max(1, n - MAX_BARS + 1); i <= n; i++) {
    const files = attemptPaths(view.taskDir, i);
    const startedText = (await tm.store.readHead(files.started, 64).catch(() => "")).trim();
    const exitText = (await tm.store.readHead(files.exit, 64).catch(() => "")).trim();
    const exitAt = exitText ? await mtime(files.exit) : null;
    const startedAt = /^\d{1,16}$/.test(startedText) ? Number(startedText) : null;
    const exitStatus = /^\d{1,3}$/.test(exitText) ? Number(exitText) : null;
    const last = i === n;
    /** @type {string} */
    let outcome;
    if (exitStatus === null) outcome = last && ["completed", "failed", "stopped"].includes(view.state) ? view.state : last ? "running" : "died";
    else if (exitStatus === 0 && last && view.state === "completed") outcome = "completed";
    else if (last && view.state === "stopped") outcome = "stopped";
    else outcome = "died";
    const bar = {
      attempt: i,
      startedAt: startedAt === null ? null : new Date(startedAt).toISOString(),
      endedAt: exitAt === null ? null : new Date(exitAt).toISOString(),
      exitStatus,
      outcome,
      class: /** @type {string | null} */ (null),
      evidence: /** @type {string | null} */ (null),
      // What this attempt used, when its agent reported any (the record keeps it per attempt).
      usage: /** @type {any} */ (view).usageByAttempt?.find((/** @type {any} */ a) => a.attempt === i)?.usage ?? null,
    };
    if (outcome === "died" && exitStatus !== null) bar.evidence = exitWords(exitStatus);
    if (last && view.failure && (outcome === "died" || view.state === "failed")) {
      bar.class = safe(view.failure.class);
      bar.evidence = safe(view.failure.evidence);
    }
    bars.push(bar);
  }
  return bars;
}

/** "exit status 1", "killed by signal 9". @param {number} status */
function exitWords(status) {
  return status > 128 ? `killed by signal ${status - 128}` : `exit status ${status}`;
}

/** A file's modification time in ms, never through a symlink; null when absent. @param {string} path */
async function mtime(path) {
  const st = await lstat(path).catch(() => null);
  return st && st.isFile() ? st.mtimeMs : null;
}
