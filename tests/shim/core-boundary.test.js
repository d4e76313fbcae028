// @ts-check
// The wasm boundary as JS sees it: errors are real Error objects with a stable code.
import { test } from "node:test";
import assert from "node:assert/strict";
import core from "../../host-shim/core.js";

test("a valid task name passes", () => {
  assert.equal(core.validateTaskName("fix-login-bug"), undefined);
});

test("a bad task name throws a CoreError with code invalid_task_name", () => {
  for (const name of ["Fix Login", "", "a--b", "$(touch /tmp/x)", "x".repeat(49)]) {
    assert.throws(
      () => core.validateTaskName(name),
      (thrown) => {
        const err = /** @type {Error & { code?: string }} */ (thrown);
        assert.ok(err instanceof Error, "an Error object, not a string");
        assert.equal(err.name, "CoreError");
        assert.equal(err.code, "invalid_task_name");
        assert.match(err.message, /a-z and 0-9/);
        return true;
      },
    );
  }
});

test("only the end of a long text crosses into the core, with the same verdict as the whole", () => {
  const line = "• Ran cargo test -p core --lib … ok, 12 passed; 0 failed\n";
  const crash = "ERROR: unexpected status 401 Unauthorized: invalid api key\n";
  // 10,000 lines (~600 KB) of output, astral characters (surrogate pairs) around the 64 Ki cut.
  const body = line.repeat(10_000) + "😀".repeat(40_000) + "\n" + crash;
  const whole = core.classifyExit("codex", { exitStatus: 1, paneTail: body });
  const tail = core.classifyExit("codex", { exitStatus: 1, paneTail: body.slice(-70_000) });
  assert.deepEqual(whole, tail);
  assert.equal(whole.outcome, "failed");
  assert.equal(/** @type {any} */ (whole).failure.class, "auth");
  // A prompt at the very end of a huge pane is still seen; one far before the end is not read.
  const waiting = core.classifyLive("claude", line.repeat(10_000) + "Do you want to proceed?\n❯ 1. Yes\n");
  assert.equal(waiting.verdict, "waiting_for_input");
  const old = core.classifyLive("claude", "Do you want to proceed?\n" + line.repeat(10_000));
  assert.equal(old.verdict, "working");
  assert.throws(() => core.classifyExit("codex", { paneTail: /** @type {any} */ (42) }), { code: "invalid_input" });
});
