// @ts-check
// The dashboard inside the REAL OpenClaw gateway (openclaw@2026.9.6): the plugin registers
// /plugins/resilient-coding-agent with `auth: "gateway"`, so the gateway answers 401 before our
// handler runs unless the request carries the gateway's token; with it, the page, its live
// fleet and its actions work (driven in Chromium, the token sent as the gateway's Bearer
// header). One gateway start. Needs pkg/ (make pkg) and tmux; the first run downloads Node 24
// and OpenClaw into the test cache (see scripts/install-openclaw.sh).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { OpenClawHome, ROOT, freePort, installOpenClaw, waitFor } from "./openclaw/harness.js";
import { TaskManager } from "../../host-shim/index.js";
import { launchBrowser } from "./dashboard/browser.js";

const PLUGIN = "resilient-coding-agent";
const TOKEN = "rca-dashboard-e2e-token";
const ROUTE = "/plugins/resilient-coding-agent";

/** @type {OpenClawHome} */
let oc;
let base = "";
/** @type {TaskManager} */
let tm;

before(async () => {
  const pkg = join(ROOT, "pkg");
  assert.ok(existsSync(join(pkg, "package.json")), "pkg/ is missing: run `make pkg` first (make test does)");
  oc = new OpenClawHome(installOpenClaw());
  const out = execFileSync("npm", ["pack", pkg, "--pack-destination", oc.dir, "--silent"], { encoding: "utf8" });
  const tgz = join(oc.dir, out.trim().split("\n").at(-1) ?? "");
  const r = await oc.run(["plugins", "install", `npm-pack:${tgz}`, "--force", "--accept-capabilities"], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, `install failed:\n${r.stdout}\n${r.stderr}`);
  const socket = `rca-dash-oc-${process.pid}`;
  oc.tmuxSockets.push(socket);
  const stateDir = join(oc.dir, "rca-state");
  const project = join(oc.dir, "project");
  mkdirSync(project, { recursive: true });
  oc.editConfig((cfg) => {
    cfg.plugins ??= {};
    cfg.plugins.entries ??= {};
    cfg.plugins.entries[PLUGIN] = { enabled: true, config: { stateDir, tmuxSocket: socket, pollMs: 500, policy: { projectRoots: [oc.dir] } } };
  });
  // A task in the plugin's state directory, started here with the Node API (the same files the
  // gateway's monitor and dashboard read).
  tm = new TaskManager({ stateDir, tmuxSocket: socket, env: { PATH: String(process.env.PATH), HOME: oc.home, RCA_DEMO_MODE: "hang" } });
  await tm.start({ agent: "demo", name: "in-gateway", projectDir: project, prompt: "wait here" });
  const port = await freePort();
  await oc.startGateway({ port, token: TOKEN });
  base = `http://127.0.0.1:${port}${ROUTE}`;
});

after(async () => {
  await tm?.close();
  if (!oc) return;
  await oc.stopGateway(30_000).catch(() => {});
  oc.cleanup();
});

/** @param {string} path @param {RequestInit & { headers?: Record<string, string> }} [init] */
const get = (path, init = {}) => fetch(`${base}${path}`, { redirect: "manual", ...init });
const bearer = { Authorization: `Bearer ${TOKEN}` };

test("the route answers only with the gateway's authentication", { timeout: 600_000 }, async () => {
  for (const path of ["/", "/api/fleet", "/app.js", "/api/task/demo-in-gateway"]) {
    const none = await get(path);
    assert.equal(none.status, 401, `${path} without auth`);
    assert.ok(!(await none.text()).includes("in-gateway"), "no data in a 401");
    const wrong = await get(path, { headers: { Authorization: "Bearer not-the-token" } });
    assert.equal(wrong.status, 401, `${path} with a wrong token`);
  }
  const stop = await get("/api/task/demo-in-gateway/stop", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(stop.status, 401, "an unauthenticated action");
  const fleet = await waitFor("the fleet through the gateway", async () => {
    const r = await get("/api/fleet", { headers: bearer });
    return r.status === 200 ? r.json() : null;
  }, { timeoutMs: 30_000 });
  assert.ok(fleet.tasks.some((/** @type {any} */ t) => t.session === "demo-in-gateway"), JSON.stringify(fleet));
  const page = await get("/", { headers: bearer });
  assert.equal(page.status, 200);
  assert.match(String(page.headers.get("content-security-policy")), /script-src 'self'/);
  const cross = await get("/api/task/demo-in-gateway/stop", {
    method: "POST", headers: { ...bearer, "Content-Type": "application/json", Origin: "http://evil.example" }, body: "{}",
  });
  assert.equal(cross.status, 403, "a cross-site action, even authenticated");
  const traversal = await get("/..%2F..%2Fpackage.json", { headers: bearer });
  assert.ok(traversal.status >= 400, `traversal: ${traversal.status}`);
});

test("in Chromium through the gateway: the page lists the task live and Stop works", { timeout: 300_000 }, async () => {
  const browser = await launchBrowser(oc.dir, { extraHTTPHeaders: bearer });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.locator('tr[data-session="demo-in-gateway"][data-state="running"]').waitFor({ timeout: 60_000 });
    await page.goto(`${base}/#/task/demo-in-gateway`);
    await page.locator('section.task[data-state="running"]').waitFor({ timeout: 30_000 });
    await page.locator("#stop").click();
    await page.locator('section.task[data-state="stopped"]').waitFor({ timeout: 30_000 });
    assert.equal((await tm.status("demo-in-gateway")).state, "stopped");
  } finally {
    await browser.close();
  }
});
