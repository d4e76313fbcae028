// @ts-check
// The ssh transport: the user's OpenSSH client (and so their ~/.ssh/config, agent, known hosts),
// run from an argv array, never a local shell. ssh joins the words after the destination into one
// string the REMOTE shell parses, so the remote command is always one of the constants below —
// no name, path, prompt or other user data in it; the request travels on stdin.
// - BatchMode=yes: never a password or host-key prompt (a missing key is an error, not a hang);
//   host keys are checked as the user's config says (a host entry may point UserKnownHostsFile
//   elsewhere or say accept-new, never "no").
// - Connections are reused: one ControlMaster per host, its socket under <state>/ssh (0700),
//   kept 60 s after the last use; at most MAX_SESSIONS_PER_HOST sessions at once through it
//   from this process (sshd's MaxSessions defaults to 10 per connection).
// - ssh's own failure (exit 255: cannot connect, host key refused, auth refused) is
//   `host_unreachable`, told apart from the remote command's errors.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, lstat } from "node:fs/promises";
import { join } from "node:path";
import { RcaError } from "../errors.js";

/** Sessions at once through one host's master connection (sshd's MaxSessions default is 10). */
export const MAX_SESSIONS_PER_HOST = 4;
const CONTROL_PERSIST_S = 60;
const CONNECT_TIMEOUT_S = 10;
/** A unix socket path is at most 108 bytes; ssh adds ".XXXXXXXXXXXXXXXX" while it creates one. */
const MAX_CONTROL_PATH = 107 - 17;
const STDOUT_MAX = 64 * 1024 * 1024;
const STDERR_MAX = 64 * 1024;

/** Where the package lives on a remote: decided there ($XDG_DATA_HOME or ~/.local/share). */
const REMOTE_DIR = '"${XDG_DATA_HOME:-$HOME/.local/share}/resilient-coding-agent"';
/** The remote commands: constants, parsed by the remote user's shell. */
export const REMOTE = Object.freeze({
  rpc: `sh -c 'exec ${REMOTE_DIR}/bin/resilient-agent rpc'`,
});

/** How many ssh processes this process has started (benchmarks, tests). */
export const sshStats = { spawned: 0 };

/** @type {Map<string, { active: number, queue: Array<() => void> }>} */
const gates = new Map();

/**
 * The ssh argv (without the program) for one call to `host`.
 * @param {import("./hosts-file.js").HostEntry} h
 * @param {string | null} controlPath null: no connection reuse
 * @param {string} remoteCommand one of REMOTE (or another constant)
 */
export function sshArgv(h, controlPath, remoteCommand) {
  const argv = ["-T", "-o", "BatchMode=yes", "-o", `ConnectTimeout=${CONNECT_TIMEOUT_S}`];
  if (controlPath) {
    argv.push("-o", "ControlMaster=auto", "-o", `ControlPath=${controlPath}`, "-o", `ControlPersist=${CONTROL_PERSIST_S}`);
  } else {
    argv.push("-o", "ControlMaster=no", "-o", "ControlPath=none");
  }
  if (h.port) argv.push("-p", String(h.port));
  if (h.user) argv.push("-l", h.user);
  if (h.identity) argv.push("-i", h.identity, "-o", "IdentitiesOnly=yes");
  if (h.jump) argv.push("-J", h.jump);
  for (const o of h.options) argv.push("-o", o);
  argv.push("--", h.host, remoteCommand);
  return argv;
}

/**
 * The master connection's socket for a host, under <state>/ssh (created 0700), or null when
 * that path cannot be one (too long for a unix socket, or characters ssh would expand).
 * @param {string} stateDir
 * @param {import("./hosts-file.js").HostEntry} h
 */
export async function controlPath(stateDir, h) {
  const dir = join(stateDir, "ssh");
  // Named by what it connects to, so a changed entry never reuses the old connection.
  const key = createHash("sha256").update(JSON.stringify([h.host, h.user, h.port, h.identity, h.jump, h.options])).digest("hex").slice(0, 16);
  const path = join(dir, key);
  if (path.length > MAX_CONTROL_PATH || !/^[A-Za-z0-9_./-]+$/.test(path)) return null;
  await mkdir(dir, { mode: 0o700 }).catch((e) => {
    if (e.code !== "EEXIST") throw e;
  });
  const st = await lstat(dir);
  const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new RcaError("state_dir_unsafe", `${dir} must be a directory of yours that nobody else can use (mode 700)`);
  }
  return path;
}

/**
 * Runs ssh once (at most MAX_SESSIONS_PER_HOST at a time per host from this process).
 * @param {string[]} argv
 * @param {{ key: string, input?: string | NodeJS.ReadableStream, timeoutMs: number, host: string }} o
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export async function runSsh(argv, o) {
  const release = await acquire(o.key);
  try {
    return await spawnSsh(argv, o);
  } finally {
    release();
  }
}

/**
 * @param {string[]} argv
 * @param {{ input?: string | NodeJS.ReadableStream, timeoutMs: number, host: string }} o
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
function spawnSsh(argv, o) {
  return new Promise((resolve, reject) => {
    sshStats.spawned++;
    const child = spawn("ssh", argv, { shell: false, stdio: ["pipe", "pipe", "pipe"] });
    /** @type {Buffer[]} */
    const out = [];
    let outLen = 0;
    let err = "";
    let exited = false;
    let ended = false;
    /** @type {number | null} */
    let code = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, o.timeoutMs);
    const finish = () => {
      if (!exited || !ended) return;
      clearTimeout(timer);
      // A master started by this call keeps stderr open in the background: not waited for.
      child.stderr.destroy();
      if (timedOut) {
        reject(new RcaError("host_unreachable", `host ${o.host}: no answer within ${Math.round(o.timeoutMs / 1000)} s`, { details: { host: o.host } }));
        return;
      }
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: err });
    };
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(
        /** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT"
          ? new RcaError("program_not_found", "ssh (the OpenSSH client) is not installed or not on PATH")
          : e,
      );
    });
    child.stdout.on("data", (b) => {
      outLen += b.length;
      if (outLen <= STDOUT_MAX) out.push(b);
    });
    child.stdout.on("end", () => {
      ended = true;
      finish();
    });
    child.stderr.on("data", (b) => {
      if (err.length < STDERR_MAX) err += b.toString("utf8");
    });
    child.on("exit", (c) => {
      exited = true;
      code = c;
      finish();
    });
    child.stdin.on("error", () => {}); // ssh gone before reading all: its exit says why
    if (typeof o.input === "string") child.stdin.end(o.input);
    else if (o.input) o.input.pipe(child.stdin);
    else child.stdin.end();
  });
}

/** @param {string} key */
function acquire(key) {
  let g = gates.get(key);
  if (!g) gates.set(key, (g = { active: 0, queue: [] }));
  const gate = g;
  const release = () => {
    gate.active--;
    const next = gate.queue.shift();
    if (next) next();
  };
  if (gate.active < MAX_SESSIONS_PER_HOST) {
    gate.active++;
    return Promise.resolve(release);
  }
  return new Promise((resolve) =>
    gate.queue.push(() => {
      gate.active++;
      resolve(release);
    }),
  );
}

/**
 * The error for an ssh that could not reach the host (exit 255), with ssh's last words.
 * @param {string} host
 * @param {string} stderr
 */
export function unreachable(host, stderr) {
  const why = stderr.trim().split("\n").filter(Boolean).pop() ?? "ssh failed";
  return new RcaError("host_unreachable", `host ${host} is unreachable: ${why.slice(0, 300)} (try: resilient-agent hosts check ${host})`, {
    details: { host },
  });
}
