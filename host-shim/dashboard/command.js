// @ts-check
// The `dashboard` command of the table: serves the page (./serve.js) and runs the monitor
// (standing by while another one is active, as `watch` does) until Ctrl-C.
import { startDashboard } from "./serve.js";
import { pageWeight } from "./assets.js";

/** @param {import("../commands.js").Ctx} ctx */
export async function dashboardCommand({ tm, opts, json, surface }) {
  const { out, err } = surface.io;
  const where = opts.listen ?? { host: "127.0.0.1", port: 0 };
  const dash = await startDashboard({ getManager: () => tm, host: where.host, port: where.port });
  if (json) out.write(JSON.stringify({ url: dash.url, port: dash.port, pageBytes: pageWeight() }) + "\n");
  else {
    out.write(`dashboard: ${dash.url}\n`);
    out.write("  (the URL holds its key: anyone with it can act on your tasks; Ctrl-C stops it)\n");
  }
  if (where.host !== "127.0.0.1" && where.host !== "::1" && where.host !== "localhost") {
    err.write(`warning: the dashboard listens on ${where.host}, not only on this machine; it is plain HTTP\n`);
  }
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  tm.on("monitor", (m) => {
    if (json) return;
    if (m.status === "standby") err.write(`another monitor (pid ${m.owner?.pid ?? "?"}) is active; standing by\n`);
  });
  try {
    await tm.watch({ signal: ctl.signal });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await dash.close();
    await tm.notificationsIdle();
  }
  return 0;
}
