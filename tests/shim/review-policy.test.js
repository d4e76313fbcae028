// @ts-check
// Review of the operator's policy (issue 11): scoping must not treat "no agent" on both sides
// as the same agent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inScope } from "../../host-shim/openclaw/policy.js";
import { normalizePolicy } from "../../host-shim/openclaw/config.js";

test("scope 'agent': callers without an agent identity do not see each other's tasks", () => {
  const agentScope = normalizePolicy({});
  // Started by a tool call whose context named no agent (a session key not of the agent:<id>: form).
  const anon = { origin: { kind: "openclaw", sessionKey: "cron:nightly" } };
  const bare = { origin: { kind: "openclaw" } };
  assert.equal(inScope(anon, { sessionKey: "hook:other" }, agentScope), false, "another anonymous session sees the task");
  assert.equal(inScope(bare, { sessionKey: "hook:other" }, agentScope), false, "a task with no owner at all is everyone's");
  assert.equal(inScope(bare, {}, agentScope), false, "a caller with no identity sees ownerless tasks");
  // Its own session still sees it.
  assert.equal(inScope(anon, { sessionKey: "cron:nightly" }, agentScope), true);
  // Agents are unaffected.
  assert.equal(inScope({ origin: { kind: "openclaw", agentId: "alpha" } }, { agentId: "alpha", sessionKey: "agent:alpha:y" }, agentScope), true);
  assert.equal(inScope({ origin: { kind: "openclaw", agentId: "alpha" } }, { sessionKey: "hook:other" }, agentScope), false);
});
