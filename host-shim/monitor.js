// @ts-check
// One monitor tick for every task of a state directory. The core decides (monitorStep); this
// file only gathers what it needs and performs what it asks:
//
//   one `list-panes -a` for all tasks + a few file stats per task
//     → monitorStep(record, observation) → persist the record if it changed
//     → actions in order: capture (then step again), resolve_reset_time (then step again),
//       nudge_server (SIGCHLD), recover (plan and run), announce (emit)
//
// The record is persisted BEFORE any action, so a monitor killed mid-action is never resumed
// twice: its successor reads `recovering` with the new attempt and waits for that run.
// The first tick after a (re)start reconciles everything: every task is due, live panes are
// adopted, dead ones recovered, vanished sessions re-created (all decided by the core).
import core from "./core.js";
import { RcaError, toRcaError, viaCore } from "./errors.js";
import { attemptPaths, readLaunch, readPrivate, checkSameSpec, checkSameProfile, HOST_FILE } from "./task-files.js";
import { parseWorktreeInfo } from "./worktree.js";
import { hostContext, resolveProgram } from "./context.js";
import { utcOffsetMinutes } from "./timezone.js";
import { mapLimit } from "./limit.js";
import { projectDirProblem } from "./project-dir.js";
import { RecoveryQueue, loginKey, checkRecoveryOptions } from "./recovery-queue.js";
import { UsageReader } from "./usage-reader.js";

/** @typedef {import("./effects.js").Effects} Effects */
/** @typedef {import("./store.js").Store} Store */
/** @typedef {import("./store.js").Stamp} Stamp */
/** @typedef {import("./tmux.js").Tmux} Tmux */
/** @typedef {import("./lock.js").MonitorLock} MonitorLock */
/** @typedef {import("./wasm/core.js").PaneInfo} PaneInfo */
/** @typedef {import("./wasm/core.js").TaskEvent} TaskEvent */
/** @typedef {import("./wasm/core.js").TaskRecord} TaskRecord */
/** @typedef {{ code: string, message: string, session?: string, taskDir?: string }} Problem */
/** @typedef {import("./wasm/core.js").Observation} Observation */
/** @typedef {import("./wasm/core.js").PaneFacts} PaneFacts */
/** @typedef {{ attempt: number, started: boolean, exitStatus: number | null, activityAt: number | null }} FileFacts */

const HEAD_BYTES = 16 * 1024;
const TAIL_BYTES = 64 * 1024;
/** A step may ask for data (capture, reset time) and be run again; never loop forever. */
const MAX_ROUNDS = 4;
/**
 * A task whose record lock another live process holds (a `stop` in flight) is skipped for this
 * tick and looked at again this soon: never waited for, so it cannot hold up the other tasks.
 */
const BUSY_RETRY_MS = 250;
/** How long a recovery with more of its login queued waits to see its agent program start. */
const LAUNCH_WAIT_MS = 3_000;
/** A record lock held this long without a break is reported (once per spell). */
const BUSY_REPORT_MS = 10_000;

