// @ts-check
// Nothing vanishes: an I/O error is not corruption. A record or index entry that cannot be read
// right now (EMFILE, EIO, EACCES) is kept, the problem is reported, and it is read again later;
// a failed write leaves nothing behind; a start on a full disk says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { readdir, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import core from "../../host-shim/core.js";
import { Store } from "../../host-shim/store.js";
import { TaskManager } from "../../host-shim/index.js";
import { makeEffects } from "../../host-shim/effects.js";
import { withTestDir } from "../support/dirs.js";

const parse = (/** @type {string} */ t) => core.parseRecord(t);
const INDEX_URL = new URL("../../host-shim/index.js", import.meta.url).href;

/** @param {(dir: string) => Promise<void>} fn */
const withTmp = (fn) => withTestDir("rca-faults-", fn);

/**
 * `n` stopped tasks (final: no monitor acts on them) indexed in `stateDir`.
 * @param {string} stateDir
 * @param {string} projectDir
 * @param {number} n
 */
async function seedTasks(stateDir, projectDir, n) {
  const store = new Store(stateDir, makeEffects());
  await store.init();
  const now = Date.now();
  /** @type {Array<{ session: string, taskDir: string }>} */
  const out = [];
  for (let i = 0; i < n; i++) {
    const spec = core.validateSpec({ agent: "demo", name: `t${i}`, projectDir, model: null, autonomy: null });
    const session = core.sessionName(spec);
    const taskDir = await store.createTaskDir(session);
    await store.writeRecord(taskDir, core.markStopped(core.newRecord(spec, taskDir, null, now), now));
    await store.claimSession(session, taskDir);
    out.push({ session, taskDir });
  }
  return out;
}

/** @param {string} code */
const errno = (code) => Object.assign(new Error(`${code}: injected`), { code });

/**
 * Effects whose `open` fails with `code` for paths that `when` picks, while `failing.on`.
 * @param {(path: string) => boolean} when
 * @param {string} code
 */
function faultyOpen(when, code) {
  const real = makeEffects();
  const failing = { on: true, count: 0 };
  const fs = {
    ...real.fs,
    /** @type {typeof real.fs.open} */
    open: async (path, ...rest) => {
      if (failing.on && when(String(path))) {
        failing.count++;
        throw errno(code);
      }
      return real.fs.open(path, ...rest);
    },
  };
  return { fx: makeEffects({ fs }), failing };
}

for (const code of ["EIO", "EACCES", "EMFILE"]) {
  test(`a record that cannot be opened (${code}) is kept, reported as record_unreadable, and read once the error passes`, async () => {
    await withTmp(async (tmp) => {
      const [t] = await seedTasks(join(tmp, "s"), tmp, 1);
      const { fx, failing } = faultyOpen((p) => p.endsWith("/record.json"), code);
      const store = new Store(join(tmp, "s"), fx);
      await assert.rejects(store.readRecord(t.taskDir, parse), (/** @type {any} */ e) => {
        assert.equal(e.code, "record_unreadable");
        assert.match(e.message, new RegExp(code));
        return true;
      });
      assert.ok(failing.count >= 1);
      assert.ok((await readdir(t.taskDir)).includes("record.json"), "the record is where it was");
      assert.deepEqual((await readdir(t.taskDir)).filter((n) => n.includes("corrupt")), [], "nothing set aside");
      failing.on = false;
      assert.equal((await store.readRecord(t.taskDir, parse)).record.session, t.session);
    });
  });
}

