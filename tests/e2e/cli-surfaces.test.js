// @ts-check
// One command table, two surfaces. Every case runs through `resilient-agent` (a child process)
// and through the REAL `openclaw coding-tasks` (the packed plugin installed in OpenClaw
// 2026.9.6), both on one state directory and one private tmux server, and the two must print
// the same stdout and the same stderr (the program's name aside) and exit with the same status:
// results, usage errors (exit 2), refusals (exit 1), `--json` errors (one JSON line on stderr).
//
// Needs pkg/ (make pkg) and tmux; the first run downloads Node 24 and OpenClaw into the test
// cache (see tests/e2e/openclaw.test.js). Each `openclaw` run takes seconds, so the cases are few
// and run two at a time.
import { before, after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, FAKES, FAST, CLI } from "./helpers.js";
import { OpenClawHome, ROOT, installOpenClaw } from "./openclaw/harness.js";

const PLUGIN = "resilient-coding-agent";
const OC = "openclaw coding-tasks";
const RA = "resilient-agent";

const w = await world();
await writeFile(join(w.root, "fast.json"), JSON.stringify(FAST));
/** Both surfaces see the same tasks: the CLI through the environment, OpenClaw through the plugin config. */
const env = {
  RCA_STATE_DIR: w.stateDir,
  RCA_TMUX_SOCKET: w.socket,
  PATH: `${FAKES}:${process.env.PATH}`,
  RCA_FAKE_LOG: w.fakeLog,
  RCA_FAKE_WORK_MS: "300",
  RCA_DEMO_MODE: "succeed",
  RCA_DEMO_WORK_MS: "300",
  CLAUDE_CONFIG_DIR: join(w.root, "claude-config"),
};

/** @type {OpenClawHome} */
let oc;

before(async () => {
  assert.ok(existsSync(join(ROOT, "pkg", "package.json")), "pkg/ is missing: run `make pkg` first (make test does)");
  oc = new OpenClawHome(installOpenClaw());
  const packed = execFileSync("npm", ["pack", join(ROOT, "pkg"), "--pack-destination", oc.dir, "--silent"], { encoding: "utf8" });
  const tgz = join(oc.dir, packed.trim().split("\n").at(-1) ?? "");
  const r = await oc.run(["plugins", "install", `npm-pack:${tgz}`, "--force", "--accept-capabilities"], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, `install failed:\n${r.stdout}\n${r.stderr}`);
  oc.editConfig((cfg) => {
    cfg.plugins ??= {};
    cfg.plugins.entries ??= {};
    cfg.plugins.entries[PLUGIN] = { ...(cfg.plugins.entries[PLUGIN] ?? {}), enabled: true, config: { stateDir: w.stateDir, tmuxSocket: w.socket } };
  });
}, { timeout: 900_000 });

after(() => oc?.cleanup());

/**
 * `resilient-agent …` as a child process.
 * @param {string[]} argv
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
function ra(argv) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...argv], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (/** @type {any} */ (err).code) === "number" ? /** @type {any} */ (err).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Runs argv through both surfaces (the OpenClaw one with `ocArgv` if given) and returns both,
 * OpenClaw's with its program name written as resilient-agent's. `serial`: one after the other
 * (two first starts at once would race to start the one tmux server).
 * @param {string[]} argv
 * @param {string[]} [ocArgv]
 * @param {{ serial?: boolean }} [o]
 */
async function both(argv, ocArgv = argv, o = {}) {
  const runOc = () => oc.run(["coding-tasks", ...ocArgv], { env });
  const [a, b] = o.serial ? [await ra(argv), await runOc()] : await Promise.all([ra(argv), runOc()]);
  const rename = (/** @type {string} */ s) => s.replaceAll(OC, RA);
  return { ra: a, oc: { code: b.code, stdout: rename(b.stdout), stderr: rename(b.stderr) } };
}

/**
 * Asserts both surfaces printed the same, after `norm`.
 * @param {string} what
 * @param {{ ra: { code: number | null, stdout: string, stderr: string }, oc: { code: number | null, stdout: string, stderr: string } }} r
 * @param {(s: string) => string} [norm]
 */
function assertSame(what, r, norm = (s) => s) {
  const view = (/** @type {typeof r.ra} */ x) => ({ code: x.code, stdout: norm(x.stdout), stderr: norm(x.stderr) });
  assert.deepEqual(view(r.oc), view(r.ra), `${what}: openclaw coding-tasks and resilient-agent differ`);
}

/** Runs cases two at a time (each `openclaw` run costs seconds of CPU). @param {Array<() => Promise<void>>} cases */
async function pairs(cases) {
  for (let i = 0; i < cases.length; i += 2) await Promise.all(cases.slice(i, i + 2).map((c) => c()));
}