export class Monitor {
  /**
   * @param {object} o
   * @param {Store} o.store
   * @param {Tmux} o.tmux
   * @param {Required<import("./wasm/core.js").MonitorConfig>} o.config a full, validated MonitorConfig
   * @param {Record<string, string>} o.agentEnv
   * @param {Effects} o.effects
   * @param {(ev: TaskEvent) => void} o.onEvent
   * @param {(p: Problem) => void} o.onProblem
   * @param {MonitorLock | null} [o.lock] re-checked before every recovery
   * @param {string[]} [o.demoAgent] the demo agent's argv prefix when the task's host.json has none
   *   (a task started by an older version)
   * @param {import("./recovery-queue.js").RecoveryOptions} [o.recovery] stagger per login, concurrency
   */
  constructor({ store, tmux, config, agentEnv, effects, onEvent, onProblem, lock = null, demoAgent, recovery }) {
    this.store = store;
    this.tmux = tmux;
    // The settings are checked once, here; every step of the loop uses them as they are.
    this.stepper = viaCore(() => new core.MonitorStepper(config));
    /** @type {Required<import("./wasm/core.js").MonitorConfig>} */
    this.config = this.stepper.config();
    this.agentEnv = agentEnv;
    this.demoAgent = demoAgent;
    this.fx = effects;
    this.onEvent = onEvent;
    this.onProblem = onProblem;
    this.lock = lock;
    /**
     * Per task dir. `nextCheckMono` is on the monotonic clock: a wall-clock step must not
     * postpone a due look (−1 h would make a recovery due in 5 s wait an hour).
     * @type {Map<string, { record: TaskRecord, stamp: Stamp | null, nextCheckMono: number }>}
     */
    this.known = new Map();
    /** The newest activity mtime reported per task dir (an unchanged one is not reported again). */
    this.activitySeen = new Map();
    /** `taskDir#attempt` of the runs this process issued (a run asked for by a dead monitor is not). */
    this.issued = new Set();
    /** Task dirs whose corrupt record was already reported (report once, not every tick). */
    this.reported = new Set();
    /** Index entries and records that could not be read, reported once per spell (key → code). */
    this.unreadable = new Map();
    /** @type {Map<string, { since: number, reported: boolean }>} task dirs whose record lock is busy */
    this.busySince = new Map();
    this.recovery = recovery ?? checkRecoveryOptions({});
    /** When each login may recover next (fleet-safe mass recovery). */
    this.queue = new RecoveryQueue(this.recovery);
    /** @type {Map<string, string>} task dir → login key (from its fixed agent.env) */
    this.loginKeys = new Map();
    /** @type {Map<string, string | null>} task dir → its worktree branch (host.json), for events */
    this.branches = new Map();
    /** How far each task's current event file has been read for usage. */
    this.usageReader = new UsageReader(this.fx.fs);
    /** Recoveries under way now, and the most at once (for the benchmark). */
    this.recoveryStats = { inFlight: 0, peak: 0, issued: 0 };
  }

  /**
   * One tick: steps every task that is due (or whose record changed on disk, or is in `hot`:
   * its wrapper just wrote a file, so something is probably ending right now).
   * @param {{ hot?: Set<string> }} [opts]
   * @returns {Promise<{ events: TaskEvent[], nextCheckAt: number, taskDirs: string[] }>}
   */
  async tick(opts = {}) {
    const hot = opts.hot ?? new Set();
    const now = this.fx.now();
    const mono = this.fx.mono();
    /** @type {TaskEvent[]} */
    const events = [];
    let nextCheckMono = mono + this.config.pollMs;
    // The caller sleeps on wall time until nextCheckAt; give it the monotonic due time as seen now.
    const result = () => ({ events, nextCheckAt: now + (nextCheckMono - mono), taskDirs: [...seen] });
    /** @type {Array<{ record: TaskRecord, stamp: Stamp | null, taskDir: string }>} */
    const due = [];
    /** @type {Set<string>} */
    const failedNow = new Set();
    const entries = await this.store.sessions({
      onProblem: (p) => {
        failedNow.add(`index:${p.session}`);
        this.#reportUnreadable(`index:${p.session}`, { code: p.code, message: p.message, session: p.session });
      },
    });
    const seen = new Set(entries.map((e) => e.taskDir));
    // A bounded number of records open at once (thousands of tasks must not mean EMFILE).
    const loads = await mapLimit(entries, ({ taskDir }) => this.#load(taskDir, failedNow));
    for (const key of this.unreadable.keys()) if (!failedNow.has(key)) this.unreadable.delete(key);
    // Each task's nextCheckAt comes from its own step's clock, which differs within one tick (by
    // a few ms, or by much more when a first tick captures every pane): a task due within half a
    // poll is due now, so the tasks' checks gather into one tick (one list-panes) per poll
    // instead of drifting into several partial ticks. Stepping a task early is harmless: the
    // core decides from the observation's clock and says when to look again.
    const slack = this.config.pollMs / 2;
    for (const [i, { taskDir }] of entries.entries()) {
      const loaded = loads[i];
      if (!loaded) continue;
      const known = this.known.get(taskDir);
      const changed = !known || !sameStamp(known.stamp, loaded.stamp);
      if (changed || hot.has(taskDir) || mono + slack >= known.nextCheckMono) due.push({ ...loaded, taskDir });
      else nextCheckMono = Math.min(nextCheckMono, known.nextCheckMono);
    }
    // A task that could not be listed this tick is not forgotten: only one whose entry is gone.
    for (const dir of this.known.keys()) {
      if (!seen.has(dir) && !failedNow.has(`index:${this.known.get(dir)?.record.session}`)) this.known.delete(dir);
    }
    for (const dir of this.activitySeen.keys()) if (!seen.has(dir)) this.activitySeen.delete(dir);
    this.usageReader.keepOnly(seen);
    if (due.length === 0) return result();

    // The wrapper files are read BEFORE the one list-panes, so the pane snapshot is never older
    // than what the files say: a run that wrote started.<n> is in the snapshot (else it truly
    // vanished), and a run that is in the snapshot but had not written it yet is simply alive.
    const files = await mapLimit(due, (t) => this.observeFiles(t.record));
    const panes = await this.listPanes();
    // Tasks are stepped concurrently up to the recovery bound: recoveries of different logins
    // run side by side; those of one login are spaced by the recovery queue.
    /** @type {unknown} */
    let busy = null;
    await mapLimit(due, async (task, i) => {
      if (busy) return;
      try {
        const next = await this.#stepTask(task, files[i], panes, events);
        nextCheckMono = Math.min(nextCheckMono, next);
      } catch (err) {
        const e = toRcaError(err);
        if (e.code === "monitor_busy") {
          busy = e;
          return;
        }
        this.onProblem({ code: e.code, message: e.message, session: task.record.session, taskDir: task.taskDir });
        // Look again soon rather than hammering a task whose step failed.
        this.known.set(task.taskDir, { record: task.record, stamp: task.stamp, nextCheckMono: mono + this.config.pollMs });
      }
    }, this.recovery.concurrency);
    if (busy) throw busy;
    return result();
  }

  /**
   * Every pane on the tmux server, in one process. No server = no panes (all sessions gone).
   * @returns {Promise<PaneInfo[]>}
   */
  async listPanes() {
    const cmd = viaCore(() => core.planListPanes(this.tmux.socket));
    const res = await this.tmux.run(cmd);
    if (res.code !== 0) {
      if (res.noServer) return [];
      throw new RcaError("tmux_failed", `tmux list-panes failed: ${res.stderr.trim()}`);
    }
    return /** @type {PaneInfo[]} */ (core.parsePaneList(res.stdout));
  }

  /**
   * Reads a task's record, from memory when the file did not change. A record that cannot be
   * read now (EMFILE, EIO…) is kept, reported once per spell, and read again next tick.
   * @param {string} taskDir
   * @param {Set<string>} failedNow collects the keys that failed this tick
   */
  async #load(taskDir, failedNow) {
    const stamp = await this.store.recordStamp(taskDir);
    const known = this.known.get(taskDir);
    if (known && stamp && sameStamp(known.stamp, stamp)) return { record: known.record, stamp };
    try {
      return await this.store.readRecord(taskDir, (text) => core.parseRecord(text));
    } catch (err) {
      const e = toRcaError(err);
      if (e.code !== "record_corrupt") {
        failedNow.add(`record:${taskDir}`);
        this.#reportUnreadable(`record:${taskDir}`, { code: e.code, message: e.message, taskDir });
        return null;
      }
      this.known.delete(taskDir);
      if (!this.reported.has(taskDir)) {
        this.reported.add(taskDir);
        this.onProblem({ code: e.code, message: e.message, taskDir });
      }
      return null;
    }
  }

