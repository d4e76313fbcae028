// @ts-check
// A mock model server for the conformance suite: the real agent CLIs (codex, claude, opencode,
// pi) talk to it instead of a real model. It listens on 127.0.0.1 only, on an ephemeral port,
// and stops by itself after a maximum lifetime or a maximum number of requests.
//
// It speaks just enough of three APIs for each CLI to complete a turn, streaming:
//   POST …/v1/responses         OpenAI Responses API (Codex)
//   POST …/v1/chat/completions  OpenAI Chat Completions (OpenCode, Pi)
//   POST …/v1/messages          Anthropic Messages (Claude Code), and …/v1/messages/count_tokens
//   POST …/v1beta/models/<model>:streamGenerateContent?alt=sse  Gemini API (Gemini CLI, with
//        GOOGLE_GEMINI_BASE_URL=<base>), also :generateContent and :countTokens
//
// Modes (what a model call gets): ok, hang (never answers), 401, 429 (with retry-after),
// 500, 503, overloaded (529 for Anthropic, 503 server_overloaded for OpenAI), context (context
// window exceeded), usage_limit (OpenAI usage_limit_reached with resets_at / Anthropic 429 with
// unified rate-limit headers), quota (insufficient_quota).
//
// Routing: a path may start with
//   /m/<mode>/…   that mode, fixed (handy for direct runs: base URL …/m/401/v1)
//   /l/<lane>/…   a lane, whose mode a test changes with setLane() while the CLI runs
// anything else uses the server's default mode. A lane's mode can apply to every model call
// (when: "any") or only to calls that carry a tool result (when: "after_tool"), so a test can
// let the first call through, which answers with a tool call, and hang the next one: by then
// every CLI has saved its session.
//
// Replies: the answer text is "Hello from mock (<api>)." When the newest user text contains
// RCA_USE_TOOL and the request offers a harmless tool (update_plan, get_goal, Glob, ToolSearch, todowrite, read), the
// first answer is a call to it; the call after the tool result gets the text answer.
// RCA_ESCAPE_BASH:<path> / RCA_ESCAPE_WRITE:<path> make the first answer try to create <path>
// with the agent's shell / file-writing tool (sandbox checks).
//
// Every request is recorded (method, path, lane, mode applied, api, body, whether it carried a
// tool result, all of its text) so a test can check what a resumed run sent.
//
// Command line: node tests/conformance/mock-server.js [--mode M] [--port N] [--log FILE]
//   [--max-lifetime-ms N] [--max-requests N]   prints "listening http://127.0.0.1:PORT".

import http from "node:http";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

export const MODES = /** @type {const} */ ([
  "ok", "hang", "401", "429", "500", "503", "overloaded", "context", "usage_limit", "quota",
]);

const TOOL_TRIGGER = "RCA_USE_TOOL";
const MODEL = "mock-model";

/**
 * @typedef {(typeof MODES)[number]} Mode
 * @typedef {{ mode: Mode, when?: "any" | "after_tool", retryAfterSec?: number, resetInSec?: number }} LaneConfig
 * @typedef {{ seq: number, at: number, method: string, path: string, lane: string | null,
 *   api: string, mode: Mode, hadToolResult: boolean, toolCallSent: string | null, userAgent: string,
 *   body: any, text: string }} RecordedRequest
 * @typedef {{ maxLifetimeMs?: number, maxRequests?: number, mode?: Mode, logFile?: string,
 *   quiet?: boolean }} MockOptions
 */

/**
 * Starts the server. Resolves once it listens.
 * @param {MockOptions} [opts]
 */
