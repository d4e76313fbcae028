// @ts-check
// Readable text for task views and task events, shared by the tools, the CLI group and the
// notifications. Everything here was already redacted by the TaskManager; nothing is added that
// did not come from it.

/**
 * The TaskView of the host API (host-shim/task-manager.js), as far as this plugin reads it.
 * @typedef {{
 *   session: string, agent: string, name: string, projectDir?: string, state: string, autonomy?: string,
 *   failure?: { class: string, evidence?: string | null } | null,
 *   attempts?: number, agentSessionId?: string | null,
 *   createdAt?: string | null, updatedAt?: string | null, nextRecoveryAt?: string | null,
 *   taskDir?: string, attach?: string, origin?: unknown, recentOutput?: string,
 *   managed?: boolean, usage?: Usage | null,
 *   budget?: { maxCostUsd: number | null, maxTokens: number | null } | null,
 * }} TaskView
 * @typedef {{ inputTokens: number, outputTokens: number, cachedTokens: number, costUsd?: number | null }} Usage
 * @typedef {{
 *   kind: string, session: string, state?: string,
 *   failure?: { class: string, evidence?: string | null } | null,
 *   attempts?: number, at?: number | string, nextRecoveryAt?: number | string | null,
 *   message?: string, usage?: Usage | null,
 * }} TaskEvent
 */

/** @param {number} ms */
export function humanDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  const h = ms / 3_600_000;
  return `${Number.isInteger(h) ? h : h.toFixed(1)} h`;
}

/** @param {number | string | null | undefined} t */
function when(t) {
  if (t === null || t === undefined || t === "") return undefined;
  const d = typeof t === "number" ? new Date(t) : new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

/** @param {TaskView["failure"]} failure */
export function failureText(failure) {
  if (!failure) return "";
  return failure.evidence ? `${failure.class}: ${failure.evidence}` : failure.class;
}

/**
 * Tokens and cost in words: "15,400 tokens (12,000 in, of them 0 cached; 3,400 out), $0.0421".
 * @param {Usage} u
 */
export function usageWords(u) {
  const n = (/** @type {number} */ x) => x.toLocaleString("en-US");
  const cost = u.costUsd == null ? "cost not reported by this agent" : `$${u.costUsd.toFixed(4)}`;
  return `${n(u.inputTokens + u.outputTokens)} tokens (${n(u.inputTokens)} in, of them ${n(u.cachedTokens)} cached; ${n(u.outputTokens)} out), ${cost}`;
}

/**
 * A few lines describing one task.
 * @param {TaskView} t
 */
export function taskText(t) {
  const lines = [`Task ${t.name} (${t.agent}) — session ${t.session}: ${t.state}`];
  if (t.failure) lines.push(`Failure: ${failureText(t.failure)}`);
  if (t.attempts !== undefined) lines.push(`Agent runs so far: ${t.attempts}`);
  if (t.usage) lines.push(`Usage so far (all runs): ${usageWords(t.usage)}`);
  if (t.budget) {
    const limits = [t.budget.maxCostUsd != null ? `$${t.budget.maxCostUsd}` : "", t.budget.maxTokens != null ? `${t.budget.maxTokens} tokens` : ""].filter(Boolean);
    lines.push(`Budget: ${limits.join(", ")} (the agent is stopped when it is reached)`);
  }
  if (t.agentSessionId) lines.push(`Agent session id: ${t.agentSessionId}`);
  const next = when(t.nextRecoveryAt);
  if (next) lines.push(`Next automatic recovery: ${next}`);
  if (t.projectDir) lines.push(`Project: ${t.projectDir}`);
  if (t.attach) lines.push(`Watch live: ${t.attach}`);
  if (t.taskDir) lines.push(`Task directory (transcript, events): ${t.taskDir}`);
  if (t.managed === false) lines.push("Not managed by resilient-coding-agent (a tmux session started by hand).");
  return lines.join("\n");
}

/**
 * One line per task, for lists.
 * @param {TaskView[]} tasks
 */
export function listText(tasks) {
  if (tasks.length === 0) return "No coding tasks.";
  const rows = tasks.map((t) => {
    const extra = [t.failure ? failureText(t.failure) : "", t.attempts !== undefined ? `runs ${t.attempts}` : ""]
      .filter(Boolean).join(", ");
    return `- ${t.session}: ${t.state}${extra ? ` (${extra})` : ""}`;
  });
  return `${tasks.length} coding task${tasks.length === 1 ? "" : "s"}:\n${rows.join("\n")}`;
}

/** @type {Record<string, string>} */
const OUTCOME = {
  completed: "completed",
  failed: "failed",
  gave_up: "gave up (automatic recovery stopped)",
  waiting_for_input: "is waiting for input",
  stalled: "looks stalled",
  recovering: "is being recovered",
  started: "started",
};

/**
 * The text of a notification: name, outcome, failure class, and where to read more.
 * @param {TaskEvent} ev
 * @param {TaskView | undefined} task
 */
export function eventText(ev, task) {
  const name = task?.name ?? ev.session;
  const agent = task?.agent ? ` (${task.agent})` : "";
  const failure = ev.failure ?? task?.failure ?? null;
  const lines = [`Coding task ${name}${agent}, session ${ev.session}, ${OUTCOME[ev.kind] ?? ev.kind}.`];
  if (failure && ev.kind !== "completed") lines.push(`Failure class: ${failure.class}${failure.evidence ? ` — ${failure.evidence}` : ""}`);
  if (ev.message) lines.push(ev.message);
  if (ev.usage) lines.push(`Usage so far: ${usageWords(ev.usage)}`);
  if (ev.kind === "waiting_for_input") {
    lines.push(`Answer it with coding_task_send {"session":"${ev.session}","text":"…"} (or attach and type).`);
  }
  lines.push(`Read more: coding_task_status {"session":"${ev.session}"}`
    + (task?.taskDir ? `; transcript in ${task.taskDir}` : "")
    + (task?.attach ? `; watch live: ${task.attach}` : ""));
  return lines.join("\n");
}