test("list and the monitor keep tasks whose records cannot be read now: a problem is reported, nothing is set aside", async () => {
  await withTmp(async (tmp) => {
    const stateDir = join(tmp, "s");
    const tasks = await seedTasks(stateDir, tmp, 20);
    const { fx, failing } = faultyOpen((p) => p.endsWith("/record.json"), "EMFILE");
    const tm = new TaskManager({ stateDir, tmuxSocket: `rca-test-${randomBytes(5).toString("hex")}`, effects: fx, env: {} });
    /** @type {any[]} */
    const problems = [];
    tm.on("problem", (p) => problems.push(p));
    assert.equal((await tm.list()).length, 0, "none readable during the spell");
    await tm.check();
    assert.ok(problems.length >= 20, JSON.stringify(problems.slice(0, 2)));
    assert.deepEqual([...new Set(problems.map((p) => p.code))], ["record_unreadable"]);
    for (const t of tasks) assert.deepEqual((await readdir(t.taskDir)).filter((n) => n.includes("corrupt")), [], t.taskDir);
    failing.on = false;
    assert.equal((await tm.list()).length, 20, "all back once the error passes");
    await tm.check();
  });
});

test("an index entry that cannot be read is not remembered as 'no task': it is reported and read again", async () => {
  await withTmp(async (tmp) => {
    const stateDir = join(tmp, "s");
    const [t] = await seedTasks(stateDir, tmp, 1);
    const { fx, failing } = faultyOpen((p) => p.includes("/sessions/"), "EMFILE");
    const store = new Store(stateDir, fx);
    /** @type {any[]} */
    const problems = [];
    assert.deepEqual(await store.sessions({ onProblem: (p) => problems.push(p) }), []);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, "state_unreadable");
    await assert.rejects(store.lookup(t.session), { code: "state_unreadable" });
    failing.on = false;
    assert.deepEqual(await store.sessions(), [t], "the same Store sees it as soon as the error passes");
    assert.equal(await store.lookup(t.session), t.taskDir);
  });
});

test("a write that fails half-way (ENOSPC) leaves no file behind", async () => {
  await withTmp(async (tmp) => {
    const real = makeEffects();
    const fs = {
      ...real.fs,
      /** @type {typeof real.fs.open} */
      open: async (path, ...rest) => {
        const fh = await real.fs.open(path, ...rest);
        if (String(path).endsWith("/pane.1.log")) fh.writeFile = async () => Promise.reject(errno("ENOSPC"));
        return fh;
      },
    };
    const store = new Store(join(tmp, "s"), makeEffects({ fs }));
    await store.init();
    const dir = await store.createTaskDir("demo-x");
    await assert.rejects(store.writeNew(dir, "pane.1.log", "the screen"), { code: "ENOSPC" });
    assert.deepEqual(await readdir(dir), [], "no empty pane.1.log that a later write would refuse to replace");
  });
});

