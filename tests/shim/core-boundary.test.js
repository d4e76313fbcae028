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
