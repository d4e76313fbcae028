// @ts-check
// Remote hosts are operator configuration: a name → how to reach it over ssh. Kept in
// <state>/hosts.json (0600, replaced atomically, never read through a symlink), or given to the
// TaskManager as `hosts`. Every field is checked here, because each one ends up in an ssh argv:
// nothing may start with "-" (an ssh option), hold a newline, or pick an ssh option that runs
// a local command (ProxyCommand, LocalCommand…) or turns host-key checking off.
import { join, isAbsolute } from "node:path";
import { RcaError } from "../errors.js";
import { READ_NOFOLLOW } from "../exclusive-file.js";

export const HOSTS_FILE = "hosts.json";

/**
 * @typedef {object} HostEntry
 * @property {string} name
 * @property {string} host DNS name, IPv4, or an ~/.ssh/config alias
 * @property {string | null} user
 * @property {number | null} port
 * @property {string | null} identity absolute path of a private key (ssh -i)
 * @property {string | null} jump a jump host, [user@]host[:port] (ssh -J)
 * @property {string[]} options extra `-o Key=Value`, from an allow-list (see SSH_OPTIONS)
 */

/** Host names: what a person types after --host; "local" is this machine. */
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const HOSTNAME = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/**
 * ssh options a host entry may set (values checked too): where known hosts are, how long to
 * wait. Never StrictHostKeyChecking=no, never a command (ProxyCommand, LocalCommand…).
 * @type {Record<string, RegExp>}
 */
const SSH_OPTIONS = {
  UserKnownHostsFile: /^\/[^\s"'\\]{1,4000}$/,
  GlobalKnownHostsFile: /^\/[^\s"'\\]{1,4000}$/,
  StrictHostKeyChecking: /^(yes|accept-new|ask)$/,
  HostKeyAlias: /^[A-Za-z0-9_.-]{1,253}$/,
  ConnectTimeout: /^[1-9][0-9]{0,3}$/,
  ServerAliveInterval: /^[0-9]{1,4}$/,
  ServerAliveCountMax: /^[0-9]{1,3}$/,
  IdentitiesOnly: /^(yes|no)$/,
};

/**
 * `[user@]host[:port]` → its parts. @param {string} target @param {string} what for messages
 * @returns {{ host: string, user: string | null, port: number | null }}
 */
export function parseTarget(target, what = "--ssh") {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d{1,5}))?$/.exec(String(target));
  const bad = () => new RcaError("usage", `${what} wants [user@]host[:port], got ${JSON.stringify(target)}`);
  if (!m) throw bad();
  const [, user, host, portText] = m;
  if (user !== undefined && !USER.test(user)) throw bad();
  if (!HOSTNAME.test(host)) throw bad();
  const port = portText === undefined ? null : Number(portText);
  if (port !== null && (port < 1 || port > 65535)) throw bad();
  return { host, user: user ?? null, port };
}

