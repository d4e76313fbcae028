// @ts-check
// A task's budget (most US dollars, most tokens) from what the start asked for, the operator's
// default and the operator's ceiling. The ceiling binds every caller (CLI, library, tool call):
// asking for more is refused, and a task that asks for nothing gets the default, else the
// ceiling, so no task runs unlimited under a ceiling. The core checks the values and keeps the
// budget in the record (core.withBudget); the monitor stops a task that crosses it.
import { RcaError } from "./errors.js";

/** @typedef {{ maxCostUsd: number | null, maxTokens: number | null }} Budget */

const LIMITS = /** @type {const} */ (["maxCostUsd", "maxTokens"]);

/**
 * A limit given by a caller: a positive number (whole for tokens), or undefined/null for none.
 * @param {string} field
 * @param {unknown} v
 * @param {string} code the error code for a bad value
 * @returns {number | null}
 */
function limit(field, v, code) {
  if (v === undefined || v === null) return null;
  const tokens = field.endsWith("maxTokens");
  const ok = typeof v === "number" && Number.isFinite(v) && v > 0 && (!tokens || (Number.isSafeInteger(v) && v >= 1));
  if (!ok) {
    throw new RcaError(code, `${field} must be ${tokens ? "a whole number of tokens of at least 1" : "a cost in US dollars greater than 0"}, got ${JSON.stringify(v)}`);
  }
  return /** @type {number} */ (v);
}

/**
 * Checks an operator setting (`defaultBudget`, `budgetCeiling`): `{ maxCostUsd?, maxTokens? }`.
 * @param {string} name
 * @param {unknown} v
 * @returns {Budget}
 */
export function checkBudgetConfig(name, v) {
  if (v === undefined || v === null) return { maxCostUsd: null, maxTokens: null };
  if (typeof v !== "object" || Array.isArray(v)) throw new RcaError("invalid_config", `${name} must be an object like {"maxCostUsd": 5, "maxTokens": 2000000}`);
  const unknown = Object.keys(v).find((k) => !(/** @type {readonly string[]} */ (LIMITS)).includes(k));
  if (unknown) throw new RcaError("invalid_config", `${name} has an unknown field ${JSON.stringify(unknown)} (use maxCostUsd, maxTokens)`);
  const o = /** @type {Record<string, unknown>} */ (v);
  return { maxCostUsd: limit(`${name}.maxCostUsd`, o.maxCostUsd, "invalid_config"), maxTokens: limit(`${name}.maxTokens`, o.maxTokens, "invalid_config") };
}

/**
 * Checks that the default is within the ceiling (at construction).
 * @param {Budget} defaults
 * @param {Budget} ceiling
 */
export function checkDefaultWithinCeiling(defaults, ceiling) {
  for (const k of LIMITS) {
    const d = defaults[k];
    const c = ceiling[k];
    if (d !== null && c !== null && d > c) {
      throw new RcaError("invalid_config", `defaultBudget.${k} (${d}) is above budgetCeiling.${k} (${c})`);
    }
  }
}

/**
 * The budget a task gets: per limit, what was asked, else `fallback` (the operator's default
 * at start; the task's current budget on resume), else the ceiling. Null when no limit applies.
 * @param {{ maxCostUsd?: unknown, maxTokens?: unknown }} asked
 * @param {Budget} fallback
 * @param {Budget} ceiling
 * @returns {Budget | null}
 */
export function resolveBudget(asked, fallback, ceiling) {
  /** @type {Budget} */
  const out = { maxCostUsd: null, maxTokens: null };
  for (const k of LIMITS) {
    const a = limit(k, asked[k], "invalid_option");
    const v = a ?? fallback[k] ?? ceiling[k];
    const c = ceiling[k];
    if (v !== null && c !== null && v > c) {
      throw new RcaError("budget_above_ceiling", `${k} ${v} is above the operator's ceiling of ${c} (budgetCeiling.${k}): ask for at most ${c}`, {
        details: { field: k, asked: v, ceiling: c },
      });
    }
    out[k] = v;
  }
  return out.maxCostUsd === null && out.maxTokens === null ? null : out;
}
