// @ts-check
// The command line contract: commands, options, positionals and usage errors (the shared
// command table, parsed for the `resilient-agent` surface).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "../../host-shim/commands-run.js";
import { cliSurface } from "../../host-shim/cli/main.js";

/** @param {string[]} argv */
function parseCli(argv) {
  const p = /** @type {any} */ (parse(cliSurface(), argv));
  return { ...p, opts: { ...p.globals, ...p.opts }, help: "help" in p };
}

test("start takes its options and global ones anywhere", () => {
  const p = parseCli(["start", "--state-dir", "/s", "--agent", "codex", "--name", "fix-it", "--dir", "/p", "--prompt", "do it", "--json", "--model", "gpt-5", "--autonomy", "full"]);
  assert.equal(p.command, "start");
  assert.deepEqual(
    { ...p.opts },
    { "state-dir": "/s", agent: "codex", name: "fix-it", dir: "/p", prompt: "do it", json: true, model: "gpt-5", autonomy: "full" },
  );
  assert.equal(p.json, true);
});

test("an option that takes one value given twice is an error, not the last one silently; --env repeats", () => {
  for (const argv of [
    ["logs", "codex-x", "--lines", "5", "--lines", "9"],
    ["status", "codex-x", "--lines=5", "--lines", "5"],
    ["start", "--agent", "codex", "--agent", "claude", "--name", "x", "--dir", "/p", "--prompt", "a"],
    ["list", "--state-dir", "/a", "--state-dir", "/b"],
  ]) {
    assert.throws(() => parseCli(argv), (e) => {
      const err = /** @type {any} */ (e);
      return err.code === "duplicate_option" && /--\S+ was given more than once/.test(err.message) && /usage: /.test(err.message);
    }, argv.join(" "));
  }
  // Repeatable options and flags stay as they were.
  const env = parseCli(["start", "--agent", "codex", "--name", "x", "--dir", "/p", "--prompt", "a", "--env", "A=1", "--env", "B=2"]);
  assert.deepEqual(env.opts.env, { A: "1", B: "2" });
  assert.equal(parseCli(["list", "--json", "--json"]).json, true);
  assert.deepEqual(parseCli(["doctor", "--agent", "codex", "--agent", "claude"]).opts.agent, ["codex", "claude"]);
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
  assert.throws(() => parseCli(["logs", "codex-x", "--lines", "100001"]), { code: "usage" });
  assert.equal(parseCli(["logs", "codex-x", "--lines", "7"]).opts.lines, 7);
  assert.equal(parseCli(["logs", "codex-x", "-f"]).opts.follow, true);
});

test("--env is NAME=VALUE, repeatable, into an object; the value may hold =", () => {
  assert.deepEqual(parseCli(["start", "--agent", "demo", "--name", "x", "--prompt", "p", "--env", "A=1", "--env", "B=x=y"]).opts.env, { A: "1", B: "x=y" });
  assert.throws(() => parseCli(["start", "--agent", "demo", "--name", "x", "--prompt", "p", "--env", "1A=1"]), { code: "usage", message: /--env wants NAME=VALUE/ });
  assert.throws(() => parseCli(["start", "--agent", "demo", "--name", "x", "--prompt", "p", "--env", "NOVALUE"]), { code: "usage" });
});

test("--older-than is a duration", () => {
  assert.equal(parseCli(["prune", "--older-than", "12h"]).opts["older-than"], 12 * 3_600_000);
  assert.throws(() => parseCli(["prune", "--older-than", "soon"]), { code: "usage" });
});

test("help is available without a command and per command", () => {
  assert.equal(parseCli([]).help, true);
  assert.equal(parseCli(["--help"]).help, true);
  assert.equal(parseCli(["watch", "--help"]).help, true);
  assert.match(/** @type {any} */ (parse(cliSurface(), ["help", "status"])).help, /^usage: resilient-agent status <session> \[--lines N\]/);
});

test("a text that looks like an option is still text after --", () => {
  assert.deepEqual(parseCli(["send", "codex-x", "--", "--not-an-option"]).args, { session: "codex-x", text: "--not-an-option" });
});
