// @ts-check
// The live view of `resilient-agent watch` (without --json): plain lines when stdout is not a
// terminal (a row whenever a task's state, attempts, next try or activity changes; no escape
// sequences), and a table redrawn in place on a terminal — checked by running it in a real tmux
// pane and reading the pane. The latest activity is redacted in both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { world, waitFor, FAST, CLI, killServer } from "./helpers.js";

const w = await world();
const configFile = join(w.root, "config.json");
await writeFile(configFile, JSON.stringify(FAST));
const SECRET = "sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01";
const env = { PATH: w.agentEnv().PATH, RCA_FAKE_LOG: w.fakeLog };

/** @param {string} name @param {string} mode */
async function startDemo(name, mode) {
  const r = await w.cli(
    ["start", "--agent", "demo", "--name", name, "--dir", w.projectDir, "--prompt", `deploy with ${SECRET}`, "--json",
      "--env", `RCA_DEMO_MODE=${mode}`, "--env", "RCA_DEMO_WORK_MS=2400"],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("not a terminal: plain lines, one per change of a task's row, redacted, no escapes", async () => {
  const watcher = w.spawnCli(["watch", "--config", configFile]);
  const v = await startDemo("live-plain", "crash-once");
  await waitFor(() => /state=completed/.test(watcher.stdout), { what: "the completed row" });
  watcher.child.kill("SIGTERM");
  assert.equal(await watcher.exited, 0);
  const out = watcher.stdout;
  assert.ok(!out.includes("\x1b"), "no escape sequences when not a terminal");
  const rows = out.split("\n").filter((l) => l.includes(`  ${v.session}  agent=demo  `));
  const states = rows.map((l) => /state=(\S+)/.exec(l)?.[1]);
  for (const s of ["running", "recovering", "completed"]) assert.ok(states.includes(s), `a ${s} row: ${states.join(",")}`);
  assert.ok(rows.some((l) => /state=running .*attempts=2/.test(l)), "the resumed run's row");
  assert.ok(rows.every((l) => /elapsed=\d+[smhd]/.test(l) && /next=(-|now|in \d)/.test(l)), rows.join("\n"));
  assert.ok(rows.some((l) => / \| item\.(started|completed) /.test(l)), "the latest activity, readable");
  assert.ok(!out.includes(SECRET), "the secret never shows");
  // Consecutive rows of a task differ (a row is printed only when something changed).
  const keys = rows.map((l) => l.replace(/^\S+ {2}/, "").replace(/elapsed=\S+/, ""));
  for (let i = 1; i < keys.length; i++) assert.notEqual(keys[i], keys[i - 1]);
  // The event lines are still there, in order.
  const order = ["started", "recovering", "resumed", "completed"].map((k) => out.search(new RegExp(`\\s${k}\\s+${v.session} `)));
  assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1])), out);
});

test("a terminal: the table is redrawn in place (read from a real tmux pane)", async () => {
  const viewer = `rca-view-${randomBytes(4).toString("hex")}`;
  after(() => killServer(viewer));
  const v = await startDemo("live-tty", "crash-once");
  const argv = [process.execPath, CLI, "watch", "--config", configFile, "--state-dir", w.stateDir, "--tmux-socket", w.socket];
  execFileSync("tmux", ["-L", viewer, "new-session", "-d", "-s", "view", "-x", "150", "-y", "30", "--", ...argv], { env: { ...process.env, ...env } });
  const capture = () => execFileSync("tmux", ["-L", viewer, "capture-pane", "-p", "-J", "-S", "-", "-t", "view"], { encoding: "utf8" });
  /** @type {string[]} */
  const seen = [];
  const screen = await waitFor(() => {
    const text = capture();
    const row = text.split("\n").find((l) => l.startsWith(v.session));
    if (row && !seen.includes(row)) seen.push(row);
    return new RegExp(`^${v.session}\\s+demo\\s+completed\\s+\\d+s\\s+2\\s`, "m").test(text) ? text : null;
  }, { what: "the completed row in the pane", intervalMs: 150 });
  // One header, one row for the task, however many times it was redrawn: drawn in place.
  assert.equal(screen.match(/^TASK\s+AGENT\s+STATE\s+ELAPSED\s+TRIES\s+NEXT TRY\s+USAGE\s+ACTIVITY$/gm)?.length, 1, screen);
  assert.equal(screen.split("\n").filter((l) => l.startsWith(v.session)).length, 1, screen);
  assert.ok(seen.length >= 2, `the row changed in place: ${seen.join(" | ")}`);
  assert.ok(seen.some((r) => /\srunning\s/.test(r)), seen.join("\n"));
  // Event lines scroll above the table.
  const lines = screen.split("\n");
  const header = lines.findIndex((l) => l.startsWith("TASK "));
  const completed = lines.findIndex((l) => new RegExp(`\\scompleted\\s+${v.session} completed`).test(l));
  assert.ok(completed >= 0 && completed < header, screen);
  assert.ok(!screen.includes(SECRET));
  execFileSync("tmux", ["-L", viewer, "send-keys", "-t", "view", "C-c"]);
});
