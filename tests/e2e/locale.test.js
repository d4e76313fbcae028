// @ts-check
// A monitor started without a UTF-8 locale (a service, cron, a bare ssh session: LANG=C) still
// sees its panes. tmux 3.3a prints every control character of a `-F` format as `_` to a client
// it does not believe to be UTF-8, which turned the tab-separated `list-panes` fields into one
// and made every running task look vanished ("recovering"). The core's tmux argv carries `-u`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, FAST } from "./helpers.js";

const w = await world();
const configFile = join(w.root, "config.json");
await writeFile(configFile, JSON.stringify(FAST));
/** No UTF-8 anywhere in the locale of the CLI, its tmux client and the tmux server it starts. */
const C_LOCALE = { LANG: "C", LC_ALL: "C", LC_CTYPE: "C" };

test("in the C locale a running task stays running through monitor ticks, and a crash is resumed", async () => {
  const env = { ...C_LOCALE, PATH: w.agentEnv().PATH, RCA_DEMO_MODE: "crash-once", RCA_DEMO_WORK_MS: "4000" };
  const started = await w.cli(["start", "--agent", "demo", "--name", "c-locale", "--dir", w.projectDir, "--prompt", "p"], { env });
  assert.equal(started.code, 0, started.stderr);
  /** @returns {Promise<any>} */
  const status = async () => JSON.parse((await w.cli(["status", "demo-c-locale", "--json"], { env: C_LOCALE })).stdout);
  // Several ticks while attempt 1 runs: the pane must be seen, the task not sent to recovery.
  for (let i = 0; i < 3; i++) {
    const tick = await w.cli(["watch", "--once", "--json", "--config", configFile], { env: C_LOCALE });
    assert.equal(tick.code, 0, tick.stderr);
    const s = await status();
    if (s.attempts > 1 || s.state === "completed") break; // the crash came already
    assert.equal(s.state, "running", JSON.stringify(s));
  }
  // The demo agent crashes once: resumed by the monitor, then completed.
  await waitFor(async () => {
    await w.cli(["watch", "--once", "--json", "--config", configFile], { env: C_LOCALE });
    return (await status()).state === "completed";
  }, { what: "completed after one crash", timeoutMs: 90_000, intervalMs: 300 });
  const done = await status();
  assert.equal(done.attempts, 2, JSON.stringify(done));
});
