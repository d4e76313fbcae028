// @ts-check
// Runs each real agent CLI directly (no tmux, no TaskManager) against the mock model server,
// once per mode, with the argv our profiles build (src/profiles.rs), and reports what happened.
// With --capture it writes the outputs as fixtures:
//   tests/fixtures/agent-output/<agent>/conf-<prefix>-<case>.{stdout,stderr,exit}
// (temp paths rewritten to /home/user/..., the mock's port to 8765).
//
//   node tests/conformance/direct-run.js [--agents codex,pi] [--cases ok,401] [--capture] [--tag T]
// --tag T names the files conf-<prefix>T-<case> (e.g. --tag 16 for a CLI version not pinned yet,
// so the pinned version's fixtures stay as they are).
//
// Exit status 1 when a run did not do what EXPECT below says. This is the first check after a
// CLI upgrade: if it fails, the e2e suite will too, and this output says why.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { startMockServer } from "./mock-server.js";
import { AGENTS, CACHE, MODEL, REPO, agentEnv, binDir, installAgents, run, sessionIdInEvents, sessionInStore } from "./agents.js";
import { makeTestDir } from "../support/dirs.js";

/** @typedef {import("./agents.js").Agent} Agent */

const PREFIX = { codex: "cx", claude: "cl", opencode: "oc", pi: "pi", gemini: "gm" };
const FORMAT = { codex: "json", claude: "sjson", opencode: "json", pi: "json", gemini: "sjson" };
const CASES = ["ok", "resume", "401", "429", "500", "overloaded", "context", "usage_limit", "quota", "resume_missing"];

/**
 * The argv (after the program) of src/profiles.rs, autonomy sandboxed, model given.
 * @param {Agent} agent @param {{ sessionId?: string, sessionFile: string }} v
 */
