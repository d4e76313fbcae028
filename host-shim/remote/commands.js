// @ts-check
// The command table's remote part: `rpc` (what another machine runs here), `hosts add|list|
// remove|check|install`, `--host NAME` routing (the same handlers, the operation done on that
// host through a RemoteManager) and `list` over the local host plus every configured one.
import { RcaError, toRcaError } from "../errors.js";
import { table } from "../cli/format.js";
import { checkHostName, checkHost, checkSshOption, configuredHosts, hostNamed, parseTarget, saveHosts, targetText } from "./hosts-file.js";
import { RemoteManager, callRemote } from "./rpc-client.js";
import { serveRpc } from "./rpc-server.js";
import { installHost } from "./install.js";
import { resolve } from "node:path";

/** @typedef {import("../commands.js").CommandSpec} CommandSpec */
/** @typedef {import("../task-manager.js").TaskManager} Manager */

/** `--host NAME` of the verbs that can run on a remote host. @type {import("../commands.js").OptionSpec} */
export const HOST_OPTION = { type: "string", value: "NAME", help: "do it on this configured remote host (see hosts list)" };

/**
 * The manager `--host NAME` runs a command with: the remote host's, or `host_unknown`.
 * @param {Manager} tm
 * @param {string} name
 */
export async function remoteManager(tm, name) {
  return new RemoteManager(tm.stateDir, hostNamed(await configuredHosts(tm), name));
}

/**
 * `list` without --host: this machine's tasks, then every configured host's (asked at once, one
 * ssh call per host). With hosts configured each view has `host` ("local" for this machine), and
 * a host that cannot be asked is one row `{ host, reachable: false, error }`: never hides others.
 * @param {Manager} tm
 * @param {{ state?: string, all?: boolean }} opts
 */
export async function listFleet(tm, opts) {
  const hosts = Object.values(await configuredHosts(tm));
  const local = await tm.list(opts);
  if (hosts.length === 0) return local;
  const remote = await Promise.all(
    hosts.map((h) =>
      new RemoteManager(tm.stateDir, h).list(opts).catch((err) => {
        const e = toRcaError(err);
        return [{ host: h.name, reachable: false, error: { code: e.code, message: e.message } }];
      }),
    ),
  );
  return [...local.map((v) => ({ ...v, host: "local" })), ...remote.flat()];
}

