// @ts-check
// The locks with real processes and real SIGKILLs: a holder killed at any instant of taking or
// releasing a lock never wedges it, and two processes that find the same dead holder never
// both get in. (Record locks through Store.withRecordLock, the monitor lock through
// MonitorLock: one mechanism, lock.js.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Store } from "../../host-shim/store.js";
import { MonitorLock } from "../../host-shim/lock.js";
import { makeEffects } from "../../host-shim/effects.js";
import { makeTestDir, withTestDir } from "../support/dirs.js";

const STORE = new URL("../../host-shim/store.js", import.meta.url).href;
const LOCK = new URL("../../host-shim/lock.js", import.meta.url).href;
const EFFECTS = new URL("../../host-shim/effects.js", import.meta.url).href;
const PRELUDE = `
  const { Store } = await import(${JSON.stringify(STORE)});
  const { MonitorLock } = await import(${JSON.stringify(LOCK)});
  const { makeEffects } = await import(${JSON.stringify(EFFECTS)});
  const { appendFileSync } = await import("node:fs");
  const args = process.argv.slice(1);
  const fx = makeEffects();
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;

/**
 * Runs a node child on a script (PRELUDE + body); resolves its handle once it printed `ready`.
 * @param {string} body
 * @param {string[]} args
 */
function child(body, args) {
  const c = spawn(process.execPath, ["--input-type=module", "-e", PRELUDE + body, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  c.stderr.on("data", (b) => (err += b));
  const exited = new Promise((resolve) => c.on("close", (code, signal) => resolve({ code, signal, out, err })));
  const ready = new Promise((resolve, reject) => {
    c.stdout.on("data", (b) => {
      out += b;
      if (out.includes("ready")) resolve(undefined);
    });
    c.on("close", () => reject(new Error(`child exited before it was ready: ${err}`)));
  });
  ready.catch(() => {});
  return { c, ready, exited };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether `fn` resolves within `ms` (a wedged lock never lets it).
 * @param {() => Promise<unknown>} fn
 * @param {number} ms
 */
async function within(fn, ms) {
  /** @type {any} */ let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = fn().then(
    () => true,
    () => false,
  );
  const ok = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return ok;
}

/**
 * Makes `<root>/<name>`, starts a child that takes and releases the lock there in a loop
 * (`body`, after it printed `ready`), and SIGKILLs it at a random instant; resolves the
 * directory once the child is gone.
 * @param {string} root @param {string} name @param {string} body
 */
async function killedAtRandomInstant(root, name, body) {
  const dir = join(root, name);
  await mkdir(dir, { mode: 0o700 });
  const h = child(`process.stdout.write("ready");\n${body}`, [dir]);
  await h.ready;
  await sleep(Math.random() * 25);
  h.c.kill("SIGKILL");
  await h.exited;
  return dir;
}

test("a record-lock holder SIGKILLed at a random instant of taking or releasing the lock never wedges it", { timeout: 300_000 }, () =>
  withTestDir("rca-lockkill-", async (root) => {
    const store = new Store(root, makeEffects());
    const rounds = 60;
    let wedged = 0;
    for (let i = 0; i < rounds; i++) {
      // The child takes and releases the lock as fast as it can; it dies at a random instant.
      const dir = await killedAtRandomInstant(root, `t${i}`,
        `const store = new Store(args[0], fx);
         for (;;) await store.withRecordLock(args[0], async () => {});`);
      if (!(await within(() => store.withRecordLock(dir, async () => {}), 3000))) wedged++;
    }
    assert.equal(wedged, 0, `${wedged} of ${rounds} rounds left a lock nobody could take`);
  }));

test("a monitor-lock holder SIGKILLed at a random instant never wedges it: the next monitor takes it at once", { timeout: 300_000 }, () =>
  withTestDir("rca-lockkill-", async (root) => {
    const rounds = 40;
    let refused = 0;
    for (let i = 0; i < rounds; i++) {
      const dir = await killedAtRandomInstant(root, `s${i}`,
        `const l = new MonitorLock(args[0], fx);
         for (;;) if (await l.tryAcquire()) await l.release();`);
      if (!(await new MonitorLock(dir, makeEffects()).tryAcquire())) refused++;
    }
    assert.equal(refused, 0, `${refused} of ${rounds} rounds: the dead holder's lock was not free`);
  }));

test("two processes that find the same dead holder never both enter (many rounds)", { timeout: 300_000 }, async () => {
  const root = makeTestDir("rca-lockrace-");
  try {
    const rounds = 40;
    /** @type {string[]} */ const dirs = [];
    for (let i = 0; i < rounds; i++) {
      const dir = join(root, `t${i}`);
      await mkdir(dir, { mode: 0o700 });
      dirs.push(dir);
    }
    // One holder takes every round's lock and is killed holding them all: 40 dead holders.
    const holder = child(
      `const store = new Store(args[0], fx);
       let n = 0;
       for (const dir of args) store.withRecordLock(dir, () => { if (++n === args.length) process.stdout.write("ready"); return new Promise(() => {}); });
       setInterval(() => {}, 1000);`,
      dirs,
    );
    await holder.ready;
    holder.c.kill("SIGKILL");
    await holder.exited;
    // Two racers; round i starts for both at the same wall-clock instant (they spin until then).
    const start = Date.now() + 1500;
    const racer = () =>
      child(
        `const start = Number(args.shift());
         const store = new Store(args[0], fx);
         process.stdout.write("ready");
         for (const [i, dir] of args.entries()) {
           while (Date.now() < start + i * 250);
           await store.withRecordLock(dir, async () => {
             appendFileSync(dir + "/log", "in\\n");
             await sleep(60);
             appendFileSync(dir + "/log", "out\\n");
           }).catch((e) => appendFileSync(dir + "/log", "error " + e.code + "\\n"));
         }`,
        [String(start), ...dirs],
      );
    const a = racer();
    const b = racer();
    await Promise.all([a.exited, b.exited]);
    let both = 0;
    let entered = 0;
    for (const dir of dirs) {
      const log = (await readFile(join(dir, "log"), "utf8")).split("\n").filter(Boolean);
      entered += log.filter((l) => l === "in").length;
      let depth = 0;
      let max = 0;
      for (const l of log) {
        if (l === "in") max = Math.max(max, ++depth);
        if (l === "out") depth--;
      }
      if (max > 1) both++;
    }
    assert.equal(entered, 2 * rounds, "every racer got in once, in turn");
    assert.equal(both, 0, `both racers were inside at once in ${both} of ${rounds} rounds`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
