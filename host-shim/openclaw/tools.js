// @ts-check
// The six agent tools. Each is registered as a factory so it learns which OpenClaw session
// called it (ctx.sessionKey): that session is told when its task finishes. Results are readable
// text for the model plus `details.task` (or `details.tasks`) for machines; errors come back as
// readable results too — a thrown error reaches the caller only as "tool execution failed".
// `details` never uses OpenClaw's reserved grading keys (status, ok, success, error, …).
import { agentNames, AUTONOMY, STATES } from "./config.js";
import { humanDuration, listText, taskText } from "./format.js";
import { RcaError } from "../errors.js";
import { callerAgent, checkAutonomy, checkProjectDir, inScope, notFound, present } from "./policy.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { isAbsolute } from "node:path";
import { configuredHosts, hostNamed } from "../remote/hosts-file.js";
import { RemoteManager } from "../remote/rpc-client.js";

export const TOOL_NAMES = /** @type {const} */ ([
  "coding_task_start", "coding_task_status", "coding_task_list",
  "coding_task_send", "coding_task_resume", "coding_task_stop",
]);

const SESSION = {
  type: "string",
  description: "The task's tmux session, `<agent>-<name>` (e.g. `codex-fix-login`), as returned by coding_task_start or coding_task_list.",
  // Any agent name (the operator may add agents); the core checks it is a registered one.
  pattern: "^[a-z][a-z0-9]{0,23}-[a-z0-9]+(-[a-z0-9]+)*$",
  maxLength: 73,
};

/**
 * JSON Schemas of the tool parameters (names as in DESIGN §4 and the CLI).
 * @type {Record<string, JsonSchema>}
 */
