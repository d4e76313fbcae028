// @ts-check
// Usage and rate limits waited out (DESIGN §3.8), end to end on real tmux: fake agents end
// their first run with the real limit texts — Codex "You’ve hit your usage limit … try again at
// <h:mm AM>" (the machine's zone), Claude "You've hit your session limit · resets <h:mmpm>
// (Asia/Tokyo)", pi's 429 with OpenAI's "Please try again in 20s" — and the monitor schedules
// the recovery for that moment (+ the configured margin), shows `recovering` with
// `nextRecoveryAt` and the reason, and resumes the same conversation then. A usage limit that
// names no time is `failed` (usage_limit); a reset beyond the longest wait is capped.
// The clock times are the next whole minute at least 8 s away, so the test waits ≤ ~70 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { world, waitFor, collect, watching } from "./helpers.js";

const w = await world();
const MARGIN = 1000;

/** "3:07 PM" in the machine's zone (Codex's format). @param {number} at */
function codexClock(at) {
  const d = new Date(at);
  const h = d.getHours() % 12 || 12;
  return `${h}:${String(d.getMinutes()).padStart(2, "0")} ${d.getHours() < 12 ? "AM" : "PM"}`;
}

/** "3:07pm" in a zone (Claude's format). @param {number} at @param {string} zone */
function claudeClock(at, zone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", minute: "2-digit", hour12: true }).formatToParts(new Date(at));
  /** @param {string} t */
  const get = (t) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("hour")}:${get("minute")}${get("dayPeriod").toLowerCase()}`;
}

test("limits that name a time are waited out, then the same conversation resumes; no time = failed", async () => {
  const tm = w.manager({ config: { resetMarginMs: MARGIN } });
  const events = collect(tm);
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const stopWatching = watching(tm);
  try {
    const target = Math.ceil((Date.now() + 8_000) / 60_000) * 60_000;
    const projectDir = w.projectDir;
    const limit = (/** @type {string} */ reset) => ({ RCA_FAKE_MODE: "limit-once", RCA_FAKE_RESET: reset, RCA_FAKE_WORK_MS: "300" });
    const codex = await tm.start({ agent: "codex", name: "usage-at", projectDir, prompt: "p", env: limit(`at ${codexClock(target)}`) });
    const claude = await tm.start({ agent: "claude", name: "session-limit", projectDir, prompt: "p", env: limit(`${claudeClock(target, "Asia/Tokyo")} (Asia/Tokyo)`) });
    const piStarted = Date.now();
    const pi = await tm.start({ agent: "pi", name: "try-in", projectDir, prompt: "p", env: limit("20s") });
    const none = await tm.start({ agent: "codex", name: "usage-no-time", projectDir, prompt: "p", env: limit("later") });

    // A usage limit with no time: failed at once, never retried.
    const failed = await waitFor(async () => {
      const s = await tm.status(none.session);
      return s.state === "failed" ? s : null;
    }, { what: "usage limit without a time → failed" });
    assert.equal(failed.failure?.class, "usage_limit");
    assert.match(failed.failure?.evidence ?? "", /hit your usage limit/);
    assert.equal(failed.nextRecoveryAt, null);

    /** @param {string} session */
    const recovering = (session) =>
      waitFor(async () => {
        const s = await tm.status(session);
        return s.state === "recovering" && s.nextRecoveryAt ? s : null;
      }, { what: `${session} recovering with nextRecoveryAt` });
    const [c, k, p] = [await recovering(codex.session), await recovering(claude.session), await recovering(pi.session)];
    const piSeen = Date.now();

    assert.equal(c.failure?.class, "usage_limit");
    assert.equal(Date.parse(c.nextRecoveryAt ?? ""), target + MARGIN, `codex: next recovery at the named local time + margin (${c.nextRecoveryAt})`);
    assert.match(c.recoveryReason ?? "", /^usage_limit: You’ve hit your usage limit.*try again at/);
    assert.equal(k.failure?.class, "usage_limit");
    assert.equal(Date.parse(k.nextRecoveryAt ?? ""), target + MARGIN, `claude: the Tokyo time resolved + margin (${k.nextRecoveryAt})`);
    assert.match(k.recoveryReason ?? "", /^usage_limit: You've hit your session limit · resets .*\(Asia\/Tokyo\)/);
    assert.equal(p.failure?.class, "rate_limit");
    const piAt = Date.parse(p.nextRecoveryAt ?? "");
    assert.ok(piAt >= piStarted + 20_000 + MARGIN && piAt <= piSeen + 20_000 + MARGIN, `pi: in 20 s + margin (${p.nextRecoveryAt})`);
    assert.match(p.recoveryReason ?? "", /try again in 20s/);
    for (const s of [c, k, p]) {
      const ev = events.find((e) => e.session === s.session && e.kind === "recovering");
      assert.ok(ev, `a recovering event for ${s.session}`);
      assert.equal(ev.nextRecoveryAt, Date.parse(s.nextRecoveryAt ?? ""));
      assert.match(ev.message, /resuming in /);
    }

    // Nothing is resumed early; each is resumed at its moment, by its own session id.
    for (const s of [c, k, p]) {
      const due = Date.parse(s.nextRecoveryAt ?? "");
      const done = await waitFor(async () => {
        const v = await tm.status(s.session);
        return v.state === "completed" ? v : null;
      }, { timeoutMs: Math.max(30_000, due - Date.now() + 30_000), intervalMs: 250, what: `${s.session} completed after the wait` }).catch(async (e) => {
        // Everything known about it, to tell a slow machine from a wrong schedule.
        const v = await tm.status(s.session, { lines: 10 }).catch(() => null);
        const mine = events.filter((x) => x.session === s.session).map((x) => `${new Date(x.at).toISOString()} ${x.kind}`);
        const calls = (await w.calls()).filter((x) => x.taskDir === s.taskDir).map((x) => `${new Date(x.at).toISOString()} attempt ${x.attempt}`);
        throw new Error(`${e.message}\nevents: ${mine.join(", ")}\nruns: ${calls.join(", ")}\nproblems: ${JSON.stringify(problems)}\nstatus: ${JSON.stringify(v)}`);
      });
      assert.equal(done.attempts, 2);
      assert.equal(done.agentSessionId, s.agentSessionId);
      const resume = (await w.calls()).find((x) => x.taskDir === s.taskDir && x.attempt === 2);
      assert.ok(resume, `attempt 2 of ${s.session} ran`);
      assert.ok(resume.at >= due, `${s.session} resumed at ${new Date(resume.at).toISOString()}, not before ${s.nextRecoveryAt}`);
      assert.ok(resume.at < due + 5_000, `${s.session} resumed promptly after ${s.nextRecoveryAt} (at ${new Date(resume.at).toISOString()})`);
      if (s.agent !== "pi") assert.equal(resume.resumeId, s.agentSessionId);
      else assert.ok(resume.resumeId, "pi resumed its session file");
    }
    const noneCalls = (await w.calls()).filter((x) => x.taskDir === failed.taskDir);
    assert.equal(noneCalls.length, 1, "the usage limit without a time was never retried");
  } finally {
    await stopWatching();
  }
});

test("a reset time beyond the longest wait is capped (maxResetWaitMs)", async () => {
  const tm = w.manager({ config: { resetMarginMs: MARGIN, maxResetWaitMs: 3_000 } });
  const stopWatching = watching(tm);
  try {
    // An hour ago, so its next occurrence is ~23 h away: waited 3 s (+ margin) instead.
    const v = await tm.start({
      agent: "codex", name: "far-reset", projectDir: w.projectDir, prompt: "p",
      env: { RCA_FAKE_MODE: "limit-once", RCA_FAKE_RESET: `at ${codexClock(Date.now() - 3_600_000)}`, RCA_FAKE_WORK_MS: "300" },
    });
    const r = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "recovering" && s.nextRecoveryAt ? s : null;
    }, { what: "recovering" });
    const seen = Date.now();
    const run = (await w.calls()).find((x) => x.taskDir === v.taskDir && x.attempt === 1);
    const next = Date.parse(r.nextRecoveryAt ?? "");
    assert.ok(next >= run.at + 3_000 + MARGIN && next <= seen + 3_000 + MARGIN, `capped: next recovery ${r.nextRecoveryAt}`);
    const done = await waitFor(async () => {
      const s = await tm.status(v.session);
      return s.state === "completed" ? s : null;
    }, { what: "completed after the capped wait" });
    assert.equal(done.attempts, 2);
  } finally {
    await stopWatching();
  }
});