export async function startMockServer(opts = {}) {
  const maxLifetimeMs = opts.maxLifetimeMs ?? 20 * 60_000;
  const maxRequests = opts.maxRequests ?? 5000;
  let defaultMode = /** @type {Mode} */ (opts.mode ?? "ok");
  /** @type {Map<string, LaneConfig>} */
  const lanes = new Map();
  /** @type {RecordedRequest[]} */
  const requests = [];
  /** @type {Set<import("node:net").Socket>} */
  const sockets = new Set();
  /** @type {Set<() => void>} */
  const waiters = new Set();
  let seq = 0;
  let closed = false;
  let closeReason = "";

  const server = http.createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      try {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `mock internal error: ${err}` } }));
      } catch { /* socket gone */ }
    });
  });
  server.on("connection", (s) => {
    // Loopback only: the server binds 127.0.0.1, this is a second guard.
    if (s.remoteAddress !== "127.0.0.1" && s.remoteAddress !== "::ffff:127.0.0.1") {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 0; // hanging calls are the point
  server.headersTimeout = 30_000;

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("mock server: no port");
  const port = addr.port;
  const url = `http://127.0.0.1:${port}`;

  const lifeTimer = setTimeout(() => close(`max lifetime ${maxLifetimeMs} ms reached`), maxLifetimeMs);
  lifeTimer.unref();

  /** @param {string} reason */
  function close(reason = "closed") {
    if (closed) return Promise.resolve();
    closed = true;
    closeReason = reason;
    clearTimeout(lifeTimer);
    if (!opts.quiet && reason !== "closed") process.stderr.write(`mock-server: stopping: ${reason}\n`);
    return new Promise((resolve) => {
      server.close(() => resolve(undefined));
      for (const s of sockets) s.destroy();
      for (const w of waiters) w();
    });
  }

  /** @param {RecordedRequest} r */
  function record(r) {
    requests.push(r);
    if (opts.logFile) {
      try { fs.appendFileSync(opts.logFile, JSON.stringify(r) + "\n"); } catch { /* best effort */ }
    }
    for (const w of waiters) w();
  }

  /**
   * @param {import("node:http").IncomingMessage} req
   * @param {import("node:http").ServerResponse} res
   */
  async function onRequest(req, res) {
    const raw = await readBody(req);
    if (closed) { req.socket.destroy(); return; }
    seq += 1;
    if (seq > maxRequests) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "mock server request limit reached" } }));
      void close(`max request count ${maxRequests} reached`);
      return;
    }
    const fullPath = (req.url ?? "/").split("?")[0];
    let path = fullPath;
    /** @type {string | null} */
    let lane = null;
    /** @type {LaneConfig} */
    let cfg = { mode: defaultMode };
    const m = /^\/(m|l)\/([A-Za-z0-9_.-]{1,64})(\/.*)?$/.exec(fullPath);
    if (m) {
      path = m[3] ?? "/";
      if (m[1] === "m") {
        if (!isMode(m[2])) return sendJson(res, 400, { error: { message: `mock: unknown mode ${m[2]}` } });
        cfg = { mode: m[2] };
      } else {
        lane = m[2];
        cfg = lanes.get(lane) ?? { mode: "ok" };
      }
    }
    /** @type {any} */
    let body = null;
    try { body = raw.length ? JSON.parse(raw.toString("utf8")) : null; } catch { body = raw.toString("utf8"); }
    const api = apiOf(req.method ?? "GET", path);
    const hadToolResult = api === "other" ? false : carriesToolResult(api, body);
    let mode = cfg.mode;
    if (cfg.when === "after_tool" && !hadToolResult) mode = "ok";
    if (api === "count_tokens" || api === "gemini_count" || api === "models" || api === "other") mode = "ok";
    /** @type {RecordedRequest} */
    const rec = {
      seq, at: Date.now(), method: req.method ?? "", path: fullPath, lane, api, mode, hadToolResult,
      toolCallSent: null, userAgent: String(req.headers["user-agent"] ?? ""), body,
      text: api === "other" ? "" : allText(body),
    };

    switch (api) {
      case "models":
        record(rec);
        return sendJson(res, 200, { object: "list", data: [{ id: MODEL, object: "model", created: 0, owned_by: "mock" }], models: [] });
      case "count_tokens":
        record(rec);
        return sendJson(res, 200, { input_tokens: 12 });
      case "gemini_count":
        record(rec);
        return sendJson(res, 200, { totalTokens: 12 });
      case "other":
        record(rec);
        return sendJson(res, 404, { error: { message: `mock: no route for ${req.method} ${path}` } });
    }

    if (mode === "hang") {
      record(rec);
      // Never answer; the socket is destroyed when the server closes.
      return;
    }
    if (mode !== "ok") {
      record(rec);
      return sendError(res, api, mode, cfg);
    }
    const tool = hadToolResult ? null : pickTool(api, body);
    rec.toolCallSent = tool ? tool.name : null;
    record(rec);
    const stream = !!(body && body.stream);
    if (api === "responses") return replyResponses(res, tool);
    if (api === "chat") return replyChat(res, tool, stream);
    if (api === "gemini") return replyGemini(res, tool, /:streamGenerateContent$/.test(path));
    return replyMessages(res, tool, stream);
  }

  return {
    port,
    url,
    /** Base URL for a fixed mode, e.g. baseUrl("401") + "/v1". @param {Mode} mode */
    modeUrl: (mode) => `${url}/m/${mode}`,
    /** Base URL for a lane (no trailing /v1). @param {string} lane */
    laneUrl: (lane) => `${url}/l/${lane}`,
    /** @param {string} lane @param {LaneConfig | Mode} config */
    setLane(lane, config) {
      const c = typeof config === "string" ? { mode: config } : config;
      if (!isMode(c.mode)) throw new Error(`mock: unknown mode ${c.mode}`);
      lanes.set(lane, c);
    },
    /** @param {Mode} mode */
    setDefaultMode(mode) {
      if (!isMode(mode)) throw new Error(`mock: unknown mode ${mode}`);
      defaultMode = mode;
    },
    /** Recorded requests, optionally of one lane. @param {string} [lane] */
    requests: (lane) => (lane === undefined ? requests.slice() : requests.filter((r) => r.lane === lane)),
    /** Model calls only (no count_tokens/models/unknown routes). @param {string} [lane] */
    modelCalls: (lane) => requests.filter((r) => (lane === undefined || r.lane === lane) &&
      (r.api === "responses" || r.api === "chat" || r.api === "messages" || r.api === "gemini")),
    /**
     * Resolves with the first recorded request matching pred (already recorded ones count).
     * @param {(r: RecordedRequest) => boolean} pred @param {number} timeoutMs
     * @returns {Promise<RecordedRequest>}
     */
    waitFor(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = requests.find(pred);
          if (hit) { done(); resolve(hit); return true; }
          if (closed) { done(); reject(new Error(`mock server closed (${closeReason}) while waiting`)); return true; }
          return false;
        };
        const timer = setTimeout(() => { done(); reject(new Error(`mock: no matching request within ${timeoutMs} ms`)); }, timeoutMs);
        const w = () => { check(); };
        const done = () => { clearTimeout(timer); waiters.delete(w); };
        if (!check()) waiters.add(w);
      });
    },
    get closed() { return closed; },
    close,
  };
}

