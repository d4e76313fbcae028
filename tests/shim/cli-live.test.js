// @ts-check
// The live view's pieces: durations, readable activity, rows, the table cut to the terminal,
// in-place redraws on a terminal and changed-rows-only plain lines otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { shortDuration, summarize, liveRow, liveTable, LiveView, latestActivity } from "../../host-shim/cli/live.js";

test("short durations", () => {
  assert.equal(shortDuration(0), "0s");
  assert.equal(shortDuration(42_900), "42s");
  assert.equal(shortDuration(185_000), "3m05s");
  assert.equal(shortDuration(3_720_000), "1h02m");
  assert.equal(shortDuration(2 * 86_400_000 + 3 * 3_600_000), "2d03h");
  assert.equal(shortDuration(-5), "0s");
});

test("activity lines made readable", () => {
  assert.equal(summarize('{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"Reading  the\\nlayout."}}'), "item.completed agent_message: Reading the layout.");
  assert.equal(summarize('{"type":"error","message":"Reconnecting... waiting for network"}'), "error: Reconnecting... waiting for network");
  assert.equal(summarize('{"type":"turn.started"}'), "turn.started");
  assert.equal(summarize("plain   text "), "plain text");
  assert.equal(summarize("{not json"), "{not json");
});

const VIEW = /** @type {any} */ ({
  session: "codex-a", agent: "codex", state: "recovering", attempts: 2, gaveUp: false,
  createdAt: new Date(1_000_000).toISOString(), finishedAt: null, nextRecoveryAt: new Date(1_000_000 + 95_000).toISOString(), managed: true,
});

test("a row: elapsed, next try, unmanaged sessions", () => {
  const r = liveRow(VIEW, "error: 429", 1_000_000 + 50_000);
  assert.equal(r.elapsed, "50s");
  assert.equal(r.next, "in 45s");
  assert.equal(liveRow(VIEW, "", 1_000_000 + 96_000).next, "now");
  assert.equal(liveRow({ ...VIEW, nextRecoveryAt: null }, "", 0).next, "-");
  const done = liveRow({ ...VIEW, state: "completed", finishedAt: new Date(1_000_000 + 61_000).toISOString(), nextRecoveryAt: null }, "", 9e12);
  assert.equal(done.elapsed, "1m01s", "a finished task's elapsed time stops");
  const un = liveRow({ ...VIEW, managed: false, state: "unmanaged", createdAt: "", nextRecoveryAt: null }, "x", 0);
  assert.equal(un.attempts, "-");
  assert.match(un.activity, /not started by resilient-agent/);
});

test("the table never wraps", () => {
  const r = liveRow(VIEW, "x".repeat(500), 1_000_000);
  const t = liveTable([r], 80);
  assert.match(t, /^TASK\s+AGENT\s+STATE\s+ELAPSED\s+TRIES\s+NEXT TRY\s+USAGE\s+ACTIVITY/);
  for (const l of t.split("\n")) assert.ok([...l].length <= 80, l);
  assert.equal(liveTable([], 80), "no tasks yet");
});

/** @param {boolean} tty */
function sink(tty) {
  const out = { text: "", isTTY: tty, columns: 100, write(/** @type {string} */ s) { out.text += s; return true; } };
  return out;
}

test("on a terminal: redrawn in place, events scroll above", () => {
  const out = sink(true);
  const v = new LiveView({ out: /** @type {any} */ (out), now: () => 0 });
  v.render([liveRow(VIEW, "a", 1_000_000)]);
  assert.ok(!out.text.includes("\x1b["), "nothing to erase the first time");
  const first = out.text;
  v.render([liveRow(VIEW, "b", 1_000_000)]);
  const lines = first.split("\n").length - 1;
  assert.ok(out.text.slice(first.length).startsWith(`\x1b[${lines}A\r\x1b[J`), JSON.stringify(out.text.slice(first.length, first.length + 12)));
  const before = out.text.length;
  v.log("12:00:00  completed  codex-a completed");
  const tail = out.text.slice(before);
  assert.ok(tail.startsWith(`\x1b[${lines}A\r\x1b[J12:00:00  completed`), JSON.stringify(tail.slice(0, 30)));
  assert.match(tail, /TASK\s+AGENT/);
});

test("not a terminal: a plain line only when a row changes", () => {
  const out = sink(false);
  const v = new LiveView({ out: /** @type {any} */ (out), now: () => 0 });
  v.render([liveRow(VIEW, "a", 1_000_000)]);
  v.render([liveRow(VIEW, "a", 1_000_000 + 5_000)]); // only the clock moved
  v.render([liveRow({ ...VIEW, state: "running", nextRecoveryAt: null }, "b", 1_000_000 + 6_000)]);
  v.log("an event");
  const lines = out.text.trimEnd().split("\n");
  assert.equal(lines.length, 3, out.text);
  assert.match(lines[0], /codex-a {2}agent=codex {2}state=recovering {2}elapsed=0s {2}attempts=2 {2}next=in 1m35s {2}usage=- {2}\| a$/);
  assert.match(lines[1], /state=running .* next=- {2}usage=- {2}\| b$/);
  assert.equal(lines[2], "an event");
  assert.ok(!out.text.includes("\x1b"));
});

test("the activity line is redacted with the lines around it, and holds no control sequence", async () => {
  /** A TaskManager stand-in whose transcript tail is `text`. @param {string} text */
  const tmWith = (text) => /** @type {any} */ ({ store: { readTail: async () => text } });
  // The last line is a private key's body line: only the BEGIN line above says it is one.
  const pem = "working\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n";
  const act = await latestActivity(tmWith(pem), "/task");
  assert.ok(!act.includes("MIIEvQIBADANBgkq"), act);
  // A JSON event whose text carries escape sequences (decoded by JSON.parse) and a title set.
  const json = '{"type":"item.completed","item":{"type":"agent_message","text":"\\u001b]0;pwned\\u0007done \\u001b[31mred"}}\n';
  assert.equal(await latestActivity(tmWith(json), "/task"), "item.completed agent_message: done red");
  // A progress bar redrawing its line with \r: the latest state is the activity.
  assert.equal(await latestActivity(tmWith("step 1/3\rstep 2/3\rstep 3/3\r"), "/task"), "step 3/3");
});
