// @ts-check
// The Node API: start, look at, talk to, resume and stop tasks, and run the monitor.
// Every decision comes from the core; this class wires the store, tmux and the monitor.
import { EventEmitter } from "node:events";
import core from "./core.js";
import { RcaError, toRcaError, viaCore } from "./errors.js";
import { makeEffects } from "./effects.js";
import { Store, resolveStateDir, ORIGIN_FILE } from "./store.js";
import { Tmux } from "./tmux.js";
import { MonitorLock } from "./lock.js";
import { Monitor, performPlan } from "./monitor.js";
import { missingModelWarning } from "./default-model.js";
import { projectIdentity } from "./project-dir.js";
import { defaultAgentEnv, hostContext, DEMO_AGENT_PATH, checkPassEnv, passedEnv, resolveProgram, agentPath } from "./context.js";
import { TRANSCRIPT, HOST_FILE, adoptKeptProfile, readPrivate } from "./task-files.js";
import { checkTaskPlacement } from "./state-dir.js";
import { join } from "node:path";
import { Notifier, checkNotifyCommand, DEFAULT_NOTIFY_TIMEOUT_MS, EVENT_KINDS } from "./notify.js";
import { checkRetention, pruneFinished, DEFAULT_RETENTION_MS, unmanagedAgents } from "./retention.js";
import { EventJournal } from "./remote/journal.js";
import { checkHosts } from "./remote/hosts-file.js";
import {
  planWorktree, createWorktree, removeWorktree, worktreeStatus, parseWorktreeInfo, checkSetupCommand, defaultWorktreeRoot, gitEnv, unmergedCommits, unmergedError,
  worktreeDirty,
} from "./worktree.js";
import { checkRecoveryOptions } from "./recovery-queue.js";
import { checkBudgetConfig, checkDefaultWithinCeiling, resolveBudget } from "./budget.js";

/** Transcript read above what `status`/`logs` show, so redaction sees a secret's start. */
const REDACT_CONTEXT_BYTES = 64 * 1024;

/** @typedef {import("./effects.js").Effects} Effects */
/** @typedef {import("./monitor.js").TaskEvent} TaskEvent */
/** @typedef {import("./monitor.js").Problem} Problem */

/**
 * @typedef {object} TaskManagerOptions
 * @property {string} [stateDir] default: RCA_STATE_DIR, else `$XDG_STATE_HOME/resilient-coding-agent`
 * @property {string | null} [tmuxSocket] private tmux server (`tmux -L`); default RCA_TMUX_SOCKET, else the user's server
 * @property {Record<string, unknown>} [config] part of a MonitorConfig (the rest: the core's defaults)
 * @property {Record<string, string>} [env] the agent's environment (default: PATH, HOME, locale… of this process)
 * @property {string[]} [passEnv] names of variables copied from this process's environment into
 *   the agent's (on top of `env` or the default), e.g. ["OPENAI_API_KEY", "SSH_AUTH_SOCK"]: nothing
 *   else of the caller's environment reaches an agent or the tmux server
 * @property {Partial<Effects>} [effects] injected effects (tests)
 * @property {string[]} [demoAgent] argv prefix that runs the demo agent (default
 *   [process.execPath, DEMO_AGENT_PATH]); kept with each task (host.json) for its recoveries
 * @property {Record<string, string | undefined>} [processEnv] where RCA_* defaults are read (default process.env)
 * @property {string[] | null} [notifyCommand] argv run (no shell) on every announced event, the
 *   event as JSON on stdin and RCA_EVENT/RCA_SESSION/RCA_STATE/RCA_TASK_DIR/… in its environment
 * @property {number} [notifyTimeoutMs] the notify command is killed after this long (default 10 s)
 * @property {string[] | null} [notifyEvents] only these event kinds run it (default: every kind)
 * @property {number | null} [retentionMs] finished tasks older than this (since they finished) are
 *   removed by the monitor, session and directory (default 7 days; null = keep forever)
 * @property {boolean} [worktree] default of StartInput.worktree (default false)
 * @property {boolean} [autoResume] default of StartInput.autoResume (default true)
 * @property {string} [worktreeRoot] where task worktrees go (default `<stateDir>-worktrees`,
 *   beside the state directory); never inside a project, the state directory or /tmp
 * @property {string[] | null} [setupCommand] argv (no shell) run in every new worktree before
 *   the agent starts, e.g. ["npm", "ci"]; its failure fails the start and removes the worktree
 * @property {number} [setupTimeoutMs] the setup command is killed after this long (default 15 min)
 * @property {number} [recoveryStaggerMs] least time between two recoveries of one login (same
 *   agent and credential/config directory) when many tasks die at once (default 5000)
 * @property {number} [recoveryConcurrency] most recoveries under way at once (default 8)
 * @property {{ maxCostUsd?: number, maxTokens?: number }} [defaultBudget] the budget of a task
 *   whose start names none (default: none)
 * @property {{ maxCostUsd?: number, maxTokens?: number }} [budgetCeiling] the most any task may
 *   have (start, resume, tool call): more is refused (`budget_above_ceiling`); a task that asks
 *   for nothing and has no default gets the ceiling (default: none)
 * @property {Record<string, unknown>} [agents] agent profiles by name (the JSON shape of the
 *   package's agents/*.json) that add agents or override built-in ones; checked by the core
 *   (`invalid_agent_profile`). Operator configuration only, never a tool call's input.
 * @property {Record<string, unknown>} [hosts] remote hosts by name (see the README's "Remote
 *   hosts"); default: the hosts file of the state directory (`resilient-agent hosts add`)
 */

