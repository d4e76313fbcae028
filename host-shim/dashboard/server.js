// @ts-check
// The dashboard's HTTP handler, shared by `resilient-agent dashboard` (its own server on
// 127.0.0.1, a random token as the first path segment) and the OpenClaw plugin (a route under
// /plugins/resilient-coding-agent that the gateway authenticates before it reaches us).
//
//   <base>/                    the page        <base>/app.js, view.js, style.css  its assets
//   <base>/api/fleet           every task and a count per state (JSON)
//   <base>/api/events          the same, as server-sent events, sent again whenever it changes
//   <base>/api/task/<session>  one task: row, attempts (timeline), redacted tail
//   <base>/api/task/<session>/events   the same, live
//   POST <base>/api/task/<session>/{send,resume,stop,cleanup}   operator actions (JSON body)
//
// Safe by construction: a request is answered only under the base (else 401 and no data);
// paths are matched against fixed routes and a fixed asset table (`..` or any odd character
// is refused before routing); every response carries a strict Content-Security-Policy (only
// our own scripts and styles, nothing inline, nothing from outside); actions are POST only,
// JSON only, same-origin only (Origin and Sec-Fetch-Site checked), and are the TaskManager's
// own send/resume/stop, exactly what the CLI runs.
import { timingSafeEqual } from "node:crypto";
import { asset } from "./assets.js";
import { fleet, taskPage } from "./data.js";
import { toRcaError, RcaError } from "../errors.js";
import core from "../core.js";

/** @typedef {import("node:http").IncomingMessage} Req */
/** @typedef {import("node:http").ServerResponse} Res */
/** @typedef {import("../task-manager.js").TaskManager} Manager */

export const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** How often the live views look for changes (the page must show a change within 2 s). */
const FLEET_POLL_MS = 300;
const TASK_POLL_MS = 500;
const HEARTBEAT_MS = 15_000;
const MAX_BODY = 64 * 1024;
/** A path is only letters, digits and `-_./`; anything else (%-escapes, `..`) is refused. */
const PLAIN_PATH = /^[A-Za-z0-9._\-/]*$/;
const SESSION = /^[a-z0-9][a-z0-9-]{0,80}$/;
const ACTIONS = new Set(["send", "resume", "stop", "cleanup"]);

/**
 * @param {{
 *   getManager: () => Manager,
 *   token?: string,
 *   basePath?: string,
 * }} o `token`: requests must start with /<token>/ (the CLI's server); `basePath`: requests
 *   under it were authenticated by the host (OpenClaw's gateway auth).
 */
export function createDashboardHandler(o) {
  const base = o.token !== undefined ? `/${o.token}` : (o.basePath ?? "").replace(/\/+$/, "");
  if (o.token !== undefined && !/^[A-Za-z0-9_-]{16,}$/.test(o.token)) throw new RcaError("invalid_option", "dashboard token must be 16+ URL-safe characters");
  /** @type {Set<() => void>} */
  const closers = new Set();
  const hub = new FleetHub(o.getManager, closers);

  /** @param {Req} req @param {Res} res @returns {Promise<boolean>} */
  async function handle(req, res) {
    const path = (req.url ?? "/").split("?")[0];
    if (!underBase(path, base, o.token !== undefined)) {
      if (o.token !== undefined) return send(res, 401, "text/plain; charset=utf-8", "unauthorized\n"), true;
      return false;
    }
    const rest = path.slice(base.length);
    if (rest === "") {
      // Relative URLs in the page need the trailing slash.
      res.writeHead(308, { ...SECURITY_HEADERS, Location: `${base}/` });
      res.end();
      return true;
    }
    if (!PLAIN_PATH.test(rest) || rest.split("/").some((s) => s === ".." || s === ".")) {
      return send(res, 400, "text/plain; charset=utf-8", "bad path\n"), true;
    }
    const parts = rest.slice(1).split("/");
    try {
      if (parts[0] !== "api") {
        if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n"), true;
        const a = parts.length === 1 ? asset(parts[0]) : undefined;
        if (!a) return send(res, 404, "text/plain; charset=utf-8", "not found\n"), true;
        return send(res, 200, a.type, a.body), true;
      }
      return await api(req, res, parts.slice(1)), true;
    } catch (err) {
      const e = toRcaError(err);
      sendJson(res, statusOf(e.code), { error: { code: e.code, message: core.redact(e.message) } });
      return true;
    }
  }

  /** @param {Req} req @param {Res} res @param {string[]} p */
  async function api(req, res, p) {
    const tm = o.getManager();
    if (p.length === 1 && p[0] === "fleet" && req.method === "GET") return sendJson(res, 200, await fleet(tm));
    if (p.length === 1 && p[0] === "events" && req.method === "GET") return hub.subscribe(req, res);
    if (p[0] === "task" && p.length >= 2 && SESSION.test(p[1])) {
      const session = p[1];
      if (p.length === 2 && req.method === "GET") return sendJson(res, 200, await taskPage(tm, session));
      if (p.length === 3 && p[2] === "events" && req.method === "GET") return taskStream(tm, session, req, res, closers);
      if (p.length === 3 && ACTIONS.has(p[2])) {
        if (req.method !== "POST") return sendJson(res, 405, { error: { code: "method_not_allowed", message: "actions are POST only" } });
        const refused = crossSite(req);
        if (refused) return sendJson(res, 403, { error: { code: "cross_site_refused", message: refused } });
        const body = await readJson(req);
        return sendJson(res, 200, await act(tm, session, p[2], body));
      }
    }
    throw new RcaError("not_found", "no such dashboard endpoint");
  }

  return {
    handle,
    /** Ends the live streams (a server closing must not wait for them). */
    close() {
      for (const c of [...closers]) c();
      hub.stop();
    },
  };
}

