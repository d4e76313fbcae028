// @ts-check
// `hosts install NAME`: this package, streamed as a tar over ssh's stdin into a constant remote
// script that puts it in the remote user's data directory ($XDG_DATA_HOME or ~/.local/share,
// as the remote says), writes a launcher with the absolute node and the PATH a login shell
// has there (a command run over ssh gets a non-login shell without ~/.local/bin), checks node
// ≥ 20 and tmux first (naming what is missing), then starts the remote monitor.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RcaError } from "../errors.js";
import { controlPath, runSsh, sshArgv, unreachable } from "./ssh.js";
import { callRemote } from "./rpc-client.js";

const SHIM_PARENT = fileURLToPath(new URL("../..", import.meta.url));
const INSTALL_TIMEOUT_MS = 5 * 60_000;

/** Quotes a constant script for the remote shell (only ever used on the constants below). @param {string} s */
function shQuote(s) {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

// The remote side of the install (a constant script; the tar comes on its stdin).
const INSTALL_SCRIPT = readFileSync(fileURLToPath(new URL("./install.sh", import.meta.url)), "utf8");
export const INSTALL_COMMAND = `sh -c ${shQuote(INSTALL_SCRIPT)}`;

/** The tree that is this package: pkg/ in a development clone (`make pkg`), else the package itself. */
export function packageDir() {
  if (existsSync(join(SHIM_PARENT, "Cargo.toml"))) {
    const pkg = join(SHIM_PARENT, "pkg");
    if (!existsSync(join(pkg, "package.json")) || !existsSync(join(pkg, "host-shim", "cli", "main.js"))) {
      throw new RcaError("usage", `the package is not built in ${pkg}: run make pkg first`);
    }
    return pkg;
  }
  return SHIM_PARENT;
}

/**
 * Installs (or updates) this package on a host and starts its monitor.
 * @param {string} stateDir
 * @param {import("./hosts-file.js").HostEntry} h
 * @returns {Promise<{ host: string, dir: string, monitor: unknown, info: any }>}
 */
export async function installHost(stateDir, h) {
  const dir = packageDir();
  const cp = await controlPath(stateDir, h);
  const tar = spawn("tar", ["-c", "-f", "-", "-C", dir, "."], { shell: false, stdio: ["ignore", "pipe", "pipe"] });
  let tarErr = "";
  tar.stderr.on("data", (b) => (tarErr += b));
  const tarDone = new Promise((resolve) => tar.on("close", resolve));
  tar.on("error", () => {});
  /** @type {{ code: number | null, stdout: string, stderr: string }} */
  let res;
  try {
    res = await runSsh(sshArgv(h, cp, INSTALL_COMMAND), { key: cp ?? h.name, host: h.name, input: tar.stdout, timeoutMs: INSTALL_TIMEOUT_MS });
  } finally {
    // ssh gone before reading the whole stream (refused, unreachable): tar must not wait on a
    // pipe nobody reads.
    if (tar.exitCode === null && tar.signalCode === null) {
      tar.stdout.destroy();
      tar.kill("SIGTERM");
    }
  }
  const tarCode = await tarDone;
  if (res.code === 255) throw unreachable(h.name, res.stderr);
  const missing = /^rca-missing: (.*)$/m.exec(res.stdout);
  if (missing) {
    throw new RcaError("host_requirements_missing", `host ${h.name} lacks ${missing[1]}: install it there (for the remote user's login shell), then run hosts install ${h.name} again`, {
      details: { host: h.name, missing: missing[1] },
    });
  }
  const done = /^rca-installed: (.*)$/m.exec(res.stdout);
  if (res.code !== 0 || !done || tarCode !== 0) {
    const why = (res.stderr.trim() || tarErr.trim()).split("\n").pop() ?? "";
    throw new RcaError("install_failed", `installing on host ${h.name} failed (exit ${res.code})${why ? `: ${why.slice(0, 300)}` : ""}`, { details: { host: h.name } });
  }
  const monitor = await callRemote(stateDir, h, "monitor-ensure");
  // A monitor just started takes a moment to hold its lock: asked a few times before saying no.
  let info = /** @type {any} */ (await callRemote(stateDir, h, "info"));
  for (let i = 0; i < 20 && !info.monitor?.running; i++) {
    await new Promise((r) => setTimeout(r, 250));
    info = await callRemote(stateDir, h, "info");
  }
  return { host: h.name, dir: done[1], monitor, info };
}