/**
 * @typedef {object} StartInput
 * @property {string} agent a registered agent (`agentNames()`: codex, claude, opencode, pi, gemini, demo and the operator's)
 * @property {string} name task name, e.g. "fix-login-bug"
 * @property {string} projectDir absolute path of an existing directory
 * @property {string} prompt
 * @property {string} [model]
 * @property {string} [autonomy] sandboxed (default) | full
 * @property {unknown} [origin] opaque JSON kept with the task (e.g. who to notify)
 * @property {Record<string, string>} [env] variables added to the agent's environment for this
 *   task (kept in the task directory's agent.env, 0600, read by the wrapper of every attempt;
 *   never on a command line)
 * @property {boolean} [worktree] run the agent in a new git worktree on branch `rca/<name>`
 *   (from the project's HEAD, or `base`), in a directory this package owns
 * @property {string} [base] the branch, tag or commit the worktree's branch starts from
 * @property {boolean} [autoResume] false: a failure that would be recovered leaves the task
 *   `failed`, waiting for a manual resume (default: the manager's `autoResume`, true)
 * @property {number} [maxCostUsd] stop the task (failed, `budget_exceeded`) once the cost its
 *   agent reports reaches this many US dollars (default: the operator's `defaultBudget`)
 * @property {number} [maxTokens] the same for tokens (input + output, cached reads included)
 */

/**
 * @typedef {object} TaskView
 * @property {string} session
 * @property {string} agent
 * @property {string} name
 * @property {string} projectDir
 * @property {string | null} model
 * @property {string} autonomy
 * @property {string} state
 * @property {null | { class: string, evidence: string }} failure
 * @property {boolean} gaveUp
 * @property {number} attempts
 * @property {string | null} agentSessionId
 * @property {string} createdAt ISO time
 * @property {string} updatedAt ISO time
 * @property {string | null} nextRecoveryAt ISO time
 * @property {string} taskDir
 * @property {string} attach how to watch it live
 * @property {unknown} origin
 * @property {string | null} [recoveryReason] why the task is (or last was) recovering
 * @property {string | null} [finishedAt] ISO time the task became completed/failed/stopped
 * @property {boolean} [managed] false for a tmux session this package did not start (`list({ all })`)
 * @property {boolean} [autoResume] false when automatic recovery is off for this task
 * @property {string | null} [branch] the task's git branch when it runs in its own worktree
 * @property {import("./wasm/core.js").Usage | null} [usage] tokens and cost so far, all attempts
 * @property {Array<{ attempt: number, usage: import("./wasm/core.js").Usage }>} [usageByAttempt]
 * @property {{ maxCostUsd: number | null, maxTokens: number | null } | null} [budget]
 * @property {null | { branch: string, base: string, baseCommit: string, path: string, repo: string,
 *   commitsAhead?: number, diffStat?: string | null }} [worktree] (status adds commitsAhead and diffStat)
 * @property {string[]} [warnings] (start only) what the user should know, e.g. that no model is
 *   configured anywhere; also said in the task's `started` event
 */

const FINAL = new Set(["completed", "failed", "stopped"]);
/** How often a task whose wrapper just wrote its exit file is looked at, and for how long. */
const HOT_MS = 100;
const HOT_FOR_MS = 2_000;

export class TaskManager extends EventEmitter {
  /** @param {TaskManagerOptions} [opts] */
  constructor(opts = {}) {
    super();
    const penv = opts.processEnv ?? process.env;
    // The core keeps one set of operator agents per process; the last TaskManager built with
    // `agents` sets it (a CLI run or the plugin has one).
    if (opts.agents !== undefined) viaCore(() => core.setAgentProfiles(JSON.stringify(opts.agents ?? {})));
    // This manager's own agents (none without `agents`): made the core's active set again
    // before every profile read of a start, so a task never starts with the agents of another
    // TaskManager of the same process. Existing tasks use the profile kept in their host.json.
    this.agentsJson = JSON.stringify(opts.agents ?? {});
    this.fx = makeEffects(opts.effects);
    this.stateDir = resolveStateDir(opts.stateDir, penv);
    const socket = opts.tmuxSocket !== undefined ? opts.tmuxSocket : penv.RCA_TMUX_SOCKET || null;
    this.socket = socket;
    this.config = makeConfig(opts.config ?? {});
    const passEnv = checkPassEnv(opts.passEnv);
    this.agentEnv = opts.env ? { ...opts.env, ...passedEnv(penv, passEnv) } : defaultAgentEnv(penv, passEnv);
    // Without an explicit `env`, each task also gets its agent's own login variables (API keys,
    // base URLs: profile data) from this process's environment, through the 0600 agent.env.
    /** @type {Record<string, string | undefined> | null} */
    this.credentialSource = opts.env ? null : penv;
    /** $TMPDIR values a state directory must not be under (the host's, the agents'). */
    this.tempDirs = [penv.TMPDIR, this.agentEnv.TMPDIR];
    /** Task dirs whose prune was refused for uncommitted worktree changes (reported once). */
    this.keptDirty = new Set();
    /** Where programs are looked up when the agent's environment has no PATH. */
    this.hostPath = penv.PATH;
    this.demoAgent = checkDemoAgent(opts.demoAgent);
    this.worktreeDefault = checkBool("worktree", opts.worktree, false);
    this.autoResumeDefault = checkBool("autoResume", opts.autoResume, true);
    this.defaultBudget = checkBudgetConfig("defaultBudget", opts.defaultBudget);
    this.budgetCeiling = checkBudgetConfig("budgetCeiling", opts.budgetCeiling);
    checkDefaultWithinCeiling(this.defaultBudget, this.budgetCeiling);
    this.worktreeRoot = opts.worktreeRoot ?? defaultWorktreeRoot(this.stateDir);
    if (typeof this.worktreeRoot !== "string" || !this.worktreeRoot.startsWith("/")) {
      throw new RcaError("invalid_config", `worktreeRoot must be an absolute path, got ${JSON.stringify(this.worktreeRoot)}`);
    }
    this.setupCommand = checkSetupCommand(opts.setupCommand);
    this.setupTimeoutMs = opts.setupTimeoutMs;
    /** git's environment: ours, never the project's GIT_DIR & co. */
    this.gitEnv = gitEnv(penv);
    this.retentionMs = opts.retentionMs === undefined ? DEFAULT_RETENTION_MS : checkRetention(opts.retentionMs);
    this.store = new Store(this.stateDir, this.fx);
    this.tmux = new Tmux({ socket, effects: this.fx });
    this.lock = new MonitorLock(this.stateDir, this.fx);
    this.monitor = new Monitor({
      store: this.store,
      tmux: this.tmux,
      config: this.config,
      agentEnv: this.agentEnv,
      demoAgent: this.demoAgent,
      effects: this.fx,
      lock: this.lock,
      recovery: checkRecoveryOptions({ staggerMs: opts.recoveryStaggerMs, concurrency: opts.recoveryConcurrency }),
      onEvent: (ev) => this.#emitEvent(ev),
      onProblem: (p) => this.emit("problem", p),
    });
    /** Remote hosts given by the caller (null: the state directory's hosts file). */
    this.hosts = opts.hosts === undefined ? null : checkHosts(opts.hosts);
    /** Every announced event, appended in order (what a remote `watch` follows by cursor). */
    this.journal = new EventJournal(this.stateDir, this.fx.fs);
    /** @type {Promise<void>} */
    this.journaled = Promise.resolve();
    /** @type {Promise<void> | null} */
    this.ready = null;
    /** @type {AbortController | null} */
    this.watching = null;
    const notifyCommand = checkNotifyCommand(opts.notifyCommand);
    /** @type {Notifier | null} */
    this.notifier = notifyCommand
      ? new Notifier({
          command: notifyCommand,
          timeoutMs: notifyTimeout(opts.notifyTimeoutMs),
          events: notifyEvents(opts.notifyEvents),
          env: penv,
          taskDir: (session) => this.store.lookup(session),
          onProblem: (p) => this.emit("problem", p),
        })
      : null;
  }

