// @ts-check
// `resilient-agent dashboard`: the page on its own HTTP server, on 127.0.0.1 and a free port
// unless the operator names another address, behind a random token that is the first segment
// of every path (the URL printed is the only way in; anything else gets 401).
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { RcaError } from "../errors.js";
import { createDashboardHandler } from "./server.js";

/**
 * `--listen HOST[:PORT]`: an IP address (IPv6 in brackets) or `localhost`, and a port (default
 * 0, a free one). Returns what listen() takes.
 * @param {string} value
 */
export function parseListen(value) {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+|localhost))(?::(\d{1,5}))?$/.exec(String(value));
  const host = m ? (m[1] ?? m[2]) : "";
  const port = m?.[3] === undefined ? 0 : Number(m[3]);
  if (!m || (host !== "localhost" && isIP(host) === 0) || port > 65535) {
    throw new RcaError("usage", `--listen wants ADDRESS[:PORT] (an IP address, [IPv6] or localhost), got ${JSON.stringify(value)}`);
  }
  return { host, port };
}

/**
 * Starts the server. Resolves once it listens.
 * @param {{ getManager: () => import("../task-manager.js").TaskManager, host?: string, port?: number, token?: string }} o
 */
export async function startDashboard(o) {
  const token = o.token ?? randomBytes(24).toString("base64url");
  const handler = createDashboardHandler({ getManager: o.getManager, token });
  const server = createServer((req, res) => {
    handler.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Nothing here is slow to answer, and a stream is not a request that should time out.
  server.requestTimeout = 0;
  const host = o.host ?? "127.0.0.1";
  await new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new RcaError("dashboard_listen_failed", `cannot listen on ${host}:${o.port ?? 0}: ${e.message}`)));
    server.listen(o.port ?? 0, host, () => resolve(undefined));
  });
  const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/${token}/`,
    port: addr.port,
    async close() {
      handler.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}
