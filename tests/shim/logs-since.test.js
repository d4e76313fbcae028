// @ts-check
// The remote half of `logs --follow --host` (remote/logs-since.js) on a real file: whole lines
// only unless asked, never half a UTF-8 character, and redaction that sees what came before the
// offset (a key's BEGIN line, the start of a secret held back until its line ends).
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { join } from "node:path";
import { withTestDir } from "../support/dirs.js";
import { logsSince } from "../../host-shim/remote/logs-since.js";

/** A manager with just what logs-since uses: status (the task dir) and fs. @param {string} taskDir */
const fakeTm = (taskDir) => /** @type {any} */ ({ status: async () => ({ taskDir }), fx: { fs: fsp } });

test("logs-since: whole lines, the held rest on request, never half a character, redacted with context", async () => {
  await withTestDir("rca-logs-since-", async (dir) => {
    const taskDir = join(dir, "task");
    mkdirSync(taskDir);
    const file = join(taskDir, "transcript.log");
    writeFileSync(file, "before\n");
    const tm = fakeTm(taskDir);
    const end = await logsSince(tm, { session: "codex-x" });
    assert.deepEqual(end, { session: "codex-x", offset: 7, text: "", held: 0, truncated: false });
    // A secret whose line is not finished waits (line mode), then comes out redacted whole.
    appendFileSync(file, "export OPENAI_API_KEY=sk-proj-AbCdEfGh");
    const waiting = await logsSince(tm, { session: "codex-x", offset: 7 });
    assert.equal(waiting.text, "");
    assert.equal(waiting.offset, 7);
    assert.ok(waiting.held > 0);
    // "word": all but the last word (the key is never shown in two halves).
    const word = await logsSince(tm, { session: "codex-x", offset: 7, hold: "word" });
    assert.equal(word.text, "export ");
    appendFileSync(file, "IjKlMnOpQrStUvWxYz0123456789\n");
    const line = await logsSince(tm, { session: "codex-x", offset: word.offset });
    assert.ok(!line.text.includes("AbCd") && !line.text.includes("IjKl"), line.text);
    assert.match(line.text, /\[REDACTED\]\n$/);
    // A private key's body in a read of its own: the BEGIN line before the offset is context.
    appendFileSync(file, "-----BEGIN RSA PRIVATE KEY-----\n");
    const begin = await logsSince(tm, { session: "codex-x", offset: line.offset });
    appendFileSync(file, "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n");
    const body = await logsSince(tm, { session: "codex-x", offset: begin.offset });
    assert.ok(!body.text.includes("MIIEpAIB"), body.text);
    appendFileSync(file, "-----END RSA PRIVATE KEY-----\n");
    const ended = await logsSince(tm, { session: "codex-x", offset: body.offset });
    // Half of "é" at the end: even "none" stops before it; the rest comes with the next read.
    appendFileSync(file, Buffer.from([0x68, 0xc3]));
    const half = await logsSince(tm, { session: "codex-x", offset: ended.offset, hold: "none" });
    assert.equal(half.text, "h");
    assert.equal(half.held, 1);
    appendFileSync(file, Buffer.from([0xa9, 0x0a]));
    const whole = await logsSince(tm, { session: "codex-x", offset: half.offset });
    assert.equal(whole.text, "é\n");
    // Shorter than the offset: truncated, follow from the start.
    writeFileSync(file, "new\n");
    assert.equal((await logsSince(tm, { session: "codex-x", offset: whole.offset })).truncated, true);
    await assert.rejects(logsSince(tm, { session: "codex-x", offset: 0, hold: "all" }), (e) => /** @type {any} */ (e).code === "invalid_request");
  });
});
