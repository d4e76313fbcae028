// @ts-check
// The facts `doctor` checks each agent CLI against, read from the agents' own profiles (the
// `cli` object of agents/<name>.json, or of an operator's profile: the one place a verified
// version lives; the installer of the test CLIs reads the same files): the program, how to ask
// its version, the range the conformance suite passed with, the flags our argv relies on and the
// `--help` that lists them, and a non-interactive login check. Knowledge is data: no code here
// or in the checks branches on an agent's name. Each entry is checked on load, so a broken one
// is a clear error, not a wrong verdict.
import core from "../core.js";
import { RcaError } from "../errors.js";

/**
 * @typedef {{ args: string[], flags: string[] }} HelpCheck
 * @typedef {{
 *   name: string, package: string, program: string, verifiedVersion: string, minVersion: string,
 *   needsNode: number | null, versionArgs: string[], help: HelpCheck[], loginCheck: string[] | null,
 * }} AgentFacts
 */

const VERSION = /^\d+\.\d+\.\d+$/;
const WORD = /^[A-Za-z0-9@._:/=-]{1,128}$/;
const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The agents whose profile says how their CLI is checked, in the core's order (built-ins first).
 * @param {Record<string, any>} [profiles] name → profile data (default: the core's effective
 *   profiles, operator agents included)
 * @returns {AgentFacts[]}
 */
export function loadAgentFacts(profiles = JSON.parse(core.agentProfilesJson())) {
  return Object.entries(profiles)
    .filter(([, p]) => isObject(p) && p.cli != null && typeof p.program === "string")
    .map(([name, p]) => checkEntry(name, { ...p.cli, program: p.program }));
}

/**
 * @param {string} name
 * @param {unknown} a
 * @returns {AgentFacts}
 */
function checkEntry(name, a) {
  if (!NAME.test(name)) throw bad(`agent name ${JSON.stringify(name)} is not a-z, 0-9 and hyphens`);
  if (!isObject(a)) throw bad(`${name} is not an object`);
  const str = (/** @type {string} */ key, /** @type {RegExp} */ re) => {
    const v = a[key];
    if (typeof v !== "string" || !re.test(v)) throw bad(`${name}.cli.${key} is missing or malformed`);
    return v;
  };
  const words = (/** @type {unknown} */ v, /** @type {string} */ what) => {
    if (!Array.isArray(v) || !v.every((w) => typeof w === "string" && WORD.test(w))) throw bad(`${name}.cli.${what} must be an array of plain words`);
    return /** @type {string[]} */ (v);
  };
  const needsNode = a.needs_node ?? null;
  if (needsNode !== null && !(Number.isInteger(needsNode) && needsNode > 0 && needsNode < 1000)) throw bad(`${name}.cli.needs_node must be a Node.js major or null`);
  if (!Array.isArray(a.help)) throw bad(`${name}.cli.help must be an array`);
  const facts = {
    name,
    package: str("package", WORD),
    program: str("program", NAME),
    verifiedVersion: str("verified_version", VERSION),
    minVersion: str("min_version", VERSION),
    needsNode: /** @type {number | null} */ (needsNode),
    versionArgs: words(a.version_args, "version_args"),
    help: a.help.map((/** @type {any} */ h, /** @type {number} */ i) => {
      if (!isObject(h)) throw bad(`${name}.cli.help[${i}] is not an object`);
      return { args: words(h.args, `help[${i}].args`), flags: words(h.flags, `help[${i}].flags`) };
    }),
    loginCheck: a.login_check == null ? null : words(a.login_check, "login_check"),
  };
  if (compareVersions(facts.minVersion, facts.verifiedVersion) > 0) throw bad(`${name}.cli.min_version is above its verified_version`);
  return facts;
}

/**
 * Compares two x.y.z versions numerically (a pre-release suffix is ignored: "1.2.3-beta" is 1.2.3).
 * @param {string} a
 * @param {string} b
 * @returns {number} <0, 0, >0
 */
export function compareVersions(a, b) {
  const pa = a.split(/[.-]/, 3).map(Number);
  const pb = b.split(/[.-]/, 3).map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** The first x.y.z in a CLI's `--version` output, or null. @param {string} text */
export function versionIn(text) {
  return /(?:^|[^\d.])(\d{1,6}\.\d{1,6}\.\d{1,6})(?![\d])/.exec(text)?.[1] ?? null;
}

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** @param {string} why */
function bad(why) {
  return new RcaError("invalid_agent_profile", `an agent's cli facts are invalid: agents.${why}`);
}
