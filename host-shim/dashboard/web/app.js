// The dashboard page: the fleet (#/) and one task (#/task/<session>), kept live by
// server-sent events from ./api/… (relative URLs: the page works under any base path, the
// CLI's /<token>/ or the OpenClaw gateway's /plugins/resilient-coding-agent/).
import { h, s, duration, clock } from "./view.js";

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const live = /** @type {HTMLElement} */ (document.getElementById("live"));
/** @type {EventSource | null} */
let stream = null;
/** @type {any} */
let current = null;
/** What is typed in the answer box survives a redraw. */
let draft = "";
let confirming = false;
let notice = "";

const STATE_ORDER = ["running", "waiting_for_input", "recovering", "stalled", "starting", "completed", "failed", "stopped", "unmanaged"];

function route() {
  stream?.close();
  current = null;
  confirming = false;
  notice = "";
  const m = /^#\/task\/([a-z0-9-]+)$/.exec(location.hash);
  if (m) openTask(m[1]);
  else openFleet();
}

/** @param {string} url @param {string} event @param {(data: any) => void} onData */
function listen(url, event, onData) {
  const es = new EventSource(url);
  stream = es;
  es.addEventListener(event, (e) => {
    setLive(true);
    onData(JSON.parse(/** @type {MessageEvent} */ (e).data));
  });
  es.addEventListener("problem", (e) => showProblem(JSON.parse(/** @type {MessageEvent} */ (e).data)));
  es.onopen = () => setLive(true);
  es.onerror = () => setLive(false);
}

/** @param {boolean} on */
function setLive(on) {
  live.textContent = on ? "live" : "reconnecting…";
  live.className = on ? "live on" : "live off";
}

/** @param {{ code: string, message: string }} p */
function showProblem(p) {
  notice = `${p.code}: ${p.message}`;
  if (current) draw();
}

function openFleet() {
  document.title = "Coding tasks";
  main.replaceChildren(h("p", { class: "muted" }, "loading…"));
  listen("api/events", "fleet", (data) => {
    current = { kind: "fleet", data };
    draw();
  });
}

/** @param {string} session */
function openTask(session) {
  document.title = `${session} · Coding tasks`;
  main.replaceChildren(h("p", { class: "muted" }, "loading…"));
  listen(`api/task/${session}/events`, "task", (data) => {
    current = { kind: "task", data };
    draw();
  });
}

function draw() {
  if (!current) return;
  if (current.kind === "fleet") main.replaceChildren(fleetView(current.data));
  else {
    // The transcript stays scrolled to its end unless the reader scrolled up.
    const old = document.getElementById("tail");
    const follow = !old || old.scrollTop + old.clientHeight >= old.scrollHeight - 4;
    const keep = old?.scrollTop ?? 0;
    main.replaceChildren(taskView(current.data));
    const tail = /** @type {HTMLElement} */ (document.getElementById("tail"));
    tail.scrollTop = follow ? tail.scrollHeight : keep;
  }
  const box = /** @type {HTMLInputElement | null} */ (document.getElementById("answer"));
  if (box && box.dataset.focus === "1") box.focus();
}

/** @param {string} state */
function badge(state) {
  return h("span", { class: `state st-${state}`, dataset: { state } }, state.replaceAll("_", " "));
}

/** @param {any} t */
function elapsed(t) {
  if (!t.createdAt) return "";
  const end = t.finishedAt ? Date.parse(t.finishedAt) : Date.now();
  return duration(end - Date.parse(t.createdAt));
}

/** "next recovery in 1m 30s · crash: exit status 1", while one is planned. @param {any} t */
function nextRecovery(t) {
  if (!t.nextRecoveryAt && t.state !== "recovering") return "";
  const when = t.nextRecoveryAt ? `next recovery in ${duration(Date.parse(t.nextRecoveryAt) - Date.now()) || "0s"}` : "recovering now";
  return [when, t.recoveryReason].filter(Boolean).join(" · ");
}

/** @param {any} u */
function usageText(u) {
  if (!u) return "";
  const parts = [];
  const tokens = u.totalTokens ?? u.tokens ?? (typeof u.inputTokens === "number" ? u.inputTokens + (u.outputTokens ?? 0) : undefined);
  if (typeof tokens === "number") parts.push(`${tokens.toLocaleString()} tokens`);
  const cost = u.costUsd ?? u.cost;
  if (typeof cost === "number") parts.push(`$${cost.toFixed(2)}`);
  return parts.join(" · ");
}