  /**
   * @param {string} key what failed (an index entry, a record)
   * @param {Problem} problem
   */
  #reportUnreadable(key, problem) {
    if (this.unreadable.get(key) === problem.code) return;
    this.unreadable.set(key, problem.code);
    this.onProblem(problem);
  }

  /**
   * Observes one task, steps it until it needs no more data, and performs the actions.
   * @param {{ record: TaskRecord, stamp: Stamp | null, taskDir: string }} task
   * @param {FileFacts} files read before the pane snapshot
   * @param {PaneInfo[]} panes
   * @param {TaskEvent[]} events
   * @returns {Promise<number>} when to look at it again, on the monotonic clock
   */
  async #stepTask(task, files, panes, events) {
    /** A recovery slot granted in this step: given back unless the recovery was launched. */
    const grant = { key: /** @type {string | null} */ (null), launched: false };
    try {
      return await this.#stepTaskOnce(task, files, panes, events, grant);
    } finally {
      if (grant.key && !grant.launched) this.queue.cancel(grant.key, task.taskDir);
    }
  }

  /**
   * @param {{ record: TaskRecord, stamp: Stamp | null, taskDir: string }} task
   * @param {FileFacts} files
   * @param {PaneInfo[]} panes
   * @param {TaskEvent[]} events
   * @param {{ key: string | null, launched: boolean }} grant
   * @returns {Promise<number>}
   */
  async #stepTaskOnce(task, files, panes, events, grant) {
    let { record, stamp } = task;
    const { taskDir } = task;
    const pane = panes.find((p) => p.session === record.session) ?? null;
    let obs = await this.observe(record, files, pane);
    const obsMono = /** @type {{ ms: number }} */ (obs.mono).ms;
    let nextCheckAt = obs.now + this.config.pollMs;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const out = viaCore(() => this.stepper.step(record, obs));
      // The core says recover now; the login's queue says when, asked under the record's lock
      // (so a task another process holds never takes a slot). Held: step again with the hold,
      // so the record says `recovering` until its slot.
      const wantsRecovery = out.actions.some((a) => a.type === "recover") && obs.holdRecoveryUntil == null;
      const key = wantsRecovery ? await this.#loginKey(record) : null;
      /** @type {import("./recovery-queue.js").Gate | null} */
      let gate = null;
      const ask = key === null ? undefined : () => {
        gate = this.queue.ask(key, taskDir, this.fx.mono(), record.recoveryReason === "manual resume");
        if (!("until" in gate)) grant.key = key;
        return "until" in gate;
      };
      if (out.record.updatedAt !== record.updatedAt || JSON.stringify(out.record) !== JSON.stringify(record)) {
        const saved = await this.#persist(taskDir, out.record, stamp, ask);
        if (saved === "busy") return obsMono + BUSY_RETRY_MS; // a `stop` in flight: look again soon
        if (saved === "held") {
          const until = /** @type {{ until: number }} */ (/** @type {unknown} */ (gate)).until;
          obs = { ...obs, holdRecoveryUntil: obs.now + Math.max(1, until - obsMono) };
          continue;
        }
        stamp = saved;
        if (!stamp) return obsMono; // someone else changed the record meanwhile: re-read at once
      } else if (ask && ask()) {
        const until = /** @type {{ until: number }} */ (/** @type {unknown} */ (gate)).until;
        obs = { ...obs, holdRecoveryUntil: obs.now + Math.max(1, until - obsMono) };
        continue;
      }
      record = out.record;
      nextCheckAt = out.nextCheckAt;
      let again = false;
      actions: for (const action of out.actions) {
        switch (action.type) {
          case "capture": {
            const text = await this.capture(pane, action.lines);
            if (pane?.dead) await this.#saveDeadPane(taskDir, obs.attempt, text);
            obs = { ...obs, capture: text };
            again = true;
            break;
          }
          case "resolve_reset_time": {
            const offset = utcOffsetMinutes(action.zone, obs.now);
            obs = { ...obs, resetAt: core.nextClockOccurrence(obs.now, action.hour, action.minute, offset) };
            again = true;
            break;
          }
          case "nudge_server":
            this.#nudge(pane);
            break;
          case "recover": {
            // Never run the agent anywhere but its own project directory (gone, or its path now
            // naming another directory), and never from a launch file that is no longer ours and
            // private: the task fails instead, announced once, rather than recovering forever.
            const projectProblem = await projectDirProblem(this.fx.fs, record);
            /** @type {{ class: "project_dir_missing" | "task_file_unsafe", evidence: string } | null} */
            let refused = projectProblem ? { class: "project_dir_missing", evidence: projectProblem } : null;
            let busy = false;
            let persisted = false;
            if (!refused) {
              try {
                // The recovery may change the record first (a fresh start forgets an agent id
                // that the new run replaces); it is persisted before the agent runs, as every change.
                persisted = await this.recover(record, action.mode, action.attempt, async (next) => {
                  const saved = /** @type {Stamp | null | "busy"} */ (await this.#persist(taskDir, next, stamp)); // never "held" without a gate
                  busy = saved === "busy";
                  stamp = saved === "busy" ? stamp : saved;
                  if (saved && saved !== "busy") record = next;
                  return !!saved && saved !== "busy";
                });
              } catch (err) {
                if (!(err instanceof RcaError) || err.code !== "task_file_unsafe") throw err;
                this.onProblem({ code: err.code, message: err.message, session: record.session, taskDir });
                refused = { class: "task_file_unsafe", evidence: err.message };
              }
            }
            if (refused) {
              const { class: failureClass, evidence } = refused;
              const failed = viaCore(() => core.recoveryRefused(record, failureClass, evidence, obs.now));
              const saved = /** @type {Stamp | null | "busy"} */ (await this.#persist(taskDir, failed.record, stamp));
              if (saved === "busy") return obsMono + BUSY_RETRY_MS; // a `stop` in flight: look again soon
              if (!saved) return obsMono;
              stamp = saved;
              record = failed.record;
              nextCheckAt = failed.nextCheckAt;
              for (const a of failed.actions) {
                if (a.type !== "announce") continue;
                const ev = await this.#withBranch(taskDir, a.event);
                events.push(ev);
                this.onEvent(ev);
              }
              again = false;
              break actions;
            }
            // Not awaited: the tick goes on; the queue holds this login's next slot until known.
            if (grant.key && persisted) {
              const key = grant.key;
              grant.launched = true;
              void this.#launchedAt(key, taskDir, action.attempt).then((at) => this.queue.launched(key, at), () => this.queue.launched(key, this.fx.mono()));
            }
            if (!persisted) return busy ? obsMono + BUSY_RETRY_MS : obsMono; // someone else changed the record meanwhile
            break;
          }
          case "announce": {
            const ev = await this.#withBranch(taskDir, action.event);
            events.push(ev);
            this.onEvent(ev);
            break;
          }
          case "stop_agent": {
            // Past its budget: the record already says failed/budget_exceeded; end the session
            // as `stop` does (gone already is fine).
            const res = await this.tmux.run(viaCore(() => core.planStop(this.tmux.socket, record.session)));
            if (res.code !== 0 && !res.noServer && !/can't find session|session not found/.test(res.stderr)) {
              this.onProblem({ code: "tmux_failed", message: `tmux kill-session failed: ${res.stderr.trim()}`, session: record.session, taskDir });
            }
            break;
          }
          default:
            this.onProblem({ code: "internal", message: `unknown action ${JSON.stringify(action)}`, session: record.session });
        }
      }
      if (!again) break;
    }
    const verdict = this.queue.observe(taskDir, record, this.fx.mono());
    if (verdict) {
      // A breaker edge (said once by the queue) is an event like any other: notify, watch, journal.
      const ev = await this.#withBranch(taskDir, viaCore(() => core.breakerEvent(record, "paused" in verdict, obs.now)));
      events.push(ev);
      this.onEvent(ev);
    }
    const nextCheckMono = obsMono + (nextCheckAt - obs.now);
    this.known.set(taskDir, { record, stamp, nextCheckMono });
    if (files.activityAt !== null) this.activitySeen.set(taskDir, files.activityAt);
    return nextCheckMono;
  }

  /**
   * When a recovery just issued began (monotonic ms). With more of its login queued behind it,
   * that is when its agent program was started: the wrapper's `sh` writes pid.<n> right before
   * it execs the agent (its mtime, waited for briefly). The wrapper's own start (started.<n>)
   * comes earlier by its setup, which under load took longer for one run than the next and
   * brought two agents of one login closer than the stagger. Otherwise now.
   * @param {string} key
   * @param {string} taskDir
   * @param {number} attempt
   */
  async #launchedAt(key, taskDir, attempt) {
    if (!this.queue.hasWaiting(key)) return this.fx.mono();
    const file = attemptPaths(taskDir, attempt).pid;
    const until = this.fx.mono() + LAUNCH_WAIT_MS;
    while (this.fx.mono() < until) {
      const st = await this.fx.fs.lstat(file).catch(() => null);
      if (st?.isFile() && st.size > 0) return this.fx.mono() - Math.max(0, this.fx.now() - st.mtimeMs);
      await this.fx.sleep(20);
    }
    return this.fx.mono();
  }

  /**
   * The login a task's recoveries are queued under, from its agent.env fixed at start.
   * @param {TaskRecord} record
   */
  async #loginKey(record) {
    const known = this.loginKeys.get(record.taskDir);
    if (known) return known;
    const launch = await readLaunch(this.fx.fs, record.taskDir).catch(() => null);
    const key = loginKey(record.spec.agent, launch?.env ?? this.agentEnv);
    this.loginKeys.set(record.taskDir, key);
    return key;
  }

  /**
   * The event with the task's worktree branch, when it has one (an orchestrator reviews and
   * merges that branch when the task completes).
   * @param {string} taskDir
   * @param {TaskEvent} ev
   * @returns {Promise<TaskEvent>}
   */
  async #withBranch(taskDir, ev) {
    if (!this.branches.has(taskDir)) {
      const text = await readPrivate(this.fx.fs, `${taskDir}/${HOST_FILE}`, 64 * 1024).catch(() => null);
      let branch = null;
      try {
        branch = parseWorktreeInfo(text ? JSON.parse(text).worktree : null)?.branch ?? null;
      } catch {
        branch = null;
      }
      this.branches.set(taskDir, branch);
    }
    const branch = this.branches.get(taskDir);
    return branch ? /** @type {TaskEvent} */ ({ ...ev, branch }) : ev;
  }

  /**
   * The wrapper's files of the record's current attempt: cheap stats and one tiny read.
   * @param {TaskRecord} record
   * @returns {Promise<FileFacts>}
   */
  async observeFiles(record) {
    const files = attemptPaths(record.taskDir, record.attempts);
    const st = this.store;
    const [startedAt, exitText, transcriptAt, eventsAt] = await Promise.all([
      st.mtime(files.started),
      st.readHeadIfExists(files.exit, 64),
      st.mtime(files.transcript),
      st.mtime(files.events),
    ]);
    const activity = /** @type {number[]} */ ([transcriptAt, eventsAt].filter((t) => t !== null));
    return {
      attempt: record.attempts,
      started: startedAt !== null,
      exitStatus: /^\s*-?\d+\s*$/.test(exitText) ? Number.parseInt(exitText, 10) : null,
      activityAt: activity.length ? Math.max(...activity) : null,
    };
  }

  /**
   * The core's Observation for a task: the file facts, the pane from the tick's one list-panes,
   * and output only when needed (the head while the session id is unknown, the tails once the
   * run is over).
   * @param {TaskRecord} record
   * @param {FileFacts} facts
   * @param {PaneInfo | null} pane
   * @returns {Promise<Observation>}
   */
  async observe(record, facts, pane) {
    const now = this.fx.now();
    const mono = { clock: this.fx.monoClock, ms: this.fx.mono() };
    const files = attemptPaths(record.taskDir, facts.attempt);
    const st = this.store;
    // The run is over (or the pane is gone): the core classifies it from the output tails. The
    // exit file can appear while the pane still lives (the wrapper flushes its tees last).
    const settled = !pane || pane.dead || facts.exitStatus !== null;
    let eventsHead = null;
    if (!record.agentSessionId) {
      eventsHead = (await st.readHead(files.events, HEAD_BYTES)) || (await st.readHead(files.stderr, HEAD_BYTES)) || null;
    }
    return {
      now,
      pane: paneFacts(pane),
      attempt: facts.attempt,
      started: facts.started,
      exitStatus: facts.exitStatus,
      activityAt: this.#newActivity(record.taskDir, facts.activityAt),
      eventsHead,
      eventsTail: settled ? await st.readTail(files.events, TAIL_BYTES) : "",
      stderrTail: settled ? await st.readTail(files.stderr, TAIL_BYTES) : "",
      capture: null,
      utcOffsetMin: utcOffsetMinutes(null, now),
      resetAt: null,
      mono,
      runIssued: this.issued.has(`${record.taskDir}#${record.attempts}`),
      usage: await this.usageReader.read(record, files.events, facts.attempt),
      // A new id on offer for a run that ended: the core takes it only when the run's resume
      // found nothing to resume and the agent's id is preset (it starts again under it).
      freshSessionId: settled ? this.fx.uuid() : null,
    };
  }

  /**
   * The activity mtime if it changed since a step of this process last took it in, else null:
   * after a wall-clock step an unchanged mtime is in the old clock's terms, and the core has
   * already moved what it knew of it onto the new one.
   * @param {string} taskDir
   * @param {number | null} activityAt
   */
  #newActivity(taskDir, activityAt) {
    return activityAt === null || this.activitySeen.get(taskDir) === activityAt ? null : activityAt;
  }

  /**
   * The pane's last lines ("" when it cannot be captured: the core treats that as no output).
   * @param {PaneInfo | null} pane
   * @param {number} lines
   */
  async capture(pane, lines) {
    if (!pane) return "";
    const cmd = viaCore(() => core.planCapture(this.tmux.socket, pane.paneId, lines));
    const res = await this.tmux.run(cmd);
    return res.code === 0 ? res.stdout : "";
  }

  /**
   * Runs attempt `attempt` of a task as the core chooses: the agent's resume of the recorded
   * conversation, or a fresh start with the original prompt (no id recorded, or the agent was
   * killed before it saved the conversation: the file the core names does not exist). The
   * record is already persisted; a change the choice makes goes through `persist` first.
   * @param {TaskRecord} record
   * @param {import("./wasm/core.js").RecoverMode} mode
   * @param {number} attempt
   * @param {(next: TaskRecord) => Promise<boolean>} [persist] false when the record changed meanwhile
   * @returns {Promise<boolean>} false when nothing was done because the record changed meanwhile
   */
  async recover(record, mode, attempt, persist = async () => true) {
    if (this.lock && !(await this.lock.stillHeld())) {
      throw new RcaError("monitor_busy", "this monitor lost the state directory's lock; another monitor acts now");
    }
    const { taskDir } = record;
    // Built only from what was fixed at start (host.json, agent.env: private files of ours in a
    // safe state directory) or, for a task that predates them, from this monitor's own
    // operator-side settings; never from anything the agent's environment could name.
    const launch = await readLaunch(this.fx.fs, taskDir);
    checkSameSpec(launch.spec, record.spec, taskDir);
    checkSameProfile(launch.agentProfile, currentProfile(record.spec.agent), taskDir);
    const agentEnv = launch.env ?? this.agentEnv;
    // A profile without a program (the demo agent) runs the argv prefix the host gives it.
    const program = !core.agentProgram(record.spec.agent) ? null
      : launch.program ?? (await this.#program(record.spec.agent, record.spec.projectDir));
    const base = {
      taskDir,
      socket: this.tmux.socket,
      agentEnv,
      program,
      demoAgent: launch.demoAgent ?? this.demoAgent,
      // The real path recorded at start (the one the identity check just confirmed), not one
      // resolved again now: the wrapper refuses to run anywhere else.
      projectRealDir: record.projectIdentity?.realPath ?? (await this.#realDir(record.spec.projectDir)),
    };
    let ctx = hostContext({ ...base, presetSessionId: record.agentSessionId });
    const id = record.agentSessionId;
    const probe = id ? viaCore(() => core.conversationProbe(record.spec, id, ctx)) ?? null : null;
    const saved = probe === null || (await this.#exists(probe));
    const choice = viaCore(() => core.chooseRecovery(record, saved, this.fx.now()));
    if (JSON.stringify(choice.record) !== JSON.stringify(record)) {
      if (!(await persist(choice.record))) return false;
      record = choice.record;
      ctx = hostContext({ ...base, presetSessionId: record.agentSessionId });
    }
    /** @type {import("./wasm/core.js").Plan} */
    let plan;
    if (choice.kind === "resume") {
      // The core chooses a resume only for a record with an id.
      const resumeId = /** @type {string} */ (record.agentSessionId);
      plan = viaCore(() => core.planRecover(record.spec, resumeId, ctx, mode, attempt));
    } else {
      // Start afresh with the original prompt; a dead session is removed first so the name is free.
      const prompt = (await readPrivate(this.fx.fs, attemptPaths(taskDir, 1).prompt, 8 * 1024 * 1024)) ?? "";
      plan = viaCore(() => core.planStart(record.spec, prompt, ctx, attempt));
      if (mode.mode !== "recreate") {
        await this.tmux.run(viaCore(() => core.planStop(this.tmux.socket, record.session)));
      }
    }
    // Issued by this process from here on (if it dies now, its successor issues it again).
    this.issued.add(`${taskDir}#${attempt}`);
    const stats = this.recoveryStats;
    stats.inFlight++;
    stats.peak = Math.max(stats.peak, stats.inFlight);
    try {
      await performPlan(this.store, this.tmux, taskDir, plan);
    } finally {
      stats.inFlight--;
      stats.issued++;
    }
    return true;
  }

  /**
   * Whether a path exists (lstat: the entry itself). Only "no such entry" counts as missing;
   * any other error (permissions…) leaves the usual resume.
   * @param {string} path
   */
  async #exists(path) {
    try {
      await this.fx.fs.lstat(path);
      return true;
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      return !(code === "ENOENT" || code === "ENOTDIR");
    }
  }

  /**
   * The project directory as the agent's getcwd() will report it (null when unknown).
   * @param {string} dir
   */
  async #realDir(dir) {
    try {
      return await this.fx.fs.realpath(dir);
    } catch {
      return null;
    }
  }

  /**
   * The absolute program of a task that predates host.json, resolved on this monitor's own PATH.
   * @param {string} agent
   * @param {string} projectDir
   */
  async #program(agent, projectDir) {
    const name = core.agentProgram(agent);
    return name ? resolveProgram(this.fx.fs, name, this.agentEnv.PATH, projectDir) : null;
  }

  /**
   * Keeps what a dead pane showed: respawn-pane wipes the screen.
   * @param {string} taskDir
   * @param {number} attempt
   * @param {string} text
   */
  async #saveDeadPane(taskDir, attempt, text) {
    const name = attemptPaths(taskDir, attempt).paneFinal;
    await this.store.writeNew(taskDir, name, text).catch((e) => {
      if (e.code !== "EEXIST") throw e;
    });
  }

  /** @param {PaneInfo | null} pane */
  #nudge(pane) {
    // tmux 3.3a sometimes leaves a dead child unreaped until it gets SIGCHLD.
    if (pane?.serverPid) {
      try {
        this.fx.kill(pane.serverPid, "SIGCHLD");
      } catch {
        // The server is gone: the next list-panes says so.
      }
    }
  }

  /**
   * Writes the record unless someone else (a CLI `stop`/`resume`) changed it since we read it.
   * The record lock is tried, never waited for: a task another process is working on is skipped
   * this tick ("busy"), so one slow or stuck task never delays the recovery of the others.
   * @param {string} taskDir
   * @param {TaskRecord} record
   * @param {Stamp | null} expected
   * @param {() => boolean} [held] asked under the lock, before writing: true = write nothing ("held")
   * @returns {Promise<Stamp | null | "busy" | "held">} the new stamp, null when we lost the race
   */
  async #persist(taskDir, record, expected, held) {
    try {
      const stamp = await this.store.withRecordLock(
        taskDir,
        async () => {
          const current = await this.store.recordStamp(taskDir);
          if (expected && !sameStamp(current, expected)) {
            this.known.delete(taskDir);
            return null;
          }
          if (held?.()) return "held";
          return this.store.writeRecord(taskDir, record);
        },
        { waitMs: 0 },
      );
      this.busySince.delete(taskDir);
      return stamp;
    } catch (err) {
      if (!(err instanceof RcaError) || err.code !== "task_busy") throw err;
      const now = this.fx.now();
      const spell = this.busySince.get(taskDir) ?? { since: now, reported: false };
      this.busySince.set(taskDir, spell);
      if (!spell.reported && now - spell.since >= BUSY_REPORT_MS) {
        spell.reported = true;
        this.onProblem({ code: "task_busy", message: err.message, session: record.session, taskDir });
      }
      return "busy";
    }
  }

}