/** @param {unknown} m @returns {m is Mode} */
function isMode(m) { return typeof m === "string" && /** @type {readonly string[]} */ (MODES).includes(m); }

/** @param {import("node:http").IncomingMessage} req @returns {Promise<Buffer>} */
function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 64 * 1024 * 1024) { req.destroy(); reject(new Error("body too large")); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** @param {string} method @param {string} path */
function apiOf(method, path) {
  if (method === "GET" && /\/models\/?$/.test(path)) return "models";
  if (method !== "POST") return "other";
  if (/\/responses\/?$/.test(path)) return "responses";
  if (/\/chat\/completions\/?$/.test(path)) return "chat";
  if (/\/messages\/count_tokens\/?$/.test(path)) return "count_tokens";
  if (/\/messages\/?$/.test(path)) return "messages";
  if (/\/models\/[^/]+:countTokens$/.test(path)) return "gemini_count";
  if (/\/models\/[^/]+:(stream)?[gG]enerateContent$/.test(path)) return "gemini";
  return "other";
}

/** Every string in the body, joined: for "did the resumed call carry X" checks. @param {any} body */
function allText(body) {
  /** @type {string[]} */
  const out = [];
  /** @param {any} v @param {number} depth */
  const walk = (v, depth) => {
    if (depth > 40 || out.length > 100_000) return;
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v && typeof v === "object") for (const k of Object.keys(v)) { if (k !== "tools") walk(v[k], depth + 1); }
  };
  walk(body, 0);
  return out.join("\n");
}