/** @type {Record<string, CommandSpec>} */
export const REMOTE_COMMANDS = {
  rpc: {
    summary: "serve one request from another machine: JSON on stdin, JSON on stdout (what ssh runs on a remote host)",
    args: [],
    options: {},
    async run({ tm, surface }) {
      const answer = await serveRpc(tm, surface.io.stdin);
      await tm.notificationsIdle();
      surface.io.out.write(JSON.stringify(answer) + "\n");
      return answer.ok ? 0 : 1;
    },
  },
  "hosts add": {
    summary: "configure a remote host reached with ssh (your ~/.ssh/config applies)",
    args: [{ name: "name", help: "the host's name here (a-z, 0-9, hyphens), used with --host" }],
    options: {
      ssh: { type: "string", required: true, value: "[USER@]HOST[:PORT]", help: "where ssh connects (a name from ~/.ssh/config works too)" },
      identity: { type: "string", value: "FILE", help: "the private key to use (ssh -i)" },
      jump: { type: "string", value: "[USER@]HOST[:PORT]", help: "connect through this jump host (ssh -J)" },
      "ssh-option": {
        type: "string", multiple: true, value: "KEY=VALUE",
        help: "an ssh -o option: UserKnownHostsFile, StrictHostKeyChecking (yes|accept-new|ask), ConnectTimeout, …",
      },
    },
    async run({ tm, args, opts, print }) {
      const name = checkHostName(args.name);
      parseTarget(opts.ssh);
      if (opts.jump !== undefined) parseTarget(opts.jump, "--jump");
      const hosts = { ...(await configuredHosts(tm)) };
      if (Object.hasOwn(hosts, name)) throw new RcaError("host_exists", `a host named ${name} is configured already (hosts remove ${name} first)`);
      hosts[name] = checkHost(name, {
        ssh: opts.ssh,
        identity: opts.identity === undefined ? null : resolve(opts.identity),
        jump: opts.jump ?? null,
        options: (opts["ssh-option"] ?? []).map(checkSshOption),
      });
      await saveHosts(tm, hosts);
      print(hosts[name], () => `added host ${name} (${targetText(hosts[name])}); next: resilient-agent hosts install ${name}`);
      return 0;
    },
  },
  "hosts list": {
    summary: "the configured remote hosts",
    args: [],
    options: {},
    async run({ tm, print }) {
      const hosts = Object.values(await configuredHosts(tm));
      print(hosts, () =>
        hosts.length === 0
          ? "no hosts (add one: resilient-agent hosts add NAME --ssh user@host)"
          : table(["NAME", "SSH", "IDENTITY", "JUMP"], hosts.map((h) => [h.name, targetText(h), h.identity ?? "-", h.jump ?? "-"])),
      );
      return 0;
    },
  },
  "hosts remove": {
    summary: "forget a remote host (its tasks keep running there)",
    args: [{ name: "name", help: "a configured host" }],
    options: {},
    async run({ tm, args, print }) {
      const hosts = { ...(await configuredHosts(tm)) };
      hostNamed(hosts, args.name);
      delete hosts[args.name];
      await saveHosts(tm, hosts);
      print({ removed: args.name }, () => `removed host ${args.name}`);
      return 0;
    },
  },
  "hosts check": {
    summary: "is the host reachable, what runs there (package, node, tmux, agents), is its monitor up (restarted if not)",
    args: [{ name: "name", help: "a configured host" }],
    options: {},
    async run({ tm, args, print }) {
      const h = hostNamed(await configuredHosts(tm), args.name);
      let info;
      try {
        info = await callRemote(tm.stateDir, h, "info");
      } catch (err) {
        const e = toRcaError(err);
        print({ host: h.name, reachable: false, error: { code: e.code, message: e.message } }, () => `host ${h.name}: ${e.code}: ${e.message}`);
        return 1;
      }
      /** @type {any} */
      let monitor = info.monitor;
      if (!monitor.running) {
        const started = /** @type {any} */ (await callRemote(tm.stateDir, h, "monitor-ensure"));
        monitor = { running: true, restarted: started.started };
      }
      const out = { host: h.name, reachable: true, ...info, monitor };
      print(out, () => checkText(out));
      return 0;
    },
  },
  "hosts install": {
    summary: "install (or update) this package on the host, in the remote user's data directory, and start its monitor",
    args: [{ name: "name", help: "a configured host" }],
    options: {},
    async run({ tm, args, print }) {
      const h = hostNamed(await configuredHosts(tm), args.name);
      const done = await installHost(tm.stateDir, h);
      print(done, () => `installed on ${h.name} in ${done.dir}\n${checkText({ host: h.name, reachable: true, ...done.info })}`);
      return 0;
    },
  },
};

/** `hosts check` for people. @param {any} c */
function checkText(c) {
  const agents = Object.entries(c.agents ?? {})
    .map(([name, path]) => (path ? `${name} (${path})` : `${name}: not found`))
    .join(", ");
  return [
    `host       ${c.host}: reachable`,
    `package    ${c.version ?? "?"}`,
    `node       ${c.node}`,
    `tmux       ${c.tmux ?? "NOT FOUND: install tmux there"}`,
    `agents     ${agents}`,
    `monitor    ${c.monitor.running ? (c.monitor.restarted ? "was not running: started again" : `running (pid ${c.monitor.pid ?? "?"})`) : "not running"}`,
    `state dir  ${c.stateDir}`,
  ].join("\n");
}