export const SCHEMAS = {
  coding_task_start: {
    type: "object",
    additionalProperties: false,
    required: ["agent", "name", "projectDir", "prompt"],
    properties: {
      agent: {
        type: "string",
        // A getter: the registered agents once the operator's agentProfiles are loaded.
        get enum() {
          return agentNames();
        },
        description: "Which coding-agent CLI runs the task: codex (OpenAI Codex CLI), claude (Claude Code), opencode, pi (has no sandbox: refused unless the operator allows it), demo (a simulated agent for trying the plugin, no API key), or another agent the operator configured.",
      },
      name: {
        type: "string",
        pattern: "^[a-z0-9]+(-[a-z0-9]+)*$",
        maxLength: 48,
        description: "Short task name: lowercase letters, digits and single hyphens, at most 48 characters (e.g. `fix-login-bug`). The tmux session becomes `<agent>-<name>`.",
      },
      projectDir: {
        type: "string",
        minLength: 1,
        maxLength: 4096,
        description: "Absolute path of an existing directory the agent works in. The operator decides which directories are allowed (by default a project directory inside the user's home; never the home itself, a hidden directory or a state directory); others are refused with policy_denied.",
      },
      prompt: {
        type: "string",
        minLength: 1,
        description: "The complete task for the agent, self-contained: goal, constraints, how to verify, what to report at the end. The agent cannot see this conversation.",
      },
      model: {
        type: "string",
        maxLength: 128,
        description: "Optional model for the agent CLI (its own model name). Omit to use the configured or the CLI's default.",
      },
      autonomy: {
        type: "string",
        enum: [...AUTONOMY],
        description: "sandboxed (default): the agent edits the project inside its sandbox and may ask for approval. full: no sandbox and no approval prompts — only when the user asked for it, and only if the operator allows it (otherwise refused with policy_denied).",
      },
      isolation: {
        type: "string",
        enum: ["none", "worktree"],
        description: "worktree: the agent works in its own git worktree on a new branch rca/<name> (from the project's HEAD, or `base`), so parallel tasks on one repository never edit the same files; the completion names the branch to review and merge. Default: the operator's setting (usually none).",
      },
      base: {
        type: "string",
        minLength: 1,
        maxLength: 256,
        description: "With isolation=worktree: the branch, tag or commit the new branch starts from (default HEAD).",
      },
      autoResume: {
        type: "boolean",
        description: "false: if the agent crashes, stalls or hits a limit, the task stops and waits for coding_task_resume instead of being resumed automatically. Default: the operator's setting (usually true).",
      },
      maxCostUsd: {
        type: "number",
        minimum: 0.000001,
        maximum: 1000000000,
        description: "Stop the task (failed, class budget_exceeded) once the cost its agent reports reaches this many US dollars (Claude and OpenCode report cost; others only tokens). At most the operator's ceiling. Default: the operator's setting.",
      },
      maxTokens: {
        type: "integer",
        minimum: 1,
        maximum: 9007199254740991,
        description: "Stop the task (failed, class budget_exceeded) once it has used this many tokens (input + output, all attempts). At most the operator's ceiling. Default: the operator's setting.",
      },
      estimateMinutes: {
        type: "integer",
        minimum: 1,
        maximum: 10080,
        description: "Your estimate of how long the task takes, in minutes; repeated back so you can tell the user.",
      },
    },
  },
  coding_task_status: {
    type: "object",
    additionalProperties: false,
    required: ["session"],
    properties: {
      session: SESSION,
      lines: {
        type: "integer",
        minimum: 1,
        maximum: 2000,
        description: "How many of the agent's most recent output lines to include (default 40).",
      },
    },
  },
  coding_task_list: {
    type: "object",
    additionalProperties: false,
    properties: {
      state: {
        type: "string",
        enum: [...STATES],
        description: "Only tasks in this state. Omit to list all.",
      },
    },
  },
  coding_task_send: {
    type: "object",
    additionalProperties: false,
    required: ["session", "text"],
    properties: {
      session: SESSION,
      text: {
        type: "string",
        minLength: 1,
        maxLength: 100000,
        description: "What to type into the agent's terminal, followed by Enter: an answer to its question or approval prompt (e.g. `y`), or a follow-up instruction. Multi-line text is pasted as one block.",
      },
    },
  },
  coding_task_resume: {
    type: "object",
    additionalProperties: false,
    required: ["session"],
    properties: {
      session: SESSION,
      maxCostUsd: {
        type: "number",
        minimum: 0.000001,
        maximum: 1000000000,
        description: "A new cost budget in US dollars: a task stopped by its budget (budget_exceeded) resumes only with a higher one. At most the operator's ceiling.",
      },
      maxTokens: {
        type: "integer",
        minimum: 1,
        maximum: 9007199254740991,
        description: "A new token budget (input + output, all attempts), as for maxCostUsd.",
      },
    },
  },
  coding_task_stop: {
    type: "object",
    additionalProperties: false,
    required: ["session"],
    properties: {
      session: SESSION,
      cleanup: {
        type: "boolean",
        description: "Also delete the task's directory (prompt, transcript, event log). Default false: kept so the transcript can still be read.",
      },
    },
  },
};

/** `host`: one of the operator's configured remote hosts (checked at the call), on every tool. */
const HOST = {
  type: "string",
  pattern: "^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$",
  description: "Optional: run on this remote host, one the operator configured (`hosts` in the plugin config); omit for this machine. Another name is refused with host_unknown.",
};
for (const schema of Object.values(SCHEMAS)) /** @type {any} */ (schema).properties.host = HOST;

const DESCRIPTIONS = {
  coding_task_start:
    "Start a long coding task (roughly 5 minutes or more) on a coding-agent CLI (Codex, Claude Code, OpenCode or Pi) in its own tmux session. "
    + "The task survives crashes, gateway restarts and reboots: a monitor resumes the agent's own conversation automatically. "
    + "Returns at once with the session name; you are told when the task completes, fails, gives up or waits for input. "
    + "The operator's policy bounds what you may ask for: the highest autonomy (sandboxed unless the operator allows full), which directories may be projects, and agents without a sandbox (pi) only if allowed; a request beyond it fails with policy_denied — tell the user, do not work around it. "
    + "Tell the user the task, its session name and your time estimate.",
  coding_task_status:
    "Show one coding task: its state (starting, running, waiting_for_input, stalled, recovering, completed, failed, stopped), failure class and evidence, runs so far, and the agent's recent output.",
  coding_task_list: "List the coding tasks started with coding_task_start (by default those of this OpenClaw agent), with their states.",
  coding_task_send:
    "Type text into a running coding task's terminal and press Enter: answer an agent that is waiting_for_input (a question or an approval prompt), or give it a follow-up instruction.",
  coding_task_resume:
    "Resume a coding task now, in the same agent conversation (the agent's native resume with its recorded session id). Use it for a failed, stalled, stopped or gave-up task once the cause is fixed; running tasks are resumed automatically after a crash.",
  coding_task_stop:
    "Stop a coding task: kill its tmux session; it is not resumed again. With cleanup=true also delete its directory.",
};