/** The conversation items of a request, in order. @param {string} api @param {any} body @returns {any[]} */
function conversation(api, body) {
  if (!body || typeof body !== "object") return [];
  if (api === "responses") return Array.isArray(body.input) ? body.input : [];
  if (api === "gemini") return Array.isArray(body.contents) ? body.contents : [];
  return Array.isArray(body.messages) ? body.messages : [];
}

/** Whether the newest item of the conversation is a tool result. @param {string} api @param {any} body */
function carriesToolResult(api, body) {
  const conv = conversation(api, body);
  const last = conv[conv.length - 1];
  if (!last || typeof last !== "object") return false;
  if (api === "responses") return /_call_output$/.test(String(last.type ?? ""));
  if (api === "chat") return last.role === "tool";
  if (api === "gemini") return last.role === "user" && Array.isArray(last.parts) && last.parts.some((/** @type {any} */ p) => p && p.functionResponse);
  return last.role === "user" && Array.isArray(last.content) &&
    last.content.some((/** @type {any} */ c) => c && c.type === "tool_result");
}

/** Text of the newest user item. @param {string} api @param {any} body */
function lastUserText(api, body) {
  const conv = conversation(api, body);
  for (let i = conv.length - 1; i >= 0; i--) {
    const it = conv[i];
    if (it && it.role === "user") return allText(it.content ?? it.parts);
  }
  return "";
}

/** Tool names offered by a request. @param {string} api @param {any} body @returns {string[]} */
function toolNames(api, body) {
  const tools = body && Array.isArray(body.tools) ? body.tools : [];
  // Gemini: tools: [{ functionDeclarations: [{ name, … }] }].
  if (api === "gemini") return tools.flatMap((/** @type {any} */ t) => (Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : []).map((/** @type {any} */ f) => String(f?.name ?? ""))).filter(Boolean);
  return tools.map((/** @type {any} */ t) => String(
    api === "chat" ? (t.function?.name ?? t.name ?? "") : (t.name ?? t.function?.name ?? ""))).filter(Boolean);
}

/**
 * A harmless tool call to make first, when the prompt asks for it.
 * @param {string} api @param {any} body @returns {{ name: string, args: any } | null}
 */
function pickTool(api, body) {
  const escape = escapeTool(api, body);
  if (escape) return escape;
  if (!lastUserText(api, body).includes(TOOL_TRIGGER)) return null;
  const names = toolNames(api, body);
  /** @type {[string, any][]} */
  const prefs = [
    ["update_plan", { plan: [{ step: "conformance check", status: "in_progress" }] }],
    ["get_goal", {}],
    ["Glob", { pattern: "*.md" }],
    ["ToolSearch", { query: "read file", max_results: 1 }],
    ["todowrite", { todos: [{ content: "conformance check", status: "in_progress", priority: "medium" }] }],
    ["read", { path: "README.md" }],
    ["glob", { pattern: "*.md" }],
  ];
  for (const [name, args] of prefs) if (names.includes(name)) return { name, args };
  return null;
}

/**
 * An attempt to write outside the project, for the sandbox conformance checks: when the newest
 * user text holds `RCA_ESCAPE_BASH:<abs path>` the first answer asks the agent's shell tool to
 * create that file; `RCA_ESCAPE_WRITE:<abs path>` asks its file-writing tool to. The test then
 * checks that the sandboxed agent did not create it.
 * @param {string} api @param {any} body @returns {{ name: string, args: any } | null}
 */
function escapeTool(api, body) {
  const text = lastUserText(api, body);
  const m = /RCA_ESCAPE_(BASH|WRITE):(\/[A-Za-z0-9._\/-]+)/.exec(text);
  if (!m) return null;
  const names = toolNames(api, body);
  const target = m[2];
  // The path is spelled so that no absolute path appears in the command (\057 is "/"): a
  // CLI's own check of the paths in a shell command must not be what stops it.
  const shell = `touch "$(printf '\\057%s' '${target.slice(1)}')"`;
  /** @type {[string, any][]} */
  const prefs = m[1] === "BASH"
    ? [
      ["bash", { command: shell, description: "Create a marker file" }],
      ["Bash", { command: shell, description: "Create a marker file" }],
      ["shell", { command: ["touch", target] }],
      ["exec_command", { cmd: `touch ${target}` }],
      ["run_shell_command", { command: shell, description: "Create a marker file" }],
    ]
    : [
      ["write", { filePath: target, content: "escaped\n" }],
      ["Write", { file_path: target, content: "escaped\n" }],
      ["write_file", { file_path: target, content: "escaped\n" }],
    ];
  for (const [name, args] of prefs) if (names.includes(name)) return { name, args };
  return null;
}

