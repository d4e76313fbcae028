// @ts-check
// Review of the lock (issue 11): a release whose "free" marker cannot be created (a full disk)
// must not let the entry numbers drop, or a contender that read an old number as free admits a
// second holder next to a new one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, readdir } from "node:fs/promises";
import * as fsp from "node:fs/promises";
import { join } from "node:path";
import { Lock } from "../../host-shim/lock.js";
import { makeEffects } from "../../host-shim/effects.js";
import { makeTestDir } from "../support/dirs.js";

/**
 * A lock for pretend process `pid` (alive), whose fs may be replaced in part.
 * @param {string} dir @param {number} pid @param {Partial<typeof fsp>} [fs]
 */
function lockFor(dir, pid, fs = {}) {
  return new Lock(dir, makeEffects({
    pid,
    processStartTime: (p) => 1000 + p,
    kill: () => {},
    fs: /** @type {any} */ ({ ...fsp, ...fs }),
  }));
}

test("a release that cannot write its free marker (ENOSPC) never lets a stale contender in beside a new holder", async () => {
  const root = makeTestDir("rca-review-lock-");
  const dir = join(root, "lock.d");
  try {
    // H holds entry 1 and will release it on a full disk (its n+1 marker cannot be created).
    let full = false;
    const h = lockFor(dir, 101, {
      open: /** @type {any} */ (async (/** @type {string} */ p, /** @type {number} */ flags, /** @type {number} */ mode) => {
        if (full && (flags & fsp.constants.O_CREAT)) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return fsp.open(p, flags, mode);
      }),
    });
    // S is a contender that pauses between reading the top entry as free and linking the next.
    /** @type {() => void} */
    let resume = () => {};
    const paused = new Promise((r) => (resume = /** @type {() => void} */ (r)));
    /** @type {() => void} */
    let atLink = () => {};
    const reachedLink = new Promise((r) => (atLink = /** @type {() => void} */ (r)));
    let first = true;
    const s = lockFor(dir, 102, {
      link: async (a, b) => {
        if (first) {
          first = false;
          atLink();
          await paused;
        }
        return fsp.link(a, b);
      },
    });
    // Entries: H takes 1, releases it (2: free marker), takes 3, releases it (4: free).
    assert.equal(await h.tryAcquire(), true);
    await h.release();
    assert.equal(await h.tryAcquire(), true);
    await h.release();
    assert.deepEqual((await readdir(dir)).filter((n) => /^\d+$/.test(n)), ["4"]);
    const sTry = s.tryAcquire(); // S lists [4], reads it free, pauses before linking 5
    await reachedLink;
    // Meanwhile H takes 5 and releases it on a full disk: its free marker 6 cannot be made.
    assert.equal(await h.tryAcquire(), true);
    full = true;
    await h.release();
    full = false;
    // A newcomer N takes the lock now.
    const n = lockFor(dir, 103);
    const nGot = await n.tryAcquire();
    // S goes on with its link of entry 5.
    resume();
    const sGot = await sTry;
    const holders = [nGot && (await n.stillHeld()), sGot && (await s.stillHeld())].filter(Boolean).length;
    assert.ok(!(nGot && sGot), `both the newcomer and the stale contender were admitted (entries: ${(await readdir(dir)).join(", ")}; still held: ${holders})`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