/**
 * Writes a plan's files (and syncs the directory, so they survive a power cut with the
 * session they are for), then runs its commands in order, stopping at the first failure. When
 * a command fails after tmux created a session (new-session printed its id), that session is
 * killed by id: never a session found by name, which may be another start's or one made by hand.
 * @param {Store} store
 * @param {Tmux} tmux
 * @param {string} taskDir
 * @param {import("./wasm/core.js").Plan} plan
 */
export async function performPlan(store, tmux, taskDir, plan) {
  for (const f of plan.files) {
    if (f.exclusive) {
      await store.writeNew(taskDir, f.path, f.contents, f.mode);
    } else {
      await store.replaceAtomically(taskDir, f.path, f.contents);
    }
  }
  if (plan.files.length > 0) await store.syncDir(taskDir);
  for (const cmd of plan.commands) {
    const res = await tmux.run(cmd);
    if (res.code === 0) continue;
    const id = /^\$\d+$/m.exec(res.stdout)?.[0];
    if (id) await tmux.run(viaCore(() => core.planStopSessionId(tmux.socket, id))).catch(() => {});
    if (/duplicate session/.test(res.stderr)) {
      throw new RcaError("task_exists", `a tmux session with this task's name already exists on this server: ${res.stderr.trim()}`);
    }
    throw new RcaError("tmux_failed", `tmux ${cmd.argv.slice(1, 5).filter((a) => a !== "-u").join(" ")}… failed: ${res.stderr.trim() || `exit ${res.code}`}`, {
      details: { stderr: res.stderr, code: res.code },
    });
  }
}

/**
 * @param {PaneInfo | null} pane
 * @returns {PaneFacts}
 */
function paneFacts(pane) {
  if (!pane) return { kind: "missing" };
  if (pane.dead) return { kind: "dead", paneId: pane.paneId, status: pane.deadStatus, signal: pane.deadSignal };
  return { kind: "alive", paneId: pane.paneId, pid: pane.panePid };
}

/**
 * @param {Stamp | null | undefined} a
 * @param {Stamp | null | undefined} b
 */
function sameStamp(a, b) {
  return !!a && !!b && a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

/** The core's effective profile of an agent as JSON text, or "" when no agent has that name now. @param {string} agent */
function currentProfile(agent) {
  try {
    return core.agentProfileJson(agent);
  } catch {
    return "";
  }
}