/**
 * The subset of JSON Schema these tools use.
 * @typedef {{
 *   type?: string, description?: string, enum?: readonly string[], pattern?: string,
 *   minLength?: number, maxLength?: number, minimum?: number, maximum?: number,
 *   properties?: Record<string, JsonSchema>, required?: string[], additionalProperties?: boolean,
 * }} JsonSchema
 */

/**
 * Checks params against a schema of the subset above. OpenClaw's direct tool invocation
 * (`tools.invoke`) does not validate arguments, so the tools do it themselves.
 * @param {JsonSchema} schema
 * @param {unknown} params
 * @returns {string[]} problems, empty when valid
 */
export function validateParams(schema, params) {
  const value = params === undefined || params === null ? {} : params;
  if (typeof value !== "object" || Array.isArray(value)) return ["parameters must be an object"];
  const obj = /** @type {Record<string, unknown>} */ (value);
  /** @type {string[]} */
  const problems = [];
  const props = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (obj[key] === undefined || obj[key] === null) problems.push(`${key} is required`);
  }
  for (const [key, v] of Object.entries(obj)) {
    const p = props[key];
    if (!p) {
      if (schema.additionalProperties === false) problems.push(`unknown parameter ${key} (allowed: ${Object.keys(props).join(", ")})`);
      continue;
    }
    if (v === undefined || v === null) continue;
    if (p.type === "string") {
      if (typeof v !== "string") { problems.push(`${key} must be a string`); continue; }
      if (p.minLength !== undefined && v.trim().length < p.minLength) problems.push(`${key} must not be empty`);
      if (p.maxLength !== undefined && v.length > p.maxLength) problems.push(`${key} is longer than ${p.maxLength} characters`);
      if (p.enum && !p.enum.includes(v)) problems.push(`${key} must be one of ${p.enum.join(", ")} (got ${JSON.stringify(v.slice(0, 40))})`);
      if (p.pattern && !new RegExp(p.pattern).test(v)) problems.push(`${key} ${JSON.stringify(v.slice(0, 60))} does not have the required form (${p.description?.split(". ")[0] ?? p.pattern})`);
    } else if (p.type === "integer" || p.type === "number") {
      if (typeof v !== "number" || !Number.isFinite(v) || (p.type === "integer" && !Number.isInteger(v))) {
        problems.push(`${key} must be ${p.type === "integer" ? "an integer" : "a number"}`);
        continue;
      }
      if (p.minimum !== undefined && v < p.minimum) problems.push(`${key} must be at least ${p.minimum}`);
      if (p.maximum !== undefined && v > p.maximum) problems.push(`${key} must be at most ${p.maximum}`);
    } else if (p.type === "boolean") {
      if (typeof v !== "boolean") problems.push(`${key} must be true or false`);
    }
  }
  return problems;
}

/** What a model should do next, by error code. @type {Record<string, string>} */
const HINTS = {
  task_not_found: "Use coding_task_list to see the existing sessions.",
  policy_denied: "The operator's policy does not allow this request. Tell the user why (the message above); only the user can change the plugin's policy.",
  task_exists: "Pick another name, or stop the old task first (coding_task_stop, with cleanup=true to reuse the name).",
  project_dir_missing: "projectDir must be the absolute path of an existing directory on the gateway host.",
  invalid_project_dir: "projectDir must be the absolute path of an existing directory on the gateway host.",
  tmux_unavailable: "tmux is not installed (or not on PATH) on the gateway host; it is required.",
  monitor_busy: "Another monitor (a gateway or `resilient-agent watch`) already watches this state directory; try again in a moment.",
  invalid_task_name: "Use lowercase letters, digits and single hyphens, at most 48 characters.",
  task_finished: "The task has already finished; start a new one, or resume it with coding_task_resume.",
};

