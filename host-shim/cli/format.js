// @ts-check
// Readable output for people: tables, one task's details, event lines. (--json bypasses all
// of this and prints the API's objects as they are.)

/** @typedef {import("../task-manager.js").TaskView} TaskView */
/** @typedef {import("../monitor.js").TaskEvent} TaskEvent */

/**
 * A plain table: header, then rows, columns padded to the widest cell.
 * @param {string[]} headers
 * @param {string[][]} rows
 */
export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ""))));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - width(c)))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Display width, counting each code point once (good enough for names and states). @param {string} s */
function width(s) {
  return [...s].length;
}

/** @param {TaskView[]} views */
export function taskTable(views) {
  if (views.length === 0) return "no tasks";
  // Over remote hosts (remote/commands.js listFleet): a HOST column, and a host that could not
  // be asked as one row saying so.
  if (views.some((v) => /** @type {any} */ (v).host !== undefined)) {
    return table(
      ["HOST", "SESSION", "STATE", "ATTEMPTS", "USAGE", "UPDATED", "DETAIL"],
      views.map((/** @type {any} */ v) =>
        v.reachable === false
          ? [v.host, "-", "unreachable", "-", "-", "-", `${v.error.code}: ${oneLine(v.error.message, 80)}`]
          : [v.host, v.session, v.state, String(v.attempts), usageCell(v.usage), shortTime(v.updatedAt), detail(v)],
      ),
    );
  }
  return table(
    ["SESSION", "STATE", "ATTEMPTS", "USAGE", "UPDATED", "DETAIL"],
    views.map((v) => [v.session, v.state, String(v.attempts), usageCell(v.usage), shortTime(v.updatedAt), detail(v)]),
  );
}

/** A token count for a narrow column: 950, 12.3k, 4.1M. @param {number} n */
export function shortTokens(n) {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`;
}

/** US dollars: $0.0042, $1.25. @param {number} usd */
export function dollars(usd) {
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/**
 * The list's USAGE cell: tokens (input + output) and the cost when reported; "-" for none.
 * @param {import("../wasm/core.js").Usage | null | undefined} u
 */
export function usageCell(u) {
  if (!u) return "-";
  const tokens = `${shortTokens(u.inputTokens + u.outputTokens)} tok`;
  return u.costUsd == null ? tokens : `${tokens} ${dollars(u.costUsd)}`;
}

/**
 * Usage for people: "1,540 tokens (in 1,200 incl. 0 cached, out 340), $0.0123".
 * @param {import("../wasm/core.js").Usage} u
 */
export function usageText(u) {
  const n = (/** @type {number} */ x) => x.toLocaleString("en-US");
  const base = `${n(u.inputTokens + u.outputTokens)} tokens (in ${n(u.inputTokens)} incl. ${n(u.cachedTokens)} cached, out ${n(u.outputTokens)})`;
  return u.costUsd == null ? `${base}, cost not reported` : `${base}, ${dollars(u.costUsd)}`;
}

/** A budget for people: "$5.00, 2,000,000 tokens". @param {{ maxCostUsd: number | null, maxTokens: number | null }} b */
export function budgetText(b) {
  const parts = [];
  if (b.maxCostUsd != null) parts.push(dollars(b.maxCostUsd));
  if (b.maxTokens != null) parts.push(`${b.maxTokens.toLocaleString("en-US")} tokens`);
  return parts.join(", ");
}

/** @param {TaskView} v */
function detail(v) {
  if (v.managed === false) return `not started by resilient-agent (attach: ${v.attach})`;
  if (v.failure) return `${v.failure.class}: ${oneLine(v.failure.evidence, 60)}`;
  if (v.nextRecoveryAt) return `next try ${shortTime(v.nextRecoveryAt)}`;
  return v.branch ? `branch ${v.branch}` : v.projectDir;
}

/**
 * One task, as `key: value` lines, then its recent output.
 * @param {TaskView & { recentOutput?: string }} v
 */
export function taskDetails(v) {
  /** @type {Array<[string, string]>} */
  const rows = [
    ["session", v.session],
    ["state", v.state + (v.gaveUp ? " (gave up)" : "")],
    ["agent", v.agent + (v.model ? ` (${v.model})` : "")],
    ["autonomy", v.autonomy],
    ["project", v.projectDir],
    ["attempts", String(v.attempts)],
    ["agent session", v.agentSessionId ?? "(not known yet)"],
    ["created", v.createdAt],
    ["updated", v.updatedAt],
  ];
  if (v.failure) rows.push(["failure", `${v.failure.class}: ${v.failure.evidence}`]);
  if (v.nextRecoveryAt) rows.push(["next recovery", v.nextRecoveryAt]);
  if (v.state === "recovering" && v.recoveryReason) rows.push(["because", v.recoveryReason]);
  if (v.autoResume === false) rows.push(["auto-resume", "off (a crash or limit waits for `resume`)"]);
  if (v.usage) rows.push(["usage", usageText(v.usage)]);
  if (v.usageByAttempt && v.usageByAttempt.length > 1) {
    rows.push(["per attempt", v.usageByAttempt.map((a) => `#${a.attempt} ${usageCell(a.usage)}`).join(", ")]);
  }
  if (v.budget) rows.push(["budget", budgetText(v.budget)]);
  const wt = v.worktree;
  if (wt) {
    rows.push(["branch", `${wt.branch} (from ${wt.base} ${wt.baseCommit.slice(0, 12)}; ${wt.commitsAhead ?? "?"} commit(s) ahead)`], ["repository", wt.repo]);
    if (wt.diffStat) rows.push(["changes", wt.diffStat.split("\n").join("\n" + " ".repeat(14))]);
  }
  rows.push(["task dir", v.taskDir], ["attach", v.attach]);
  const pad = Math.max(...rows.map(([k]) => k.length));
  let out = rows.map(([k, val]) => `${k.padEnd(pad)}  ${val}`).join("\n");
  if (v.recentOutput !== undefined) out += `\n\nrecent output:\n${v.recentOutput || "(none yet)"}`;
  return out;
}

/**
 * One event, as a line with its time.
 * @param {TaskEvent} ev
 */
export function eventLine(ev) {
  return `${clock(ev.at)}  ${ev.kind.padEnd(17)}  ${ev.message}`;
}

/** HH:MM:SS.mmm in local time. @param {number} ms */
export function clock(ms) {
  const d = new Date(ms);
  const p = (/** @type {number} */ n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** @param {string} iso */
function shortTime(iso) {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/**
 * @param {string} s
 * @param {number} max
 */
function oneLine(s, max) {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}

/** A duration for people: 850 ms, 4.2 s, 3 min 5 s. @param {number} ms */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
