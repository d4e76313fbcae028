// @ts-check
// The plugin's `register(api)`, with the TaskManager constructor injected (unit tests pass a
// fake). Synchronous and inert: it only registers. No TaskManager is created, no timer set and
// no tmux run until a tool executes, a CLI command runs, or OpenClaw starts the service in the
// gateway. `api.runtime` is only touched lazily (OpenClaw makes it throw in cli-metadata mode).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { expandHome, normalizeConfig, resolveStateDir, taskManagerOptions, PLUGIN_ID } from "./config.js";
import { createTools, TOOL_NAMES } from "./tools.js";
import { createMonitorService } from "./service.js";
import { createNotifier } from "./notify.js";
import { registerCodingTasksCli, CLI_NAME, CLI_DESCRIPTION } from "./cli.js";
import { createDashboardHandler } from "../dashboard/server.js";

/** Where the gateway serves the dashboard (its own authentication in front). */
export const DASHBOARD_PATH = "/plugins/resilient-coding-agent";

/**
 * The part of OpenClaw's plugin API this plugin uses (openclaw 2026.9.6, OpenClawPluginApi).
 * @typedef {{ info(m: string): void, warn(m: string): void, error(m: string): void, debug?(m: string): void }} Logger
 * @typedef {{
 *   id?: string,
 *   registrationMode?: string,
 *   rootDir?: string,
 *   pluginConfig?: unknown,
 *   logger?: Logger,
 *   runtime?: any,
 *   registerTool(tool: any, opts?: { name?: string, names?: string[], optional?: boolean }): void,
 *   registerService(service: { id: string, start(ctx: any): unknown, stop?(ctx: any): unknown }): void,
 *   registerCli(registrar: (ctx: { program: any }) => unknown, opts?: { descriptors?: { name: string, description: string, hasSubcommands: boolean }[], commands?: string[] }): void,
 *   registerHttpRoute?(route: { path: string, auth: "gateway" | "plugin", match?: "exact" | "prefix", handler: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => Promise<boolean | void> | boolean | void }): void,
 * }} PluginApi
 * @typedef {Record<string, any> & { close?: () => unknown }} AnyManager
 * @typedef {ReturnType<typeof taskManagerOptions> & { demoAgent?: string[] }} ManagerOptions
 * @typedef {(opts: ManagerOptions) => AnyManager} CreateTaskManager
 */

/** Shared per process: the tools, the CLI and the service of one configuration use one manager. */
const managers = new Map();

/** @type {Logger} */
const consoleLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

/**
 * `agentSandbox` is the core's (profile data: how real an agent's "sandboxed" is); `home` is
 * the user's home directory (tests pass their own).
 * @param {{
 *   createTaskManager: CreateTaskManager,
 *   agentSandbox: (agent: string) => import("./policy.js").SandboxKind,
 *   defaults?: { recoveryBaseDelayMs: number, giveUpAfterMs: number },
 *   home?: string,
 * }} deps
 */
