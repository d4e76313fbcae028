// @ts-check
// The background service: runs the TaskManager monitor inside the gateway. `start` begins the
// watch loop (its first tick adopts the tasks already on disk: live panes are adopted, dead ones
// recovered, vanished sessions re-created); `stop` aborts the loop, clears every timer and
// waits for the loop to finish. OpenClaw calls `start` only in the gateway process.

export const SERVICE_ID = "resilient-coding-agent-monitor";
const RETRY_MS = 30_000;
const STOP_WAIT_MS = 10_000;

/**
 * @typedef {import("./format.js").TaskEvent} TaskEvent
 * @typedef {{ info(m: string): void, warn(m: string): void, error(m: string): void }} Logger
 * @typedef {{
 *   watch(o: { signal?: AbortSignal, onEvent?: (ev: TaskEvent) => void }): Promise<void>,
 *   close?: () => unknown,
 * }} WatchingManager
 * @typedef {{ stateDir?: string, logger?: Logger }} ServiceContext
 */

/**
 * @param {{
 *   getManager: (openclawStateDir: string | undefined) => WatchingManager,
 *   release?: (manager: WatchingManager) => unknown,
 *   onEvent: (ev: TaskEvent) => unknown,
 *   logger: Logger,
 *   retryMs?: number,
 * }} deps
 */
export function createMonitorService(deps) {
  const retryMs = deps.retryMs ?? RETRY_MS;
  /** @type {AbortController | undefined} */
  let controller;
  /** @type {Promise<void> | undefined} */
  let loop;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;
  /** @type {WatchingManager | undefined} */
  let manager;

  /** @param {Logger} log */
  function run(log) {
    const c = controller;
    const tm = manager;
    if (!c || !tm || c.signal.aborted) return;
    retryTimer = undefined;
    loop = (async () => {
      try {
        await tm.watch({ signal: c.signal, onEvent: (ev) => { void deps.onEvent(ev); } });
        if (!c.signal.aborted) log.warn(`resilient-coding-agent: the monitor stopped by itself; restarting in ${retryMs / 1000} s`);
      } catch (err) {
        if (c.signal.aborted) return;
        const code = /** @type {{ code?: unknown }} */ (err)?.code;
        if (code === "monitor_busy") {
          log.warn(`resilient-coding-agent: another monitor already watches this state directory (${String(/** @type {Error} */ (err).message)}); trying again in ${retryMs / 1000} s`);
        } else {
          log.error(`resilient-coding-agent: the monitor failed: ${String(err)}; restarting in ${retryMs / 1000} s`);
        }
      }
      if (c.signal.aborted) return;
      retryTimer = setTimeout(() => run(log), retryMs);
      retryTimer.unref?.();
    })();
  }

  return {
    id: SERVICE_ID,
    /** @param {ServiceContext} ctx */
    start(ctx) {
      const log = ctx?.logger ?? deps.logger;
      if (controller && !controller.signal.aborted) return; // already running
      manager = deps.getManager(ctx?.stateDir);
      controller = new AbortController();
      log.info("resilient-coding-agent: monitor started (adopting existing tasks)");
      run(log);
    },
    /** @param {ServiceContext} [ctx] */
    async stop(ctx) {
      const log = ctx?.logger ?? deps.logger;
      controller?.abort();
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const pending = loop;
      loop = undefined;
      if (pending) {
        /** @type {ReturnType<typeof setTimeout> | undefined} */
        let t;
        const timeout = new Promise((resolve) => { t = setTimeout(resolve, STOP_WAIT_MS); });
        await Promise.race([pending, timeout]);
        if (t) clearTimeout(t);
      }
      try { if (manager) (deps.release ?? ((m) => m.close?.()))(manager); } catch (err) { log.warn(`resilient-coding-agent: closing the task manager: ${String(err)}`); }
      manager = undefined;
      controller = undefined;
      log.info("resilient-coding-agent: monitor stopped");
    },
  };
}