test("a start on a full disk fails with state_write_failed (errno in the message) and leaves no task behind", async () => {
  await withTmp(async (tmp) => {
    const stateDir = join(tmp, "s");
    const projectDir = join(tmp, "p");
    await mkdir(projectDir);
    const socket = `rca-test-${randomBytes(5).toString("hex")}`;
    const real = makeEffects();
    for (const victim of ["record.json", "prompt.1", "agent.env", "host.json", "sessions/"]) {
      const fs = {
        ...real.fs,
        /** @type {typeof real.fs.open} */
        open: async (path, ...rest) => {
          const fh = await real.fs.open(path, ...rest);
          const p = String(path);
          const hit = victim.endsWith("/") ? p.includes(`/${victim}`) : p.endsWith(`/${victim}`) || p.includes(`/.${victim}.tmp-`);
          if (hit && typeof rest[0] === "number" && rest[0] & real.fs.constants.O_CREAT) {
            fh.writeFile = async () => Promise.reject(errno("ENOSPC"));
          }
          return fh;
        },
      };
      const tm = new TaskManager({ stateDir, tmuxSocket: socket, effects: makeEffects({ fs }), env: {} });
      await assert.rejects(tm.start({ agent: "demo", name: "full-disk", projectDir, prompt: "p" }), (/** @type {any} */ e) => {
        assert.equal(e.code, "state_write_failed", `${victim}: ${e.code} ${e.message}`);
        assert.match(e.message, /ENOSPC/);
        return true;
      });
      assert.deepEqual(await readdir(join(stateDir, "tasks")), [], `${victim}: no task directory left`);
      assert.deepEqual(await readdir(join(stateDir, "sessions")), [], `${victim}: no index entry left`);
      let sessions = "";
      try {
        sessions = execFileSync("tmux", ["-L", socket, "list-sessions", "-F", "#{session_name}"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      } catch {
        sessions = "";
      }
      assert.equal(sessions, "", `${victim}: no tmux session`);
    }
  });
});

test("under a real file-descriptor limit (ulimit -n) no task is set aside, a problem is reported, and all are there afterwards", { timeout: 120_000 }, async () => {
  await withTmp(async (tmp) => {
    const stateDir = join(tmp, "s");
    const n = 400;
    const tasks = await seedTasks(stateDir, tmp, n);
    const socket = `rca-test-${randomBytes(5).toString("hex")}`;
    const script = `
      const { TaskManager } = await import(${JSON.stringify(INDEX_URL)});
      const tm = new TaskManager({ stateDir: ${JSON.stringify(stateDir)}, tmuxSocket: ${JSON.stringify(socket)}, env: {} });
      const problems = [];
      tm.on("problem", (p) => problems.push(p.code));
      const seen = [];
      for (let i = 0; i < 3; i++) seen.push((await tm.list()).length);
      let check = "ok";
      try { await tm.check(); } catch (e) { check = e.code; }
      process.stdout.write(JSON.stringify({ seen, check, problems: problems.length, codes: [...new Set(problems)] }));`;
    const out = await new Promise((resolve, reject) => {
      const c = spawn("bash", ["-c", 'ulimit -n 48 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      c.stdout.on("data", (b) => (stdout += b));
      c.stderr.on("data", (b) => (stderr += b));
      c.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exit ${code}: ${stderr.slice(-2000)}`))));
    });
    const res = JSON.parse(/** @type {string} */ (out));
    let aside = 0;
    for (const t of tasks) aside += (await readdir(t.taskDir)).filter((x) => x.includes("corrupt")).length;
    assert.equal(aside, 0, `records set aside under EMFILE: ${aside} of ${n} (child saw ${JSON.stringify(res)})`);
    assert.ok(res.seen.every((/** @type {number} */ k) => k === n) || res.problems > 0, `a task missing from a list is reported: ${JSON.stringify(res)}`);
    // The pressure is gone (this process has the normal limit): every task is there.
    const tm = new TaskManager({ stateDir, tmuxSocket: socket, env: {} });
    assert.equal((await tm.list()).length, n);
    process.stderr.write(`# under ulimit -n 48: ${JSON.stringify(res)}\n`);
    await mkdir(join(tmp, "done"));
  });
});

test("a monitor tick and a list over many tasks keep at most 64 files open at once", async () => {
  await withTmp(async (tmp) => {
    const stateDir = join(tmp, "s");
    const n = 300;
    await seedTasks(stateDir, tmp, n);
    const real = makeEffects();
    let open = 0;
    let most = 0;
    const fs = {
      ...real.fs,
      /** @type {typeof real.fs.open} */
      open: async (path, ...rest) => {
        const fh = await real.fs.open(path, ...rest);
        most = Math.max(most, ++open);
        const close = fh.close.bind(fh);
        fh.close = async () => {
          open--;
          return close();
        };
        return fh;
      },
    };
    const tm = new TaskManager({ stateDir, tmuxSocket: `rca-test-${randomBytes(5).toString("hex")}`, effects: makeEffects({ fs }), env: {} });
    await tm.check();
    process.stderr.write(`# files open at once over ${n} tasks: ${most}\n`);
    assert.ok(most <= 64, `the first tick had ${most} files open at once`);
    assert.equal((await tm.list()).length, n);
  });
});
