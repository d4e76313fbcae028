// @ts-check
// A monitor killed in the middle of a recovery (the new attempt recorded, the tmux command not
// done) must not cost the agent anything: the next monitor issues the recovery again at once
// after the start grace, with no failure counted and no backoff step. Real processes: the first
// monitor is a `resilient-agent watch` child whose `tmux respawn-pane` never returns (a tmux
// shim first on its PATH blocks there); it is SIGKILLed mid-recovery.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, writeFile, rm } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { makeTestDir } from "../support/dirs.js";
import { world, waitFor, collect, agentPid, FAST, watching } from "./helpers.js";

const w = await world();

test("a recovery its monitor did not finish is issued again, uncharged", async (t) => {
  // A tmux that blocks forever on respawn-pane (recording its pid) and is the real one otherwise.
  const shimDir = makeTestDir("rca-tmux-shim-");
  t.after(() => rm(shimDir, { recursive: true, force: true }));
  const realTmux = execFileSync("sh", ["-c", "command -v tmux"], { encoding: "utf8" }).trim();
  const mark = join(shimDir, "blocked.pid");
  await writeFile(
    join(shimDir, "tmux"),
    // (tmux clients get an allow-listed environment, so the mark's path is part of the test's
    // own script rather than a variable.)
    `#!/bin/sh\nfor a in "$@"; do\n  if [ "$a" = respawn-pane ]; then echo $$ > '${mark}'; exec sleep 3600; fi\ndone\nexec '${realTmux}' "$@"\n`,
  );
  await chmod(join(shimDir, "tmux"), 0o700);
  const configFile = join(w.root, "config.json");
  await writeFile(configFile, JSON.stringify(FAST));

  // tmux is found on the monitor's own PATH: the shim is first on the first monitor's PATH only,
  // so only that monitor blocks.
  const agentEnv = w.agentEnv({ RCA_FAKE_WORK_MS: "600000" });
  const tm = w.manager({ env: agentEnv, config: { startGraceMs: 3_000, recoveryBaseDelayMs: 600_000 } });
  const v = await tm.start({ agent: "codex", name: "orphaned", projectDir: w.projectDir, prompt: "long job" });
  const first = w.spawnCli(["watch", "--json", "--config", configFile], {
    env: { PATH: `${shimDir}:${process.env.PATH}` },
  });
  let blocked = 0;
  try {
    await waitFor(async () => (await tm.status(v.session)).state === "running" && (await w.calls()).some((c) => c.taskDir === v.taskDir), { what: "running" });
    process.kill(await agentPid(v.taskDir, 1), "SIGKILL");
    // The first monitor recorded attempt 2 and is stuck in `tmux respawn-pane`: kill it there.
    blocked = await waitFor(async () => Number.parseInt(await readFile(mark, "utf8").catch(() => ""), 10), { what: "respawn-pane issued" });
    const rec = JSON.parse(await readFile(join(v.taskDir, "record.json"), "utf8"));
    assert.equal(rec.state, "recovering");
    assert.equal(rec.attempts, 2);
    assert.equal(rec.consecutiveFailures, 1);
    first.child.kill("SIGKILL");
    await first.exited;
  } finally {
    if (blocked) process.kill(blocked, "SIGKILL");
  }

  // The next monitor: after the start grace (3 s) it issues the recovery again, at once.
  const events = collect(tm);
  const stopWatching = watching(tm);
  try {
    const run = await waitFor(async () => (await w.calls()).find((c) => c.taskDir === v.taskDir && c.attempt === 3), { what: "attempt 3 ran", timeoutMs: 60_000 });
    assert.ok(run.resumeId, "resumed by id");
    const s = await waitFor(async () => {
      const st = await tm.status(v.session);
      return st.state === "running" && st.attempts === 3 ? st : null;
    }, { what: "attempt 3 running" });
    assert.equal(s.failure?.class, "signal", "the failure on record is still the agent's own");
    const rec = JSON.parse(await readFile(join(v.taskDir, "record.json"), "utf8"));
    assert.equal(rec.consecutiveFailures, 1, "no failure charged for the unfinished recovery");
    const kinds = events.filter((e) => e.session === v.session).map((e) => e.kind);
    assert.deepEqual(kinds, ["resumed"], kinds.join(","));
    await tm.stop(v.session);
  } finally {
    await stopWatching();
  }
});
