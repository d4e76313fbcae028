// @ts-check
// The tmux session a remote host's monitor runs in (`resilient-agent watch`, started by
// `hosts install` / `hosts check`). Its name is only a label for people: a session of that name
// may be someone else's (the user's own `rca-monitor`, another tool's). So the session is known
// by what tmux returned when it was made — its id (`$N`) and creation time — kept in a private
// file of the state directory, and only a session that still has both is ever killed. When the
// name is taken by a session that is not ours, ours gets a name of its own beside it.
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { readPrivate } from "../task-files.js";
import { RcaError } from "../errors.js";

/** The tmux session the remote monitor runs in when it is not a systemd --user service. */
export const MONITOR_SESSION = "rca-monitor";
/** The state directory's record of that session: { id, created } as tmux gave them. */
export const MONITOR_SESSION_FILE = "monitor-session.json";

const FORMAT = "#{session_id}|#{session_created}|#{session_name}";

/** @typedef {{ id: string, created: string }} SessionMark */

/**
 * The recorded session (null when none, or when the file is not a well-formed private file).
 * @param {import("../task-manager.js").TaskManager} tm
 * @returns {Promise<SessionMark | null>}
 */
export async function recordedMonitorSession(tm) {
  const text = await readPrivate(tm.fx.fs, join(tm.stateDir, MONITOR_SESSION_FILE), 4096).catch(() => null);
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return typeof v?.id === "string" && /^\$\d+$/.test(v.id) && typeof v?.created === "string" && /^\d+$/.test(v.created) ? { id: v.id, created: v.created } : null;
  } catch {
    return null;
  }
}

/**
 * Replaces the monitor's tmux session (a dead monitor's session may stay: remain-on-exit, a
 * shell left behind): kills the recorded one only if tmux still has a session with its id AND
 * creation time (ids restart with a new tmux server), then starts `argv` in a new session and
 * records it. Returns the new session's mark and name.
 * @param {import("../task-manager.js").TaskManager} tm
 * @param {string[]} argv the monitor's command
 */
export async function replaceMonitorSession(tm, argv) {
  const socket = ["-u", ...(tm.socket ? ["-L", tm.socket] : [])]; // -u: see the core's Tmux::new (C locale)
  const old = await recordedMonitorSession(tm);
  if (old) {
    const seen = await tm.tmux.run({ argv: ["tmux", ...socket, "display-message", "-p", "-t", old.id, FORMAT] });
    const [id, created] = seen.code === 0 ? seen.stdout.trim().split("|") : [];
    if (id === old.id && created === old.created) await tm.tmux.run({ argv: ["tmux", ...socket, "kill-session", "-t", old.id] });
  }
  const create = (/** @type {string} */ name) => tm.tmux.run({ argv: ["tmux", ...socket, "new-session", "-d", "-P", "-F", FORMAT, "-s", name, ...argv] });
  let res = await create(MONITOR_SESSION);
  // The name is someone else's session: ours beside it, never in its place.
  if (res.code !== 0 && /duplicate session/.test(res.stderr)) res = await create(`${MONITOR_SESSION}-${randomBytes(3).toString("hex")}`);
  if (res.code !== 0) throw new RcaError("tmux_failed", `tmux new-session for the monitor failed: ${res.stderr.trim() || `exit ${res.code}`}`);
  const [id, created, name] = res.stdout.trim().split("|");
  if (/^\$\d+$/.test(id ?? "") && /^\d+$/.test(created ?? "")) {
    await tm.store.init({ tempDirs: tm.tempDirs });
    await tm.store.replaceAtomically(tm.stateDir, MONITOR_SESSION_FILE, JSON.stringify({ id, created }) + "\n");
  }
  return { id: id ?? null, name: name ?? null };
}
