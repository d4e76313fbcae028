// @ts-check
// The remote-host pieces without a network: host entries (each field ends up in an ssh argv),
// the ssh argv (a constant remote command), rpc request checking, the event journal's cursor
// (exactly once across a rotation), and an OpenClaw tool call naming an unconfigured host.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import { join } from "node:path";
import { checkHost, checkHosts, parseTarget } from "../../host-shim/remote/hosts-file.js";
import { REMOTE, sshArgv } from "../../host-shim/remote/ssh.js";
import { checkRequest } from "../../host-shim/remote/rpc-server.js";
import { EventJournal, JOURNAL_MAX_BYTES } from "../../host-shim/remote/journal.js";
import { INSTALL_COMMAND } from "../../host-shim/remote/install.js";
import { createTools } from "../../host-shim/openclaw/tools.js";
import { normalizeConfig } from "../../host-shim/openclaw/config.js";
import { TaskManager } from "../../host-shim/index.js";
import { withTestDir } from "../support/dirs.js";

test("host entries: [user@]host[:port], an allow-listed ssh option; nothing that ssh would take as an option or a command", () => {
  assert.deepEqual(parseTarget("dev@gpu-box.lan:2222"), { user: "dev", host: "gpu-box.lan", port: 2222 });
  assert.deepEqual(parseTarget("buildhost"), { user: null, host: "buildhost", port: null });
  const h = checkHost("gpu", { ssh: "dev@gpu:22", identity: "/k/id", jump: "bastion", options: ["userknownhostsfile=/k/known", "StrictHostKeyChecking=accept-new"] });
  assert.deepEqual(h.options, ["UserKnownHostsFile=/k/known", "StrictHostKeyChecking=accept-new"]);
  for (const ssh of ["-oProxyCommand=touch x", "a b", "x\n", "u@-host", "-l", "h:0", "h:70000", "us;er@h", ""]) {
    assert.throws(() => checkHost("gpu", { ssh }), { code: "invalid_config" }, ssh);
  }
  for (const options of [["StrictHostKeyChecking=no"], ["ProxyCommand=touch /tmp/x"], ["LocalCommand=id"], ["UserKnownHostsFile=relative"], ["UserKnownHostsFile=/a b"]]) {
    assert.throws(() => checkHost("gpu", { ssh: "h", options }), { code: "invalid_config" }, options[0]);
  }
  assert.throws(() => checkHost("gpu", { ssh: "h", identity: "relative/key" }), { code: "invalid_config" });
  assert.throws(() => checkHost("gpu", { ssh: "h", jump: "-J" }), { code: "invalid_config" });
  assert.throws(() => checkHost("gpu", { ssh: "h", proxy: "x" }), { code: "invalid_config" });
  for (const name of ["local", "-x", "GPU", "a_b", "", "x".repeat(33)]) assert.throws(() => checkHosts({ [name]: { ssh: "h" } }), /host name/, name);
});

test("the ssh argv: batch mode, the destination after --, and a constant remote command with no user data", () => {
  const h = checkHost("gpu", { ssh: "dev@gpu:2222", identity: "/k/id", options: ["UserKnownHostsFile=/k/known"] });
  const argv = sshArgv(h, "/state/ssh/0123456789abcdef", REMOTE.rpc);
  assert.deepEqual(argv.slice(-3), ["--", "gpu", REMOTE.rpc]);
  for (const want of ["BatchMode=yes", "ControlMaster=auto", "ControlPath=/state/ssh/0123456789abcdef", "UserKnownHostsFile=/k/known", "IdentitiesOnly=yes"]) {
    assert.ok(argv.includes(want), want);
  }
  assert.ok(!argv.some((a) => /StrictHostKeyChecking=no/i.test(a)));
  assert.deepEqual(argv.slice(argv.indexOf("-p"), argv.indexOf("-p") + 2), ["-p", "2222"]);
  assert.deepEqual(argv.slice(argv.indexOf("-l"), argv.indexOf("-l") + 2), ["-l", "dev"]);
  // The remote commands are fixed strings of this package: the same for every host and request.
  assert.equal(REMOTE.rpc, `sh -c 'exec "\${XDG_DATA_HOME:-$HOME/.local/share}/resilient-coding-agent"/bin/resilient-agent rpc'`);
  assert.match(INSTALL_COMMAND, /^sh -c '/);
  assert.ok(!argv.slice(0, -1).some((a) => a.includes("resilient-coding-agent")), "only the constant names the package");
});

test("rpc requests are checked like any outside input", () => {
  assert.deepEqual(checkRequest(JSON.stringify({ v: 1, op: "status", args: { session: "demo-x", lines: 5 } })), { op: "status", args: { session: "demo-x", lines: 5 } });
  assert.deepEqual(checkRequest(JSON.stringify({ v: 1, op: "events-since", args: { cursor: null } })).args, { cursor: null });
  // A worktree task on a host: the same start options travel (the remote makes the worktree).
  assert.deepEqual(checkRequest(JSON.stringify({ v: 1, op: "start", args: { agent: "demo", name: "x", projectDir: "/p", prompt: "p", worktree: true, base: "main", autoResume: false } })).args,
    { agent: "demo", name: "x", projectDir: "/p", prompt: "p", worktree: true, base: "main", autoResume: false });
  const bad = [
    ["not json", "invalid_request"],
    [JSON.stringify([1]), "invalid_request"],
    [JSON.stringify({ v: 2, op: "list" }), "rpc_version"],
    [JSON.stringify({ v: 1, op: "exec" }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "__proto__" }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "list", extra: 1 }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "status", args: {} }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "status", args: { session: 5 } }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "status", args: { session: "a", lines: 0 } }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "status", args: { session: "a", shell: "id" } }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "start", args: { agent: "demo", name: "a", projectDir: "/p", prompt: "x", env: { A: 1 } } }), "invalid_request"],
    [JSON.stringify({ v: 1, op: "events-since", args: { cursor: { ino: -1, offset: 0 } } }), "invalid_request"],
  ];
  for (const [text, code] of bad) assert.throws(() => checkRequest(text), { code }, text);
});

