// @ts-check
// A task that names no model runs on the model the CLI's own configuration names. Whether it
// names one is asked of the CLI itself, as its profile says (`default_model`: e.g. OpenCode's
// `debug config`, which merges every config file it would read), run like the task will run:
// in the project, with the task's environment (and, sandboxed, the profile's sandbox settings,
// so a project config the task would not load is not read here either). When the answer names
// no model, the start says so once (the task's `started` event); the task is not refused.
import { probe } from "./doctor/probe.js";

/** How long the question may take: a start waits for it. */
const PROBE_TIMEOUT_MS = 15_000;

/**
 * The warning for a task that names no model, or null when none is needed.
 * @param {{
 *   spec: { agent: string, model?: string | null, autonomy?: string, projectDir: string },
 *   profile: { default_model?: { args: string[], field: string } | null, sandboxed_env?: Record<string, string> },
 *   program: string | null,
 *   env: Record<string, string>,
 *   timeoutMs?: number,
 * }} o
 * @returns {Promise<string | null>}
 */
export async function missingModelWarning({ spec, profile, program, env, timeoutMs = PROBE_TIMEOUT_MS }) {
  const ask = profile.default_model;
  if (spec.model || !ask || !program) return null;
  const sandboxEnv = spec.autonomy !== "full" ? profile.sandboxed_env ?? {} : {};
  const res = await probe(program, ask.args, { env: { ...env, ...sandboxEnv }, cwd: spec.projectDir, timeoutMs });
  const named = res.code === 0 ? modelIn(res.stdout, ask.field) : null;
  if (named) return null;
  const why = res.code === 0
    ? `${spec.agent}'s configuration names no model (\`${ask.args.join(" ")}\` shows no "${ask.field}")`
    : `asking ${spec.agent} which model its configuration names failed (\`${ask.args.join(" ")}\`: ${res.timedOut ? "timed out" : res.error ?? `exit ${res.code}`})`;
  return `no model was given and ${why}; it will use its built-in default. Pass --model, or set one in its configuration.`;
}

/** The non-empty string `field` of the JSON object in `text`, else null. @param {string} text @param {string} field */
function modelIn(text, field) {
  try {
    const v = JSON.parse(text)?.[field];
    return typeof v === "string" && v.trim() !== "" ? v : null;
  } catch {
    return null;
  }
}
