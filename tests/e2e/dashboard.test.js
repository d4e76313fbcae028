// @ts-check
// The dashboard served by `resilient-agent dashboard`, driven in a real headless Chromium:
// real demo tasks on a private tmux server, the dashboard process as their monitor. The open
// page follows a task that is killed (recovering, then running again, no reload), the task
// page draws one bar per attempt and a live transcript tail, an answer sent from the page
// reaches a waiting agent, Stop and Remove work from the page; the server refuses requests
// without the token, cross-site POSTs (one made by a real page on another origin) and `..`.
// Screenshots of the fleet and a task page are written under the test root
// (<test root>/artifacts/dashboard/).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdir } from "node:fs/promises";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { world, waitFor, FAST, agentPid } from "./helpers.js";
import { launchBrowser } from "./dashboard/browser.js";
import { testRoot } from "../support/dirs.js";

const w = await world();
const configFile = join(w.root, "config.json");
// The first recovery waits 2.5 s (not at once), so `recovering` is on screen long enough to see.
await writeFile(configFile, JSON.stringify({ ...FAST, firstRecoveryImmediate: false, recoveryBaseDelayMs: 2500 }));
const SECRET = "sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01";
const ARTIFACTS = join(testRoot(), "artifacts", "dashboard");

/** @type {ReturnType<typeof w.spawnCli>} */
let dash;
let url = "";
/** @type {import("playwright-core").BrowserContext} */
let browser;

