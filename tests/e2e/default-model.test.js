// @ts-check
// A task that names no model runs on the CLI's own configured default (OpenCode), and when the
// CLI's configuration names none either, the start and the task's `started` event say so once:
// a warning, not a refusal. The question is asked of the (fake) CLI itself, in the project, with
// the task's sandbox settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor, collect, watching } from "./helpers.js";

const w = await world();

test("opencode without a model: started, with a warning only when its configuration names none", async () => {
  const seen = join(w.root, "oc-config-seen.jsonl");
  for (const configured of [false, true]) {
    const env = w.agentEnv({ RCA_FAKE_OC_CONFIG_SEEN: seen, ...(configured ? { RCA_FAKE_OC_MODEL: "anthropic/claude-sonnet-4-5" } : {}) });
    const tm = w.manager({ env });
    const events = collect(tm);
    const stopWatching = watching(tm);
    try {
      const name = configured ? "configured" : "unconfigured";
      const v = await tm.start({ agent: "opencode", name, projectDir: w.projectDir, prompt: "p" });
      assert.equal(v.model, null);
      await waitFor(() => events.some((e) => e.session === v.session && e.kind === "started"), { what: `${name} started` });
      const started = events.filter((e) => e.session === v.session && e.kind === "started");
      assert.equal(started.length, 1);
      if (configured) {
        assert.deepEqual(v.warnings, []);
        assert.doesNotMatch(started[0].message, /warning/);
      } else {
        assert.equal(v.warnings?.length, 1);
        assert.match(v.warnings?.[0] ?? "", /no model was given and opencode's configuration names no model/);
        assert.match(started[0].message, /warning: no model was given/);
      }
      await waitFor(async () => (await tm.status(v.session)).state === "completed", { what: `${name} completed` });
      // Never passed -m: the CLI's own default is what runs.
      const calls = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
      assert.ok(calls.length > 0 && calls.every((c) => !c.argv.includes("-m")), JSON.stringify(calls.map((c) => c.argv)));
    } finally {
      await stopWatching();
    }
  }
  // Asked in the project, under the sandbox settings a sandboxed task runs with.
  const asked = (await readFile(seen, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(asked.length, 2);
  for (const a of asked) assert.deepEqual(a, { cwd: w.projectDir, disableProjectConfig: "1" });
});
