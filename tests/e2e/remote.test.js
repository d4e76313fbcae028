// @ts-check
// Tasks on remote hosts, end to end: a real OpenSSH server on 127.0.0.1 (tests/support/sshd.js),
// three Unix users made for this file as three "remote hosts" (their own homes, state
// directories, tmux servers), the package put there only by `hosts install`, and the CLI as a
// child process with the user's ssh client (through a counting wrapper on PATH).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, chmodSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { makeTestDir } from "../support/dirs.js";
import { startSshd, sshdSkip } from "../support/sshd.js";
import { CLI, waitFor } from "./helpers.js";
import core from "../../host-shim/core.js";

/**
 * Whether a process has exited: gone from /proc, or a zombie its parent has not reaped yet.
 * @param {number} pid
 */
function gone(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return ["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]);
  } catch {
    return true;
  }
}

const skip = sshdSkip();
/** A private key's body, in lines (logs --follow must hide it though its BEGIN line came in an earlier read). */
const KEY_BODY = [
  "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
  "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
  "oKzu7ySUEcJ2bXQ2AqYW+hbdw6Ax4xY2AFDDp7eyLTNvFKMlzW1EP8CYpTS6JNtz",
];
if (skip) console.log(`# remote hosts e2e skipped: ${skip}`);

/** @typedef {Awaited<ReturnType<typeof startSshd>>} Sshd */

