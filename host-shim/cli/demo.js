// @ts-check
// `resilient-agent demo`: the whole loop on the built-in simulated agent, with no API key.
// A private tmux server and a throwaway state directory (beside the real one, never under /tmp:
// see the trust model); the agent works, crashes (SIGKILL),
// the monitor resumes it by its session id, and it finishes. Every transition is printed with
// its time under the live view (the table `watch` shows), then a summary; then everything the
// demo created is removed.
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { TaskManager } from "../task-manager.js";
import { defaultAgentEnv } from "../context.js";
import { resolveStateDir } from "../store.js";
import { clock, duration } from "./format.js";
import { LiveView, startLive } from "./live.js";

/** @typedef {import("../monitor.js").TaskEvent} TaskEvent */

const DONE = new Set(["completed", "failed", "gave_up"]);

/**
 * @param {{ out: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }, workMs?: number, timeoutMs?: number }} o
 * @returns {Promise<number>} exit status: 0 when the task completed after a recovery
 */
export async function runDemo({ out, workMs = 4000, timeoutMs = 60_000 }) {
  const live = new LiveView({ out });
  /** @type {{ refresh(): Promise<void>, stop(): Promise<void> } | null} */
  let refresher = null;
  const say = (/** @type {string} */ s) => (refresher ? live.log(s) : out.write(s + "\n"));
  const socket = `rca-demo-${randomBytes(4).toString("hex")}`;
  // <state home>/resilient-coding-agent-demo/XXXXXX/{state,project}: siblings, so neither
  // the state directory nor the project holds the other.
  const demoBase = join(dirname(resolveStateDir(undefined, { ...process.env, RCA_STATE_DIR: "" })), "resilient-coding-agent-demo");
  await mkdir(demoBase, { recursive: true, mode: 0o700 });
  const demoRoot = await mkdtemp(join(demoBase, "run-"));
  const stateDir = join(demoRoot, "state");
  const projectDir = join(demoRoot, "project");
  await mkdir(projectDir, { mode: 0o700 });
  const tm = new TaskManager({
    stateDir,
    tmuxSocket: socket,
    config: { pollMs: 500 },
    env: { ...defaultAgentEnv(), RCA_DEMO_MODE: "crash-once", RCA_DEMO_WORK_MS: String(workMs) },
  });
  const t0 = Date.now();
  const stamp = (/** @type {number} */ at) => `${clock(at)} +${((at - t0) / 1000).toFixed(1).padStart(5)}s`;
  /** @type {TaskEvent[]} */
  const seen = [];
  const ctl = new AbortController();
  const interrupt = () => ctl.abort();
  process.once("SIGINT", interrupt);
  let session = "";
  /** @type {string | null} */
  let idBeforeCrash = null;
  try {
    say("resilient-coding-agent demo: a simulated agent (Codex-style events, no model, no key)");
    say(`  tmux server: -L ${socket} (private)   state: ${stateDir}`);
    say("  the agent works for a few seconds, then is killed (SIGKILL); the monitor resumes it\n");
    const view = await tm.start({
      agent: "demo",
      name: "hello-world",
      projectDir,
      prompt: "Add a friendly greeting to README.md and make the tests pass.",
    });
    session = view.session;
    say(`${stamp(Date.now())}  start              ${session} in ${projectDir}`);
    say(`${" ".repeat(22)}watch it live: ${view.attach}`);
    refresher = startLive(tm, live, { everyMs: 500 });
    /** @type {Promise<void>} */
    const finished = new Promise((resolve) => {
      tm.on("event", (/** @type {TaskEvent} */ ev) => {
        seen.push(ev);
        say(`${stamp(ev.at)}  ${ev.kind.padEnd(17)}  ${ev.message}`);
        void refresher?.refresh();
        if (ev.kind === "recovering" && idBeforeCrash === null) {
          tm.status(ev.session, { lines: 1 }).then((v) => {
            idBeforeCrash = v.agentSessionId;
            say(`${" ".repeat(22)}agent session id before the crash: ${idBeforeCrash ?? "(none yet)"}`);
          }, () => {});
        }
        if (DONE.has(ev.kind)) resolve();
      });
    });
    const watching = tm.watch({ signal: ctl.signal });
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    await Promise.race([finished, new Promise((r) => ctl.signal.addEventListener("abort", r, { once: true }))]);
    clearTimeout(timer);
    ctl.abort();
    await watching;
    const r = refresher;
    refresher = null;
    await r?.stop();

    const last = await tm.status(session, { lines: 5 }).catch(() => null);
    const crash = seen.find((e) => e.kind === "recovering");
    const back = seen.find((e) => e.kind === "resumed" || (e.kind === "started" && crash && e.at > crash.at));
    say("\nsummary");
    say(`  final state      ${last?.state ?? "unknown"}`);
    say(`  attempts         ${last?.attempts ?? "?"}`);
    const same = idBeforeCrash !== null && idBeforeCrash === last?.agentSessionId;
    say(`  agent session    ${last?.agentSessionId ?? "?"}${same ? " (the same conversation before and after the crash)" : ""}`);
    if (crash && back) say(`  time to recover  ${duration(back.at - crash.at)} (crash seen → agent running again)`);
    say(`  total            ${duration(Date.now() - t0)}`);
    if (!last || last.state !== "completed") {
      say(ctl.signal.aborted && !seen.some((e) => DONE.has(e.kind)) ? "  the demo was interrupted or timed out" : "");
      return 1;
    }
    return 0;
  } finally {
    if (refresher) {
      const r = refresher;
      refresher = null;
      await r.stop().catch(() => {});
    }
    process.off("SIGINT", interrupt);
    if (session) await tm.stop(session, { cleanup: true }).catch(() => {});
    await rm(demoRoot, { recursive: true, force: true });
    say("cleaned up (tmux session, state and project directories removed)");
  }
}