  /** Creates the state directory on first use (and checks nobody else can write to it). */
  /**
   * The core's parseSession, after adopting the profile kept in the host.json of an existing
   * task whose agent this process's configuration does not define (task-files.js
   * adoptKeptProfile): such a task is still found by its session name.
   * @param {string} session
   */
  async #parseSession(session) {
    try {
      return viaCore(() => core.parseSession(session));
    } catch (e) {
      if (/** @type {{ code?: unknown }} */ (e)?.code !== "invalid_session") throw e;
      await this.#init();
      const taskDir = await this.store.lookup(session).catch(() => null);
      if (!taskDir || !(await adoptKeptProfile(this.fx.fs, taskDir).catch(() => false))) throw e;
      return viaCore(() => core.parseSession(session));
    }
  }

  /** Makes this manager's agents the core's active set (see the constructor). */
  #ownAgents() {
    viaCore(() => core.setAgentProfiles(this.agentsJson));
  }

  #init() {
    this.ready ??= this.store.init({ tempDirs: this.tempDirs }).catch((e) => {
      this.ready = null;
      throw toRcaError(e, "state_dir_unsafe");
    });
    return this.ready;
  }

  /**
   * Starts a task: validates everything first (nothing is created for a bad input), writes the
   * task directory and record, then starts the tmux session.
   * @param {StartInput} input
   * @returns {Promise<TaskView>}
   */
  async start(input) {
    this.#ownAgents();
    let spec = viaCore(() =>
      core.validateSpec({
        agent: String(input.agent ?? ""),
        name: String(input.name ?? ""),
        projectDir: String(input.projectDir ?? ""),
        model: input.model ?? null,
        autonomy: input.autonomy ?? null,
      }),
    );
    const prompt = typeof input.prompt === "string" ? input.prompt : "";
    viaCore(() => core.validatePrompt(prompt));
    // A lone UTF-16 surrogate cannot be written as UTF-8: it would reach the agent as U+FFFD.
    if (/\p{Cs}/u.test(prompt)) throw new RcaError("invalid_prompt", "invalid prompt: it contains a lone UTF-16 surrogate (not text); the agent would receive altered text");
    const origin = input.origin === undefined ? null : input.origin;
    const originText = JSON.stringify(origin);
    const wantWorktree = checkBool("worktree", input.worktree, this.worktreeDefault);
    const autoResume = checkBool("autoResume", input.autoResume, this.autoResumeDefault);
    const budget = resolveBudget({ maxCostUsd: input.maxCostUsd, maxTokens: input.maxTokens }, this.defaultBudget, this.budgetCeiling);
    if (input.base !== undefined && !wantWorktree) throw new RcaError("invalid_option", "base applies only to a task started with worktree (--worktree)");
    // Which directory the path names now: every recovery checks it still names this one.
    let identity = await projectIdentity(this.fx.fs, spec.projectDir).catch(() => null);
    if (!identity) {
      throw new RcaError("project_dir_missing", `project directory ${spec.projectDir} does not exist or is not a directory`, {
        details: { projectDir: spec.projectDir },
      });
    }
    // Everything a worktree needs is checked before anything is created.
    const worktreePlan = wantWorktree
      ? await planWorktree({ projectDir: spec.projectDir, name: spec.name, base: input.base ?? null, env: this.gitEnv })
      : null;
    const session = viaCore(() => core.sessionName(spec));
    const credentials = this.credentialSource ? passedEnv(this.credentialSource, core.agentCredentialEnv(spec.agent)) : {};
    const agentEnv = { ...credentials, ...this.agentEnv, ...stringEnv(input.env) };
    // Fixed here for every attempt: no PATH entry that finds programs in the project.
    if (agentEnv.PATH !== undefined) agentEnv.PATH = await agentPath(this.fx.fs, agentEnv.PATH, spec.projectDir);
    // What every attempt runs is fixed here, from the operator's side: the state directory is
    // out of this agent's reach (checked before anything is created), and the program an
    // absolute path found on the operator's PATH.
    await checkTaskPlacement(this.fx.fs, this.stateDir, spec.projectDir, agentEnv.TMPDIR);
    if (worktreePlan) await checkTaskPlacement(this.fx.fs, this.stateDir, this.worktreeRoot, agentEnv.TMPDIR);
    await this.#init();
    this.#ownAgents();
    const programName = core.agentProgram(spec.agent);
    let program = programName ? await resolveProgram(this.fx.fs, programName, agentEnv.PATH ?? this.hostPath, spec.projectDir) : null;
    let demoAgent = !programName ? await this.#demoPrefix(agentEnv.PATH ?? this.hostPath, spec.projectDir) : this.demoAgent;
    await this.#ensureNameFree(session);
    this.#ownAgents();
    const startWarning = await missingModelWarning({ spec, profile: JSON.parse(core.agentProfileJson(spec.agent)).profile ?? {}, program, env: { ...agentEnv, PATH: agentEnv.PATH ?? this.hostPath ?? "" } });
    /** @type {import("./worktree.js").WorktreeInfo | null} */
    let worktree = null;
    if (worktreePlan) {
      // The agent's project directory becomes the new worktree: fixed here (host.json), so every
      // recovery runs there, with the usual identity and `cd -P` checks.
      worktree = await createWorktree(worktreePlan, {
        root: this.worktreeRoot, session, env: this.gitEnv, setupCommand: this.setupCommand, setupEnv: agentEnv, setupTimeoutMs: this.setupTimeoutMs,
      });
      try {
        spec = { ...spec, projectDir: worktree.path };
        const wtIdentity = await projectIdentity(this.fx.fs, worktree.path);
        if (!wtIdentity) throw new RcaError("worktree_failed", `the new worktree ${worktree.path} is not a directory`);
        identity = wtIdentity;
        if (agentEnv.PATH !== undefined) agentEnv.PATH = await agentPath(this.fx.fs, agentEnv.PATH, spec.projectDir);
        program = programName ? await resolveProgram(this.fx.fs, programName, agentEnv.PATH ?? this.hostPath, spec.projectDir) : null;
        demoAgent = !programName ? await this.#demoPrefix(agentEnv.PATH ?? this.hostPath, spec.projectDir) : this.demoAgent;
      } catch (err) {
        await removeWorktree(worktree, this.gitEnv, { deleteBranch: true, force: true }).catch(() => {});
        throw err;
      }
    }

    const taskDir = await this.store.createTaskDir(session).catch(async (err) => {
      if (worktree) await removeWorktree(worktree, this.gitEnv, { deleteBranch: true, force: true }).catch(() => {});
      throw startError(err);
    });
    try {
      // The profile's per-task variables (task_env: Gemini's TMPDIR), a private directory of the
      // task's own made first when they name one; the task's own --env still wins.
      const taskEnv = viaCore(() => core.agentTaskEnv(spec.agent, this.store.taskTmpDir(taskDir)));
      if (taskEnv.needsTaskTmp) await this.store.makeTaskTmpDir(taskDir);
      const ownEnv = stringEnv(input.env);
      for (const { name, value } of taskEnv.env) if (!Object.hasOwn(ownEnv, name)) agentEnv[name] = value;
      // An agent whose profile takes a preset id (Claude's --session-id) gets it here, so it is
      // known before the agent runs.
      this.#ownAgents();
      const presetSessionId = core.agentIdSource(spec.agent) === "preset" ? this.fx.uuid() : null;
      const now = this.fx.now();
      let record = viaCore(() => core.withProjectIdentity(core.newRecord(spec, taskDir, presetSessionId, now), identity));
      if (budget) record = viaCore(() => core.withBudget(record, budget, now));
      if (!autoResume) record.autoResume = false;
      if (startWarning) record.startWarning = startWarning;
      const ctx = hostContext({
        taskDir, socket: this.socket, agentEnv, presetSessionId, titleTag: titleTag(taskDir), demoAgent, program,
        projectRealDir: identity.realPath,
      });
      const plan = viaCore(() => core.planStart(spec, prompt, ctx, 1));
      await this.store.writeNew(taskDir, ORIGIN_FILE, originText + "\n");
      // The effective profile is fixed with the task: a later configuration edit cannot change how
      // it is resumed (task-files.js checkSameProfile).
      this.#ownAgents();
      const agentProfile = JSON.parse(core.agentProfileJson(spec.agent));
      await this.store.writeNew(taskDir, HOST_FILE, JSON.stringify({ program, demoAgent, spec, agentProfile, ...(worktree ? { worktree } : {}) }) + "\n");
      await this.store.writeRecord(taskDir, record);
      await this.#claim(session, taskDir);
      try {
        await performPlan(this.store, this.tmux, taskDir, plan);
      } catch (err) {
        await this.#unclaim(session, taskDir);
        throw err;
      }
      return {
        ...this.#view(record, origin), branch: worktree?.branch ?? null, worktree: worktree ? publicWorktree(worktree) : null,
        warnings: startWarning ? [startWarning] : [],
      };
    } catch (err) {
      await this.store.removeTaskDir(taskDir).catch(() => {});
      if (worktree) await removeWorktree(worktree, this.gitEnv, { deleteBranch: true, force: true }).catch(() => {});
      throw startError(err);
    }
  }

  /**
   * Undoes a claim: the index entry goes only while it still names this start's directory.
   * @param {string} session
   * @param {string} taskDir
   */
  async #unclaim(session, taskDir) {
    await this.store
      .withRecordLock(taskDir, async () => {
        if ((await this.store.lookup(session)) === taskDir) await this.store.forgetSession(session);
      })
      .catch(() => {});
  }

  /**
   * Status of one task, with its last output (redacted).
   * @param {string} session
   * @param {{ lines?: number }} [opts]
   * @returns {Promise<TaskView & { recentOutput: string }>}
   */
  async status(session, opts = {}) {
    const { record, origin } = await this.#get(session);
    const recentOutput = await this.#tail(record.taskDir, opts.lines ?? 20);
    const wt = await this.#worktreeOf(record.taskDir);
    const worktree = wt ? await worktreeStatus(wt, this.gitEnv) : null;
    return { ...this.#view(record, origin), branch: wt?.branch ?? null, worktree, recentOutput };
  }

  /**
   * Every task (optionally only those in one state). A corrupt record is reported as a
   * "problem" event and skipped: the other tasks are listed. `all` adds the tmux sessions named
   * like `codex-*`, `claude-*`, `opencode-*`, `pi-*` on the same server that this package did
   * not start (the original skill's convention), with state "unmanaged" and `managed: false`.
   * @param {{ state?: string, all?: boolean }} [opts]
   * @returns {Promise<TaskView[]>}
   */
  async list(opts = {}) {
    await this.#init();
    /** @type {TaskView[]} */
    const out = [];
    const known = new Set();
    const sessions = await this.store.sessions({ onProblem: (p) => this.emit("problem", p) });
    for (const { session, taskDir } of sessions) {
      known.add(session);
      try {
        const { record } = await this.store.readRecord(taskDir, (t) => core.parseRecord(t));
        if (!opts.state || record.state === opts.state) {
          const wt = await this.#worktreeOf(taskDir);
          out.push({ ...this.#view(record, await this.#origin(taskDir)), branch: wt?.branch ?? null, worktree: wt ? publicWorktree(wt) : null });
        }
      } catch (err) {
        const e = toRcaError(err);
        this.emit("problem", { code: e.code, message: e.message, session, taskDir });
      }
    }
    if (opts.all && (!opts.state || opts.state === "unmanaged")) {
      const sessions = [...new Set((await this.monitor.listPanes()).map((p) => p.session))].sort();
      for (const session of sessions) {
        const dash = session.indexOf("-");
        const agent = session.slice(0, dash);
        if (dash < 1 || known.has(session) || !unmanagedAgents().includes(agent)) continue;
        out.push(this.#unmanagedView(session, agent, session.slice(dash + 1)));
      }
    }
    return out;
  }

  /**
   * Removes finished tasks (completed, failed, stopped) that finished at least `olderThanMs`
   * ago (default: the retention time; 0 = every finished task): tmux session and directory.
   * Never touches an unfinished task.
   * @param {{ olderThanMs?: number }} [opts]
   * @returns {Promise<import("./retention.js").Pruned[]>}
   */
  async prune(opts = {}) {
    await this.#init();
    const olderThanMs = opts.olderThanMs ?? this.retentionMs;
    if (olderThanMs == null) return [];
    checkRetention(olderThanMs);
    return pruneFinished({
      store: this.store, tmux: this.tmux, now: this.fx.now(), olderThanMs, mono: { clock: this.fx.monoClock, ms: this.fx.mono() },
      // A pruned task's worktree goes too (its branch stays); one with uncommitted work is kept, said once.
      worktrees: {
        of: (taskDir) => this.#worktreeOf(taskDir),
        dirty: (info) => worktreeDirty(info, this.gitEnv),
        remove: (info) => removeWorktree(info, this.gitEnv, { force: true }),
        kept: ({ session, taskDir, worktree }) => {
          if (this.keptDirty.has(taskDir)) return;
          this.keptDirty.add(taskDir);
          this.emit("problem", {
            code: "worktree_dirty",
            message: `${session} is not pruned: its worktree ${worktree.path} has uncommitted changes; commit them (branch ${worktree.branch}), or remove the task and its worktree with stop ${session} --cleanup`,
            session,
            taskDir,
          });
        },
      },
    });
  }

  /**
   * The task's transcript (all attempts), last `lines` lines, redacted.
   * @param {string} session
   * @param {{ lines?: number }} [opts]
   */
  async logs(session, opts = {}) {
    const { record } = await this.#get(session);
    return this.#tail(record.taskDir, opts.lines ?? 200);
  }

  /**
   * Types text into the agent's pane (literal keys, or a bracketed paste), then Enter.
   * @param {string} session
   * @param {string} text
   * @param {{ paste?: boolean }} [opts]
   */
  async send(session, text, opts = {}) {
    const { record } = await this.#get(session);
    if (FINAL.has(record.state)) {
      throw new RcaError("task_finished", `${session} is ${record.state}; there is no agent to send to`);
    }
    const plan = viaCore(() => core.planSend(this.socket, session, String(text), !!opts.paste));
    await performPlan(this.store, this.tmux, record.taskDir, plan);
  }

  /**
   * Resumes a failed, stopped or stalled task by hand (the agent's native resume). A task past
   * its budget is refused (`budget_exceeded`) unless `maxCostUsd` / `maxTokens` raise it
   * (within the operator's ceiling).
   * @param {string} session
   * @param {{ maxCostUsd?: number, maxTokens?: number }} [opts]
   * @returns {Promise<TaskView>}
   */
  async resume(session, opts = {}) {
    const { taskDir, origin } = await this.#get(session);
    const raise = opts.maxCostUsd !== undefined || opts.maxTokens !== undefined;
    const out = await this.store.withRecordLock(taskDir, async () => {
      let { record } = await this.store.readRecord(taskDir, (t) => core.parseRecord(t));
      if (raise) {
        // A new budget (within the operator's ceiling) replaces the one fixed at start.
        const current = { maxCostUsd: record.budget?.maxCostUsd ?? null, maxTokens: record.budget?.maxTokens ?? null };
        const budget = resolveBudget({ maxCostUsd: opts.maxCostUsd, maxTokens: opts.maxTokens }, current, this.budgetCeiling);
        record = viaCore(() => core.withBudget(record, budget, this.fx.now()));
      }
      const stepped = viaCore(() => core.manualResume(record, this.fx.now()));
      await this.store.writeRecord(taskDir, stepped.record);
      return stepped;
    });
    for (const a of out.actions) if (a.type === "announce") this.#emitEvent(a.event);
    // The step that follows performs the recovery with the right mode for the pane it sees:
    // here when no monitor runs, else by the running monitor at its next tick.
    if (this.watching) {
      await this.monitor.tick();
    } else if (await this.lock.tryAcquire()) {
      try {
        await this.monitor.tick();
      } finally {
        await this.lock.release();
      }
    }
    const after = await this.store.readRecord(taskDir, (t) => core.parseRecord(t));
    return this.#view(after.record, origin);
  }


  /**
   * Stops a task (kills its session). `cleanup` also removes its directory; then null.
   * A task whose record is corrupt is stopped too: its session is found by name (the index
   * holds the name), and no monitor acts on a record it cannot read.
   * @param {string} session
   * With a worktree, `cleanup` removes it too and keeps its branch; `deleteBranch` deletes the
   * branch as well, refused (`branch_unmerged`, before anything is stopped) while it has commits
   * not merged into the repository's HEAD, unless `force`.
   * @param {{ cleanup?: boolean, deleteBranch?: boolean, force?: boolean }} [opts]
   * @returns {Promise<TaskView | null>}
   */
  async stop(session, opts = {}) {
    await this.#parseSession(String(session));
    if (opts.deleteBranch && !opts.cleanup) throw new RcaError("invalid_option", "deleteBranch (--delete-branch) needs cleanup (--cleanup)");
    await this.#init();
    const taskDir = await this.store.lookup(session);
    if (!taskDir) throw new RcaError("task_not_found", `no task named ${session} in ${this.stateDir}`, { details: { session } });
    const origin = await this.#origin(taskDir);
    const wt = opts.cleanup ? await this.#worktreeOf(taskDir) : null;
    if (wt && opts.deleteBranch && !opts.force) {
      // Refused before anything is stopped: nothing is lost by asking.
      const ahead = await unmergedCommits(wt, this.gitEnv);
      if (ahead > 0) throw unmergedError(wt, ahead);
    }
    // Mark it stopped first (under the record lock, so a monitor's step in flight cannot undo
    // it): a monitor that then sees the session vanish must not re-create it.
    const stopped = await this.store.withRecordLock(taskDir, async () => {
      /** @type {any} */ let record;
      try {
        ({ record } = await this.store.readRecord(taskDir, (t) => core.parseRecord(t)));
      } catch (err) {
        if (toRcaError(err).code === "record_corrupt") return null;
        throw err;
      }
      const next = viaCore(() => core.markStopped(record, this.fx.now()));
      if (JSON.stringify(next) !== JSON.stringify(record)) await this.store.writeRecord(taskDir, next);
      return next;
    });
    const res = await this.tmux.run(viaCore(() => core.planStop(this.socket, session)));
    if (res.code !== 0 && !res.noServer && !/can't find session|session not found/.test(res.stderr)) {
      throw new RcaError("tmux_failed", `tmux kill-session failed: ${res.stderr.trim()}`);
    }
    if (opts.cleanup) {
      if (wt) await removeWorktree(wt, this.gitEnv, { deleteBranch: !!opts.deleteBranch, force: true });
      await this.store.forgetSession(session);
      await this.store.removeTaskDir(taskDir);
      return null;
    }
    return stopped ? this.#view(stopped, origin) : this.#corruptView(session, taskDir, origin);
  }

  /**
   * One monitor tick (takes the state directory's monitor lock for the tick).
   * @returns {Promise<TaskEvent[]>}
   */
  async check() {
    await this.#init();
    if (!this.watching) {
      if (!(await this.lock.tryAcquire())) throw await this.#busy();
    }
    try {
      const events = (await this.monitor.tick()).events;
      if (!this.watching && this.retentionMs !== null) {
        // Retention is part of a tick (a `watch --once` from cron keeps the state dir tidy too).
        const gone = await this.prune().catch((err) => {
          const e = toRcaError(err);
          this.emit("problem", { code: e.code, message: `retention: ${e.message}` });
          return [];
        });
        if (gone.length) this.emit("pruned", gone);
      }
      return events;
    } finally {
      if (!this.watching) await this.lock.release();
    }
  }

  /**
   * The monitor loop, until `signal` aborts or close() is called. Waits (standing by) while
   * another live monitor holds the lock, and takes over when that one dies.
   * @param {{ signal?: AbortSignal, onEvent?: (ev: TaskEvent) => void }} [opts]
   */
  async watch(opts = {}) {
    await this.#init();
    if (this.watching) throw new RcaError("monitor_busy", "this TaskManager is already watching");
    const ctl = new AbortController();
    this.watching = ctl;
    const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
    const onEvent = opts.onEvent;
    if (onEvent) this.on("event", onEvent);
    /** @type {Map<string, { close(): void }>} */
    const watchers = new Map();
    // Task dirs whose wrapper just wrote its exit file, looked at every HOT_MS for a moment:
    // the pane dies a few ms after the file appears, and death → resume should take well under
    // a second (the design's budget), not a whole poll interval.
    /** @type {Map<string, number>} until when (monotonic clock) */
    const hot = new Map();
    /** @type {AbortController | null} */
    let nap = null;
    let standingBy = false;
    let active = false;
    let nextPruneAt = 0;
    // A new task (its index entry appears) is looked at at once, and its directory watched.
    const index = this.fx.watchDir(this.store.sessionsDir, () => nap?.abort());
    if (index) watchers.set(this.store.sessionsDir, index);
    try {
      while (!signal.aborted) {
        if (!(await this.lock.tryAcquire())) {
          if (!standingBy) this.emit("monitor", { status: "standby", owner: await this.lock.owner() });
          standingBy = true;
          await this.fx.sleep(this.config.pollMs, signal);
          continue;
        }
        if (standingBy || !active) this.emit("monitor", { status: "active", pid: this.fx.pid });
        standingBy = false;
        active = true;
        const now = this.fx.now();
        const mono = this.fx.mono();
        for (const [dir, until] of hot) if (until < mono) hot.delete(dir);
        if (this.retentionMs !== null && now >= nextPruneAt) {
          // Retention: finished tasks past it go (checked at most every minute, or sooner for
          // a short retention).
          nextPruneAt = now + Math.min(60_000, Math.max(this.config.pollMs, this.retentionMs / 4));
          await this.prune().then(
            (gone) => gone.length && this.emit("pruned", gone),
            (err) => {
              const e = toRcaError(err);
              this.emit("problem", { code: e.code, message: `retention: ${e.message}` });
            },
          );
        }
        let result;
        try {
          result = await this.monitor.tick({ hot: new Set(hot.keys()) });
        } catch (err) {
          const e = toRcaError(err);
          this.emit("problem", { code: e.code, message: e.message });
          if (e.code !== "monitor_busy") await this.fx.sleep(this.config.pollMs, signal);
          continue;
        }
        for (const dir of result.taskDirs) {
          if (watchers.has(dir)) continue;
          const w = this.fx.watchDir(dir, (file) => {
            if (!file.startsWith("exit.")) return;
            hot.set(dir, this.fx.mono() + HOT_FOR_MS);
            nap?.abort();
          });
          if (w) watchers.set(dir, w);
        }
        nap = new AbortController();
        const next = hot.size ? Math.min(result.nextCheckAt, this.fx.now() + HOT_MS) : result.nextCheckAt;
        const delay = Math.max(HOT_MS / 2, Math.min(next - this.fx.now(), this.config.pollMs));
        await this.fx.sleep(delay, AbortSignal.any([signal, nap.signal]));
      }
    } finally {
      for (const w of watchers.values()) w.close();
      if (onEvent) this.off("event", onEvent);
      this.watching = null;
      await this.lock.release().catch(() => {});
    }
  }

  /** Stops a running watch(). */
  async close() {
    this.watching?.abort();
  }

  /** The tmux attach command for a session. @param {string} session */
  attachCommand(session) {
    return this.tmux.attachHint(session);
  }

  /** @param {TaskEvent} ev */
  #emitEvent(ev) {
    this.notifier?.notify(ev);
    this.journaled = this.journaled
      .then(() => this.journal.append(ev))
      .catch((err) => {
        this.emit("problem", { code: "state_write_failed", message: `event journal: ${toRcaError(err).message}` });
      });
    this.emit("event", ev);
    this.emit(ev.kind, ev);
  }

  /** Resolves once every notify command queued so far has finished (or timed out). */
  async notificationsIdle() {
    await this.journaled;
    await this.notifier?.idle();
  }

  async #busy() {
    const owner = await this.lock.owner();
    return new RcaError("monitor_busy", `another monitor (pid ${owner?.pid ?? "?"}) is watching ${this.stateDir}`, {
      details: { owner },
    });
  }

  /**
   * Refuses a name whose task still runs (or whose tmux session exists); a finished task of
   * the same name, or one whose record is corrupt and whose session is gone, is replaced (its
   * directory stays until cleaned up). A record that cannot be read now refuses the name.
   * @param {string} session
   * @param {string | null} [mine] this start's own directory (never "another task")
   * @returns {Promise<string | null>} the directory the name points at now (to be replaced)
   */
  async #ensureNameFree(session, mine = null) {
    const existing = await this.store.lookup(session);
    if (existing && existing !== mine) {
      /** @type {string | null} */ let state = null;
      try {
        state = (await this.store.readRecord(existing, (t) => core.parseRecord(t))).record.state;
      } catch (err) {
        if (toRcaError(err).code !== "record_corrupt") throw err;
      }
      if (state !== null && !FINAL.has(state)) {
        throw new RcaError("task_exists", `a task named ${session} already exists; stop it first (resilient-agent stop ${session} --cleanup)`, {
          details: { session, taskDir: existing },
        });
      }
    }
    const panes = await this.monitor.listPanes();
    if (panes.some((p) => p.session === session)) {
      throw new RcaError("task_exists", `a tmux session named ${session} already exists on this server`, { details: { session } });
    }
    return existing;
  }

  /**
   * Points the session name at the new task directory. Of any number of starts racing for one
   * name exactly one wins: a free name by exclusive create; a finished task's name under that
   * task's record lock, re-checking that the index still names it (the first to replace it
   * points the name at a task that is `starting`, which every later one then refuses).
   * @param {string} session
   * @param {string} taskDir
   */
  async #claim(session, taskDir) {
    for (let round = 0; round < 8; round++) {
      try {
        await this.store.claimSession(session, taskDir);
        return;
      } catch (e) {
        if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
      }
      const old = await this.#ensureNameFree(session, taskDir);
      if (old === taskDir) return;
      if (!old) continue; // the entry went meanwhile: try the exclusive create again
      const replaced = await this.store
        .withRecordLock(old, async () => {
          if ((await this.store.lookup(session)) !== old) return false;
          await this.store.pointSession(session, taskDir);
          return true;
        })
        .catch((err) => {
          // The old directory vanished (cleaned up meanwhile): look again.
          if (/** @type {NodeJS.ErrnoException} */ (err).code === "ENOENT") return false;
          throw err;
        });
      if (replaced) return;
    }
    throw new RcaError("task_busy", `the name ${session} is being claimed by other starts right now; try again`, { details: { session } });
  }

  /**
   * The demo agent's argv prefix with its program made absolute (a bare "node" is resolved on
   * the operator's PATH, like an agent's program).
   * @param {string | undefined} pathValue
   * @param {string} projectDir
   */
  async #demoPrefix(pathValue, projectDir) {
    const [first, ...rest] = this.demoAgent;
    return [await resolveProgram(this.fx.fs, first, pathValue, projectDir), ...rest];
  }

  /** @param {string} session */
  async #get(session) {
    await this.#parseSession(String(session));
    await this.#init();
    const taskDir = await this.store.lookup(session);
    if (!taskDir) throw new RcaError("task_not_found", `no task named ${session} in ${this.stateDir}`, { details: { session } });
    const { record, stamp } = await this.store.readRecord(taskDir, (t) => core.parseRecord(t));
    return { record, stamp, taskDir, origin: await this.#origin(taskDir) };
  }

  /**
   * The task's worktree as fixed at start (host.json), or null.
   * @param {string} taskDir
   */
  async #worktreeOf(taskDir) {
    const text = await readPrivate(this.fx.fs, join(taskDir, HOST_FILE), 64 * 1024).catch(() => null);
    if (!text) return null;
    try {
      return parseWorktreeInfo(JSON.parse(text).worktree);
    } catch {
      return null;
    }
  }

  /** @param {string} taskDir */
  async #origin(taskDir) {
    const text = await this.store.readHead(join(taskDir, ORIGIN_FILE), 1024 * 1024);
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  }

  /**
   * The last `lines` lines of the transcript, redacted. Redaction runs on a larger tail (at
   * least 64 KiB more than is shown) and the lines are cut AFTER it, so a secret that spans the
   * cut (a private key whose BEGIN line is above the first line shown) is still recognised.
   * @param {string} taskDir
   * @param {number} lines
   */
  async #tail(taskDir, lines) {
    const n = Math.max(1, Math.min(Math.floor(Number(lines)) || 1, 100_000));
    const text = await this.store.readTail(join(taskDir, TRANSCRIPT), Math.min(n * 1024 + REDACT_CONTEXT_BYTES, 16 * 1024 * 1024));
    const all = core.redact(text).split("\n");
    if (all[all.length - 1] === "") all.pop();
    return all.slice(-n).join("\n");
  }

  /**
   * @param {any} r a TaskRecord
   * @param {unknown} origin
   * @returns {TaskView}
   */
  #view(r, origin) {
    return {
      session: r.session,
      agent: r.spec.agent,
      name: r.spec.name,
      projectDir: r.spec.projectDir,
      model: r.spec.model ?? null,
      autonomy: r.spec.autonomy,
      state: r.state,
      failure: r.failure ? { class: r.failure.class, evidence: r.failure.evidence } : null,
      gaveUp: !!r.gaveUp,
      attempts: r.attempts,
      agentSessionId: r.agentSessionId ?? null,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
      nextRecoveryAt: r.nextRecoveryAt == null ? null : iso(r.nextRecoveryAt),
      taskDir: r.taskDir,
      attach: this.tmux.attachHint(r.session),
      origin,
      recoveryReason: r.recoveryReason ?? null,
      finishedAt: r.finishedAt == null ? null : iso(r.finishedAt),
      managed: true,
      autoResume: r.autoResume !== false,
      usage: r.usage?.total ?? null,
      usageByAttempt: (r.usage?.attempts ?? []).map((/** @type {any} */ a) => ({ attempt: a.attempt, usage: a.usage })),
      budget: r.budget ? { maxCostUsd: r.budget.maxCostUsd ?? null, maxTokens: r.budget.maxTokens ?? null } : null,
    };
  }

  /**
   * A task whose record is corrupt, just stopped: what is known without the record.
   * @param {string} session
   * @param {string} taskDir
   * @param {unknown} origin
   * @returns {TaskView}
   */
  #corruptView(session, taskDir, origin) {
    const { agent, name } = viaCore(() => core.parseSession(session));
    return {
      ...this.#unmanagedView(session, agent, name),
      state: "stopped",
      failure: { class: "record_corrupt", evidence: `the task record in ${taskDir} is corrupt; stop it with --cleanup to remove the directory` },
      taskDir,
      origin,
      managed: true,
    };
  }

  /**
   * A tmux session named like a task that this package did not start.
   * @param {string} session
   * @param {string} agent
   * @param {string} name
   * @returns {TaskView}
   */
  #unmanagedView(session, agent, name) {
    return {
      session,
      agent,
      name,
      projectDir: "",
      model: null,
      autonomy: "",
      state: "unmanaged",
      failure: null,
      gaveUp: false,
      attempts: 0,
      agentSessionId: null,
      createdAt: "",
      updatedAt: "",
      nextRecoveryAt: null,
      taskDir: "",
      attach: this.tmux.attachHint(session),
      origin: null,
      recoveryReason: null,
      finishedAt: null,
      managed: false,
    };
  }
}

