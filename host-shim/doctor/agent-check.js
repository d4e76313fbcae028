// @ts-check
// One agent CLI checked against its facts (./facts.js): found where on the agent's PATH, its
// version inside the verified range or not, the flags our argv relies on present in its
// `--help`, logged in (an API key variable the task will get, else the CLI's own
// non-interactive check, else "not checked"), and the autonomy policy that applies to it.
// Every verdict is data-driven; the CLI's own words reach the report only redacted.
import core from "../core.js";
import { compareVersions, versionIn } from "./facts.js";
import { findOnPath, probe } from "./probe.js";

/**
 * @typedef {import("./facts.js").AgentFacts} AgentFacts
 * @typedef {{ code: string, message: string }} Finding
 * @typedef {{
 *   agent: string, package: string, configured: boolean, ok: boolean,
 *   program: string | null, version: string | null,
 *   verified: { min: string, max: string }, versionStatus: "verified" | "older" | "newer" | "unknown" | "not_found",
 *   flagsMissing: string[], login: "logged_in" | "api_key_env" | "not_logged_in" | "not_checked",
 *   policy: { sandbox: string, sandboxed: string, full: string },
 *   problems: Finding[], warnings: Finding[],
 * }} AgentReport
 * @typedef {{ env: Record<string, string>, credentialSource: Record<string, string | undefined> | null, cwd: string, timeoutMs?: number }} AgentCheckEnv
 */

/** What `--autonomy sandboxed` means for each kind of sandbox an agent has (core profile data). */
const SANDBOXED = {
  os: "sandboxed: the CLI's own OS sandbox (writes limited to the project)",
  permissions: "sandboxed: the CLI's own permission rules decide what runs unattended (no OS sandbox)",
  none: "no sandbox: every task runs with your rights (OpenClaw tool calls only if policy.allowUnsandboxed names it)",
  simulated: "simulated agent: nothing runs",
};
const FULL = "full: no sandbox and no approvals (OpenClaw tool calls only if policy.maxAutonomy is \"full\")";

/**
 * @param {AgentFacts} facts
 * @param {boolean} configured the user named this agent (or it is installed): its problems count
 * @param {AgentCheckEnv} o
 * @returns {Promise<AgentReport>}
 */
export async function checkAgent(facts, configured, o) {
  /** @type {AgentReport} */
  const r = {
    agent: facts.name,
    package: facts.package,
    configured,
    ok: true,
    program: null,
    version: null,
    verified: { min: facts.minVersion, max: facts.verifiedVersion },
    versionStatus: "not_found",
    flagsMissing: [],
    login: "not_checked",
    policy: policy(facts.name),
    problems: [],
    warnings: [],
  };
  const run = (/** @type {string} */ program, /** @type {string[]} */ args) =>
    probe(program, args, { env: o.env, cwd: o.cwd, timeoutMs: o.timeoutMs });
  if (r.policy.sandbox === "unknown") {
    const why = { code: "agent_not_built_in", message: `this version of the package cannot start ${facts.name} tasks yet (its CLI is checked all the same)` };
    (configured ? r.problems : r.warnings).push(why);
  }
  r.program = await findOnPath(facts.program, o.env.PATH);
  if (!r.program) {
    r.problems.push({ code: "agent_missing", message: `${facts.program} is not on the agent's PATH; install ${facts.package}@${facts.verifiedVersion}` });
    return done(r);
  }
  const v = await run(r.program, facts.versionArgs);
  r.version = v.code === 0 ? versionIn(v.stdout + "\n" + v.stderr) : null;
  if (!r.version) {
    r.versionStatus = "unknown";
    const node = facts.needsNode ? ` (it needs Node.js ${facts.needsNode} or later on the agent's PATH)` : "";
    r.problems.push({ code: "agent_broken", message: `${r.program} ${facts.versionArgs.join(" ")} ${outcome(v)}${node}` });
    return done(r);
  }
  if (compareVersions(r.version, facts.minVersion) < 0) {
    r.versionStatus = "older";
    r.problems.push({ code: "agent_too_old", message: `${facts.program} ${r.version} is older than the oldest verified ${facts.minVersion}; install ${facts.package}@${facts.verifiedVersion}` });
  } else if (compareVersions(r.version, facts.verifiedVersion) > 0) {
    r.versionStatus = "newer";
    r.warnings.push({ code: "agent_newer", message: `${facts.program} ${r.version} is newer than the verified ${facts.verifiedVersion}: the flags below are checked, but its output has not been verified` });
  } else {
    r.versionStatus = "verified";
  }
  for (const h of facts.help) {
    const out = await run(r.program, h.args);
    const text = out.stdout + "\n" + out.stderr;
    const missing = h.flags.filter((f) => !hasFlag(text, f));
    r.flagsMissing.push(...missing);
    if (missing.length) {
      r.problems.push({ code: "agent_flag_missing", message: `\`${facts.program} ${h.args.join(" ")}\` does not list ${missing.join(", ")}, which a task's command line uses` });
    }
  }
  await checkLogin(r, facts, o, run);
  return done(r);
}

