// @ts-check
// What every task needs besides its agent: tmux (found, its version, the known pitfalls of that
// version and how this package lives with them) and a safe state directory (the same checks a
// start makes, ../state-dir.js, without creating anything).
import { checkComponents, checkNotTemporary } from "../state-dir.js";
import { toRcaError } from "../errors.js";
import { findOnPath, probe } from "./probe.js";

/**
 * @typedef {import("./agent-check.js").Finding} Finding
 * @typedef {{ ok: boolean, program: string | null, version: string | null, pitfalls: string[], problems: Finding[] }} TmuxReport
 * @typedef {{ ok: boolean, path: string, exists: boolean, problems: Finding[] }} StateDirReport
 */

/**
 * Known tmux pitfalls (peers-and-tmux research on tmux 3.3a), each up to the version that fixed
 * it, with what this package does about it.
 */
const TMUX_PITFALLS = [
  {
    fixedIn: [3, 6],
    text: "a pane that exits quickly may show no exit status (pane-died not fired): handled, the task's wrapper writes its own exit status",
  },
  {
    fixedIn: null,
    text: "a new pane takes PATH from the tmux client, not from -e PATH=…: handled, the agent's PATH travels in the task's agent.env",
  },
];

/**
 * @param {{ env: Record<string, string | undefined>, cwd: string, timeoutMs?: number }} o
 * @returns {Promise<TmuxReport>}
 */
export async function checkTmux(o) {
  /** @type {TmuxReport} */
  const r = { ok: false, program: null, version: null, pitfalls: [], problems: [] };
  r.program = await findOnPath("tmux", o.env.PATH);
  if (!r.program) {
    r.problems.push({ code: "tmux_unavailable", message: "tmux is not on PATH: install it (e.g. apt-get install tmux)" });
    return r;
  }
  const res = await probe(r.program, ["-V"], { env: { PATH: o.env.PATH ?? "", LANG: "C.UTF-8" }, cwd: o.cwd, timeoutMs: o.timeoutMs });
  const m = /tmux (?:next-)?(\d+)\.(\d+)([a-z]?)/.exec(res.stdout);
  if (res.code !== 0 || !m) {
    r.problems.push({ code: "tmux_failed", message: `${r.program} -V did not print a version (exit ${res.code ?? res.signal})` });
    return r;
  }
  r.version = `${m[1]}.${m[2]}${m[3]}`;
  const ver = [Number(m[1]), Number(m[2])];
  r.pitfalls = TMUX_PITFALLS.filter((p) => !p.fixedIn || ver[0] < p.fixedIn[0] || (ver[0] === p.fixedIn[0] && ver[1] < p.fixedIn[1])).map((p) => p.text);
  r.ok = true;
  return r;
}

/**
 * @param {{ fs: import("../effects.js").Effects["fs"], stateDir: string, tempDirs: Array<string | undefined>, uid: number }} o
 * @returns {Promise<StateDirReport>}
 */
export async function checkStateDir(o) {
  /** @type {StateDirReport} */
  const r = { ok: true, path: o.stateDir, exists: false, problems: [] };
  try {
    await checkNotTemporary(o.fs, o.stateDir, o.tempDirs);
    r.exists = await o.fs.lstat(o.stateDir).then(() => true, () => false);
    if (r.exists) await checkComponents(o.fs, o.stateDir, o.uid);
  } catch (err) {
    const e = toRcaError(err);
    r.problems.push({ code: e.code, message: e.message });
  }
  r.ok = r.problems.length === 0;
  return r;
}