describe("remote hosts over a real sshd", { skip: skip ?? false }, () => {
  /** @type {Sshd} */ let sshd;
  /** @type {string} */ let root;
  /** @type {string} */ let stateDir;
  /** @type {string} */ let sshLog;
  /** @type {string} */ let binDir;
  /** @type {Array<import("node:child_process").ChildProcess>} */
  const children = [];
  const HOSTS = ["alpha", "beta", "gamma"];

  /**
   * Runs the CLI here (the local side). @param {string[]} args @param {{ input?: string }} [o]
   * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
   */
  const cli = (args, o = {}) =>
    new Promise((resolve) => {
      const c = spawn(process.execPath, [CLI, ...args], { env: localEnv(), stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      c.stdout.on("data", (b) => (stdout += b));
      c.stderr.on("data", (b) => (stderr += b));
      c.on("close", (code) => resolve({ code, stdout, stderr }));
      c.stdin.end(o.input ?? "");
    });
    // The local state directory through the environment: an argv after `--` stays the test's.
  const localEnv = () => ({ ...process.env, PATH: `${binDir}:${process.env.PATH}`, RCA_STATE_DIR: stateDir });
  /** @param {string[]} args */
  const json = async (args) => {
    const r = await cli([...args, "--json"]);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  /** `watch --host NAME --json` as a child: its event lines so far. @param {string} host */
  const watchHost = (host) => {
    const c = spawn(process.execPath, [CLI, "watch", "--host", host, "--json"], { env: localEnv(), stdio: ["ignore", "pipe", "pipe"] });
    children.push(c);
    /** @type {any[]} */
    const events = [];
    let buf = "";
    c.stdout.on("data", (b) => {
      buf += b;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
    return { events, child: c };
  };
  /** Ends the watchers this file started (so ssh counts are this test's own). */
  const stopChildren = async () => {
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await gone;
    }
  };
  const sshSpawns = () => (existsSync(sshLog) ? readFileSync(sshLog, "utf8").split("\n").filter(Boolean).length : 0);
  /** A remote user's task directory for a session (read as root: the test's view of the remote). @param {number} i @param {string} session */
  const remoteTaskDir = (i, session) => {
    const tasks = join(sshd.users[i].home, ".local", "state", "resilient-coding-agent", "tasks");
    const name = readdirSync(tasks).find((n) => n.startsWith(`${session}-`));
    return name ? join(tasks, name) : null;
  };
  /** A project directory on a remote host (made by the test as that user). @param {number} i @param {string} name */
  const remoteProject = (i, name) => {
    const dir = join(sshd.users[i].home, name);
    sshd.users[i].run(["mkdir", "-p", "--", dir]);
    return dir;
  };

  before(async () => {
    root = makeTestDir("rca-rem-");
    stateDir = join(root, "s");
    binDir = join(root, "bin");
    sshLog = join(root, "ssh.log");
    mkdirSync(binDir);
    // The user's ssh, counted: every spawn appends a line, then it is the real client.
    writeFileSync(join(binDir, "ssh"), `#!/bin/sh\necho x >> '${sshLog}'\nexec /usr/bin/ssh "$@"\n`);
    chmodSync(join(binDir, "ssh"), 0o755);
    sshd = await startSshd(root, { users: HOSTS.length });
    for (const [i, name] of HOSTS.entries()) {
      const add = await cli(["hosts", "add", name, ...sshd.hostArgs(sshd.users[i])]);
      assert.equal(add.code, 0, add.stderr);
    }
    // The package reaches each remote only through `hosts install` (one at a time: 3 × ~1 s).
    for (const name of HOSTS) {
      const inst = await cli(["hosts", "install", name, "--json"]);
      assert.equal(inst.code, 0, inst.stderr);
      const done = JSON.parse(inst.stdout);
      assert.match(done.dir, /^\/home\/rcat[0-9a-f]+\/\.local\/share\/resilient-coding-agent$/);
      assert.equal(done.info.monitor.running, true);
    }
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await sshd?.close();
    // The master connections end with the server; their sockets go with the directory.
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("hosts check: reachable, package, node, tmux, the agents found, the monitor (started again when dead)", async () => {
    const c = await json(["hosts", "check", "alpha"]);
    assert.equal(c.reachable, true);
    assert.equal(c.version, JSON.parse(readFileSync(new URL("../../pkg/package.json", import.meta.url), "utf8")).version);
    assert.match(c.node, /^v\d+\./);
    assert.match(c.tmux, /^tmux /);
    // Every agent with a program of its own (the demo agent has none), as the core lists them.
    assert.deepEqual(Object.keys(c.agents).sort(), core.agentNames().filter((a) => core.agentProgram(a)).sort());
    assert.equal(c.stateDir, join(sshd.users[0].home, ".local", "state", "resilient-coding-agent"));
    // The remote monitor killed: check starts it again.
    assert.ok(c.monitor.pid > 0);
    process.kill(c.monitor.pid, "SIGKILL");
    await waitFor(() => gone(c.monitor.pid), { what: "the monitor gone" });
    const again = await json(["hosts", "check", "alpha"]);
    assert.deepEqual(again.monitor, { running: true, restarted: true });
    await waitFor(async () => (await json(["hosts", "check", "alpha"])).monitor.pid > 0, { what: "the restarted monitor", timeoutMs: 20_000 });
    // doctor --host: the checks run there (no agent CLI is installed for that user).
    const d = await cli(["doctor", "--host", "alpha", "--json"]);
    const report = JSON.parse(d.stdout);
    assert.equal(report.host, "alpha");
    assert.equal(d.code, report.ok ? 0 : 1);
    assert.equal(report.stateDir.path, c.stateDir);
  });

  it("hosts check restarts a dead monitor beside someone else's rca-monitor session, never killing it or taking it for ours", async () => {
    const u = sshd.users[0];
    /** The remote user's tmux sessions, as `id name command`. */
    const sessions = () => {
      try {
        return u.run(["tmux", "list-panes", "-a", "-F", "#{session_id} #{session_name} #{pane_dead} #{pane_current_command}"]).trim().split("\n").filter(Boolean);
      } catch {
        return [];
      }
    };
    const c = await json(["hosts", "check", "alpha"]);
    assert.ok(c.monitor.pid > 0);
    process.kill(c.monitor.pid, "SIGKILL");
    await waitFor(() => gone(c.monitor.pid), { what: "the monitor gone" });
    await waitFor(() => !sessions().some((s) => s.split(" ")[1] === "rca-monitor"), { what: "our monitor's session gone with it" });
    // The user's own session of that name (a process we must not touch).
    u.run(["tmux", "new-session", "-d", "-s", "rca-monitor", "sleep", "600"]);
    const foreign = /** @type {string} */ (sessions().find((s) => s.split(" ")[1] === "rca-monitor")).split(" ")[0];
    try {
      const again = await json(["hosts", "check", "alpha"]);
      assert.deepEqual(again.monitor, { running: true, restarted: true });
      const pid = await waitFor(async () => (await json(["hosts", "check", "alpha"])).monitor.pid, { what: "the restarted monitor", timeoutMs: 20_000 });
      // The foreign session is still there, running what it ran; ours is beside it.
      const now = sessions();
      assert.ok(now.includes(`${foreign} rca-monitor 0 sleep`), now.join("\n"));
      assert.ok(now.some((s) => /^\$\d+ rca-monitor-[0-9a-f]{6} 0 /.test(s)), now.join("\n"));
      // Killed again: check replaces our session (by its recorded id), the foreign one stays.
      process.kill(pid, "SIGKILL");
      await waitFor(() => gone(pid), { what: "the monitor gone" });
      await json(["hosts", "check", "alpha"]);
      await waitFor(async () => (await json(["hosts", "check", "alpha"])).monitor.pid > 0, { what: "the monitor started again", timeoutMs: 20_000 });
      assert.ok(sessions().includes(`${foreign} rca-monitor 0 sleep`), sessions().join("\n"));
    } finally {
      u.run(["tmux", "kill-session", "-t", foreign]);
    }
  });

  it("a task on a remote host: agent SIGKILLed there → resumed by the remote monitor, same session id → completed; local list and watch show each step", async () => {
    const w = watchHost("alpha");
    await waitFor(() => sshSpawns() > 0 && w.child.exitCode === null, { what: "watch running" });
    await new Promise((r) => setTimeout(r, 1500)); // its first journal cursor taken
    const dir = remoteProject(0, "proj-kill");
    const started = await json(["start", "--host", "alpha", "--agent", "demo", "--name", "kill-me", "--dir", dir, "--prompt", "work, then finish",
      "--env", "RCA_DEMO_MODE=succeed", "--env", "RCA_DEMO_WORK_MS=5000"]);
    assert.equal(started.host, "alpha");
    assert.equal(started.session, "demo-kill-me");
    // Its agent session id known, then the agent SIGKILLed on the remote (by its pid file there).
    const before = await waitFor(async () => {
      const s = await json(["status", "demo-kill-me", "--host", "alpha"]);
      return s.agentSessionId && s.state === "running" ? s : null;
    }, { what: "the remote agent running with a session id", timeoutMs: 30_000 });
    const taskDir = /** @type {string} */ (remoteTaskDir(0, "demo-kill-me"));
    const agentPid = Number(readFileSync(join(taskDir, "pid.1"), "utf8").trim());
    process.kill(agentPid, "SIGKILL");
    const done = await waitFor(async () => {
      const rows = await json(["list"]);
      const row = rows.find((/** @type {any} */ v) => v.host === "alpha" && v.session === "demo-kill-me");
      return row?.state === "completed" ? row : null;
    }, { what: "the remote task completed", timeoutMs: 60_000 });
    assert.equal(done.attempts, 2);
    assert.equal(done.agentSessionId, before.agentSessionId, "resumed in the same agent conversation");
    const logs = await json(["logs", "demo-kill-me", "--host", "alpha"]);
    const threads = [...logs.logs.matchAll(/"thread_id":"([0-9a-f-]+)"/g)].map((m) => m[1]);
    assert.deepEqual(threads, [before.agentSessionId, before.agentSessionId]);
    await waitFor(() => w.events.some((e) => e.session === "demo-kill-me" && e.kind === "completed"), { what: "watch showing completed", timeoutMs: 20_000 });
    const kinds = w.events.filter((e) => e.session === "demo-kill-me").map((e) => `${e.host}:${e.kind}`);
    assert.deepEqual(kinds, ["alpha:started", "alpha:recovering", "alpha:resumed", "alpha:completed"]);
    await stopChildren();
  });

  it("sshd stopped mid-task: the task completes there; locally the host shows unreachable, then catches up exactly once", async () => {
    const w = watchHost("beta");
    await waitFor(() => w.child.exitCode === null && sshSpawns() > 0, { what: "watch running" });
    await new Promise((r) => setTimeout(r, 1500));
    const dir = remoteProject(1, "proj-drop");
    await json(["start", "--host", "beta", "--agent", "demo", "--name", "through-drop", "--dir", dir, "--prompt", "finish while the link is down",
      "--env", "RCA_DEMO_MODE=succeed", "--env", "RCA_DEMO_WORK_MS=6000"]);
    await waitFor(async () => (await json(["status", "demo-through-drop", "--host", "beta"])).state === "running", { what: "running", timeoutMs: 30_000 });
    await sshd.stop();
    try {
      // The local view: the host unreachable, the local tasks and nothing else hidden.
      const r = await cli(["list", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout);
      const beta = rows.find((/** @type {any} */ v) => v.host === "beta");
      assert.equal(beta.reachable, false);
      assert.equal(beta.error.code, "host_unreachable");
      const st = await cli(["status", "demo-through-drop", "--host", "beta"]);
      assert.equal(st.code, 1);
      assert.match(st.stderr, /\[host_unreachable\]/);
      // There, the task finishes all the same (its record read on that machine).
      const taskDir = /** @type {string} */ (remoteTaskDir(1, "demo-through-drop"));
      await waitFor(() => JSON.parse(readFileSync(join(taskDir, "record.json"), "utf8")).state === "completed", { what: "completed while unreachable", timeoutMs: 60_000 });
      await waitFor(() => w.events.some((e) => e.kind === "host_unreachable" && e.host === "beta"), { what: "watch: host unreachable", timeoutMs: 20_000 });
      assert.equal(w.events.some((e) => e.session === "demo-through-drop" && e.kind === "completed"), false);
    } finally {
      await sshd.start();
    }
    await waitFor(() => w.events.some((e) => e.session === "demo-through-drop" && e.kind === "completed"), { what: "caught up", timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2500)); // a few more polls: nothing shown twice
    const mine = w.events.filter((e) => (e.session === "demo-through-drop" && e.kind !== "started") || (e.host === "beta" && !e.session));
    assert.deepEqual(mine.map((e) => e.kind), ["host_unreachable", "host_reachable", "completed"]);
    assert.equal(w.events.filter((e) => e.session === "demo-through-drop" && e.kind === "started").length, 1);
    const seen = w.events.map((e) => JSON.stringify(e));
    assert.equal(new Set(seen).size, seen.length, "no event shown twice");
    await stopChildren();
  });

  it("logs --follow --host: the host's new output as it arrives, redacted there across reads, the held rest printed at Ctrl-C", async () => {
    const dir = remoteProject(2, "proj-follow");
    await json(["start", "--host", "gamma", "--agent", "demo", "--name", "rfollow", "--dir", dir, "--prompt", "x", "--env", "RCA_DEMO_MODE=hang"]);
    const transcript = join(/** @type {string} */ (remoteTaskDir(2, "demo-rfollow")), "transcript.log");
    const f = spawn(process.execPath, [CLI, "logs", "demo-rfollow", "--host", "gamma", "--follow"], { env: localEnv(), stdio: ["ignore", "pipe", "pipe"] });
    children.push(f);
    let out = "";
    let err = "";
    f.stdout.on("data", (b) => (out += b));
    f.stderr.on("data", (b) => (err += b));
    const exited = new Promise((r) => f.once("exit", (code) => r(code)));
    // Appended as the wrapper's tee would (the file stays the remote user's).
    const append = (/** @type {string} */ t) => writeFileSync(transcript, t, { flag: "a" });
    await waitFor(() => {
      append("ready\n");
      return out.includes("ready");
    }, { what: "the follower to print", timeoutMs: 20_000 });
    const pause = () => new Promise((r) => setTimeout(r, 1200)); // a poll a second: pieces in reads of their own
    append("-----BEGIN RSA PRIVATE KEY-----\n");
    await waitFor(() => out.includes("[REDACTED PRIVATE KEY]"), { what: "the key's mark" }).catch((e) => assert.fail(`${e.message}; printed: ${JSON.stringify(out)}; stderr: ${err}`));
    for (const line of KEY_BODY) {
      append(`${line}\n`);
      await pause();
    }
    append("-----END RSA PRIVATE KEY-----\nexport OPENAI_API_KEY=sk-proj-AbCdEfGh");
    await pause();
    append("IjKlMnOpQrStUvWxYz0123456789\n\x1b]0;pwned\x07\x1b[31mafter the key\x1b[0m\n");
    await waitFor(() => out.includes("after the key"), { what: "the line after the key" });
    append("held to the end");
    f.kill("SIGINT");
    assert.equal(await exited, 0, err);
    for (const line of KEY_BODY) assert.ok(!out.includes(line.slice(0, 16)), `key body leaked: ${out}`);
    assert.ok(!out.includes("AbCdEfGh") && !out.includes("IjKlMnOp"), out);
    assert.ok(!out.includes("\x1b"), JSON.stringify(out));
    assert.match(out, /OPENAI_API_KEY=\[REDACTED\]\nafter the key\nheld to the end$/);
    await json(["stop", "demo-rfollow", "--host", "gamma"]);
  });

  it("the local monitor killed while remote tasks run: nothing remote is affected", async () => {
    const local = spawn(process.execPath, [CLI, "watch", "--json"], { env: localEnv(), stdio: ["ignore", "pipe", "pipe"] });
    children.push(local);
    const dir = remoteProject(2, "proj-local-dies");
    await json(["start", "--host", "gamma", "--agent", "demo", "--name", "outlives", "--dir", dir, "--prompt", "keep going",
      "--env", "RCA_DEMO_WORK_MS=3000"]);
    await waitFor(async () => (await json(["status", "demo-outlives", "--host", "gamma"])).state === "running", { what: "running", timeoutMs: 30_000 });
    local.kill("SIGKILL");
    // crash-once: the remote monitor resumes it after its own crash, with no local side at all.
    await waitFor(async () => (await json(["status", "demo-outlives", "--host", "gamma"])).state === "completed", { what: "completed", timeoutMs: 60_000 });
    const s = await json(["status", "demo-outlives", "--host", "gamma"]);
    assert.equal(s.attempts, 2);
  });

  it("hostile strings through every remote call: no canary runs, the prompt arrives byte-exact", async () => {
    const canary = join(root, "canary");
    const evil = [`'; touch ${canary}-1; '`, `"; touch ${canary}-2; "`, `$(touch ${canary}-3)`, `\`touch ${canary}-4\``, `; touch ${canary}-5`, `\ntouch ${canary}-6\n`, "-rf", "--help"];
    const big = evil.join(" ") + "\n" + "é😀 $HOME ${PATH} \\ \t\r\n".repeat(2_000) + "x".repeat(300 * 1024);
    const dir = remoteProject(0, `odd '$(touch ${canary}-7)' dir`);
    const r = await cli(["start", "--host", "alpha", "--agent", "demo", "--name", "hostile", "--dir", dir, "--prompt-file", "-",
      "--env", `EVIL=${evil.join("")}`, "--env", "RCA_DEMO_MODE=hang", "--json"], { input: big });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).projectDir, dir);
    const taskDir = /** @type {string} */ (remoteTaskDir(0, "demo-hostile"));
    assert.equal(readFileSync(join(taskDir, "prompt.1"), "utf8"), big, "the prompt arrives byte-exact");
    assert.ok(Buffer.byteLength(big) > 300 * 1024);
    for (const text of evil) {
      const s = await cli(["send", "--host", "alpha", "--", "demo-hostile", text]);
      assert.equal(s.code, 0, s.stderr);
      for (const args of [["status", "--", text], ["logs", "--", text], ["resume", "--", text], ["stop", "--", text]]) {
        const bad = await cli([args[0], "--host", "alpha", ...args.slice(1)]);
        assert.equal(bad.code, 1, `${args[0]} ${JSON.stringify(text)}: ${bad.stderr}`);
        assert.match(bad.stderr, /error \[(invalid_session|invalid_input|task_not_found)\]/);
      }
    }
    const bad = await cli(["start", "--host", "alpha", "--agent", "demo", "--name", evil[2], "--dir", dir, "--prompt", "x"]);
    assert.equal(bad.code, 1);
    await cli(["stop", "demo-hostile", "--host", "alpha"]);
    for (let i = 1; i <= 7; i++) {
      assert.equal(existsSync(`${canary}-${i}`), false, `canary ${i} ran locally or remotely`);
    }
    for (const u of sshd.users) assert.equal(readdirSync(u.home).some((n) => n.startsWith("canary")), false);
  });

  it("a host that is not configured is refused with host_unknown, before any ssh", async () => {
    await stopChildren();
    const before = sshSpawns();
    for (const args of [["list", "--host", "nope"], ["status", "demo-x", "--host", "nope"], ["watch", "--host", "delta"], ["hosts", "check", "nope"]]) {
      const r = await cli([...args, "--json"]);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(JSON.parse(r.stderr).error.code, "host_unknown");
    }
    assert.equal(sshSpawns(), before);
  });

  it("3 hosts × 10 tasks in one list: one ssh round trip per host", async () => {
    for (const [i, host] of HOSTS.entries()) {
      const dir = remoteProject(i, "proj-many");
      await Promise.all(
        Array.from({ length: 10 }, (_, n) =>
          json(["start", "--host", host, "--agent", "demo", "--name", `many-${n}`, "--dir", dir, "--prompt", "quick",
            "--env", "RCA_DEMO_MODE=succeed", "--env", "RCA_DEMO_WORK_MS=0"]),
        ),
      );
    }
    await stopChildren();
    const before = sshSpawns();
    const t0 = performance.now();
    const rows = await json(["list"]);
    const ms = performance.now() - t0;
    assert.equal(sshSpawns() - before, HOSTS.length, "one ssh per host");
    for (const host of HOSTS) {
      assert.equal(rows.filter((/** @type {any} */ v) => v.host === host && v.session.startsWith("demo-many-")).length, 10);
    }
    console.log(`# list over 3 hosts × ≥10 tasks: ${Math.round(ms)} ms wall (CLI start included), ${HOSTS.length} ssh processes`);
    // prune there, and a host removed here: its tasks stay there, it leaves the list.
    await waitFor(async () => (await json(["list", "--host", "gamma", "--state", "completed"])).filter((/** @type {any} */ v) => v.session.startsWith("demo-many-")).length === 10, { what: "gamma's tasks completed", timeoutMs: 60_000 });
    const pruned = await json(["prune", "--host", "gamma", "--older-than", "0"]);
    assert.ok(pruned.removed.filter((/** @type {any} */ r) => r.session.startsWith("demo-many-")).length === 10, JSON.stringify(pruned));
    assert.equal((await json(["hosts", "remove", "gamma"])).removed, "gamma");
    assert.deepEqual((await json(["hosts", "list"])).map((/** @type {any} */ h) => h.name), ["alpha", "beta"]);
    assert.equal((await json(["list"])).some((/** @type {any} */ v) => v.host === "gamma"), false);
  });
});