/** @param {{ tasks: any[], counts: Record<string, number> }} data */
function fleetView(data) {
  const states = Object.keys(data.counts).sort((a, b) => STATE_ORDER.indexOf(a) - STATE_ORDER.indexOf(b));
  const counts = h("div", { class: "counts", id: "counts" },
    h("span", { class: "count total" }, `${data.tasks.filter((t) => t.reachable !== false).length} tasks`),
    ...states.map((st) => h("span", { class: "count", dataset: { state: st } }, badge(st), ` ${data.counts[st]}`)));
  if (data.tasks.length === 0) return h("section", {}, counts, h("p", { class: "muted" }, "No tasks yet. Start one with resilient-agent start …"));
  const rows = data.tasks.map((t) => t.reachable === false
    ? h("tr", { class: "host-down", dataset: { host: t.host, state: "unreachable" } },
        h("td", {}, badge("unreachable")), h("td", { colspan: 8 }, `host ${t.host}: ${t.error?.code ?? ""} ${t.error?.message ?? ""}`))
    : h("tr", { dataset: { session: t.session, state: t.state, host: t.host } },
      h("td", {}, badge(t.state)),
      h("td", {}, t.managed && t.local ? h("a", { href: `#/task/${t.session}` }, t.session) : t.session),
      h("td", {}, t.agent ?? ""),
      h("td", {}, t.host),
      h("td", {}, t.branch ?? ""),
      h("td", { class: "num" }, t.attempts),
      h("td", { class: "num" }, elapsed(t)),
      h("td", { class: "why" }, nextRecovery(t) || (t.failure && ["failed", "stalled"].includes(t.state) ? `${t.failure.class}: ${t.failure.evidence}` : "")),
      h("td", { class: "num" }, usageText(t.usage))));
  return h("section", {}, counts,
    h("table", { class: "fleet", id: "fleet" },
      h("thead", {}, h("tr", {}, ...["state", "task", "agent", "host", "branch", "attempts", "elapsed", "why / next recovery", "usage"].map((x) => h("th", {}, x)))),
      h("tbody", {}, ...rows)));
}