export function createRegister(deps) {
  const defaults = deps.defaults ?? { recoveryBaseDelayMs: 180_000, giveUpAfterMs: 5 * 3_600_000 };

  /** @param {PluginApi} api */
  return function register(api) {
    const mode = api.registrationMode ?? "full";
    const config = normalizeConfig(api.pluginConfig);
    const logger = api.logger ?? consoleLogger;

    /** OpenClaw's own state directory, as the runtime resolves it (profiles, OPENCLAW_STATE_DIR). */
    const openclawStateDir = () => {
      try {
        const dir = api.runtime?.state?.resolveStateDir?.(process.env);
        return typeof dir === "string" && dir ? dir : undefined;
      } catch {
        return undefined;
      }
    };

    /** @param {string | undefined} [serviceStateDir] */
    const getManager = (serviceStateDir) => {
      /** @type {ManagerOptions} */
      const opts = taskManagerOptions(config, resolveStateDir(config, serviceStateDir ?? openclawStateDir()));
      // OpenClaw runs plugin code from a temporary copy that disappears when the process exits
      // (verified: `openclaw coding-tasks …` imports it from $OPENCLAW_STATE_DIR/tmp/plugin-captures/…),
      // while api.rootDir is the installed package. The simulated agent is a file the tmux pane
      // runs later, so it must come from the installed package.
      const demo = api.rootDir ? join(api.rootDir, "host-shim", "demo-agent.js") : undefined;
      if (demo && existsSync(demo)) opts.demoAgent = [process.execPath, demo];
      const key = JSON.stringify(opts);
      let tm = managers.get(key);
      if (!tm) {
        tm = deps.createTaskManager(opts);
        managers.set(key, tm);
      }
      return tm;
    };
    /** @param {AnyManager} tm */
    const release = (tm) => {
      for (const [k, v] of managers) if (v === tm) managers.delete(k);
      return tm.close?.();
    };

    // The CLI group: in every mode (cli-metadata is exactly where OpenClaw collects it).
    api.registerCli(
      ({ program }) => {
        registerCodingTasksCli(program, {
          getManager: () => /** @type {any} */ (getManager()),
          agentDefaults: config.agents,
          agentSandbox: deps.agentSandbox,
        });
      },
      { descriptors: [{ name: CLI_NAME, description: CLI_DESCRIPTION, hasSubcommands: true }] },
    );
    if (mode === "cli-metadata") return;

    // Directories no project may be in or contain: where the tasks' records live (a coding
    // agent able to write them could change how it is resumed) and OpenClaw's own state.
    const stateDirs = () => {
      const oc = openclawStateDir()
        || (process.env.OPENCLAW_STATE_DIR ? expandHome(process.env.OPENCLAW_STATE_DIR) : join(homedir(), ".openclaw"));
      return [
        { label: "the plugin's state directory", dir: resolveStateDir(config, oc) },
        { label: "OpenClaw's state directory", dir: oc },
      ];
    };
    const toolDeps = {
      getManager: () => /** @type {any} */ (getManager()),
      config,
      defaults,
      agentSandbox: deps.agentSandbox,
      home: deps.home ?? homedir(),
      stateDirs,
    };

    // The six tools, as factories: each call learns the calling session (who to notify later)
    // and its OpenClaw agent (which tasks it may see).
    for (const name of TOOL_NAMES) {
      api.registerTool(
        (/** @type {import("./tools.js").ToolContext | undefined} */ ctx) => {
          const tools = createTools(toolDeps, ctx ?? {});
          return tools.find((t) => t.name === name);
        },
        { name },
      );
    }

    // The monitor. Registered in every mode so `plugins inspect` shows it; OpenClaw starts
    // services only in the gateway.
    /** @type {AnyManager | undefined} the manager the service watches with */
    let watched;
    const notifier = createNotifier({
      config: config.notify,
      system: () => {
        try {
          return api.runtime?.system;
        } catch {
          return undefined;
        }
      },
      findTask: async (session) => {
        const tm = watched ?? getManager();
        const all = /** @type {import("./format.js").TaskView[]} */ (await tm.list());
        return all.find((t) => t.session === session);
      },
      logger,
    });
    // The dashboard, behind the gateway's own authentication (auth: "gateway": OpenClaw answers
    // 401 before the handler runs). It shows the tasks of the manager the service watches.
    const dashboard = createDashboardHandler({
      getManager: () => /** @type {any} */ (watched ?? getManager()),
      basePath: DASHBOARD_PATH,
    });
    api.registerHttpRoute?.({ path: DASHBOARD_PATH, auth: "gateway", match: "prefix", handler: (req, res) => dashboard.handle(req, res) });

    api.registerService(
      createMonitorService({
        getManager: (dir) => /** @type {any} */ ((watched = getManager(dir))),
        release: (tm) => {
          watched = undefined;
          dashboard.close();
          return release(/** @type {AnyManager} */ (tm));
        },
        onEvent: (ev) => notifier.handle(ev),
        logger,
      }),
    );
  };
}

export { PLUGIN_ID, TOOL_NAMES };