function startArgs(agent, v) {
  switch (agent) {
    case "codex": return ["exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "-m", MODEL.codex, "-"];
    case "claude": return ["-p", "--output-format", "stream-json", "--verbose", "--session-id", String(v.sessionId), "--permission-mode", "acceptEdits", "--model", MODEL.claude];
    case "opencode": return ["run", "--format", "json", "-m", MODEL.opencode];
    case "pi": return ["--mode", "json", "--session", v.sessionFile, "--provider", "mock", "--model", "mock-model"];
    case "gemini": return ["-p", "", "--output-format", "stream-json", "--session-id", String(v.sessionId), "--approval-mode", "auto_edit", "--model", MODEL.gemini];
  }
}
/** @param {Agent} agent @param {{ sessionId: string, sessionFile: string }} v */
function resumeArgs(agent, v) {
  switch (agent) {
    case "codex": return ["exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "-m", MODEL.codex, "resume", v.sessionId, "-"];
    case "claude": return ["-p", "--resume", v.sessionId, "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits", "--model", MODEL.claude];
    case "opencode": return ["run", "--format", "json", "--session", v.sessionId, "-m", MODEL.opencode];
    case "pi": return ["--mode", "json", "--session", v.sessionFile, "--provider", "mock", "--model", "mock-model"];
    case "gemini": return ["-p", "", "--output-format", "stream-json", "--resume", v.sessionId, "--approval-mode", "auto_edit", "--model", MODEL.gemini];
  }
}

const args = process.argv.slice(2);
/** @param {string} n */
const opt = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const agents = /** @type {Agent[]} */ ((opt("--agents") ?? AGENTS.join(",")).split(","));
const cases = (opt("--cases") ?? CASES.join(",")).split(",");
const capture = args.includes("--capture");
const tag = opt("--tag") ?? "";
if (!/^[a-z0-9]{0,8}$/.test(tag)) throw new Error("--tag: up to 8 of a-z, 0-9");

installAgents(agents);
const mock = await startMockServer({ maxLifetimeMs: 60 * 60_000, quiet: true });
const root = makeTestDir("rca-conf-direct-");
/** @type {{ agent: string, kase: string, exit: string, secs: string, verdict: string }[]} */
const results = [];
let failures = 0;

/** @param {string} text @param {string} home @param {string} proj */
function scrub(text, home, proj) {
  // CACHE: where the CLI is installed (Pi 1.x names its own docs in the system prompt).
  return text.split(proj).join("/home/user/project").split(home).join("/home/user")
    .split(CACHE).join("/home/user/.cache/resilient-coding-agent-tests")
    .split(root).join("/home/user/tmp").split(`127.0.0.1:${mock.port}`).join("127.0.0.1:8765");
}

for (const agent of agents) {
  for (const kase of cases) {
    const dir = path.join(root, `${agent}-${kase}`);
    const home = path.join(dir, "home");
    const proj = path.join(dir, "project");
    fs.mkdirSync(proj, { recursive: true });
    fs.writeFileSync(path.join(proj, "README.md"), "conformance project\n");
    const lane = `${agent}-${kase}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const modeOf = kase === "ok" || kase === "resume" || kase === "resume_missing" ? "ok" : kase;
    mock.setLane(lane, /** @type {any} */ (modeOf));
    const env = agentEnv(agent, { home, baseUrl: mock.laneUrl(lane) });
    const prog = path.join(binDir(agent), agent);
    const sessionFile = path.join(dir, "pi-session.jsonl");
    const token = `tok-${crypto.randomBytes(4).toString("hex")}`;
    const t0 = Date.now();
    /** @type {string[]} */
    const notes = [];
    let ok = true;
    /** @type {{ code: number | null, signal: string | null, stdout: string, stderr: string, timedOut: boolean }} */
    let r;
    /** @param {string} name @param {typeof r} res */
    const save = (name, res) => {
      if (!capture) return;
      const out = path.join(REPO, "tests", "fixtures", "agent-output", agent);
      fs.mkdirSync(out, { recursive: true });
      const base = path.join(out, `conf-${PREFIX[agent]}${tag}-${name}`);
      fs.writeFileSync(`${base}.stdout`, scrub(res.stdout, home, proj));
      fs.writeFileSync(`${base}.stderr`, scrub(res.stderr, home, proj));
      fs.writeFileSync(`${base}.exit`, `${res.timedOut ? 124 : res.code ?? 128 + (os.constants.signals[/** @type {NodeJS.Signals} */ (res.signal)] ?? 0)}\n`);
    };
    const exitOf = (/** @type {typeof r} */ res) => (res.timedOut ? "timeout" : res.code ?? res.signal ?? "?");

    if (kase === "resume") {
      // First run: the first model call answers with a tool call, the call carrying the tool
      // result hangs; SIGKILL the agent then, like a crash; resume by id; it must complete with
      // the same id and the resumed call must carry the earlier conversation.
      mock.setLane(lane, { mode: "hang", when: "after_tool" });
      const sessionId = crypto.randomUUID();
      let live = "";
      const first = run(prog, startArgs(agent, { sessionId, sessionFile }), {
        env, cwd: proj, input: `RCA_USE_TOOL resume check ${token}\n`, timeoutMs: 120_000, killSignal: "SIGKILL",
        onStdout: (c) => { live += c; },
      });
      let hung = null;
      try {
        hung = await mock.waitFor((q) => q.lane === lane && q.mode === "hang", 90_000);
      } catch (e) { notes.push(String(e)); }
      // Claude writes its transcript asynchronously: a kill right after the hung call can
      // come before the conversation is on disk (then `--resume` says "No conversation found").
      // A crash in a long task comes after that, so wait until the store has it.
      // The id must be known before the kill (the host reads it from the event stream; OpenCode
      // may print its first events only after a moment).
      const t1 = Date.now();
      while (agent !== "claude" && Date.now() - t1 < 30_000 && !sessionIdInEvents(agent, live)) {
        await new Promise((res) => setTimeout(res, 100));
      }
      const idNow = agent === "claude" ? sessionId : sessionIdInEvents(agent, live);
      if (idNow) {
        const t = Date.now();
        while (Date.now() - t < 30_000 && !(await sessionInStore(agent, { env, id: idNow, projectDir: proj, sessionFile })).found) {
          await new Promise((res) => setTimeout(res, 100));
        }
        notes.push(`store after ${Date.now() - t} ms`);
      }
      killByCwd(proj);
      r = await first;
      save(`killed-${FORMAT[agent]}`, r);
      const id = agent === "claude" ? sessionId : sessionIdInEvents(agent, r.stdout);
      notes.push(`first: exit ${exitOf(r)}, id ${id}, hung call ${hung ? "yes" : "no"}`);
      if (!id || !hung) ok = false;
      mock.setLane(lane, "ok");
      const before = mock.modelCalls(lane).length;
      const r2 = await run(prog, resumeArgs(agent, { sessionId: String(id), sessionFile }), {
        env, cwd: proj, input: "Continue the task.\n", timeoutMs: 120_000,
      });
      save(`resume-${FORMAT[agent]}`, r2);
      const id2 = sessionIdInEvents(agent, r2.stdout);
      const resumed = mock.modelCalls(lane).slice(before);
      const carried = resumed.some((q) => q.text.includes(token));
      const store = await sessionInStore(agent, { env, id: String(id), projectDir: proj, sessionFile });
      notes.push(`resume: exit ${exitOf(r2)}, id ${id2}, same ${id2 === id}, carried ${carried}, store ${store.found}`);
      if (r2.code !== 0 || id2 !== id || !carried || !store.found) ok = false;
      r = r2;
    } else if (kase === "resume_missing") {
      const missing = agent === "opencode" ? "ses_0000000000000000000000000a" : crypto.randomUUID();
      const sf = path.join(dir, "no-such-session.jsonl");
      r = await run(prog, resumeArgs(agent, { sessionId: missing, sessionFile: agent === "pi" ? path.join(dir, "missing", "x.jsonl") : sf }), {
        env, cwd: proj, input: "Continue the task.\n", timeoutMs: 60_000,
      });
      save(`resume-missing`, r);
      notes.push(`exit ${exitOf(r)}`);
    } else {
      const sessionId = crypto.randomUUID();
      r = await run(prog, startArgs(agent, { sessionId, sessionFile }), {
        env, cwd: proj, input: `say hi ${token}\n`, timeoutMs: kase === "ok" ? 120_000 : 180_000,
      });
      save(`${kase}-${FORMAT[agent]}`, r);
      const id = sessionIdInEvents(agent, r.stdout);
      notes.push(`exit ${exitOf(r)}, id ${id}, calls ${mock.modelCalls(lane).length}`);
      if (kase === "ok" && (r.code !== 0 || !id)) ok = false;
    }
    const tail = (r.stdout + "\n" + r.stderr).split("\n").filter((l) => l.trim()).slice(-2).map((l) => l.slice(0, 160)).join(" | ");
    if (!ok) failures += 1;
    results.push({ agent, kase, exit: String(exitOf(r)), secs: ((Date.now() - t0) / 1000).toFixed(1), verdict: `${ok ? "ok" : "FAIL"}: ${notes.join("; ")} :: ${scrub(tail, home, proj)}` });
    process.stdout.write(`${agent} ${kase} ${results[results.length - 1].exit} ${results[results.length - 1].secs}s ${results[results.length - 1].verdict}\n`);
  }
}

await mock.close();
if (!args.includes("--keep")) fs.rmSync(root, { recursive: true, force: true });
else process.stdout.write(`kept ${root}\n`);
process.exit(failures ? 1 : 0);

/** SIGKILL every process whose cwd is dir (the agent and its children). @param {string} dir */
function killByCwd(dir) {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) === dir && Number(pid) !== process.pid) process.kill(Number(pid), "SIGKILL");
    } catch { /* gone or not ours */ }
  }
}
