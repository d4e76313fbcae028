// @ts-check
// `make bench`, remote hosts: a real sshd on 127.0.0.1 and three Unix users as three hosts
// (tests/support/sshd.js; needs root, else skipped), the package put there by `hosts install`.
//
//   node bench/remote.js [--tasks N] [--trials N] [--out FILE]
//
// Figures (wall times from this process; the remotes share this machine's clock):
// - `list` over 3 hosts × N tasks (default 30): the CLI as a child process, wall time and ssh
//   processes spawned (a counting wrapper on PATH), median of 5 runs;
// - ssh connections open per host with N tasks: ESTABLISHED TCP connections to sshd's port
//   (/proc/net/tcp) after the list runs, divided by the hosts;
// - remote crash → resume: an idle demo agent on a host SIGKILLed (pid from its pid.<n>) until
//   the remote monitor's next attempt writes pid.<n+1> (each trial a different task: a second
//   crash of one task within 10 minutes waits by design);
// - remote event → local watch line: `watch --host NAME --json` running here; the event's `at`
//   (set on the remote) until this process reads its line.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSshd, sshdSkip } from "../tests/support/sshd.js";
import { makeTestDir } from "../tests/support/dirs.js";

const CLI = fileURLToPath(new URL("../host-shim/cli/main.js", import.meta.url));
const argv = process.argv.slice(2);
const opt = (/** @type {string} */ name, /** @type {string} */ dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const TASKS = Number(opt("--tasks", "30"));
const TRIALS = Number(opt("--trials", "10"));
const OUT = opt("--out", fileURLToPath(new URL("./results/remote-latest.json", import.meta.url)));

const skip = sshdSkip();
if (skip) {
  console.log(`remote-host bench skipped: ${skip}`);
  process.exit(0);
}

const root = makeTestDir("rca-rbench-");
const stateDir = join(root, "s");
const bin = join(root, "bin");
const sshLog = join(root, "ssh.log");
mkdirSync(bin);
writeFileSync(join(bin, "ssh"), `#!/bin/sh\necho x >> '${sshLog}'\nexec /usr/bin/ssh "$@"\n`);
chmodSync(join(bin, "ssh"), 0o755);
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, RCA_STATE_DIR: stateDir };
const HOSTS = ["h1", "h2", "h3"];
/** @type {Array<import("node:child_process").ChildProcess>} */
const children = [];

/** @param {string[]} args @returns {Promise<string>} */
function cli(args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (b) => (out += b));
    c.stderr.on("data", (b) => (err += b));
    c.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")}: ${err}`))));
  });
}
const spawns = () => (existsSync(sshLog) ? readFileSync(sshLog, "utf8").split("\n").filter(Boolean).length : 0);
/** @param {number[]} xs @param {number} p */
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
/** @param {number[]} xs */
const median = (xs) => pct(xs, 50);
/** @param {number} port */
function establishedTo(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      return f[2]?.endsWith(`:${hex}`) && f[3] === "01";
    }).length;
}

const sshd = await startSshd(root, { users: HOSTS.length });
try {
  for (const [i, h] of HOSTS.entries()) {
    await cli(["hosts", "add", h, ...sshd.hostArgs(sshd.users[i])]);
    await cli(["hosts", "install", h]);
    sshd.users[i].run(["mkdir", "-p", join(sshd.users[i].home, "proj")]);
  }
  console.log(`starting ${TASKS} idle demo tasks on each of ${HOSTS.length} hosts…`);
  for (const [i, h] of HOSTS.entries()) {
    for (let n = 0; n < TASKS; n += 6) {
      await Promise.all(
        Array.from({ length: Math.min(6, TASKS - n) }, (_, k) =>
          cli(["start", "--host", h, "--agent", "demo", "--name", `b-${n + k}`, "--dir", join(sshd.users[i].home, "proj"), "--prompt", "idle",
            "--env", "RCA_DEMO_MODE=hang", "--env", "RCA_DEMO_WORK_MS=0"]),
        ),
      );
    }
  }
  // Every task running (its agent up) before anything is measured.
  const runningEverywhere = async () => {
    const rows = JSON.parse(await cli(["list", "--json"]));
    return rows.filter((/** @type {any} */ r) => r.host !== "local" && r.state === "running").length === TASKS * HOSTS.length;
  };
  for (let t = 0; !(await runningEverywhere()); t++) {
    if (t > 120) throw new Error("tasks did not all reach running");
    await new Promise((r) => setTimeout(r, 500));
  }

  /** @type {number[]} */
  const listMs = [];
  /** @type {number[]} */
  const listSsh = [];
  for (let r = 0; r < 5; r++) {
    const before = spawns();
    const t0 = performance.now();
    const rows = JSON.parse(await cli(["list", "--json"]));
    listMs.push(performance.now() - t0);
    listSsh.push(spawns() - before);
    if (rows.length < TASKS * HOSTS.length) throw new Error(`list showed ${rows.length} rows`);
  }
  const connections = establishedTo(sshd.port);

  // Crash → resume on h1, and the event's way to a local watch.
  const w = spawn(process.execPath, [CLI, "watch", "--host", "h1", "--json"], { env, stdio: ["ignore", "pipe", "ignore"] });
  children.push(w);
  /** @type {Map<string, number>} session → when its "recovering" line arrived here */
  const seen = new Map();
  /** @type {number[]} */
  const eventLag = [];
  let buf = "";
  w.stdout.on("data", (b) => {
    buf += b;
    let k;
    while ((k = buf.indexOf("\n")) >= 0) {
      const ev = JSON.parse(buf.slice(0, k));
      buf = buf.slice(k + 1);
      if (ev.kind === "recovering" && !seen.has(ev.session)) {
        seen.set(ev.session, Date.now());
        eventLag.push(Date.now() - ev.at);
      }
    }
  });
  await new Promise((r) => setTimeout(r, 2500)); // its first cursor taken
  const tasks = join(sshd.users[0].home, ".local", "state", "resilient-coding-agent", "tasks");
  /** @type {number[]} */
  const resumeMs = [];
  for (let t = 0; t < Math.min(TRIALS, TASKS); t++) {
    const dir = join(tasks, /** @type {string} */ (readdirSync(tasks).find((n) => n.startsWith(`demo-b-${t}-`))));
    const pid = Number(readFileSync(join(dir, "pid.1"), "utf8").trim());
    const t0 = performance.now();
    process.kill(pid, "SIGKILL");
    while (!existsSync(join(dir, "pid.2"))) {
      if (performance.now() - t0 > 30_000) throw new Error(`no resume of demo-b-${t}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    resumeMs.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 300));
  }
  for (let t = 0; eventLag.length < resumeMs.length && t < 100; t++) await new Promise((r) => setTimeout(r, 100));

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    hosts: HOSTS.length,
    tasksPerHost: TASKS,
    list: { medianMs: Math.round(median(listMs)), sshPerList: median(listSsh), runs: listMs.map(Math.round) },
    sshConnectionsPerHost: connections / HOSTS.length,
    remoteCrashToResume: { trials: resumeMs.length, medianMs: Math.round(median(resumeMs)), p95Ms: Math.round(pct(resumeMs, 95)) },
    remoteEventToLocalWatch: { events: eventLag.length, medianMs: Math.round(median(eventLag)), p95Ms: Math.round(pct(eventLag, 95)) },
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(OUT, ".."), { recursive: true });
  writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await sshd.close();
  rmSync(root, { recursive: true, force: true });
}