/**
 * One operator action, through the TaskManager (what `send`/`resume`/`stop` run). Removing a
 * task's directory is its own action and must name the task again in `confirm`.
 * @param {Manager} tm @param {string} session @param {string} action @param {any} body
 */
async function act(tm, session, action, body) {
  if (action === "send") {
    if (typeof body?.text !== "string" || body.text === "") throw new RcaError("usage", "send needs a non-empty text");
    await tm.send(session, body.text, { paste: body.paste === true });
    return { ok: true, session, sent: body.text.length };
  }
  if (action === "resume") {
    const v = await tm.resume(session);
    return { ok: true, session, state: v.state };
  }
  if (action === "stop") {
    const v = await tm.stop(session, { cleanup: false });
    return { ok: true, session, state: v?.state ?? "stopped" };
  }
  if (body?.confirm !== session) {
    throw new RcaError("confirmation_required", `removing ${session}'s directory needs {"confirm": "${session}"}`);
  }
  await tm.stop(session, { cleanup: true });
  return { ok: true, session, removed: true };
}

/**
 * Why a POST is refused as cross-site, or null. Browsers send Sec-Fetch-Site and Origin on
 * every POST: another site's page cannot make them say "same-origin" / our host. The JSON
 * content type forces a CORS preflight on any cross-origin fetch (never answered here).
 * @param {Req} req
 */