/**
 * A tool result: readable text plus details for machines.
 * @param {string} text
 * @param {Record<string, unknown>} details
 */
export function toolResult(text, details) {
  return { content: [{ type: /** @type {const} */ ("text"), text }], details };
}

/**
 * Turns a thrown error into a readable tool result (never rethrown).
 * @param {string} tool
 * @param {unknown} err
 */
export function errorResult(tool, err) {
  const e = /** @type {{ code?: unknown, message?: unknown, name?: unknown }} */ (err ?? {});
  const code = typeof e.code === "string" && /^[a-z][a-z0-9_]*$/.test(e.code) ? e.code : "internal";
  const message = typeof e.message === "string" && e.message ? e.message : String(err);
  const hint = HINTS[code];
  const text = `${tool} failed (${code}): ${message}${hint ? `\n${hint}` : ""}`;
  return toolResult(text, { task: null, problem: { code, message } });
}

/**
 * @typedef {import("./format.js").TaskView} TaskView
 * @typedef {{
 *   start(o: Record<string, unknown>): Promise<TaskView>,
 *   status(s: string, o?: { lines?: number }): Promise<TaskView>,
 *   list(o?: { state?: string }): Promise<TaskView[]>,
 *   send(s: string, text: string, o?: { paste?: boolean }): Promise<unknown>,
 *   resume(s: string, o?: { maxCostUsd?: number, maxTokens?: number }): Promise<TaskView>,
 *   stop(s: string, o?: { cleanup?: boolean }): Promise<TaskView | null>,
 * }} Manager
 * @typedef {{
 *   getManager: () => Manager,
 *   config: import("./config.js").PluginConfig,
 *   defaults: { recoveryBaseDelayMs: number, giveUpAfterMs: number },
 *   agentSandbox: (agent: string) => import("./policy.js").SandboxKind,
 *   home: string,
 *   stateDirs: () => { label: string, dir: string | undefined }[],
 * }} ToolDeps
 * @typedef {{ sessionKey?: string, agentId?: string, sessionId?: string }} ToolContext
 */

/**
 * @param {TaskView} t
 * @param {ToolDeps} deps
 * @param {number | undefined} estimateMinutes
 * @param {boolean} willNotify
 * @param {string} unsandboxed why the task runs without a sandbox, or "" when it has one
 */
function startText(t, deps, estimateMinutes, willNotify, unsandboxed) {
  const base = deps.config.monitor.recoveryBaseDelayMs ?? deps.defaults.recoveryBaseDelayMs;
  const giveUp = deps.config.monitor.giveUpAfterMs ?? deps.defaults.giveUpAfterMs;
  const d1 = humanDuration(base), d2 = humanDuration(2 * base), d3 = humanDuration(4 * base);
  return [
    `Started coding task ${t.name} on ${t.agent}. Session: ${t.session} (state: ${t.state}).`,
    unsandboxed ? `It runs WITHOUT a sandbox (${unsandboxed}): the agent can do anything the user can on the gateway host.` : "",
    estimateMinutes ? `Estimated duration: about ${estimateMinutes} min.` : "",
    t.attach ? `Watch it live: ${t.attach}` : "",
    `If the agent crashes or the gateway or machine restarts, the monitor resumes the same agent conversation with the agent's native resume: the first recovery right away, later ones after ${d1}, ${d2}, ${d3}, … while failures repeat; no automatic recovery starts more than ${humanDuration(giveUp)} after the start. Fatal failures (auth, usage limit without a reset time, bad invocation, context overflow) are not retried.`,
    willNotify
      ? "This conversation will be told when the task completes, fails, gives up or waits for input; check any time with coding_task_status."
      : "Check it with coding_task_status.",
    t.taskDir ? `Transcript and logs: ${t.taskDir}` : "",
  ].filter(Boolean).join("\n");
}

/**
 * Builds the six tools for one tool context.
 * @param {ToolDeps} deps
 * @param {ToolContext} ctx
 */
