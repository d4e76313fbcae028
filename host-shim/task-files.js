// @ts-check
// Paths of the files in a task directory. The names come from the core (attemptFiles), which
// owns the wrapper that writes them; only the host's own files are named here.
import { join } from "node:path";
import core from "./core.js";

/** The pane transcript, all attempts (written by the wrapper). */
export const TRANSCRIPT = core.attemptFiles(1).transcript;
/** The agent's environment at start, reused for every recovery (whichever process recovers). */
export const AGENT_ENV = "env.json";
/** What else the starting host knew and a recovery by another process must reuse: `{ demoAgent }`. */
export const HOST_FILE = "host.json";

/**
 * The files of attempt `n` in a task directory (absolute paths), plus the name of the file
 * where the monitor keeps a dead pane's screen before a respawn wipes it.
 * @param {string} taskDir
 * @param {number} n
 */
export function attemptPaths(taskDir, n) {
  const f = core.attemptFiles(n);
  return {
    prompt: join(taskDir, f.prompt),
    started: join(taskDir, f.started),
    pid: join(taskDir, f.pid),
    events: join(taskDir, f.events),
    stderr: join(taskDir, f.stderr),
    exit: join(taskDir, f.exit),
    transcript: join(taskDir, f.transcript),
    paneFinal: `pane.${n}.log`,
  };
}