/**
 * @param {AgentReport} r
 * @param {AgentFacts} facts
 * @param {AgentCheckEnv} o
 * @param {(program: string, args: string[]) => Promise<import("./probe.js").ProbeResult>} run
 */
async function checkLogin(r, facts, o, run) {
  // A key variable a task will get (profile data; only names are looked at, never values).
  const source = o.credentialSource ?? o.env;
  const keyVar = credentialEnv(facts.name).find((n) => (source[n] ?? "") !== "");
  if (keyVar) {
    r.login = "api_key_env";
    return;
  }
  if (!facts.loginCheck || !r.program) return;
  const res = await run(r.program, facts.loginCheck);
  if (res.code === 0) {
    r.login = "logged_in";
  } else {
    r.login = "not_logged_in";
    r.problems.push({ code: "agent_not_logged_in", message: `\`${facts.program} ${facts.loginCheck.join(" ")}\` ${outcome(res)}; log in with ${facts.program}, or pass its API key variable` });
  }
}

/** @param {AgentReport} r */
function done(r) {
  r.ok = r.problems.length === 0;
  return r;
}

/** A flag as a whole word of a help text ("--model", "-m, --model <M>", "--flag=…"). @param {string} text @param {string} flag */
export function hasFlag(text, flag) {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[\\s,\\[(])${escaped}(?=$|[\\s,=\\])<])`, "m").test(text);
}

/** How a probe ended, in a few redacted words (its first output line). @param {import("./probe.js").ProbeResult} res */
function outcome(res) {
  if (res.timedOut) return "did not answer in time (killed)";
  if (res.error) return `could not run (${res.error})`;
  const first = (res.stderr.trim() || res.stdout.trim()).replace(/\s+/g, " ").slice(0, 200);
  const how = res.signal ? `was killed by ${res.signal}` : `exited ${res.code}`;
  return first ? `${how}: ${redact(first)}` : how;
}

/** @param {string} text */
function redact(text) {
  try {
    return String(/** @type {any} */ (core).redact(text));
  } catch {
    return "(output withheld)";
  }
}

/** The core's login variables of an agent; none for an agent the core does not know yet. @param {string} agent */
function credentialEnv(agent) {
  try {
    return /** @type {string[]} */ (/** @type {any} */ (core).agentCredentialEnv(agent));
  } catch {
    return [];
  }
}

/** @param {string} agent */
function policy(agent) {
  let sandbox = "unknown";
  try {
    sandbox = String(/** @type {any} */ (core).agentSandbox(agent));
  } catch {
    // not a built-in agent of the core yet
  }
  return {
    sandbox,
    sandboxed: Object.hasOwn(SANDBOXED, sandbox) ? SANDBOXED[/** @type {keyof typeof SANDBOXED} */ (sandbox)] : "not a built-in agent yet: tasks cannot start it",
    full: FULL,
  };
}
