// @ts-check
// Names of the files in a task directory, as the core's wrapper writes them (src/wrapper.rs,
// "File protocol"). Kept in one place so a change in the wrapper is a change here only.
import { join } from "node:path";

export const TRANSCRIPT = "transcript.log";

/**
 * The files of attempt `n` in a task directory.
 * @param {string} taskDir
 * @param {number} n
 */
export function attemptPaths(taskDir, n) {
  return {
    prompt: join(taskDir, `prompt.${n}`),
    started: join(taskDir, `started.${n}`),
    pid: join(taskDir, `pid.${n}`),
    events: join(taskDir, `events.${n}.jsonl`),
    stderr: join(taskDir, `stderr.${n}.log`),
    exit: join(taskDir, `exit.${n}`),
    /** The dead pane's screen, saved by the monitor before a respawn wipes it. */
    paneFinal: `pane.${n}.log`,
    transcript: join(taskDir, TRANSCRIPT),
  };
}