export function createTools(deps, ctx) {
  // A call with `host` runs the same tool code with that host's manager (per call, so two calls
  // at once never see each other's host).
  const base = deps;
  /** @type {AsyncLocalStorage<Manager>} */
  const onHost = new AsyncLocalStorage();
  deps = { ...base, getManager: () => onHost.getStore() ?? base.getManager() };
  /** @param {unknown} name */
  const hostManager = async (name) => {
    const tm = /** @type {import("../task-manager.js").TaskManager} */ (/** @type {unknown} */ (base.getManager()));
    const entry = hostNamed(await configuredHosts(tm), name);
    return /** @type {Manager} */ (/** @type {unknown} */ (new RemoteManager(tm.stateDir, entry)));
  };
  /**
   * @param {typeof TOOL_NAMES[number]} name
   * @param {string} label
   * @param {(p: Record<string, any>) => Promise<{ content: { type: "text", text: string }[], details: Record<string, unknown> }>} run
   */
  const tool = (name, label, run) => ({
    name,
    label,
    description: DESCRIPTIONS[name],
    parameters: SCHEMAS[name],
    /** @param {string} _toolCallId @param {unknown} params */
    async execute(_toolCallId, params) {
      const problems = validateParams(SCHEMAS[name], params);
      if (problems.length > 0) {
        const e = { code: "invalid_params", message: problems.join("; ") };
        return errorResult(name, e);
      }
      try {
        const p = /** @type {Record<string, any>} */ (params ?? {});
        if (p.host === undefined) return await run(p);
        const remote = await hostManager(p.host);
        return await onHost.run(remote, () => run(p));
      } catch (err) {
        return errorResult(name, err);
      }
    },
  });

  /**
   * Runs `get` (which reads one task) and hands its view back only when the task is in the
   * caller's scope; a task outside it is reported exactly like a missing one.
   * @template {TaskView} T
   * @param {string} session
   * @param {() => Promise<T>} get
   * @returns {Promise<T>}
   */
  const scoped = async (session, get) => {
    let task;
    try {
      task = await get();
    } catch (err) {
      if (/** @type {{ code?: unknown }} */ (err)?.code === "task_not_found") throw notFound(session);
      throw err;
    }
    if (!inScope(task, ctx, deps.config.policy)) throw notFound(session);
    return task;
  };
  /** Refuses (as not found) to act on a task outside the caller's scope. @param {string} session */
  const guard = (session) => scoped(session, () => deps.getManager().status(session, { lines: 1 }));

  return [
    tool("coding_task_start", "Start coding task", async (p) => {
      const defaults = deps.config.agents[p.agent] ?? {};
      const policy = deps.config.policy;
      const sandbox = deps.agentSandbox(p.agent);
      // The operator's ceiling first: nothing is resolved or created for a refused request.
      const { autonomy, unsandboxed } = checkAutonomy({ agent: p.agent, requested: p.autonomy, agentDefault: defaults.autonomy, sandbox, policy });
      // On a remote host the directory is that host's: the local checks cannot see it. It must
      // be absolute here, and the remote judges it where it is (`confine`): inside that user's
      // home, after resolving symlinks, never the home itself, a dot-directory or its state dir.
      const projectDir = p.host === undefined
        ? await checkProjectDir(p.projectDir, { policy, home: deps.home, stateDirs: deps.stateDirs() })
        : remoteProjectDir(p.projectDir);
      /** @type {Record<string, unknown>} */
      const origin = { kind: "openclaw" };
      if (ctx.sessionKey) origin.sessionKey = ctx.sessionKey;
      const agentId = callerAgent(ctx);
      if (agentId) origin.agentId = agentId;
      if (p.estimateMinutes) origin.estimateMinutes = p.estimateMinutes;
      /** @type {Record<string, unknown>} */
      const input = { agent: p.agent, name: p.name, projectDir, prompt: p.prompt, origin, autonomy };
      if (p.host !== undefined) input.confine = true;
      const model = p.model ?? defaults.model;
      if (model) input.model = model;
      if (p.isolation !== undefined) input.worktree = p.isolation === "worktree";
      if (p.base !== undefined) input.base = p.base;
      if (p.autoResume !== undefined) input.autoResume = p.autoResume;
      // The operator's budget ceiling is applied by the TaskManager (budget_above_ceiling).
      if (p.maxCostUsd !== undefined) input.maxCostUsd = p.maxCostUsd;
      if (p.maxTokens !== undefined) input.maxTokens = p.maxTokens;
      const task = await deps.getManager().start(input).catch(async (err) => {
        // A name held by a task outside the caller's scope: say only that the name is taken
        // (the names are one namespace), never how to stop that task or where it lives.
        if (err?.code !== "task_exists") throw err;
        const session = `${p.agent}-${p.name}`;
        const other = await deps.getManager().status(session, { lines: 1 }).catch(() => null);
        if (other && inScope(other, ctx, deps.config.policy)) throw err;
        throw new RcaError("task_exists", `the name ${session} is taken; pick another name`, { details: { session } });
      });
      const willNotify = deps.config.notify.enabled && Boolean(ctx.sessionKey || deps.config.notify.sessionKey);
      const why = !unsandboxed ? "" : autonomy === "full" ? "autonomy full" : `${p.agent} has no sandbox; the operator allows it`;
      return toolResult(startText(task, deps, p.estimateMinutes, willNotify, why), {
        task: present(task, ctx),
        sandbox: unsandboxed ? "none" : sandbox,
      });
    }),
    tool("coding_task_status", "Coding task status", async (p) => {
      const task = await scoped(p.session, () => deps.getManager().status(p.session, { lines: p.lines ?? 40 }));
      const out = typeof task.recentOutput === "string" && task.recentOutput.trim()
        ? `\n\nRecent output:\n${task.recentOutput.trimEnd()}`
        : "";
      return toolResult(taskText(task) + out, { task: present(task, ctx) });
    }),
    tool("coding_task_list", "List coding tasks", async (p) => {
      const all = await deps.getManager().list(p.state ? { state: p.state } : {});
      const tasks = all.filter((t) => inScope(t, ctx, deps.config.policy)).map((t) => present(t, ctx));
      return toolResult(listText(tasks), { tasks, count: tasks.length });
    }),
    tool("coding_task_send", "Send to coding task", async (p) => {
      const text = /** @type {string} */ (p.text);
      const paste = text.includes("\n") || text.length > 1000;
      await guard(p.session);
      await deps.getManager().send(p.session, text, { paste });
      return toolResult(
        `Sent ${text.length} character${text.length === 1 ? "" : "s"} to ${p.session}${paste ? " (pasted)" : ""} and pressed Enter. Check the reaction with coding_task_status.`,
        { task: { session: p.session }, sent: { chars: text.length, paste } },
      );
    }),
    tool("coding_task_resume", "Resume coding task", async (p) => {
      await guard(p.session);
      const task = await deps.getManager().resume(p.session, { maxCostUsd: p.maxCostUsd, maxTokens: p.maxTokens });
      return toolResult(`Resuming ${p.session} in the same agent conversation.\n${taskText(task)}`, { task: present(task, ctx) });
    }),
    tool("coding_task_stop", "Stop coding task", async (p) => {
      await guard(p.session);
      const task = await deps.getManager().stop(p.session, { cleanup: p.cleanup === true });
      const text = p.cleanup
        ? `Stopped ${p.session} and removed its task directory.`
        : `Stopped ${p.session}. Its transcript is kept${task?.taskDir ? ` in ${task.taskDir}` : ""}.`;
      return toolResult(text, { task: task ? present(task, ctx) : { session: p.session, state: "stopped" } });
    }),
  ];
}

/** A remote host's project directory: absolute, no hidden component (a dot directory). @param {unknown} dir */
function remoteProjectDir(dir) {
  if (typeof dir !== "string" || !isAbsolute(dir) || dir.split("/").some((c) => c.startsWith("."))) {
    throw new RcaError("invalid_project_dir", `projectDir on a remote host must be an absolute path with no hidden (dot) directory (got ${JSON.stringify(String(dir).slice(0, 200))})`);
  }
  return dir;
}
