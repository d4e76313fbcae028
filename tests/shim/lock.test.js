// @ts-check
// One monitor per state directory: the lock, its stale-owner takeover and racing contenders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile, readFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { MonitorLock, MONITOR_LOCK } from "../../host-shim/lock.js";
import { makeEffects } from "../../host-shim/effects.js";
import { withTestDir } from "../support/dirs.js";

/** @param {(dir: string) => Promise<void>} fn */
const withTmp = (fn) => withTestDir("rca-lock-", fn);

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

/** Writes lock entry `n` of the monitor lock in `dir` by hand. @param {string} dir @param {number} n @param {string} text */
async function plantEntry(dir, n, text) {
  await mkdir(join(dir, MONITOR_LOCK), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, MONITOR_LOCK, String(n)), text);
}

test("a reused pid (same pid, other start time) counts as dead", async () => {
  await withTmp(async (dir) => {
    await plantEntry(dir, 1, JSON.stringify({ pid: process.pid, startTime: 1, token: "old", since: 0 }));
    const me = new MonitorLock(dir, makeEffects());
    assert.equal(await me.tryAcquire(), true);
  });
});

test("an owner from another boot counts as dead, whatever its pid and start time", async () => {
  await withTmp(async (dir) => {
    const fx = makeEffects({ bootId: () => "boot-now" });
    const startTime = fx.processStartTime(process.pid);
    await plantEntry(dir, 1, JSON.stringify({ pid: process.pid, startTime, bootId: "boot-before", token: "old", since: 0 }));
    assert.equal(await new MonitorLock(dir, fx).tryAcquire(), true);
    await plantEntry(dir, 5, JSON.stringify({ pid: process.pid, startTime, bootId: "boot-now", token: "live", since: 0 }));
    assert.equal(await new MonitorLock(dir, fx).tryAcquire(), false, "same boot, same start time: alive");
  });
});

test("an entry that names nobody (junk, or an empty free marker) is free at once: no grace period to wait out", async () => {
  await withTmp(async (dir) => {
    await plantEntry(dir, 3, "garbage");
    assert.equal(await lockFor(dir, 301).tryAcquire(), true);
    await withTmp(async (dir2) => {
      await plantEntry(dir2, 7, "");
      assert.equal(await lockFor(dir2, 302).tryAcquire(), true);
    });
  });
});

test("release leaves one empty entry above the holder's; the directory stays small", async () => {
  await withTmp(async (dir) => {
    for (let i = 0; i < 20; i++) {
      const l = lockFor(dir, 500 + i);
      assert.equal(await l.tryAcquire(), true);
      await l.release();
    }
    const names = await readdir(join(dir, MONITOR_LOCK));
    assert.equal(names.length, 1, JSON.stringify(names));
    assert.equal(await readFile(join(dir, MONITOR_LOCK, names[0]), "utf8"), "");
    assert.equal(await lockFor(dir, 600).owner(), null);
  });
});

test("many contenders racing for a stale lock: exactly one wins", async () => {
  await withTmp(async (dir) => {
    await plantEntry(dir, 1, JSON.stringify({ pid: 999999, startTime: 5, token: "dead", since: 0 }));
    const dead = new Set([999999]);
    const locks = Array.from({ length: 8 }, (_, i) => lockFor(dir, 400 + i, dead));
    const results = await Promise.all(locks.map((l) => l.tryAcquire()));
    assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
    assert.equal((await locks[0].owner())?.pid, 400 + results.indexOf(true));
  });
});

test("a contender that listed long ago and creates an old number backs off", async () => {
  await withTmp(async (dir) => {
    const holder = lockFor(dir, 700);
    assert.equal(await holder.tryAcquire(), true); // entry 1
    await holder.release(); // free marker 2
    const again = lockFor(dir, 701);
    assert.equal(await again.tryAcquire(), true); // entry 3; 1 and 2 cleaned
    // A stale contender that saw "1 dead" long ago now publishes entry 2 (cleaned, so free).
    await writeFile(join(dir, MONITOR_LOCK, "2"), JSON.stringify({ pid: process.pid, startTime: null, token: "stale", since: 0 }));
    assert.equal((await again.owner())?.pid, 701, "the highest entry decides");
    assert.equal(await again.stillHeld(), true);
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
