// @ts-check
// `doctor`: is everything a task needs in place? Each agent whose profile has `cli` facts
// (./agent-check.js), tmux and the state directory (./system-check.js). The agents that count
// are the ones the user names (`--agent`, repeatable), else every agent found installed; an
// agent not installed and not named is reported, not held against the verdict. `ok` (exit 0)
// only when tmux, the state directory and every agent that counts are fine; warnings (a CLI
// newer than verified) do not change it.
import { homedir } from "node:os";
import { RcaError } from "../errors.js";
import { loadAgentFacts } from "./facts.js";
import { checkAgent } from "./agent-check.js";
import { checkStateDir, checkTmux } from "./system-check.js";

/**
 * @typedef {import("./agent-check.js").AgentReport} AgentReport
 * @typedef {{
 *   ok: boolean, agents: AgentReport[], tmux: import("./system-check.js").TmuxReport,
 *   stateDir: import("./system-check.js").StateDirReport,
 * }} DoctorReport
 */

/**
 * @param {import("../task-manager.js").TaskManager} tm where tasks would run: its state
 *   directory, the agents' environment (PATH) and where their login variables come from
 * @param {{ agents?: string[], timeoutMs?: number }} [o]
 * @returns {Promise<DoctorReport>}
 */
export async function runDoctor(tm, o = {}) {
  const facts = loadAgentFacts();
  const named = o.agents ?? [];
  for (const a of named) {
    if (!facts.some((f) => f.name === a)) {
      throw new RcaError("usage", `--agent ${JSON.stringify(a)} is not one of ${facts.map((f) => f.name).join(", ")}`);
    }
  }
  const hostPath = tm.agentEnv.PATH ?? tm.hostPath ?? "";
  /** @type {Record<string, string>} */
  const env = { ...tm.agentEnv, PATH: hostPath };
  const cwd = env.HOME || homedir();
  // One agent after another: each runs a few short CLI probes, and some CLIs are heavy to start.
  /** @type {AgentReport[]} */
  const agents = [];
  for (const f of facts) {
    const report = await checkAgent(f, named.includes(f.name), { env, credentialSource: tm.credentialSource, cwd, timeoutMs: o.timeoutMs });
    if (named.length === 0 && report.program) report.configured = true;
    agents.push(report);
  }
  const tmux = await checkTmux({ env: process.env, cwd, timeoutMs: o.timeoutMs });
  const stateDir = await checkStateDir({
    fs: tm.fx.fs,
    stateDir: tm.stateDir,
    tempDirs: tm.tempDirs,
    uid: typeof process.getuid === "function" ? process.getuid() : -1,
  });
  const counted = agents.filter((a) => a.configured);
  const ok = tmux.ok && stateDir.ok && counted.length > 0 && counted.every((a) => a.ok);
  return { ok, agents, tmux, stateDir };
}

/** The report as text: one block per agent, then tmux and the state directory, then the verdict. @param {DoctorReport} r */
export function formatDoctor(r) {
  const lines = [];
  for (const a of r.agents) {
    const mark = a.ok ? "ok" : a.configured ? "FAIL" : "--";
    const where = a.program ?? "not found";
    const ver = a.version ? `${a.version} (${a.versionStatus}; verified ${a.verified.min === a.verified.max ? a.verified.max : `${a.verified.min}–${a.verified.max}`})` : "";
    lines.push(`[${mark}] ${a.agent}: ${where}${ver ? `  ${ver}` : ""}${a.configured ? "" : "  (not used: not installed and not named)"}`);
    if (a.program && a.version) {
      lines.push(`      flags: ${a.flagsMissing.length ? `missing ${a.flagsMissing.join(", ")}` : "all present"}; login: ${a.login.replaceAll("_", " ")}`);
    }
    lines.push(`      policy: ${a.policy.sandboxed}; ${a.policy.full}`);
    for (const p of a.problems) lines.push(`      problem [${p.code}]: ${p.message}`);
    for (const w of a.warnings) lines.push(`      warning [${w.code}]: ${w.message}`);
  }
  lines.push(`[${r.tmux.ok ? "ok" : "FAIL"}] tmux: ${r.tmux.program ?? "not found"}${r.tmux.version ? `  ${r.tmux.version}` : ""}`);
  for (const p of r.tmux.pitfalls) lines.push(`      known pitfall: ${p}`);
  for (const p of r.tmux.problems) lines.push(`      problem [${p.code}]: ${p.message}`);
  lines.push(`[${r.stateDir.ok ? "ok" : "FAIL"}] state directory: ${r.stateDir.path}${r.stateDir.exists ? "" : " (not created yet)"}`);
  for (const p of r.stateDir.problems) lines.push(`      problem [${p.code}]: ${p.message}`);
  if (!r.agents.some((a) => a.configured)) lines.push("no agent CLI is installed: install one (see the README's agent table)");
  lines.push(r.ok ? "doctor: everything the configured agents need is in place" : "doctor: problems found (above)");
  return lines.join("\n");
}
