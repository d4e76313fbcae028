// @ts-check
// `make bench`, the dashboard's part: what the page weighs and how fast a state change reaches
// an open page, in a real headless Chromium (Debian's /usr/bin/chromium via playwright-core).
//
//   node bench/dashboard.js [--quick] [--out FILE]   (default bench/results/dashboard-latest.json)
//
// - weight: the bytes of every response the first visit of the fleet page downloads (the
//   page, its scripts, style and icon, and the first fleet event), and of the asset table.
// - state change → on the page: a task runs (simulated agent, RCA_DEMO_MODE=hang) on a private
//   tmux server; the clock starts right before `TaskManager#stop()` (which writes the record
//   and kills the session) and stops when the open fleet page's row shows `stopped` (a
//   MutationObserver in the page takes Date.now(); same machine, same clock). No reload.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TaskManager } from "../host-shim/index.js";
import { defaultAgentEnv } from "../host-shim/context.js";
import { startDashboard } from "../host-shim/dashboard/serve.js";
import { pageWeight } from "../host-shim/dashboard/assets.js";
import { launchBrowser } from "../tests/e2e/dashboard/browser.js";
import { benchWorld, machine, summary } from "./lib/harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const outArg = argv.indexOf("--out");
const OUT = outArg >= 0 && argv[outArg + 1] ? resolve(argv[outArg + 1]) : join(HERE, "results", "dashboard-latest.json");
const TRIALS = QUICK ? 3 : 15;

const w = await benchWorld();
const tm = new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, env: { ...defaultAgentEnv(process.env), RCA_DEMO_MODE: "hang" } });
const dash = await startDashboard({ getManager: () => tm });
const browser = await launchBrowser(w.root);
w.beforeCleanup(async () => {
  await browser.close();
  await dash.close();
});
try {
  const page = await browser.newPage();
  /** @type {number[]} */
  const bytes = [];
  page.on("response", async (r) => {
    if (r.url().startsWith(dash.url) && !r.url().endsWith("/api/events")) bytes.push((await r.body().catch(() => Buffer.alloc(0))).length);
  });
  await page.goto(dash.url);
  await page.locator("#counts").waitFor();
  const firstVisit = bytes.reduce((a, b) => a + b, 0);
  /** @type {number[]} */
  const latencies = [];
  for (let i = 0; i < TRIALS; i++) {
    const v = await tm.start({ agent: "demo", name: `bench-${i}`, projectDir: w.projectDir, prompt: "idle" });
    await page.locator(`tr[data-session="${v.session}"][data-state="running"], tr[data-session="${v.session}"][data-state="starting"]`).waitFor({ timeout: 30_000 });
    await page.evaluate((session) => {
      const win = /** @type {any} */ (window);
      win.shownAt = 0;
      const look = () => {
        if (!win.shownAt && document.querySelector(`tr[data-session="${session}"][data-state="stopped"]`)) win.shownAt = Date.now();
      };
      win.observer?.disconnect();
      win.observer = new MutationObserver(look);
      win.observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    }, v.session);
    const t0 = Date.now();
    await tm.stop(v.session);
    await page.waitForFunction(() => /** @type {any} */ (window).shownAt > 0, null, { timeout: 30_000 });
    latencies.push((await page.evaluate(() => /** @type {any} */ (window).shownAt)) - t0);
  }
  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    assetBytes: pageWeight(),
    firstVisitBytes: firstVisit,
    stateChangeToPageMs: summary(latencies),
    samplesMs: latencies,
  };
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT, JSON.stringify(result, null, 2) + "\n");
  const s = result.stateChangeToPageMs;
  console.log(`dashboard: assets ${result.assetBytes} bytes; first visit ${firstVisit} bytes`);
  console.log(`dashboard: state change → open page (n=${s.n}): median ${s.median} ms, p95 ${s.p95} ms, max ${s.max} ms (budget 2000 ms: ${s.p95 <= 2000 ? "holds" : "MISSED"})`);
  console.log(`dashboard: written to ${OUT}`);
} finally {
  await w.cleanup();
}