test("the event journal: a cursor reads each event once, across a rotation too", async () => {
  await withTestDir("rca-journal-", async (dir) => {
    const j = new EventJournal(dir, fsp);
    const first = await j.since(null);
    assert.deepEqual(first.events, []);
    await j.append({ n: 1 });
    await j.append({ n: 2 });
    const a = await j.since(first.cursor);
    assert.deepEqual(a.events, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual((await j.since(a.cursor)).events, []);
    // A half-written line (a writer mid-append) is left for the next read.
    await fsp.appendFile(join(dir, "events.jsonl"), '{"n":3');
    const b = await j.since(a.cursor);
    assert.deepEqual(b.events, []);
    await fsp.appendFile(join(dir, "events.jsonl"), "}\n");
    const c = await j.since(b.cursor);
    assert.deepEqual(c.events, [{ n: 3 }]);
    // Fill to the rotation size: the reader finishes the old generation, then the new one.
    const pad = "x".repeat(64 * 1024);
    let n = 4;
    while ((await fsp.stat(join(dir, "events.jsonl"))).size + pad.length < JOURNAL_MAX_BYTES) await j.append({ n: n++, pad });
    const last = n;
    await j.append({ n: n++, pad });
    await j.append({ n: n++ });
    const seen = [];
    let cur = c.cursor;
    for (let i = 0; i < 20; i++) {
      const r = await j.since(cur);
      assert.equal(r.reset, false);
      seen.push(.../** @type {any[]} */ (r.events).map((e) => e.n));
      cur = r.cursor;
      if (r.events.length === 0) break;
    }
    assert.deepEqual(seen, Array.from({ length: n - 4 }, (_, i) => i + 4));
    assert.ok(last > 4);
    await fsp.access(join(dir, "events.1.jsonl"));
  });
});

test("an OpenClaw tool call naming a host the operator did not configure is refused with host_unknown", async () => {
  await withTestDir("rca-tools-host-", async (dir) => {
    const config = normalizeConfig({ hosts: { gpu: { ssh: "dev@gpu.example" } } });
    const tm = new TaskManager({ stateDir: join(dir, "state"), hosts: config.hosts });
    const deps = { getManager: () => /** @type {any} */ (tm), config, defaults: {}, agentSandbox: () => "os", home: "/nonexistent-home", stateDirs: () => [] };
    /** @type {Record<string, any>} */
    const tools = {};
    for (const t of createTools(/** @type {any} */ (deps), /** @type {any} */ ({ sessionKey: "s" }))) tools[t.name] = t;
    for (const [name, params] of /** @type {const} */ ([
      ["coding_task_list", { host: "other" }],
      ["coding_task_status", { session: "demo-x", host: "laptop" }],
      ["coding_task_start", { agent: "demo", name: "x", projectDir: "/srv/p", prompt: "p", host: "nope" }],
    ])) {
      const r = await tools[name].execute("c", params);
      assert.equal(r.details.problem?.code, "host_unknown", JSON.stringify(r));
      assert.match(r.content[0].text, /no host named .* is configured \(configured: gpu\)/);
    }
    // A schema-invalid host never gets that far.
    const r = await tools.coding_task_list.execute("c", { host: "-oProxyCommand=x" });
    assert.match(JSON.stringify(r), /invalid_params/);
    assert.throws(() => normalizeConfig({ hosts: { gpu: { ssh: "h", options: ["StrictHostKeyChecking=no"] } } }), { code: "invalid_config" });
  });
});

test("rpc start with confine (a tool call's): the remote refuses /, its home and a symlink to them, before starting anything", async () => {
  const { serveRpc } = await import("../../host-shim/remote/rpc-server.js");
  const { homedir } = await import("node:os");
  const { makeTestDir } = await import("../support/dirs.js");
  const dir = makeTestDir("rca-confine-");
  try {
    await fsp.symlink("/", join(dir, "to-root"));
    await fsp.mkdir(join(dir, "state"));
    /** @type {any[]} */
    const started = [];
    const tm = /** @type {any} */ ({ stateDir: join(dir, "state"), start: async (/** @type {any} */ a) => (started.push(a), { session: "demo-x" }) });
    /** @param {Record<string, unknown>} args */
    const call = async (args) => {
      const body = Buffer.from(JSON.stringify({ v: 1, op: "start", args: { agent: "demo", name: "x", prompt: "p", ...args } }));
      return serveRpc(tm, (async function* () { yield body; })());
    };
    for (const projectDir of ["/", homedir(), join(dir, "to-root"), join(dir, "state")]) {
      const answer = /** @type {any} */ (await call({ projectDir, confine: true }));
      assert.equal(answer.ok, false, projectDir);
      assert.equal(answer.error.code, "policy_denied", `${projectDir}: ${answer.error.message}`);
    }
    assert.equal(started.length, 0, "nothing started");
    // The CLI (an operator surface) does not ask for it: its directory goes through as given.
    const answer = /** @type {any} */ (await call({ projectDir: "/" }));
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(started[0].projectDir, "/");
    assert.equal("confine" in started[0], false);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
