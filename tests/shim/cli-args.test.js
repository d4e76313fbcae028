// @ts-check
// The command line contract: commands, options, positionals and usage errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCli } from "../../host-shim/cli/args.js";

test("start takes its options and global ones anywhere", () => {
  const p = parseCli(["start", "--state-dir", "/s", "--agent", "codex", "--name", "fix-it", "--dir", "/p", "--prompt", "do it", "--json", "--model", "gpt-5", "--autonomy", "full"]);
  assert.equal(p.command, "start");
  assert.deepEqual(
    { ...p.opts },
    { "state-dir": "/s", agent: "codex", name: "fix-it", dir: "/p", prompt: "do it", json: true, model: "gpt-5", autonomy: "full" },
  );
});

test("start needs exactly one prompt source and its required options", () => {
  assert.throws(() => parseCli(["start", "--agent", "codex", "--name", "x", "--dir", "/p"]), { code: "usage" });
  assert.throws(() => parseCli(["start", "--agent", "codex", "--name", "x", "--dir", "/p", "--prompt", "a", "--prompt-file", "f"]), { code: "usage" });
  assert.throws(() => parseCli(["start", "--name", "x", "--dir", "/p", "--prompt", "a"]), /--agent/);
});

test("positionals are named and counted", () => {
  assert.deepEqual(parseCli(["status", "codex-x", "--lines", "5"]).args, { session: "codex-x" });
  assert.deepEqual(parseCli(["send", "codex-x", "yes please"]).args, { session: "codex-x", text: "yes please" });
  assert.throws(() => parseCli(["status"]), { code: "usage" });
  assert.throws(() => parseCli(["send", "codex-x"]), { code: "usage" });
  assert.throws(() => parseCli(["list", "extra"]), { code: "usage" });
});

test("unknown commands and options are usage errors; --lines must be a positive number", () => {
  assert.throws(() => parseCli(["frobnicate"]), { code: "usage" });
  assert.throws(() => parseCli(["list", "--bogus"]), { code: "usage" });
  assert.throws(() => parseCli(["logs", "codex-x", "--lines", "0"]), { code: "usage" });
  assert.throws(() => parseCli(["logs", "codex-x", "--lines", "ten"]), { code: "usage" });
  assert.equal(parseCli(["logs", "codex-x", "-f"]).opts.follow, true);
});

test("help is available without a command and per command", () => {
  assert.equal(parseCli([]).help, true);
  assert.equal(parseCli(["--help"]).help, true);
  assert.equal(parseCli(["watch", "--help"]).help, true);
});

test("a text that looks like an option is still text after --", () => {
  assert.deepEqual(parseCli(["send", "codex-x", "--", "--not-an-option"]).args, { session: "codex-x", text: "--not-an-option" });
});
