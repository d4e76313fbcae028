// @ts-check
// The simulated agent speaks the Codex CLI contract the core's Codex profile drives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { DEMO_AGENT_PATH } from "../../host-shim/context.js";

/** @param {string[]} args @param {Record<string, string>} env */
function run(args, env = {}) {
  const r = spawnSync(process.execPath, [DEMO_AGENT_PATH, ...args], {
    input: "fix the login bug\nsecond line",
    encoding: "utf8",
    env: { ...process.env, RCA_DEMO_WORK_MS: "60", ...env },
  });
  const events = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  return { ...r, events };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test("succeed: thread.started with a fresh uuid first, turn.completed last, exit 0", () => {
  const r = run(["exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write", "-m", "demo-model", "-"], { RCA_DEMO_MODE: "succeed" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.events[0].type, "thread.started");
  assert.match(r.events[0].thread_id, UUID);
  assert.equal(r.events[1].type, "turn.started");
  assert.equal(r.events.at(-1).type, "turn.completed");
  assert.match(r.events[2].item.text, /fix the login bug/);
});

test("crash-once: the first run is killed by SIGKILL; a resume keeps the id and completes", () => {
  const first = run(["exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "-"]);
  assert.equal(first.signal, "SIGKILL");
  const id = first.events[0].thread_id;
  const again = run(["exec", "--json", "resume", id, "-"]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.events[0].thread_id, id);
  assert.equal(again.events.at(-1).type, "turn.completed");
});

test("auth-fail prints Codex's 401 text and exits 1; bad flags exit 2; a non-uuid resume fails", () => {
  const auth = run(["exec", "--json", "-"], { RCA_DEMO_MODE: "auth-fail" });
  assert.equal(auth.status, 1);
  assert.equal(auth.events.at(-1).type, "turn.failed");
  assert.match(auth.events.at(-1).error.message, /unexpected status 401 Unauthorized/);
  assert.equal(run(["exec", "--json", "--full-auto", "-"]).status, 2);
  const bad = spawnSync(process.execPath, [DEMO_AGENT_PATH, "exec", "--json", "resume", "last", "-"], { input: "", encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no rollout found/);
});
