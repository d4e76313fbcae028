// @ts-check
// The recovery queue on a fake clock: per-login stagger (the first at once), logins
// independent, a late launch moves the slots behind it, the auth circuit breaker and its reset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RecoveryQueue, loginKey, checkRecoveryOptions } from "../../host-shim/recovery-queue.js";

test("one login's recoveries are staggered, the first at once; another login is not held by it", () => {
  const q = new RecoveryQueue({ staggerMs: 1000, concurrency: 8 });
  assert.deepEqual(q.ask("a", "t1", 0, false), { go: true });
  q.launched("a", 5);
  assert.deepEqual(q.ask("a", "t2", 10, false), { go: false, until: 1005, paused: false });
  assert.deepEqual(q.ask("a", "t3", 11, false), { go: false, until: 2005, paused: false });
  assert.deepEqual(q.ask("b", "u1", 12, false), { go: true }, "another login goes at once");
  assert.deepEqual(q.ask("a", "t2", 900, false), { go: false, until: 1005, paused: false }, "not before its slot");
  assert.deepEqual(q.ask("a", "t2", 1005, false), { go: true });
  // Its launch is slow: the next slot waits for it, then moves behind it.
  const held = q.ask("a", "t3", 2005, false);
  assert.equal(held.go, false);
  q.launched("a", 1600);
  const moved = q.ask("a", "t3", 2010, false);
  assert.deepEqual(moved, { go: false, until: 2600, paused: false });
  assert.deepEqual(q.ask("a", "t3", 2600, false), { go: true });
});

test("an auth failure soon after a recovery pauses its login once; a manual resume that runs reopens it", () => {
  const q = new RecoveryQueue({ staggerMs: 100, concurrency: 8 });
  assert.deepEqual(q.ask("a", "t1", 0, false), { go: true });
  q.launched("a", 1);
  assert.equal(q.ask("a", "t2", 10, false).go, false);
  assert.deepEqual(q.observe("t1", { state: "failed", failure: { class: "auth" } }, 500), { paused: "a" });
  assert.equal(q.observe("t1", { state: "failed", failure: { class: "auth" } }, 600), null, "announced once");
  const paused = q.ask("a", "t2", 700, false);
  assert.equal(paused.go, false);
  assert.equal("paused" in paused && paused.paused, true);
  assert.deepEqual(q.ask("b", "u1", 700, false), { go: true }, "other logins go on");
  // The operator resumes t1 by hand: it runs at once, and once it has run a while the queue reopens.
  assert.deepEqual(q.ask("a", "t1", 800, true), { go: true });
  q.launched("a", 801);
  assert.equal(q.observe("t1", { state: "running" }, 900), null, "not yet: it might still fail");
  assert.deepEqual(q.observe("t1", { state: "running" }, 2000), { resumed: "a" });
  assert.equal(q.isPaused("a"), false);
  assert.equal(q.ask("a", "t2", 2001, false).go, true);
});

test("the login key: agent, home, the profile's credential variables and *_CONFIG_DIR/*_HOME; never a secret in it", () => {
  const base = { HOME: "/home/u", PATH: "/bin" };
  assert.equal(loginKey("claude", base), loginKey("claude", { ...base, PATH: "/usr/bin" }), "PATH does not matter");
  assert.notEqual(loginKey("claude", base), loginKey("codex", base));
  assert.notEqual(loginKey("claude", base), loginKey("claude", { ...base, CLAUDE_CONFIG_DIR: "/x" }));
  assert.notEqual(loginKey("codex", base), loginKey("codex", { ...base, CODEX_HOME: "/y" }));
  const k = loginKey("codex", { ...base, OPENAI_API_KEY: "sk-secret-value" });
  assert.notEqual(k, loginKey("codex", base));
  assert.ok(!k.includes("secret"));
  assert.throws(() => checkRecoveryOptions({ staggerMs: -1 }), /recoveryStaggerMs/);
  assert.throws(() => checkRecoveryOptions({ concurrency: 0 }), /recoveryConcurrency/);
});

test("a granted recovery that did not happen gives its slot back", () => {
  const q = new RecoveryQueue({ staggerMs: 1000, concurrency: 8 });
  assert.deepEqual(q.ask("a", "held", 0, false), { go: true });
  // Another process held that task's record: nothing was launched.
  q.cancel("a", "held");
  assert.deepEqual(q.ask("a", "other", 5, false), { go: true }, "the next task of the login is not held by it");
});

test("with no stagger every recovery goes at once; the circuit breaker still applies", () => {
  const q = new RecoveryQueue({ staggerMs: 0, concurrency: 8 });
  for (let i = 0; i < 5; i++) assert.deepEqual(q.ask("a", `t${i}`, 0, false), { go: true });
  assert.deepEqual(q.observe("t0", { state: "failed", failure: { class: "auth" } }, 10), { paused: "a" });
  assert.equal(q.ask("a", "t9", 20, false).go, false);
});
