// @ts-check
// `status --lines` / `logs --lines` cut the lines after redacting a larger tail: a private key
// whose BEGIN line is above the lines shown does not show its body.
// `resilient-agent logs --follow` on a real task (real CLI, tmux, task directory and transcript
// file): text appended to the transcript in pieces, as the wrapper's tee writes it, comes out
// redacted across the pieces — a private key whose body arrives in reads of its own, a key
// split inside a line — and free of terminal control sequences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { world, waitFor } from "./helpers.js";

const w = await world();
const BODY = [
  "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
  "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
  "oKzu7ySUEcJ2bXQ2AqYW+hbdw6Ax4xY2AFDDp7eyLTNvFKMlzW1EP8CYpTS6JNtz",
];

test("logs --follow redacts across reads and strips control sequences", async () => {
  const env = { ...w.agentEnv(), RCA_DEMO_MODE: "hang" };
  const started = await w.cli(["start", "--agent", "demo", "--name", "follow", "--dir", w.projectDir, "--prompt", "x", "--json"], { env });
  assert.equal(started.code, 0, started.stderr);
  const transcript = join(JSON.parse(started.stdout).taskDir, "transcript.log");
  const follow = w.spawnCli(["logs", "demo-follow", "--follow"]);
  // The follower starts at the current end of the transcript; a first line shows it is reading.
  await waitFor(async () => {
    await appendFile(transcript, "ready\n");
    return follow.stdout.includes("ready");
  }, { what: "the follower to print" });
  const pause = () => new Promise((r) => setTimeout(r, 1500)); // so pieces tend to land in separate reads
  await appendFile(transcript, "-----BEGIN RSA PRIVATE KEY-----\n");
  await waitFor(() => follow.stdout.includes("[REDACTED PRIVATE KEY]"), { what: "the key's mark" }).catch((e) => assert.fail(`${e.message}; printed: ${JSON.stringify(follow.stdout)}; stderr: ${follow.stderr}`));
  for (const line of BODY) {
    await appendFile(transcript, `${line}\n`);
    await pause();
  }
  await appendFile(transcript, "-----END RSA PRIVATE KEY-----\nexport OPENAI_API_KEY=sk-proj-AbCdEfGh");
  await pause();
  await appendFile(transcript, "IjKlMnOpQrStUvWxYz0123456789\n\x1b]0;pwned\x07\x1b[31mafter the key\x1b[0m\n");
  await waitFor(() => follow.stdout.includes("after the key"), { what: "the line after the key" });
  follow.child.kill("SIGINT");
  await follow.exited;
  for (const line of BODY) assert.ok(!follow.stdout.includes(line.slice(0, 16)), `key body leaked: ${follow.stdout}`);
  assert.ok(!follow.stdout.includes("AbCdEfGh") && !follow.stdout.includes("IjKlMnOp"), follow.stdout);
  assert.ok(!follow.stdout.includes("\x1b"), JSON.stringify(follow.stdout));
  assert.match(follow.stdout, /OPENAI_API_KEY=\[REDACTED\]\nafter the key\n/);
  await w.cli(["stop", "demo-follow"]);
});

test("status and logs with few lines do not show a key body whose BEGIN line is cut off", async () => {
  const env = { ...w.agentEnv(), RCA_DEMO_MODE: "hang" };
  const started = await w.cli(["start", "--agent", "demo", "--name", "window", "--dir", w.projectDir, "--prompt", "x", "--json"], { env });
  assert.equal(started.code, 0, started.stderr);
  const transcript = join(JSON.parse(started.stdout).taskDir, "transcript.log");
  // A key still being printed (no END line yet): BEGIN, then its body, the last lines shown.
  await appendFile(transcript, `-----BEGIN OPENSSH PRIVATE KEY-----\n${BODY.join("\n")}\n`);
  const logs = await w.cli(["logs", "demo-window", "--lines", "2"]);
  assert.equal(logs.code, 0, logs.stderr);
  const status = JSON.parse((await w.cli(["status", "demo-window", "--lines", "2", "--json"])).stdout);
  for (const text of [logs.stdout, status.recentOutput]) {
    for (const line of BODY) assert.ok(!text.includes(line.slice(0, 16)), `key body shown: ${text}`);
    assert.match(text, /\[REDACTED PRIVATE KEY\]/);
  }
  await w.cli(["stop", "demo-window"]);
});