test("errors and usage errors: same text, same stream, same exit status", { timeout: 600_000 }, async () => {
  /** @type {Array<[string[], number, RegExp]>} argv, exit status, what stderr says */
  const cases = [
    [["list", "--json"], 0, /^$/],
    [["status", "codex-nope"], 1, /^error \[task_not_found\]: no task named codex-nope/],
    [["status", "codex-nope", "--json"], 1, /^\{"error":\{"code":"task_not_found"/],
    [["logs", "codex-nope", "--lines", "0"], 2, /^error \[usage\]: --lines must be a whole number from 1 to 100000, got "0"/],
    [["logs", "codex-nope", "--lines", "ten", "--json"], 2, /^\{"error":\{"code":"usage","message":"--lines must be/],
    [["start", "--agent", "demo", "--name", "x", "--prompt", "p", "--env", "1BAD=x"], 2, /^error \[usage\]: --env wants NAME=VALUE \(.*\), got the name "1BAD"$/m],
    [["start", "--agent", "demo", "--json"], 2, /^\{"error":\{"code":"usage","message":"start needs --name/],
    [["list", "--bogus"], 2, /^error \[usage\]: Unknown option '--bogus'/],
    [["logs", "codex-nope", "--lines", "5", "--lines", "9", "--json"], 2, /^\{"error":\{"code":"duplicate_option","message":"--lines was given more than once/],
    // A text after `--` is text on both (commander drops that `--`; the plugin takes it back).
    [["send", "codex-nope", "--", "--yes"], 1, /^error \[task_not_found\]/],
  ];
  await pairs(cases.map(([argv, code, stderr]) => async () => {
    const r = await both(argv);
    assertSame(argv.join(" "), r);
    assert.equal(r.ra.code, code, `resilient-agent ${argv.join(" ")}: ${r.ra.stderr}`);
    assert.match(r.ra.stderr, stderr, argv.join(" "));
  }));
  // An unknown command: the same error; the usage after it lists each surface's own options.
  const r = await both(["frobnicate"]);
  assert.equal(r.ra.code, 2);
  const firstLine = (/** @type {string} */ s) => s.split("\n")[0];
  assertSame("frobnicate", r, firstLine);
  assert.match(r.oc.stderr, /^error \[usage\]: unknown command "frobnicate"/);
});

test("tasks: start, the pi warning, status, list, logs, resume, stop --cleanup: the same output", { timeout: 600_000 }, async () => {
  // Started once through each surface (a name exists once); the output differs only in the name
  // and the keep-alive hint (the CLI's watch, or the OpenClaw gateway's monitor).
  const start = (/** @type {string} */ agent, /** @type {string} */ name, /** @type {string[]} */ more = []) =>
    ["start", "--agent", agent, "--name", name, "--dir", w.projectDir, "--prompt", "p", ...more];
  const renamed = (/** @type {string} */ from) => (/** @type {string} */ s) =>
    s.replaceAll(from, "NAME").replace(/^ {2}keep it alive: .*$/m, "").replaceAll(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "TIME");
  const demo = await both(start("demo", "surf-ra"), start("demo", "surf-oc"), { serial: true });
  assert.equal(demo.ra.code, 0, demo.ra.stderr);
  assert.match(demo.ra.stdout, /^started demo-surf-ra\n {2}watch it live: +tmux -L \S+ attach -t '=demo-surf-ra'/);
  assert.deepEqual(
    { ...demo.oc, stdout: renamed("surf-oc")(demo.oc.stdout) },
    { ...demo.ra, stdout: renamed("surf-ra")(demo.ra.stdout) },
  );
  // pi has no sandbox: both surfaces are the operator's, both start it, both warn on stderr.
  const pi = await both(start("pi", "surf-ra-pi", ["--json"]), start("pi", "surf-oc-pi", ["--json"]));
  assert.equal(pi.ra.code, 0, pi.ra.stderr);
  assert.equal(pi.ra.stderr, "warning: pi has no sandbox: this task runs with all of your rights, as with --autonomy full\n");
  assert.equal(pi.oc.stderr, pi.ra.stderr);
  assert.equal(JSON.parse(pi.oc.stdout).session, "pi-surf-oc-pi");
  const stopped = await both(["stop", "pi-surf-ra-pi", "--cleanup"], ["stop", "pi-surf-oc-pi", "--cleanup"]);
  assertSame("stop --cleanup", stopped, (s) => s.replace(/pi-surf-(ra|oc)-pi/g, "NAME"));
  assert.match(stopped.ra.stdout, /^stopped pi-surf-ra-pi and removed its directory\n$/);

  // The monitor (the CLI's watch --once) finishes both demo tasks; then every read is the same.
  await waitFor(async () => {
    await ra(["watch", "--once", "--config", join(w.root, "fast.json")]).catch(() => null);
    const list = JSON.parse((await ra(["list", "--json"])).stdout);
    return list.length === 2 && list.every((/** @type {any} */ v) => v.state === "completed");
  }, { what: "both demo tasks completed", timeoutMs: 60_000 });
  await pairs([
    ["status", "demo-surf-oc"], ["status", "demo-surf-ra", "--json", "--lines", "5"], ["list"], ["list", "--json"],
    ["logs", "demo-surf-ra", "--lines", "3"], ["logs", "demo-surf-oc", "--json"], ["resume", "demo-surf-ra", "--json"],
  ].map((argv) => async () => assertSame(argv.join(" "), await both(argv))));
  const status = JSON.parse((await ra(["status", "demo-surf-oc", "--json"])).stdout);
  assert.deepEqual(status.origin, { kind: "openclaw-cli" }, "a task started through OpenClaw's CLI says so");
  const resumed = await ra(["resume", "demo-surf-ra"]);
  assert.equal(resumed.code, 1);
  assert.match(resumed.stderr, /^error \[not_resumable\]/);
});
