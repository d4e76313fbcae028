// @ts-check
// An agent's own login variables reach it from the operator's environment (profile data:
// `credential_env`) through the task's 0600 agent.env — not another agent's keys, and not
// through a tmux server — and Claude never inherits CLAUDE_CODE_RETRY_WATCHDOG (with it,
// `claude -p` sleeps silently through a usage limit), whether the caller's environment, the
// operator's passEnv or the tmux server's global environment holds it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { TaskManager } from "../../host-shim/index.js";
import { world, waitFor, FAKES, FAST } from "./helpers.js";

const w = await world();

test("each agent gets its own login variables from the operator's environment, and claude never the retry watchdog", async () => {
  // A tmux server that already holds the watchdog in its global environment (as a user's own
  // server might): the pane would inherit it unless the wrapper unsets it.
  w.tmux("new-session", "-d", "-s", "keep", "sleep", "600");
  w.tmux("set-environment", "-g", "CLAUDE_CODE_RETRY_WATCHDOG", "1");
  const shown = "ANTHROPIC_API_KEY,OPENAI_API_KEY,CLAUDE_CODE_RETRY_WATCHDOG,MY_SECRET";
  const processEnv = {
    PATH: `${FAKES}:${process.env.PATH}`,
    HOME: process.env.HOME ?? w.root,
    CLAUDE_CONFIG_DIR: join(w.root, "claude-config"),
    ANTHROPIC_API_KEY: "sk-ant-api03-claude-only-key",
    OPENAI_API_KEY: "sk-proj-codex-only-key",
    CLAUDE_CODE_RETRY_WATCHDOG: "1",
    MY_SECRET: "not-for-agents",
    RCA_FAKE_LOG: w.fakeLog,
    RCA_FAKE_SHOW_ENV: shown,
    RCA_FAKE_WORK_MS: "300",
  };
  const tm = new TaskManager({
    stateDir: w.stateDir,
    tmuxSocket: w.socket,
    processEnv,
    // The operator even names the watchdog: Claude's profile still unsets it.
    passEnv: ["RCA_FAKE_LOG", "RCA_FAKE_SHOW_ENV", "RCA_FAKE_WORK_MS", "CLAUDE_CODE_RETRY_WATCHDOG", "CLAUDE_CONFIG_DIR"],
    config: FAST,
  });
  try {
    for (const agent of ["claude", "codex"]) {
      await tm.start({ agent, name: `cred-${agent}`, projectDir: w.projectDir, prompt: "hi" });
    }
    const calls = await waitFor(async () => {
      const c = await w.calls();
      return c.some((x) => x.agent === "claude") && c.some((x) => x.agent === "codex") ? c : null;
    }, { timeoutMs: 30_000, what: "both fake agents to run" });
    const claude = calls.find((c) => c.agent === "claude");
    const codex = calls.find((c) => c.agent === "codex");
    assert.deepEqual(claude.env, {
      ANTHROPIC_API_KEY: "sk-ant-api03-claude-only-key",
      OPENAI_API_KEY: null,
      CLAUDE_CODE_RETRY_WATCHDOG: null,
      MY_SECRET: null,
    });
    assert.deepEqual(codex.env, {
      ANTHROPIC_API_KEY: null,
      OPENAI_API_KEY: "sk-proj-codex-only-key",
      // Only Claude's profile unsets it; Codex gets what the operator passed.
      CLAUDE_CODE_RETRY_WATCHDOG: "1",
      MY_SECRET: null,
    });
    // The key reached the agent through no command line: not the tmux server's argv.
    const serverPid = w.tmux("display-message", "-p", "-t", "keep", "#{pid}").trim();
    const { readFileSync } = await import("node:fs");
    const cmdline = readFileSync(`/proc/${serverPid}/cmdline`, "utf8");
    assert.ok(!cmdline.includes("sk-ant-api03"), cmdline);
  } finally {
    await tm.close();
  }
});

test("an explicit agent environment gets no credentials added", async () => {
  // The process environment has a key, but the operator gave `env` exactly: nothing is added.
  const tm = new TaskManager({
    stateDir: w.stateDir,
    tmuxSocket: w.socket,
    processEnv: { ...process.env, ANTHROPIC_API_KEY: "sk-ant-api03-must-not-be-added" },
    env: w.agentEnv({ RCA_FAKE_SHOW_ENV: "ANTHROPIC_API_KEY", RCA_FAKE_WORK_MS: "300" }),
    config: FAST,
  });
  try {
    const before = (await w.calls()).length;
    await tm.start({ agent: "claude", name: "cred-explicit", projectDir: w.projectDir, prompt: "hi" });
    const call = await waitFor(async () => (await w.calls()).slice(before).find((c) => c.agent === "claude"), { timeoutMs: 30_000, what: "the fake claude to run" });
    assert.deepEqual(call.env, { ANTHROPIC_API_KEY: null });
  } finally {
    await tm.close();
  }
});
