// @ts-check
// The facts `doctor` checks each agent CLI against, read from agents/versions.json (the one place
// the verified versions live; the installer of the test CLIs reads it too): the program, how to
// ask its version, the range the conformance suite passed with, the flags our argv relies on and
// the `--help` that lists them, and a non-interactive login check. Knowledge is data: no code
// here or in the checks branches on an agent's name. The file is checked on load, so a broken
// entry is a clear error, not a wrong verdict.
import { readFileSync } from "node:fs";
import { RcaError } from "../errors.js";

/** Next to host-shim/ in the clone and in the package. */
export const VERSIONS_FILE = new URL("../../agents/versions.json", import.meta.url);

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
 * The agents of a versions file, in the file's order.
 * @param {string | URL} [file]
 * @returns {AgentFacts[]}
 */
export function loadAgentFacts(file = VERSIONS_FILE) {
  let data;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw bad(`cannot read it: ${e instanceof Error ? e.message : e}`);
  }
  if (!isObject(data) || !isObject(data.agents)) throw bad(`it has no "agents" object`);
  return Object.entries(data.agents).map(([name, a]) => checkEntry(name, a));
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
    if (typeof v !== "string" || !re.test(v)) throw bad(`${name}.${key} is missing or malformed`);
    return v;
  };
  const words = (/** @type {unknown} */ v, /** @type {string} */ what) => {
    if (!Array.isArray(v) || !v.every((w) => typeof w === "string" && WORD.test(w))) throw bad(`${name}.${what} must be an array of plain words`);
    return /** @type {string[]} */ (v);
  };
  const needsNode = a.needs_node ?? null;
  if (needsNode !== null && !(Number.isInteger(needsNode) && needsNode > 0 && needsNode < 1000)) throw bad(`${name}.needs_node must be a Node.js major or null`);
  if (!Array.isArray(a.help)) throw bad(`${name}.help must be an array`);
  const facts = {
    name,
    package: str("package", WORD),
    program: str("program", NAME),
    verifiedVersion: str("verified_version", VERSION),
    minVersion: str("min_version", VERSION),
    needsNode: /** @type {number | null} */ (needsNode),
    versionArgs: words(a.version_args, "version_args"),
    help: a.help.map((/** @type {any} */ h, /** @type {number} */ i) => {
      if (!isObject(h)) throw bad(`${name}.help[${i}] is not an object`);
      return { args: words(h.args, `help[${i}].args`), flags: words(h.flags, `help[${i}].flags`) };
    }),
    loginCheck: a.login_check == null ? null : words(a.login_check, "login_check"),
  };
  if (compareVersions(facts.minVersion, facts.verifiedVersion) > 0) throw bad(`${name}.min_version is above its verified_version`);
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
  return new RcaError("invalid_config", `the agent versions file (agents/versions.json) is invalid: ${why}`);
}