/** @param {string} name @param {string} mode @param {string} [workMs] */
async function startDemo(name, mode, workMs = "2400") {
  const r = await w.cli(
    ["start", "--agent", "demo", "--name", name, "--dir", w.projectDir, "--prompt", `deploy with ${SECRET}`, "--json",
      "--env", `RCA_DEMO_MODE=${mode}`, "--env", `RCA_DEMO_WORK_MS=${workMs}`],
    { env: { PATH: w.agentEnv().PATH } },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** @param {string} session */
async function status(session) {
  const r = await w.cli(["status", session, "--json"]);
  return r.code === 0 ? JSON.parse(r.stdout) : { state: "gone", stderr: r.stderr };
}

before(async () => {
  dash = w.spawnCli(["dashboard", "--json", "--config", configFile]);
  const line = await waitFor(() => dash.stdout.split("\n").find((l) => l.startsWith("{")), { what: "the dashboard's URL" });
  url = JSON.parse(line).url;
  browser = await launchBrowser(w.root);
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  // (world() kills the dashboard if a test failed before the last one stopped it.)
  await Promise.race([browser?.close(), timeout(15_000)]);
});

test("the URL is on 127.0.0.1 with a random token; without it: 401 and no data; `..` and odd paths refused", async () => {
  const u = new URL(url);
  assert.equal(u.hostname, "127.0.0.1");
  const token = u.pathname.split("/")[1];
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  await startDemo("guarded", "hang");
  for (const path of ["/", "/api/fleet", "/app.js", `/${token.slice(0, -1)}x/api/fleet`, `/x${token}/api/fleet`, `/${token}x/api/fleet`]) {
    const r = await raw("GET", path);
    assert.equal(r.status, 401, path);
    assert.ok(!r.body.includes("guarded") && !r.body.includes("demo"), `no data in a 401 (${path}): ${r.body}`);
  }
  for (const path of [`/${token}/../${token}/api/fleet`, `/${token}/api/task/demo-guarded/..%2f..%2fx`, `/${token}/%2e%2e/app.js`, `/${token}/./app.js`, `/${token}/web/app.js`]) {
    const r = await raw("GET", path);
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    assert.ok(!r.body.includes("guarded"), path);
  }
  const ok = await raw("GET", `/${token}/api/fleet`);
  assert.equal(ok.status, 200);
  assert.ok(JSON.parse(ok.body).tasks.some((/** @type {any} */ t) => t.session === "demo-guarded"));
  const page = await raw("GET", `/${token}/`);
  assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
  assert.ok(!/<script>|<script [^>]*>[^<]|\son\w+=/.test(page.body), "no inline script in the page");
  assert.ok(!/https?:\/\//.test(page.body), "nothing loaded from outside");
});

test("the fleet page lists the tasks; a task killed meanwhile turns recovering, then running, without a reload", async () => {
  const killed = await startDemo("killed", "hang");
  await startDemo("finishes", "succeed", "600");
  const page = await browser.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.locator('tr[data-session="demo-killed"][data-state="running"]').waitFor({ timeout: 30_000 });
  await page.locator('tr[data-session="demo-finishes"][data-state="completed"]').waitFor({ timeout: 30_000 });
  // Every state the row shows from now on, and a marker a reload would wipe.
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.noReload = true;
    w.seen = [];
    const look = () => {
      const st = document.querySelector('tr[data-session="demo-killed"]')?.getAttribute("data-state");
      if (st && w.seen.at(-1) !== st) w.seen.push(st);
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  const pid = await waitFor(() => agentPid(killed.taskDir, 1), { what: "the agent's pid" });
  process.kill(pid, "SIGKILL");
  await page.waitForFunction(() => /** @type {any} */ (window).seen.includes("recovering"), null, { timeout: 30_000 });
  const why = await page.locator('tr[data-session="demo-killed"] td.why').textContent();
  assert.match(String(why), /next recovery in|recovering now/);
  await page.locator("body").screenshot({ path: join(ARTIFACTS, "fleet.png") });
  await page.waitForFunction(() => {
    const seen = /** @type {any} */ (window).seen;
    return seen.indexOf("running", seen.indexOf("recovering")) > 0;
  }, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).noReload), true, "the page was not reloaded");
  assert.equal(await page.locator('tr[data-session="demo-killed"] td.num').first().textContent(), "2");
  const counts = String(await page.locator("#counts").textContent());
  assert.match(counts, /completed 1/);
  const text = String(await page.locator("main").textContent());
  assert.ok(!text.includes(SECRET), "the secret never shows");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the task page: one bar per attempt, the tail updates, an answer sent from the page reaches the agent", async () => {
  const asking = await startDemo("asking", "ask", "1500");
  const page = await browser.newPage();
  await page.goto(`${url}#/task/${asking.session}`);
  await page.locator('section.task[data-state="waiting_for_input"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator("#timeline g.bar").count(), 1);
  assert.match(String(await page.locator("#tail").textContent()), /Allow command `npm install`\? \[y\/n\]/);
  assert.ok(!String(await page.locator("#tail").textContent()).includes(SECRET), "the tail is redacted");
  await page.evaluate(() => (/** @type {any} */ (window).noReload = true));
  await page.locator("#answer").fill("y");
  await page.locator("#send").click();
  // The agent got it: its next line is in the tail, which updates by itself.
  await page.locator("#tail", { hasText: "Answer received: y" }).waitFor({ timeout: 30_000 });
  await page.locator('section.task[data-state="completed"]').waitFor({ timeout: 30_000 });
  await page.locator('#timeline g.bar[data-outcome="completed"]').waitFor();
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).noReload), true);

  // The killed task of the previous test: two attempts, the first one died.
  await page.goto(`${url}#/task/demo-killed`);
  await page.locator("#timeline g.bar").nth(1).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator("#timeline g.bar").count(), 2);
  assert.equal(await page.locator("#timeline g.bar").first().getAttribute("data-outcome"), "died");
  assert.match(String(await page.locator("#timeline g.bar").first().textContent()), /died .*(signal 9|crash|signal)/);
  assert.equal(await page.locator("#timeline g.bar").nth(1).getAttribute("data-outcome"), "running");
  await page.screenshot({ path: join(ARTIFACTS, "task.png"), fullPage: true });
  await page.close();
});

