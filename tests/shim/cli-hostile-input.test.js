// @ts-check
// The command line against hostile or mistaken input: a malformed --env never echoes its value
// (it is usually a key), and --config / --prompt-file stop at a size cap instead of reading
// /dev/zero until the memory runs out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "../../host-shim/commands-run.js";
import { cliSurface, readConfig } from "../../host-shim/cli/main.js";
import { readPromptFile } from "../../host-shim/cli/prompt-file.js";
import { withTestDir } from "../support/dirs.js";

const SECRET = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx";
const start = ["start", "--agent", "demo", "--name", "x", "--prompt", "p"];

test("a malformed --env names what is wrong and never echoes the value", () => {
  for (const pair of [`1KEY=${SECRET}`, SECRET, `BAD-NAME=${SECRET}`, `=${SECRET}`]) {
    assert.throws(
      () => parse(cliSurface(), [...start, "--env", pair]),
      (/** @type {any} */ e) => e.code === "usage" && /--env wants NAME=VALUE/.test(e.message) && !e.message.includes("AbCdEfGh"),
      pair,
    );
  }
  assert.throws(() => parse(cliSurface(), [...start, "--env", `1KEY=${SECRET}`]), { message: /got the name "1KEY"/ });
});

test("--config and --prompt-file stop at a size cap (/dev/zero fails at once, with a message)", async () => {
  await assert.rejects(readConfig("/dev/zero"), { code: "usage", message: /--config \/dev\/zero is larger than 1048576 bytes/ });
  await assert.rejects(readPromptFile("/dev/zero"), { code: "usage", message: /--prompt-file \/dev\/zero is larger than 4194304 bytes/ });
  await assert.rejects(readConfig("/nonexistent/rca.json"), { code: "usage", message: /cannot read --config/ });
});

test("ordinary --config and --prompt-file files are still read whole", async () => {
  await withTestDir("rca-cli-input-", async (dir) => {
    writeFileSync(join(dir, "c.json"), JSON.stringify({ retentionMs: 5 }));
    assert.deepEqual(await readConfig(join(dir, "c.json")), { retentionMs: 5 });
    const prompt = "fix the bug\n".repeat(20_000);
    writeFileSync(join(dir, "p.txt"), prompt);
    assert.equal(await readPromptFile(join(dir, "p.txt")), prompt);
  });
});