/** @param {import("node:http").ServerResponse} res @param {number} status @param {any} obj @param {Record<string,string>} [headers] */
function sendJson(res, status, obj, headers = {}) {
  const text = JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "req_mock_123", "request-id": "req_mock_123", ...headers });
  res.end(text);
}

/** @param {import("node:http").ServerResponse} res */
function sse(res) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": "req_mock_123", "request-id": "req_mock_123" });
  return {
    /** @param {string | null} event @param {any} data */
    send(event, data) {
      if (event) res.write(`event: ${event}\n`);
      res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    },
    end() { res.end(); },
  };
}

const USAGE = { input: 12, output: 6 };

/** @param {import("node:http").ServerResponse} res @param {{name: string, args: any} | null} tool */
function replyResponses(res, tool) {
  const s = sse(res);
  const id = `resp_mock_${Date.now()}`;
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model: MODEL, status: "in_progress", output: [] };
  s.send("response.created", { type: "response.created", response: base });
  /** @type {any} */
  let item;
  if (tool) {
    item = { type: "function_call", id: "fc_mock_1", call_id: `call_mock_${Date.now()}`, name: tool.name, arguments: JSON.stringify(tool.args), status: "completed" };
    s.send("response.output_item.added", { type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "", status: "in_progress" } });
  } else {
    const text = "Hello from mock (responses).";
    item = { type: "message", id: "msg_mock_1", role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] };
    s.send("response.output_item.added", { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } });
    s.send("response.output_text.delta", { type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta: text });
  }
  s.send("response.output_item.done", { type: "response.output_item.done", output_index: 0, item });
  s.send("response.completed", {
    type: "response.completed",
    response: { ...base, status: "completed", output: [item], usage: {
      input_tokens: USAGE.input, input_tokens_details: { cached_tokens: 0 }, output_tokens: USAGE.output,
      output_tokens_details: { reasoning_tokens: 0 }, total_tokens: USAGE.input + USAGE.output } },
  });
  s.end();
}

/** @param {import("node:http").ServerResponse} res @param {{name: string, args: any} | null} tool @param {boolean} stream */
function replyChat(res, tool, stream) {
  const id = "chatcmpl_mock";
  const created = Math.floor(Date.now() / 1000);
  const text = "Hello from mock (chat).";
  const usage = { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output };
  const toolCall = tool ? { id: `call_mock_${Date.now()}`, type: "function", function: { name: tool.name, arguments: JSON.stringify(tool.args) } } : null;
  if (!stream) {
    return sendJson(res, 200, {
      id, object: "chat.completion", created, model: MODEL,
      choices: [{ index: 0, message: toolCall ? { role: "assistant", content: null, tool_calls: [toolCall] } : { role: "assistant", content: text },
        finish_reason: toolCall ? "tool_calls" : "stop" }],
      usage,
    });
  }
  const s = sse(res);
  /** @param {any} delta @param {string | null} finish */
  const chunk = (delta, finish) => ({ id, object: "chat.completion.chunk", created, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] });
  s.send(null, chunk({ role: "assistant", content: "" }, null));
  if (toolCall) s.send(null, chunk({ tool_calls: [{ index: 0, ...toolCall }] }, null));
  else s.send(null, chunk({ content: text }, null));
  s.send(null, chunk({}, toolCall ? "tool_calls" : "stop"));
  s.send(null, { id, object: "chat.completion.chunk", created, model: MODEL, choices: [], usage });
  s.send(null, "[DONE]");
  s.end();
}