test("Stop from the page stops the task; Remove asks first, then removes it", async () => {
  const v = await startDemo("stopped-from-page", "hang");
  const page = await browser.newPage();
  await page.goto(`${url}#/task/${v.session}`);
  await page.locator('section.task[data-state="running"]').waitFor({ timeout: 30_000 });
  await page.locator("#stop").click();
  await page.locator('section.task[data-state="stopped"]').waitFor({ timeout: 30_000 });
  assert.equal((await status(v.session)).state, "stopped");
  assert.throws(() => w.tmux("has-session", "-t", `=${v.session}`), "its tmux session is gone");
  await page.locator("#cleanup").click();
  assert.equal((await status(v.session)).state, "stopped", "one click does not remove anything");
  await page.locator("#cleanup-yes").click();
  await page.waitForURL(/#\/$/);
  await waitFor(async () => (await status(v.session)).state === "gone", { what: "the task removed" });
  await page.close();
});

test("cross-site POSTs are refused: from another origin's page in the browser, and by header checks", async () => {
  const v = await startDemo("target", "hang");
  await waitFor(async () => (await status(v.session)).state === "running", { what: "target running" });
  const action = `${url}api/task/${v.session}/stop`;
  // Another site (another origin: another port) whose page posts a form to the action.
  const evil = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<form method="POST" action="${action}" enctype="text/plain"><input name='{"a":"' value='"}'></form>`);
  });
  await new Promise((r) => evil.listen(0, "127.0.0.1", () => r(undefined)));
  const port = /** @type {import("node:net").AddressInfo} */ (evil.address()).port;
  const page = await browser.newPage();
  await page.goto(`http://localhost:${port}/`);
  // A cross-origin fetch with a JSON body needs a preflight the dashboard never grants.
  const fetched = await page.evaluate(async (a) => {
    try {
      await fetch(a, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      return "sent";
    } catch {
      return "blocked";
    }
  }, action);
  assert.equal(fetched, "blocked");
  // A form needs no preflight: the browser sends it, the dashboard refuses it.
  const answered = page.waitForResponse((r) => r.url() === action);
  await page.evaluate(() => document.forms[0].submit());
  assert.equal((await answered).status(), 403);
  await page.close();
  evil.close();
  const path = new URL(action).pathname;
  const json = { "Content-Type": "application/json" };
  assert.equal((await raw("POST", path, { ...json, Origin: "http://evil.example", "Sec-Fetch-Site": "cross-site" }, "{}")).status, 403);
  assert.equal((await raw("POST", path, { ...json, Origin: "http://evil.example" }, "{}")).status, 403);
  assert.equal((await raw("POST", path, { ...json, "Sec-Fetch-Site": "same-site" }, "{}")).status, 403);
  assert.equal((await raw("POST", path, { "Content-Type": "text/plain" }, "{}")).status, 403);
  assert.equal((await raw("GET", path)).status, 405);
  const cleanup = await raw("POST", path.replace(/stop$/, "cleanup"), json, "{}");
  assert.equal(cleanup.status, 400, "removing needs the task named again");
  assert.equal((await status(v.session)).state, "running", "nothing was stopped");
});

test("a configured host that cannot be reached is one row, shown as such; this machine's tasks stay listed", async () => {
  // Port 1 on this machine: ssh's connection is refused at once.
  const add = await w.cli(["hosts", "add", "nowhere", "--ssh", "127.0.0.1:1", "--ssh-option", "ConnectTimeout=2"]);
  assert.equal(add.code, 0, add.stderr);
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('tr[data-host="nowhere"][data-state="unreachable"]').waitFor({ timeout: 30_000 });
  assert.ok(await page.locator('tr[data-host="local"]').count() > 0, "the local tasks are still there");
  assert.match(String(await page.locator('tr[data-host="nowhere"]').textContent()), /host nowhere: host_unreachable/);
  await page.close();
});

test("Ctrl-C stops the dashboard: it exits 0 and the port no longer answers", async () => {
  dash.child.kill("SIGINT");
  const code = await Promise.race([dash.exited, timeout(20_000, "still running")]);
  assert.equal(code, 0, `exit: ${code}; stderr: ${dash.stderr}`);
  await assert.rejects(raw("GET", new URL(url).pathname));
});

/** Resolves with `value` after `ms` (a timer that does not keep the test process alive). @param {number} ms @param {unknown} [value] */
function timeout(ms, value) {
  return new Promise((r) => setTimeout(() => r(value), ms).unref());
}

/**
 * A request as sent (no URL normalisation, unlike fetch), to the dashboard's port.
 * @param {string} method @param {string} path @param {Record<string, string>} [headers] @param {string} [body]
 * @returns {Promise<{ status: number, headers: import("node:http").IncomingHttpHeaders, body: string }>}
 */
function raw(method, path, headers = {}, body = "") {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
