// @ts-check
// `resilient-agent logs --follow` when the machine misbehaves under it (real CLI, tmux, task
// directory and transcript): a transcript cut short is followed again from its start (not read
// from the old offset, in the middle of some later line), and a read that fails (the transcript
// replaced by a directory) is reported once as a warning and tried again, not the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdir, rename, rmdir, truncate } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor } from "./helpers.js";

const w = await world();

/** A demo task that hangs, and a follower of its transcript that has printed a first line. @param {string} name */
async function followed(name) {
  const env = { ...w.agentEnv(), RCA_DEMO_MODE: "hang" };
  const started = await w.cli(["start", "--agent", "demo", "--name", name, "--dir", w.projectDir, "--prompt", "x", "--json"], { env });
  assert.equal(started.code, 0, started.stderr);
  const transcript = join(JSON.parse(started.stdout).taskDir, "transcript.log");
  const follow = w.spawnCli(["logs", `demo-${name}`, "--follow"]);
  await waitFor(async () => {
    await appendFile(transcript, "ready\n");
    return follow.stdout.includes("ready");
  }, { what: "the follower to print" });
  return { transcript, follow };
}

test("a transcript truncated under the follower is followed again from its start", async () => {
  const { transcript, follow } = await followed("cut");
  await appendFile(transcript, `${"x".repeat(3000)}\n`);
  await waitFor(() => follow.stdout.includes("xxxx\n"), { what: "the long line" });
  await truncate(transcript, 0);
  await waitFor(() => follow.stderr.includes("transcript_truncated"), { what: "the truncation warning" });
  await appendFile(transcript, "after the cut token=abcdef123456\n");
  await waitFor(() => follow.stdout.includes("after the cut"), { what: "the line after the cut" }).catch((e) =>
    assert.fail(`${e.message}; printed: ${JSON.stringify(follow.stdout.slice(-200))}; stderr: ${follow.stderr}`),
  );
  follow.child.kill("SIGINT");
  assert.equal(await follow.exited, 0, follow.stderr);
  assert.match(follow.stdout, /after the cut token=\[REDACTED\]\n/);
  await w.cli(["stop", "demo-cut"]);
});

test("a read that fails is reported once and tried again; the follower goes on", async () => {
  const { transcript, follow } = await followed("eio");
  await rename(transcript, `${transcript}.aside`);
  await mkdir(transcript);
  await waitFor(() => follow.stderr.includes("transcript_unreadable"), { what: "the warning" }).catch((e) =>
    assert.fail(`${e.message}; stderr: ${follow.stderr}`),
  );
  // Several ticks of the same failure: one warning.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(follow.stderr.split("transcript_unreadable").length - 1, 1, follow.stderr);
  await rmdir(transcript);
  await rename(`${transcript}.aside`, transcript);
  await appendFile(transcript, "back again\n");
  await waitFor(() => follow.stdout.includes("back again"), { what: "the line after the failure" }).catch((e) =>
    assert.fail(`${e.message}; printed: ${JSON.stringify(follow.stdout)}; stderr: ${follow.stderr}`),
  );
  follow.child.kill("SIGINT");
  assert.equal(await follow.exited, 0, follow.stderr);
  await w.cli(["stop", "demo-eio"]);
});
