// @ts-check
// How `doctor` runs a program it checks: execFile with an argv array (no shell), a timeout that
// kills it (a CLI that waits for a login or the network must not hang `doctor`), stdin closed
// (Codex reads stdin to EOF when it is not a terminal), and a bounded output. And where a
// program is on a PATH: the first regular executable file, as a task's start would find it.
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";

/** @typedef {{ code: number | null, signal: string | null, stdout: string, stderr: string, error: string | null, timedOut: boolean }} ProbeResult */

export const PROBE_TIMEOUT_MS = 20_000;

/**
 * @param {string} program absolute path
 * @param {string[]} args
 * @param {{ env: Record<string, string>, cwd: string, timeoutMs?: number }} o
 * @returns {Promise<ProbeResult>}
 */
export function probe(program, args, { env, cwd, timeoutMs = PROBE_TIMEOUT_MS }) {
  return new Promise((resolve) => {
    const child = execFile(
      program,
      args,
      { env, cwd, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024, encoding: "utf8", windowsHide: true },
      (err, stdout, stderr) => {
        const e = /** @type {any} */ (err);
        resolve({
          code: err ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout ?? ""),
          stderr: String(stderr ?? ""),
          error: err && typeof e.code !== "number" ? String(e.code ?? e.message) : null,
          timedOut: !!(err && e.killed && e.signal === "SIGKILL"),
        });
      },
    );
    child.stdin?.end();
  });
}

/**
 * The first executable regular file named `name` in the absolute entries of `pathValue`.
 * @param {string} name
 * @param {string | undefined} pathValue
 * @returns {Promise<string | null>}
 */
export async function findOnPath(name, pathValue) {
  for (const entry of (pathValue ?? "").split(":")) {
    if (!entry || !isAbsolute(entry)) continue;
    const candidate = join(entry, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
