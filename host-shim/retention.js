// @ts-check
// Retention (DESIGN §3.11): finished tasks (completed, failed, stopped) are kept so their
// transcript can be read, then removed — tmux session and task directory — once they have been
// finished for longer than the retention time (default 7 days). The monitor does it as it runs;
// `prune` does it on demand. An unfinished task is never removed: the check is made under the
// task's record lock, and the index entry is dropped before the directory goes.
import { join } from "node:path";
import core from "./core.js";
import { RcaError, viaCore } from "./errors.js";
import { RECORD_FILE } from "./store.js";

/** @typedef {import("./store.js").Store} Store */
/** @typedef {import("./tmux.js").Tmux} Tmux */

export const DEFAULT_RETENTION_MS = 7 * 86_400_000;
/**
 * The agents whose tmux sessions (`<agent>-<name>`, the original skill's convention) `list --all`
 * shows when this package did not start them: every registered agent that runs a program of its
 * own (profile data; not the simulated demo agent).
 * @returns {string[]}
 */
export function unmanagedAgents() {
  return core.agentNames().filter((a) => core.agentProgram(a));
}
const FINAL = new Set(["completed", "failed", "stopped"]);
const MAX_MS = 100 * 365 * 86_400_000;

const UNITS = /** @type {Record<string, number>} */ ({
  ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000,
});

/**
 * A duration for people: `45s`, `30m`, `12h`, `7d`, `2w`, `500ms`, sums such as `1h30m`, or `0`.
 * @param {string} text
 * @returns {number} ms
 */
export function parseDuration(text) {
  const s = String(text).trim().toLowerCase();
  if (s === "0") return 0;
  const part = /(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d|w)/gy;
  let total = 0;
  let at = 0;
  let m;
  while ((m = part.exec(s))) {
    total += Number(m[1]) * UNITS[m[2]];
    at = part.lastIndex;
  }
  if (at === 0 || at !== s.length || !Number.isFinite(total) || total > MAX_MS) {
    throw new RcaError("usage", `not a duration: ${JSON.stringify(text)} (use e.g. 45s, 30m, 12h, 7d, 2w, 1h30m or 0)`);
  }
  return Math.round(total);
}

/**
 * A retention setting: ms ≥ 0, or null (keep forever).
 * @param {unknown} v
 * @returns {number | null}
 */
