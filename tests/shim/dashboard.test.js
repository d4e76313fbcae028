// @ts-check
// The dashboard's handler without a browser: the token gate, the fixed routes and asset table,
// the cross-site checks, the confirmed removal, and the redaction of what a row shows. The
// TaskManager is a fake here (the e2e tests drive the real one in Chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { createDashboardHandler, crossSite } from "../../host-shim/dashboard/server.js";
import { parseListen } from "../../host-shim/dashboard/serve.js";
import { rowOf } from "../../host-shim/dashboard/data.js";
import { pageWeight } from "../../host-shim/dashboard/assets.js";
import { RcaError } from "../../host-shim/errors.js";

const SECRET = "sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01";
const TOKEN = "t0ken-for-the-unit-tests-0123456789";

function fakeManager() {
  /** @type {string[]} */
  const calls = [];
  const view = { session: "demo-x", agent: "demo", name: "x", state: "running", attempts: 1, failure: null, taskDir: "/nowhere", createdAt: "", updatedAt: "", nextRecoveryAt: null };
  const tm = {
    calls,
    on() {}, off() {},
    async list() { return [view]; },
    async status() { return { ...view, attempts: 0, recentOutput: `key ${SECRET}` }; },
    /** @param {string} s @param {string} text */
    async send(s, text) { calls.push(`send ${s} ${text}`); },
    /** @param {string} s */
    async resume(s) { calls.push(`resume ${s}`); return view; },
    /** @param {string} s @param {{ cleanup?: boolean }} o */
    async stop(s, o) {
      if (s !== "demo-x") throw new RcaError("task_not_found", `no task named ${s}`);
      calls.push(`stop ${s} ${!!o.cleanup}`);
      return o.cleanup ? null : { ...view, state: "stopped" };
    },
  };
  return tm;
}

/** @param {(req: any, res: any) => Promise<boolean>} handle */
async function serve(handle) {
  const server = createServer((req, res) => void handle(req, res).then((done) => done || (res.writeHead(404), res.end())));
  await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  /** @param {string} method @param {string} path @param {Record<string, string>} [headers] @param {string} [body] */
  const call = (method, path, headers = {}, body = "") =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method, path, headers: { Connection: "close", ...headers } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  return { call: /** @type {(m: string, p: string, h?: Record<string, string>, b?: string) => Promise<any>} */ (call), close: () => server.close() };
}

test("the token gates everything; paths are a fixed table; `..` and escapes are refused", async () => {
  const tm = fakeManager();
  const h = createDashboardHandler({ getManager: () => /** @type {any} */ (tm), token: TOKEN });
  const s = await serve(h.handle);
  try {
    for (const p of ["/", "/api/fleet", `/${TOKEN.slice(1)}/api/fleet`, `/${TOKEN}x/api/fleet`, "/../etc/passwd"]) {
      const r = await s.call("GET", p);
      assert.equal(r.status, 401, p);
      assert.ok(!r.body.includes("demo-x"));
    }
    assert.equal((await s.call("GET", `/${TOKEN}`)).status, 308);
    for (const p of ["/../package.json", "/%2e%2e/package.json", "/./app.js", "/web/app.js", "/app.js/", "/assets.js", "/api/task/demo-x/../../app.js"]) {
      const r = await s.call("GET", `/${TOKEN}${p}`);
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
    }
    const page = await s.call("GET", `/${TOKEN}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers["content-security-policy"], /^default-src 'none'; script-src 'self'/);
    assert.equal(page.headers["x-content-type-options"], "nosniff");
    const fleet = JSON.parse((await s.call("GET", `/${TOKEN}/api/fleet`)).body);
    assert.deepEqual(fleet.counts, { running: 1 });
    const task = JSON.parse((await s.call("GET", `/${TOKEN}/api/task/demo-x`)).body);
    assert.ok(!task.tail.includes(SECRET), "the tail is redacted");
    assert.equal((await s.call("GET", `/${TOKEN}/api/task/Demo-X`)).status, 404);
  } finally {
    h.close();
    s.close();
  }
});

test("actions: POST + JSON + same origin only; removal needs the session named again", async () => {
  const tm = fakeManager();
  const h = createDashboardHandler({ getManager: () => /** @type {any} */ (tm), token: TOKEN });
  const s = await serve(h.handle);
  const json = { "Content-Type": "application/json" };
  const at = (/** @type {string} */ a) => `/${TOKEN}/api/task/demo-x/${a}`;
  try {
    assert.equal((await s.call("GET", at("stop"))).status, 405);
    assert.equal((await s.call("POST", at("stop"), { "Content-Type": "text/plain" }, "{}")).status, 403);
    assert.equal((await s.call("POST", at("stop"), { ...json, "Sec-Fetch-Site": "cross-site" }, "{}")).status, 403);
    assert.equal((await s.call("POST", at("stop"), { ...json, Origin: "http://evil.example" }, "{}")).status, 403);
    assert.deepEqual(tm.calls, []);
    assert.equal((await s.call("POST", at("send"), json, JSON.stringify({ text: "yes" }))).status, 200);
    assert.equal((await s.call("POST", at("send"), json, JSON.stringify({ text: "" }))).status, 400);
    assert.equal((await s.call("POST", at("send"), json, "{not json")).status, 400);
    assert.equal((await s.call("POST", at("cleanup"), json, "{}")).status, 400);
    assert.equal((await s.call("POST", at("cleanup"), json, JSON.stringify({ confirm: "demo-y" }))).status, 400);
    assert.equal((await s.call("POST", at("cleanup"), json, JSON.stringify({ confirm: "demo-x" }))).status, 200);
    assert.equal((await s.call("POST", `/${TOKEN}/api/task/demo-y/stop`, json, "{}")).status, 404);
    assert.deepEqual(tm.calls, ["send demo-x yes", "stop demo-x true"]);
  } finally {
    h.close();
    s.close();
  }
});

test("crossSite, parseListen, rowOf and the page's weight", () => {
  const req = (/** @type {Record<string, string>} */ headers) => /** @type {any} */ ({ headers: { host: "127.0.0.1:9", ...headers } });
  assert.equal(crossSite(req({ "content-type": "application/json", origin: "http://127.0.0.1:9", "sec-fetch-site": "same-origin" })), null);
  assert.match(String(crossSite(req({ "content-type": "application/json", origin: "http://127.0.0.1:10" }))), /Origin/);
  assert.match(String(crossSite(req({ "content-type": "application/json", "sec-fetch-site": "none" }))), /Sec-Fetch-Site/);
  assert.deepEqual(parseListen("0.0.0.0:8080"), { host: "0.0.0.0", port: 8080 });
  assert.deepEqual(parseListen("[::1]"), { host: "::1", port: 0 });
  for (const bad of ["example.com:80", "1.2.3.4:99999", "", "127.0.0.1:x", "$(id)"]) assert.throws(() => parseListen(bad), /--listen/);
  const row = rowOf(/** @type {any} */ ({ session: "demo-x", state: "failed", failure: { class: "crash", evidence: `token ${SECRET}\x1b[31m` }, attempts: 2 }));
  assert.ok(!JSON.stringify(row).includes(SECRET) && !JSON.stringify(row).includes("\x1b"));
  assert.equal(row.host, "local");
  assert.ok(pageWeight() > 1000 && pageWeight() < 64 * 1024, `${pageWeight()} bytes`);
});