/** @param {import("node:http").ServerResponse} res @param {{name: string, args: any} | null} tool @param {boolean} stream */
function replyMessages(res, tool, stream) {
  const id = `msg_mock_${Date.now()}`;
  const text = "Hello from mock (messages).";
  const block = tool ? { type: "tool_use", id: `toolu_mock_${Date.now()}`, name: tool.name, input: tool.args } : { type: "text", text };
  const stopReason = tool ? "tool_use" : "end_turn";
  if (!stream) {
    return sendJson(res, 200, { id, type: "message", role: "assistant", model: MODEL, content: [block], stop_reason: stopReason,
      stop_sequence: null, usage: { input_tokens: USAGE.input, output_tokens: USAGE.output } });
  }
  const s = sse(res);
  s.send("message_start", { type: "message_start", message: { id, type: "message", role: "assistant", model: MODEL, content: [],
    stop_reason: null, stop_sequence: null, usage: { input_tokens: USAGE.input, output_tokens: 1 } } });
  if (tool) {
    s.send("content_block_start", { type: "content_block_start", index: 0, content_block: { ...block, input: {} } });
    s.send("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(tool.args) } });
  } else {
    s.send("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    s.send("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
  }
  s.send("content_block_stop", { type: "content_block_stop", index: 0 });
  s.send("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: USAGE.output } });
  s.send("message_stop", { type: "message_stop" });
  s.end();
}

/**
 * Gemini API: one GenerateContentResponse, as `data:` lines (streamGenerateContent?alt=sse) or
 * one JSON object (generateContent).
 * @param {import("node:http").ServerResponse} res @param {{name: string, args: any} | null} tool @param {boolean} stream
 */
function replyGemini(res, tool, stream) {
  const text = "Hello from mock (gemini).";
  const usageMetadata = { promptTokenCount: USAGE.input, candidatesTokenCount: USAGE.output, totalTokenCount: USAGE.input + USAGE.output };
  const parts = tool ? [{ functionCall: { name: tool.name, args: tool.args } }] : [{ text }];
  const done = { candidates: [{ content: { parts, role: "model" }, finishReason: "STOP", index: 0 }], usageMetadata, modelVersion: MODEL, responseId: "resp_mock_gemini" };
  if (!stream) return sendJson(res, 200, done);
  const s = sse(res);
  s.send(null, done);
  s.end();
}

/**
 * The error replies, in each API's own shape.
 * @param {import("node:http").ServerResponse} res @param {string} api @param {Mode} mode @param {LaneConfig} cfg
 */
function sendError(res, api, mode, cfg) {
  const anthropic = api === "messages";
  /** @param {string} type @param {string} message */
  const aerr = (type, message) => ({ type: "error", error: { type, message }, request_id: "req_mock_123" });
  /** @param {string} message @param {string} type @param {string | null} code @param {any} [extra] */
  const oerr = (message, type, code, extra = {}) => ({ error: { message, type, param: null, code, ...extra } });
  const retryAfter = String(cfg.retryAfterSec ?? 1);
  const resetIn = cfg.resetInSec ?? 3600;
  const resetsAt = Math.floor(Date.now() / 1000) + resetIn;
  if (api === "gemini") return sendGeminiError(res, mode, retryAfter, resetIn);
  switch (mode) {
    case "401":
      return anthropic
        ? sendJson(res, 401, aerr("authentication_error", "invalid x-api-key"))
        : sendJson(res, 401, oerr("Incorrect API key provided: mock. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"));
    case "429":
      return anthropic
        ? sendJson(res, 429, aerr("rate_limit_error", "This request would exceed the rate limit for your organization of 50 input tokens per minute."), { "retry-after": retryAfter })
        : sendJson(res, 429, oerr("Rate limit reached for requests", "requests", "rate_limit_exceeded"), { "retry-after": retryAfter });
    case "500":
      return anthropic
        ? sendJson(res, 500, aerr("api_error", "Internal server error"))
        : sendJson(res, 500, oerr("The server had an error while processing your request. Sorry about that!", "server_error", null));
    case "503":
      return sendJson(res, 503, anthropic ? aerr("api_error", "Service Unavailable") : oerr("Service Unavailable", "server_error", null));
    case "overloaded":
      return anthropic
        ? sendJson(res, 529, aerr("overloaded_error", "Overloaded"))
        : sendJson(res, 503, oerr("The server is overloaded. Please try again later.", "server_error", "server_is_overloaded"));
    case "context":
      return anthropic
        ? sendJson(res, 400, aerr("invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"))
        : sendJson(res, 400, oerr("Your input exceeds the context window of this model. Please adjust your input and try again.", "invalid_request_error", "context_length_exceeded", { param: "input" }));
    case "usage_limit":
      return anthropic
        ? sendJson(res, 429, aerr("rate_limit_error", "Rate limited"), {
          "anthropic-ratelimit-unified-status": "rejected",
          "anthropic-ratelimit-unified-reset": String(resetsAt),
          "anthropic-ratelimit-unified-representative-claim": "five_hour",
          "retry-after": String(resetIn) })
        : sendJson(res, 429, { error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_at: resetsAt, resets_in_seconds: resetIn } });
    case "quota":
      return anthropic
        ? sendJson(res, 400, aerr("invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."))
        : sendJson(res, 429, oerr("You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota"));
    default:
      return sendJson(res, 500, { error: { message: `mock: unhandled mode ${mode}` } });
  }
}

/**
 * The Gemini API's errors: `{"error":{"code","message","status","details"}}` (google.rpc.Status),
 * with RetryInfo where the real API sends one (the CLI waits the retryDelay) and QuotaFailure for
 * quota exhaustion (a per-day quota is terminal for the CLI).
 * @param {import("node:http").ServerResponse} res @param {Mode} mode @param {string} retryAfter @param {number} resetIn
 */
function sendGeminiError(res, mode, retryAfter, resetIn) {
  /** @param {number} code @param {string} status @param {string} message @param {any[]} [details] */
  const gerr = (code, status, message, details = []) => ({ error: { code, message, status, ...(details.length ? { details } : {}) } });
  const retryInfo = (/** @type {string | number} */ sec) => ({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${sec}s` });
  /** @param {string} quotaId */
  const quotaFailure = (quotaId) => ({ "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests", quotaId, quotaDimensions: { location: "global", model: MODEL }, quotaValue: "50" }] });
  switch (mode) {
    case "401":
      return sendJson(res, 401, gerr(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."));
    case "429":
      return sendJson(res, 429, gerr(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", [retryInfo(retryAfter)]), { "retry-after": retryAfter });
    case "500":
      return sendJson(res, 500, gerr(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"));
    case "503":
      return sendJson(res, 503, gerr(503, "UNAVAILABLE", "Service Unavailable"));
    case "overloaded":
      return sendJson(res, 503, gerr(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
    case "context":
      return sendJson(res, 400, gerr(400, "INVALID_ARGUMENT", "The input token count (1205000) exceeds the maximum number of tokens allowed (1048576)."));
    case "usage_limit":
      return sendJson(res, 429, gerr(429, "RESOURCE_EXHAUSTED",
        `You exceeded your current quota, please check your plan and billing details. Please retry in ${resetIn}s.`,
        [quotaFailure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"), retryInfo(resetIn)]));
    case "quota":
      return sendJson(res, 429, gerr(429, "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        [quotaFailure("GenerateContentInputTokensPerModelPerDay-FreeTier")]));
    default:
      return sendJson(res, 500, gerr(500, "INTERNAL", `mock: unhandled mode ${mode}`));
  }
}

// --- command line -----------------------------------------------------------------------------
if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const args = process.argv.slice(2);
  /** @param {string} name */
  const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const mode = opt("--mode") ?? "ok";
  if (!isMode(mode)) { process.stderr.write(`unknown mode ${mode}; one of ${MODES.join(", ")}\n`); process.exit(2); }
  const mock = await startMockServer({
    mode,
    logFile: opt("--log"),
    maxLifetimeMs: Number(opt("--max-lifetime-ms") ?? 30 * 60_000),
    maxRequests: Number(opt("--max-requests") ?? 5000),
  });
  process.stdout.write(`listening ${mock.url}\n`);
  const stop = () => { void mock.close().then(() => process.exit(0)); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