/**
 * The full monitor configuration: the core's defaults with the caller's fields on top (checked
 * by the core: a bad field is `invalid_config`).
 * @param {Record<string, unknown>} partial
 */
function makeConfig(partial) {
  return viaCore(() => core.validateMonitorConfig(partial));
}

/**
 * The demo agent's argv prefix: a non-empty array of strings (the core checks the rest).
 * @param {unknown} v
 * @returns {string[]}
 */
function checkDemoAgent(v) {
  if (v == null) return [process.execPath, DEMO_AGENT_PATH];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x.length > 0)) {
    throw new RcaError("invalid_option", "demoAgent must be a non-empty array of argv strings, e.g. [process.execPath, \"/abs/demo-agent.js\"]");
  }
  return [...v];
}

/**
 * Only string values pass (a number or an object is a caller's mistake, refused loudly).
 * @param {unknown} env
 * @returns {Record<string, string>}
 */
function stringEnv(env) {
  if (env == null) return {};
  if (typeof env !== "object" || Array.isArray(env)) throw new RcaError("invalid_option", "env must be an object of NAME: value strings");
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== "string") throw new RcaError("invalid_option", `env ${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/** @param {unknown} v */
function notifyTimeout(v) {
  if (v === undefined) return DEFAULT_NOTIFY_TIMEOUT_MS;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 1 || v > 3_600_000) {
    throw new RcaError("invalid_config", `notifyTimeoutMs must be a number of ms from 1 to 3600000, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** @param {unknown} v @returns {string[] | null} */
function notifyEvents(v) {
  if (v == null) return null;
  const kinds = /** @type {readonly string[]} */ (EVENT_KINDS);
  if (!Array.isArray(v) || !v.every((k) => typeof k === "string" && kinds.includes(k))) {
    throw new RcaError("invalid_config", `notifyEvents must be an array of event kinds (${kinds.join(", ")}), got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * What a failed start says: the code the error already has (task_exists, tmux_failed…), or
 * `state_write_failed` when the state directory could not be written (a full disk, a read-only
 * file system), with the errno in the message.
 * @param {unknown} err
 * @returns {RcaError}
 */
function startError(err) {
  if (err instanceof RcaError) return err;
  const code = /** @type {NodeJS.ErrnoException} */ (err)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    const why = err instanceof Error ? err.message : String(err);
    return new RcaError("state_write_failed", `the task could not be written to the state directory (${why}); nothing was started`, {
      cause: err,
      details: { errno: code },
    });
  }
  return toRcaError(err, "tmux_failed");
}

/** A unique OpenCode session title, so its id can be found before the first event. @param {string} taskDir */
function titleTag(taskDir) {
  return `rca:${taskDir.slice(taskDir.lastIndexOf("/") + 1)}`.slice(0, 64);
}

/**
 * A boolean option, or its default when absent.
 * @param {string} name
 * @param {unknown} v
 * @param {boolean} dflt
 */
function checkBool(name, v, dflt) {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") throw new RcaError("invalid_option", `${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * What a view shows of a worktree.
 * @param {import("./worktree.js").WorktreeInfo} wt
 */
function publicWorktree(wt) {
  return { branch: wt.branch, base: wt.base, baseCommit: wt.baseCommit, path: wt.path, repo: wt.repo };
}

/** @param {number} ms */
function iso(ms) {
  return new Date(ms).toISOString();
}
