// @ts-check
// A real OpenSSH server for the remote-host tests: /usr/sbin/sshd -D on 127.0.0.1, a free port,
// a generated host key and client key, its own known_hosts, all under a test directory. The
// "remote" machines are second Unix users made for the test (useradd -m; userdel -r after), so
// their home, state directory, tmux server and agent stores really are elsewhere. Needs root
// (here and on CI); `sshdSkip()` says why not otherwise.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { freePort } from "./net.js";

const SSHD = "/usr/sbin/sshd";

/** Why these tests cannot run here (null: they can). */
export function sshdSkip() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root (creates Unix users as remote hosts)";
  if (!existsSync(SSHD)) return `needs ${SSHD} (Debian openssh-server; scripts/bootstrap.sh installs it)`;
  for (const p of ["/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/bin/ssh-keygen", "/usr/bin/ssh"]) {
    if (!existsSync(p)) return `needs ${p}`;
  }
  return null;
}

/** @param {number} port */
function accepts(port) {
  return new Promise((resolve) => {
    const c = connect({ host: "127.0.0.1", port }, () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

/** @param {() => Promise<boolean> | boolean} fn @param {number} ms @param {string} what */
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids whose parent is `ppid` (from /proc). @param {number} ppid */
function childrenOf(ppid) {
  /** @type {number[]} */
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids of a user's processes (from /proc). @param {number} uid */
export function pidsOfUid(uid) {
  /** @type {number[]} */
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (m && Number(m[1]) === uid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * A Unix user for one test, the client's key authorized for it.
 * @typedef {{ name: string, uid: number, home: string, run: (argv: string[]) => string, remove: () => void }} TestUser
 */

/**
 * Starts sshd. `users` are created first (prefix + random), each accepting the client key.
 * @param {string} dir a test directory (0700, root's)
 * @param {{ users?: number }} [o]
 */
export async function startSshd(dir, o = {}) {
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "host_key");
  const clientKey = join(dir, "client_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey]);
  const port = await freePort();
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(hostKey + ".pub", "utf8")}`, { mode: 0o600 });
  /** @type {TestUser[]} */
  const users = [];
  for (let i = 0; i < (o.users ?? 1); i++) users.push(makeUser(readFileSync(clientKey + ".pub", "utf8")));
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "AuthorizedKeysFile .ssh/authorized_keys",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "PermitRootLogin no",
      "StrictModes yes",
      `AllowUsers ${users.map((u) => u.name).join(" ")}`,
      "LogLevel ERROR",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  /** @type {import("node:child_process").ChildProcess | null} */
  let proc = null;
  let log = "";
  const start = async () => {
    proc = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr?.on("data", (b) => (log += b));
    await until(() => accepts(port), 15_000, `sshd on port ${port} (log: ${log})`);
  };
  /** Stops the listener and every connection it serves (the link drops, as for a dead server). */
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const pid = /** @type {number} */ (p.pid);
    const sessions = childrenOf(pid);
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
    for (const s of sessions) {
      try {
        process.kill(s, "SIGTERM");
      } catch {
        // gone already
      }
    }
    proc = null;
  };
  await start();
  return {
    port,
    clientKey,
    knownHosts,
    users,
    start,
    stop,
    log: () => log,
    /** The `hosts add` options that reach `user` with this server's keys. @param {TestUser} user */
    hostArgs: (user) => [
      "--ssh", `${user.name}@127.0.0.1:${port}`, "--identity", clientKey,
      "--ssh-option", `UserKnownHostsFile=${knownHosts}`, "--ssh-option", "StrictHostKeyChecking=yes",
    ],
    async close() {
      await stop();
      for (const u of users) u.remove();
    },
  };
}

/** @param {string} name */
function userExists(name) {
  return readFileSync("/etc/passwd", "utf8").split("\n").some((l) => l.startsWith(`${name}:`));
}

/** @param {string} pubKey */
function makeUser(pubKey) {
  const name = `rcat${randomBytes(4).toString("hex")}`;
  // A password of "*" (none can match), not useradd's locked "!": sshd without PAM refuses
  // every login to a locked account, keys included.
  execFileSync("useradd", ["-m", "-s", "/bin/sh", "-p", "*", name]);
  const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
  const home = join("/home", name);
  mkdirSync(join(home, ".ssh"), { mode: 0o700 });
  writeFileSync(join(home, ".ssh", "authorized_keys"), pubKey, { mode: 0o600 });
  execFileSync("chown", ["-R", `${name}:${name}`, join(home, ".ssh")]);
  chmodSync(join(home, ".ssh"), 0o700);
  return {
    name,
    uid,
    home,
    /** Runs a command as this user (test setup and inspection only). @param {string[]} argv */
    run: (argv) => execFileSync("runuser", ["-u", name, "--", ...argv], { encoding: "utf8", cwd: home }),
    remove() {
      // Its tmux server (the tasks, the remote monitor) first, then whatever it left, by pid.
      try {
        execFileSync("runuser", ["-u", name, "--", "tmux", "kill-server"], { stdio: "ignore" });
      } catch {
        // no server
      }
      // userdel refuses while a process of the user exists (a killed one until it is reaped):
      // kill, wait a moment, try again.
      for (let round = 0; round < 50; round++) {
        for (const pid of pidsOfUid(uid)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone already
          }
        }
        try {
          execFileSync("userdel", ["-r", name], { stdio: "ignore" });
        } catch {
          // still busy, or only userdel -r's warning about a missing mail spool
        }
        if (!existsSync(home) && !userExists(name)) return;
        execFileSync("sleep", ["0.1"]);
      }
      console.error(`# could not remove test user ${name}`);
    },
  };
}
