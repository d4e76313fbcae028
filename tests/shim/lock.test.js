// @ts-check
// One monitor per state directory: the lock, its stale-owner takeover and racing contenders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { MonitorLock } from "../../host-shim/lock.js";
import { makeEffects } from "../../host-shim/effects.js";
import { makeTestDir } from "../support/dirs.js";

/** @param {(dir: string) => Promise<void>} fn */
async function withTmp(fn) {
  const dir = makeTestDir("rca-lock-");
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A lock for a pretend process `pid` (all of them "alive" unless listed dead). @param {string} dir @param {number} pid @param {Set<number>} dead */
function lockFor(dir, pid, dead = new Set()) {
  const fx = makeEffects({
    pid,
    processStartTime: (p) => (dead.has(p) ? null : 1000 + p),
    kill: (p) => {
      if (dead.has(p)) throw Object.assign(new Error("no such process"), { code: "ESRCH" });
    },
  });
  return new MonitorLock(dir, fx);
}

test("the first monitor gets the lock; a second is refused while the first lives", async () => {
  await withTmp(async (dir) => {
    const a = lockFor(dir, 101);
    const b = lockFor(dir, 102);
    assert.equal(await a.tryAcquire(), true);
    assert.equal(await b.tryAcquire(), false);
    assert.equal((await b.owner())?.pid, 101);
    assert.equal(await a.stillHeld(), true);
    await a.release();
    assert.equal(await b.tryAcquire(), true);
  });
});

test("a dead owner's lock is taken over", async () => {
  await withTmp(async (dir) => {
    const dead = new Set([201]);
    const a = lockFor(dir, 201);
    assert.equal(await a.tryAcquire(), true);
    const b = lockFor(dir, 202, dead);
    assert.equal(await b.tryAcquire(), true);
    assert.equal((await b.owner())?.pid, 202);
    // The old owner notices it lost the lock before acting.
    assert.equal(await a.stillHeld(), false);
  });
});

test("a reused pid (same pid, other start time) counts as dead", async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, "monitor.lock"), JSON.stringify({ pid: process.pid, startTime: 1, token: "old", since: 0 }));
    const me = new MonitorLock(dir, makeEffects());
    assert.equal(await me.tryAcquire(), true);
  });
});

test("an old junk lock file is taken over; a fresh one is given time", async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, "monitor.lock"), "garbage");
    const fresh = lockFor(dir, 301);
    assert.equal(await fresh.tryAcquire(), false, "a half-written lock may belong to a live contender");
    const later = new MonitorLock(dir, makeEffects({ now: () => Date.now() + 10_000, pid: 302 }));
    assert.equal(await later.tryAcquire(), true);
  });
});

test("many contenders racing for a stale lock: exactly one wins", async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, "monitor.lock"), JSON.stringify({ pid: 999999, startTime: 5, token: "dead", since: 0 }));
    const dead = new Set([999999]);
    const locks = Array.from({ length: 8 }, (_, i) => lockFor(dir, 400 + i, dead));
    const results = await Promise.all(locks.map((l) => l.tryAcquire()));
    assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
    const owner = JSON.parse(await readFile(join(dir, "monitor.lock"), "utf8"));
    assert.equal(owner.pid, 400 + results.indexOf(true));
  });
});

test("separate processes racing for a free lock: exactly one wins", async () => {
  await withTmp(async (dir) => {
    const url = new URL("../../host-shim/lock.js", import.meta.url).href;
    const fxUrl = new URL("../../host-shim/effects.js", import.meta.url).href;
    const script = `
      const { MonitorLock } = await import(${JSON.stringify(url)});
      const { makeEffects } = await import(${JSON.stringify(fxUrl)});
      const l = new MonitorLock(${JSON.stringify(dir)}, makeEffects());
      process.stdout.write(String(await l.tryAcquire()));
      // Stay alive a while: a winner that exited would rightly be taken over as stale.
      if (process.argv[1] === "hold") await new Promise((r) => setTimeout(r, 1500));`;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        import("node:child_process").then(
          ({ execFile }) =>
            new Promise((resolve) => execFile(process.execPath, ["--input-type=module", "-e", script, "hold"], (_e, out) => resolve(out))),
        ),
      ),
    );
    assert.equal(runs.filter((r) => r === "true").length, 1, JSON.stringify(runs));
    // The winner has exited: its lock is stale now and a newcomer takes it over.
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(r.stdout, "true");
  });
});