/** @param {{ task: any, attempts: any[], tail: string }} data */
function taskView(data) {
  const t = data.task;
  const info = h("dl", { class: "info" },
    ...[["agent", t.agent], ["host", t.host], ["model", t.model], ["branch", t.branch], ["attempts", t.attempts], ["elapsed", elapsed(t)],
      ["started", clock(t.createdAt)], ["finished", clock(t.finishedAt)], ["recovery", nextRecovery(t)], ["last recovery", nextRecovery(t) ? "" : t.recoveryReason],
      [t.state === "failed" ? "failure" : "last failure", t.failure ? `${t.failure.class}: ${t.failure.evidence}` : ""], ["usage", usageText(t.usage)]]
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  return h("section", { class: "task", dataset: { session: t.session, state: t.state } },
    h("h2", {}, badge(t.state), " ", t.session),
    notice ? h("p", { class: "notice", id: "notice" }, notice) : null,
    info,
    h("h3", {}, "Attempts"),
    timeline(data.attempts, t),
    h("h3", {}, "Actions"),
    actions(t),
    h("h3", {}, "Transcript (redacted, last lines)"),
    h("pre", { id: "tail", class: "tail" }, data.tail || "(no output yet)"));
}

const OUTCOME_WORD = { running: "running", completed: "completed", died: "died", stopped: "stopped", failed: "failed" };

/**
 * One bar per attempt on a time axis, the wait before the next attempt drawn between them.
 * @param {any[]} attempts @param {any} t
 */
function timeline(attempts, t) {
  if (attempts.length === 0) return h("p", { class: "muted" }, "no attempt yet");
  const now = Date.now();
  const start = Math.min(...attempts.map((a) => Date.parse(a.startedAt ?? t.createdAt)).filter(Number.isFinite));
  const endOf = (/** @type {any} */ a) => (a.endedAt ? Date.parse(a.endedAt) : a.outcome === "running" ? now : Date.parse(t.finishedAt ?? t.updatedAt) || now);
  const end = Math.max(now, ...attempts.map(endOf));
  const span = Math.max(1000, end - start);
  const W = 900, left = 90, rowH = 34, top = 10;
  const x = (/** @type {number} */ ms) => left + ((ms - start) / span) * (W - left - 10);
  const H = top + rowH * attempts.length + 24;
  const svg = s("svg", { id: "timeline", class: "timeline", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `timeline of ${attempts.length} attempts` });
  attempts.forEach((a, i) => {
    const y = top + i * rowH;
    const a0 = Date.parse(a.startedAt ?? t.createdAt);
    const a1 = endOf(a);
    const x0 = x(a0), x1 = Math.max(x(a1), x0 + 3);
    const word = /** @type {any} */ (OUTCOME_WORD)[a.outcome] ?? a.outcome;
    const why = [a.class, a.evidence].filter(Boolean).join(": ");
    const g = s("g", { class: `bar o-${a.outcome}`, dataset: { attempt: a.attempt, outcome: a.outcome } },
      s("title", {}, `attempt ${a.attempt}: ${clock(a.startedAt)} → ${a.endedAt ? clock(a.endedAt) : "now"} · ${word}${why ? ` (${why})` : ""}`),
      s("text", { x: 4, y: y + 20, class: "lbl" }, `attempt ${a.attempt}`),
      s("rect", { x: x0, y: y + 6, width: x1 - x0, height: 20, rx: 3 }),
      // The words go after the bar, or inside it when the bar reaches the right edge.
      x1 + 6 < W - 220
        ? s("text", { x: x1 + 6, y: y + 20, class: "out" }, `${word}${why ? ` · ${why}` : ""}`)
        : s("text", { x: x0 + 6, y: y + 20, class: "out in" }, `${word}${why ? ` · ${why}` : ""}`));
    svg.append(g);
    const next = attempts[i + 1];
    if (next?.startedAt && a.endedAt) {
      const w0 = x(Date.parse(a.endedAt)), w1 = x(Date.parse(next.startedAt));
      if (w1 > w0) svg.append(s("line", { class: "wait", x1: w0, x2: w1, y1: y + 16, y2: y + rowH + 16 },
        s("title", {}, `waited ${duration(Date.parse(next.startedAt) - Date.parse(a.endedAt))}, then resumed`)));
    }
  });
  svg.append(s("text", { x: left, y: H - 6, class: "axis" }, clock(new Date(start).toISOString())),
    s("text", { x: W - 10, y: H - 6, class: "axis end" }, a_now(end, now)));
  return svg;
}

/** @param {number} end @param {number} now */
function a_now(end, now) {
  return end >= now - 1000 ? "now" : clock(new Date(end).toISOString());
}

const FINAL = ["completed", "failed", "stopped"];

/** @param {any} t */
function actions(t) {
  const box = h("input", {
    id: "answer", type: "text", placeholder: "answer the agent (typed into its terminal, then Enter)", autocomplete: "off",
    disabled: FINAL.includes(t.state) ? "" : null,
    oninput: (/** @type {Event} */ e) => (draft = /** @type {HTMLInputElement} */ (e.target).value),
    onfocus: (/** @type {Event} */ e) => (/** @type {HTMLElement} */ (e.target).dataset.focus = "1"),
    onblur: (/** @type {Event} */ e) => (/** @type {HTMLElement} */ (e.target).dataset.focus = "0"),
  });
  /** @type {HTMLInputElement} */ (box).value = draft;
  const form = h("form", { class: "send", id: "send-form", onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    if (!draft) return;
    if (await act(t.session, "send", { text: draft })) draft = "";
    draw();
  } }, box, h("button", { type: "submit", id: "send", disabled: FINAL.includes(t.state) ? "" : null }, "Send"));
  const buttons = h("div", { class: "buttons" },
    h("button", { id: "resume", onclick: () => act(t.session, "resume", {}), disabled: ["running", "starting"].includes(t.state) ? "" : null }, "Resume"),
    h("button", { id: "stop", onclick: () => act(t.session, "stop", {}), disabled: FINAL.includes(t.state) ? "" : null }, "Stop"),
    confirming
      ? h("span", { class: "confirm" }, "Remove the task and its directory? ",
          h("button", { id: "cleanup-yes", class: "danger", onclick: async () => {
            if (await act(t.session, "cleanup", { confirm: t.session })) location.hash = "#/";
          } }, "Yes, remove"),
          h("button", { id: "cleanup-no", onclick: () => ((confirming = false), draw()) }, "Keep"))
      : h("button", { id: "cleanup", class: "danger", onclick: () => ((confirming = true), draw()) }, "Remove…"));
  return h("div", { class: "actions" }, form, buttons);
}

/**
 * POSTs an action (JSON, same origin); shows its error on the page.
 * @param {string} session @param {string} action @param {object} body
 */
async function act(session, action, body) {
  try {
    const res = await fetch(`api/task/${session}/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin",
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data?.error ? `${data.error.code}: ${data.error.message}` : `HTTP ${res.status}`);
    notice = `${action}: done`;
    return true;
  } catch (err) {
    notice = `${action} failed: ${err instanceof Error ? err.message : err}`;
    return false;
  } finally {
    draw();
  }
}

// Elapsed times and countdowns move every second between updates.
setInterval(() => {
  if (!current) return;
  const active = document.activeElement;
  if (active && active.id === "answer") return; // never redraw under the typist's cursor
  draw();
}, 1000);

addEventListener("hashchange", route);
route();
