// @ts-check
// A prompt arrives at the agent byte for byte, or is refused: `--prompt-file` bytes that are
// not UTF-8 (which a decoder would silently turn into U+FFFD) are `invalid_prompt` and nothing
// is created; odd but valid text (CR, tabs, emoji, a byte-order mark, 300 KB) is passed on
// exactly (the fake agent logs the sha256 of the bytes it read on stdin).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { world, waitFor } from "./helpers.js";

const w = await world();

/** @param {Uint8Array} b */
const sha256 = (b) => createHash("sha256").update(b).digest("hex");

test("a --prompt-file that is not UTF-8 is refused and nothing is created", async () => {
  const file = join(w.root, "latin1.md");
  // "café" in Latin-1: 0xE9 is not UTF-8.
  await writeFile(file, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  const env = { PATH: w.agentEnv().PATH, RCA_FAKE_LOG: w.fakeLog };
  const r = await w.cli(["start", "--agent", "codex", "--name", "latin", "--dir", w.projectDir, "--prompt-file", file, "--json"], { env });
  assert.equal(r.code, 1, r.stdout);
  const err = JSON.parse(r.stderr).error;
  assert.equal(err.code, "invalid_prompt");
  assert.match(err.message, /not valid UTF-8 \(byte 3 is 0xe9\)/);
  const list = await w.cli(["list", "--json"]);
  assert.deepEqual(JSON.parse(list.stdout), []);
  assert.throws(() => w.tmux("has-session", "-t", "=codex-latin"));

  // The same on stdin.
  const s = await w.cli(["start", "--agent", "codex", "--name", "latin", "--dir", w.projectDir, "--prompt-file", "-"], {
    env,
    input: /** @type {any} */ (Buffer.from([0x41, 0xc3, 0x28, 0x0a])),
  });
  assert.equal(s.code, 1);
  assert.match(s.stderr, /error \[invalid_prompt\].*stdin is not valid UTF-8 \(byte 1 is 0xc3\)/);
  assert.equal((await w.calls()).length, 0, "no agent ran");
});

test("a valid UTF-8 prompt with CR, tabs, emoji, a BOM and 300 KB arrives byte-exact", async () => {
  const line = "\t½ tab\tand CR\r\nemoji 🦀🧪 — \u{10FFFF} end\n";
  const text = "\uFEFF" + line.repeat(Math.ceil(300_000 / Buffer.byteLength(line)));
  const bytes = Buffer.from(text, "utf8");
  assert.ok(bytes.length >= 300_000);
  const file = join(w.root, "odd.md");
  await writeFile(file, bytes);
  // The agent gets an allow-list of the caller's environment: the fake's knobs go by --env.
  const env = { PATH: w.agentEnv().PATH };
  const r = await w.cli(["start", "--agent", "codex", "--name", "odd", "--dir", w.projectDir, "--prompt-file", file, "--json",
    "--env", `RCA_FAKE_LOG=${w.fakeLog}`, "--env", "RCA_FAKE_WORK_MS=200"], { env });
  assert.equal(r.code, 0, r.stderr);
  const { taskDir } = JSON.parse(r.stdout);
  const call = await waitFor(async () => (await w.calls()).find((c) => c.taskDir === taskDir && c.attempt === 1), { what: "the fake codex ran" });
  assert.equal(call.promptBytes, bytes.length);
  assert.equal(call.promptSha256, sha256(bytes));
});

test("the Node API refuses a prompt with a lone surrogate (it cannot be written as UTF-8)", async () => {
  const tm = w.manager();
  await assert.rejects(
    tm.start({ agent: "codex", name: "surrogate", projectDir: w.projectDir, prompt: "fix \ud800 this" }),
    (/** @type {any} */ e) => e.code === "invalid_prompt",
  );
  assert.ok((await tm.list()).every((v) => v.name !== "surrogate"), "nothing created");
});