/** @param {unknown} name */
export function checkHostName(name) {
  if (typeof name !== "string" || !NAME.test(name) || name === "local") {
    throw new RcaError("usage", `a host name is 1 to 32 of a-z, 0-9 and inner hyphens, not "local"; got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * One `-o Key=Value` for a host entry. @param {unknown} kv
 */
export function checkSshOption(kv) {
  const m = typeof kv === "string" ? /^([A-Za-z]+)=(.*)$/s.exec(kv) : null;
  const key = m ? Object.keys(SSH_OPTIONS).find((k) => k.toLowerCase() === m[1].toLowerCase()) : undefined;
  if (!m || !key || !SSH_OPTIONS[key].test(m[2])) {
    throw new RcaError(
      "usage",
      `--ssh-option wants KEY=VALUE with KEY one of ${Object.keys(SSH_OPTIONS).join(", ")} (and a plain value; ` +
        `StrictHostKeyChecking yes, accept-new or ask), got ${JSON.stringify(kv)}`,
    );
  }
  return `${key}=${m[2]}`;
}

/**
 * One host entry from outside (the hosts file, the TaskManager's `hosts`, plugin config).
 * @param {string} name
 * @param {unknown} v
 * @returns {HostEntry}
 */
export function checkHost(name, v) {
  checkHostName(name);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RcaError("invalid_config", `host ${name}: must be an object`);
  const o = /** @type {Record<string, unknown>} */ (v);
  for (const k of Object.keys(o)) {
    if (!["name", "ssh", "host", "user", "port", "identity", "jump", "options"].includes(k)) {
      throw new RcaError("invalid_config", `host ${name}: unknown key ${JSON.stringify(k)}`);
    }
  }
  /** @type {{ host: string, user: string | null, port: number | null }} */
  let target;
  try {
    target =
      typeof o.ssh === "string"
        ? parseTarget(o.ssh)
        : parseTarget(`${o.user ? `${o.user}@` : ""}${o.host}${o.port ? `:${o.port}` : ""}`);
  } catch (e) {
    throw new RcaError("invalid_config", `host ${name}: ${e instanceof Error ? e.message : e}`);
  }
  const identity = o.identity ?? null;
  if (identity !== null && (typeof identity !== "string" || !isAbsolute(identity) || /[\n\r\0]/.test(identity))) {
    throw new RcaError("invalid_config", `host ${name}: identity must be an absolute path of a key file`);
  }
  const jump = o.jump ?? null;
  if (jump !== null) {
    try {
      parseTarget(String(jump), "jump");
    } catch (e) {
      throw new RcaError("invalid_config", `host ${name}: ${e instanceof Error ? e.message : e}`);
    }
  }
  const options = o.options ?? [];
  if (!Array.isArray(options)) throw new RcaError("invalid_config", `host ${name}: options must be an array of "Key=Value"`);
  return {
    name,
    ...target,
    identity: /** @type {string | null} */ (identity),
    jump: /** @type {string | null} */ (jump),
    options: options.map((kv) => {
      try {
        return checkSshOption(kv);
      } catch (e) {
        throw new RcaError("invalid_config", `host ${name}: ${e instanceof Error ? e.message : e}`);
      }
    }),
  };
}

/**
 * Every host of a `hosts` object (name → entry).
 * @param {unknown} v
 * @returns {Record<string, HostEntry>}
 */
export function checkHosts(v) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RcaError("invalid_config", "hosts must be an object: name → { ssh, identity?, jump?, options? }");
  /** @type {Record<string, HostEntry>} */
  const out = {};
  for (const [name, entry] of Object.entries(v)) out[name] = checkHost(name, entry);
  return out;
}

/** The `ssh` text of an entry, [user@]host[:port]. @param {HostEntry} h */
export function targetText(h) {
  return `${h.user ? `${h.user}@` : ""}${h.host}${h.port ? `:${h.port}` : ""}`;
}

/**
 * The configured hosts of a TaskManager: its `hosts` option, else the state directory's file.
 * @param {import("../task-manager.js").TaskManager} tm
 * @returns {Promise<Record<string, HostEntry>>}
 */
export async function configuredHosts(tm) {
  if (tm.hosts) return tm.hosts;
  if (typeof tm.stateDir !== "string") return {}; // a manager without a state directory has no hosts file
  const path = join(tm.stateDir, HOSTS_FILE);
  const fh = await tm.fx.fs.open(path, READ_NOFOLLOW).catch((e) => {
    if (e.code === "ENOENT") return null;
    throw new RcaError("invalid_config", `cannot read the hosts file ${path}: ${e.code === "ELOOP" ? "it is a symlink" : e.message}`);
  });
  if (!fh) return {};
  let text;
  try {
    const st = await fh.stat();
    const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0) {
      throw new RcaError("invalid_config", `the hosts file ${path} must be a file of yours that nobody else can read or write (mode 600)`);
    }
    text = await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RcaError("invalid_config", `the hosts file ${path} is not JSON: ${e instanceof Error ? e.message : e}`);
  }
  return checkHosts(parsed?.hosts ?? {});
}

/**
 * Writes the hosts file (0600, atomically: a reader sees the old or the new file).
 * @param {import("../task-manager.js").TaskManager} tm
 * @param {Record<string, HostEntry>} hosts
 */
export async function saveHosts(tm, hosts) {
  if (tm.hosts) throw new RcaError("usage", "the hosts of this TaskManager come from its options, not the hosts file");
  await tm.store.init({ tempDirs: tm.tempDirs });
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [name, h] of Object.entries(hosts)) {
    out[name] = { ssh: targetText(h), ...(h.identity ? { identity: h.identity } : {}), ...(h.jump ? { jump: h.jump } : {}), ...(h.options.length ? { options: h.options } : {}) };
  }
  await tm.store.replaceAtomically(tm.stateDir, HOSTS_FILE, JSON.stringify({ v: 1, hosts: out }, null, 2) + "\n");
}

/**
 * The entry of a configured host, or `host_unknown`.
 * @param {Record<string, HostEntry>} hosts
 * @param {unknown} name
 */
export function hostNamed(hosts, name) {
  if (typeof name === "string" && Object.hasOwn(hosts, name)) return hosts[name];
  const known = Object.keys(hosts);
  throw new RcaError(
    "host_unknown",
    `no host named ${JSON.stringify(name)} is configured (${known.length ? `configured: ${known.join(", ")}` : "none is; add one with: resilient-agent hosts add NAME --ssh user@host"})`,
    { details: { host: name } },
  );
}