export function checkRetention(v) {
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_MS) {
    throw new RcaError("invalid_config", `retentionMs must be a number of ms ≥ 0 (or null to keep finished tasks forever), got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * @typedef {{ session: string, taskDir: string, state: string, finishedAt: string }} Pruned
 * @typedef {import("./worktree.js").WorktreeInfo} WorktreeInfo
 * @typedef {{
 *   of: (taskDir: string) => Promise<WorktreeInfo | null>,
 *   dirty: (info: WorktreeInfo) => Promise<boolean>,
 *   remove: (info: WorktreeInfo) => Promise<void>,
 *   kept: (task: { session: string, taskDir: string, worktree: WorktreeInfo }) => void,
 * }} Worktrees how prune deals with a task's git worktree (task-manager.js; none: left alone)
 */

/**
 * Removes every finished task that finished more than `olderThanMs` ago: its tmux session, its
 * index entry and its directory. Also task directories no longer indexed (a finished task whose
 * name was reused) past the same age. A task's worktree goes with it (its branch stays, as with
 * `stop --cleanup`), unless it holds uncommitted changes: then the task is kept and reported
 * (`worktrees.kept`), never its work thrown away.
 * @param {object} o
 * @param {Store} o.store
 * @param {Tmux} o.tmux
 * @param {number} o.now
 * @param {number} o.olderThanMs
 * @param {{ clock: string, ms: number } | null} [o.mono] a monotonic reading taken with `now`
 * @param {Worktrees | null} [o.worktrees]
 * @returns {Promise<Pruned[]>}
 */
export async function pruneFinished({ store, tmux, now, olderThanMs, mono = null, worktrees = null }) {
  /** @type {Pruned[]} */
  const removed = [];
  let incomplete = false;
  const indexed = await store.sessions({ onProblem: () => (incomplete = true) });
  const indexedDirs = new Set(indexed.map((t) => t.taskDir));
  /** @param {any} record */
  const expired = (record) => {
    if (!FINAL.has(record.state)) return false;
    const finished = record.finishedAt ?? record.updatedAt;
    if (typeof finished !== "number") return false;
    // Elapsed time, not wall-clock difference: in the boot that wrote the record's clock anchor
    // (wall and monotonic read together, at its last write), measured on the monotonic clock,
    // so a step of the wall clock never ages a task into removal. Across a reboot: the wall.
    const a = record.clockAnchor;
    const elapsed = mono && a && a.clock === mono.clock && mono.ms >= a.mono ? mono.ms - a.mono + (a.wall - finished) : now - finished;
    return elapsed >= olderThanMs;
  };
  /** The task's worktree, unless it has uncommitted work (then null: the task is kept). @param {string} taskDir @param {string} session */
  const worktreeOf = async (taskDir, session) => {
    const wt = worktrees ? await worktrees.of(taskDir) : null;
    if (!wt || !(await /** @type {Worktrees} */ (worktrees).dirty(wt))) return { keep: false, wt };
    /** @type {Worktrees} */ (worktrees).kept({ session, taskDir, worktree: wt });
    return { keep: true, wt: null };
  };
  for (const { session, taskDir } of indexed) {
    // A task someone else is working on right now is left for the next round (never waited for).
    const record = await store
      .withRecordLock(
        taskDir,
        async () => {
          const read = await store.readRecord(taskDir, (t) => core.parseRecord(t)).catch(() => null);
          if (!read || !expired(read.record)) return null;
          const w = await worktreeOf(taskDir, session);
          if (w.keep) return null;
          // Under the lock: no resume can start in the worktree while it goes.
          if (w.wt) await /** @type {Worktrees} */ (worktrees).remove(w.wt);
          // Unindexed first: from here no command finds it, so nothing can restart it.
          await store.forgetSession(session);
          return read.record;
        },
        { waitMs: 0 },
      )
      .catch((err) => {
        if (err?.code === "task_busy") return null;
        throw err;
      });
    if (!record) continue;
    const res = await tmux.run(viaCore(() => core.planStop(tmux.socket, session)));
    if (res.code !== 0 && !res.noServer && !/can't find session|session not found/.test(res.stderr)) {
      throw new RcaError("tmux_failed", `tmux kill-session ${session} failed: ${res.stderr.trim()}`);
    }
    await store.removeTaskDir(taskDir);
    removed.push(pruned(record, taskDir));
  }
  // Directories of replaced tasks: not indexed, so no session of theirs exists to kill. Only
  // when the whole index could be read: an entry unreadable this once is not "not indexed".
  if (incomplete) return removed;
  const names = await store.fx.fs.readdir(store.tasksDir).catch(() => /** @type {string[]} */ ([]));
  for (const name of names) {
    const taskDir = join(store.tasksDir, name);
    if (indexedDirs.has(taskDir) || name.startsWith(".")) continue;
    const exists = await store.fx.fs.lstat(join(taskDir, RECORD_FILE)).catch(() => null);
    if (!exists) continue;
    const read = await store.readRecord(taskDir, (t) => core.parseRecord(t)).catch(() => null);
    if (!read || !expired(read.record)) continue;
    // Re-check it did not become indexed meanwhile (a start re-using the directory never
    // happens: starts make a fresh one; but be exact).
    if ((await store.lookup(read.record.session)) === taskDir) continue;
    const w = await worktreeOf(taskDir, read.record.session);
    if (w.keep) continue;
    if (w.wt) await /** @type {Worktrees} */ (worktrees).remove(w.wt);
    await store.removeTaskDir(taskDir);
    removed.push(pruned(read.record, taskDir));
  }
  return removed;
}

/** @param {any} record @param {string} taskDir @returns {Pruned} */
function pruned(record, taskDir) {
  return {
    session: record.session,
    taskDir,
    state: record.state,
    finishedAt: new Date(record.finishedAt ?? record.updatedAt).toISOString(),
  };
}
