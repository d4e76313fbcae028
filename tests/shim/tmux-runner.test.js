// @ts-check
// The tmux runner executes planned commands as given: argv array, stdin, client env (PATH!).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tmux } from "../../host-shim/tmux.js";
import { makeEffects } from "../../host-shim/effects.js";

/** @param {Partial<import("../../host-shim/effects.js").RunResult>} result */
function recording(result = {}) {
  /** @type {Array<{ file: string, args: string[], opts: any }>} */
  const calls = [];
  const fx = makeEffects({
    run: async (file, args, opts) => {
      calls.push({ file, args, opts });
      return { code: 0, signal: null, stdout: "", stderr: "", ...result };
    },
  });
  return { calls, fx };
}

test("a planned command runs without a shell, with its stdin and its PATH in the client env", async () => {
  const { calls, fx } = recording();
  const tmux = new Tmux({ socket: "s1", effects: fx, baseEnv: { HOME: "/h", PATH: "/usr/bin", TMUX: "/tmp/x,1,0" } });
  await tmux.run({ argv: ["tmux", "-L", "s1", "load-buffer", "-"], stdin: "$(touch /tmp/pwned)", env: [{ name: "PATH", value: "/fake/bin:/usr/bin" }] });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].file, "tmux");
  assert.deepEqual(calls[0].args, ["-L", "s1", "load-buffer", "-"]);
  assert.equal(calls[0].opts.input, "$(touch /tmp/pwned)");
  assert.equal(calls[0].opts.env.PATH, "/fake/bin:/usr/bin");
  assert.equal(calls[0].opts.env.HOME, "/h");
  assert.equal(calls[0].opts.env.TMUX, undefined, "never talk to the tmux the shim runs inside");
});

test("anything but a tmux argv is refused", async () => {
  const { fx } = recording();
  const tmux = new Tmux({ socket: null, effects: fx });
  await assert.rejects(tmux.run({ argv: ["sh", "-c", "true"] }), { code: "internal" });
});

test("no server is not an error; other failures are tmux_failed; a missing tmux is tmux_unavailable", async () => {
  const down = new Tmux({ socket: "x", effects: recording({ code: 1, stderr: "no server running on /tmp/tmux-0/x\n" }).fx });
  assert.equal((await down.run({ argv: ["tmux", "list-panes", "-a"] })).noServer, true);
  const bad = new Tmux({ socket: "x", effects: recording({ code: 1, stderr: "can't find session: =nope\n" }).fx });
  await assert.rejects(bad.runChecked({ argv: ["tmux", "kill-session", "-t", "=nope"] }), (/** @type {any} */ e) => {
    assert.equal(e.code, "tmux_failed");
    assert.match(e.message, /can't find session/);
    return true;
  });
  const missing = new Tmux({
    socket: "x",
    effects: makeEffects({ run: async () => Promise.reject(Object.assign(new Error("spawn tmux ENOENT"), { code: "ENOENT" })) }),
  });
  await assert.rejects(missing.run({ argv: ["tmux", "ls"] }), { code: "tmux_unavailable" });
});

test("the attach hint names the private socket and an exact target", () => {
  const { fx } = recording();
  assert.equal(new Tmux({ socket: "rca-1", effects: fx }).attachHint("demo-a"), "tmux -L rca-1 attach -t '=demo-a'");
  assert.equal(new Tmux({ socket: null, effects: fx }).attachHint("demo-a"), "tmux attach -t '=demo-a'");
});