export function crossSite(req) {
  const h = req.headers;
  const type = String(h["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") return "actions take a JSON body (Content-Type: application/json)";
  const site = h["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = h.origin;
  if (origin !== undefined) {
    let host = "";
    try {
      host = new URL(String(origin)).host;
    } catch {
      host = "";
    }
    if (!host || host !== h.host) return "cross-site request refused (Origin is not this dashboard)";
  }
  return null;
}

/** @param {string} path @param {string} base @param {boolean} secret */
function underBase(path, base, secret) {
  const head = path.slice(0, base.length);
  const next = path.charAt(base.length);
  if (next !== "" && next !== "/") return false;
  if (!secret) return head === base;
  const a = Buffer.from(head);
  const b = Buffer.from(base);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** @param {string} code */
function statusOf(code) {
  if (code === "task_not_found" || code === "not_found") return 404;
  if (code === "usage" || code === "invalid_session" || code === "bad_json" || code === "confirmation_required") return 400;
  if (code === "task_finished" || code === "monitor_busy") return 409;
  if (code === "body_too_large") return 413;
  if (/^invalid_/.test(code)) return 400;
  return 500;
}

/** @param {Req} req */
async function readJson(req) {
  let size = 0;
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const c of req) {
    size += c.length;
    if (size > MAX_BODY) throw new RcaError("body_too_large", `request body over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RcaError("bad_json", "the request body is not JSON");
  }
}

/** @param {Res} res @param {number} status @param {string} type @param {string | Buffer} body */
function send(res, status, type, body) {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(res.req?.method === "HEAD" ? undefined : body);
}

/** @param {Res} res @param {number} status @param {unknown} data */
function sendJson(res, status, data) {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(data));
}

/** Starts a server-sent event stream. @param {Res} res */
function openStream(res) {
  res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no" });
  res.write("retry: 1000\n\n");
}

/** @param {Res} res @param {string} event @param {string} json */
function emit(res, event, json) {
  res.write(`event: ${event}\ndata: ${json}\n\n`);
}

/**
 * The fleet, pushed to every open page: looked at every FLEET_POLL_MS while a page is open
 * (and at once on a monitor event of this process), sent only when it changed. Polling the
 * records, rather than only listening to this process's monitor, also shows the changes
 * another monitor (a `watch`, the OpenClaw service) makes.
 */
class FleetHub {
  /** @param {() => Manager} getManager @param {Set<() => void>} closers */
  constructor(getManager, closers) {
    this.getManager = getManager;
    this.closers = closers;
    /** @type {Set<Res>} */
    this.clients = new Set();
    this.last = "";
    /** @type {NodeJS.Timeout | null} */
    this.timer = null;
    this.busy = false;
    /** @type {Manager | null} */
    this.tm = null;
    this.onEvent = () => void this.look();
    /** The remote hosts' rows, asked less often than this machine's. */
    this.remote = { at: 0, rows: /** @type {any[]} */ ([]) };
  }

  /** @param {Req} req @param {Res} res */
  async subscribe(req, res) {
    openStream(res);
    this.clients.add(res);
    const beat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    const close = () => {
      clearInterval(beat);
      this.clients.delete(res);
      this.closers.delete(close);
      res.end();
      if (this.clients.size === 0) this.stop();
    };
    this.closers.add(close);
    req.on("close", close);
    if (this.last) emit(res, "fleet", this.last);
    if (!this.timer) {
      this.tm = this.getManager();
      this.tm.on("event", this.onEvent);
      this.timer = setInterval(() => void this.look(), FLEET_POLL_MS);
    }
    await this.look();
  }

  async look() {
    if (this.busy || !this.tm) return;
    this.busy = true;
    try {
      const json = JSON.stringify(await fleet(this.tm, this.remote));
      if (json !== this.last) {
        this.last = json;
        for (const c of this.clients) emit(c, "fleet", json);
      }
    } catch (err) {
      const e = toRcaError(err);
      const msg = JSON.stringify({ code: e.code, message: core.redact(e.message) });
      for (const c of this.clients) emit(c, "problem", msg);
    } finally {
      this.busy = false;
    }
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tm?.off("event", this.onEvent);
    this.tm = null;
    this.last = "";
    this.remote = { at: 0, rows: [] };
  }
}

/**
 * One task, pushed to its page whenever its row, timeline or tail changed.
 * @param {Manager} tm @param {string} session @param {Req} req @param {Res} res @param {Set<() => void>} closers
 */
async function taskStream(tm, session, req, res, closers) {
  const first = await taskPage(tm, session); // a missing task is a 404, not an empty stream
  openStream(res);
  let last = JSON.stringify(first);
  emit(res, "task", last);
  let busy = false;
  let beatAt = Date.now();
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const json = JSON.stringify(await taskPage(tm, session));
      if (json !== last) {
        last = json;
        emit(res, "task", json);
        beatAt = Date.now();
      } else if (Date.now() - beatAt > HEARTBEAT_MS) {
        res.write(": keep-alive\n\n");
        beatAt = Date.now();
      }
    } catch (err) {
      const e = toRcaError(err);
      emit(res, "problem", JSON.stringify({ code: e.code, message: core.redact(e.message) }));
    } finally {
      busy = false;
    }
  }, TASK_POLL_MS);
  const close = () => {
    clearInterval(timer);
    closers.delete(close);
    res.end();
  };
  closers.add(close);
  req.on("close", close);
}
