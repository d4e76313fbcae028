// @ts-check
// `logs --follow`'s redaction across reads (host-shim/cli/follow.js) with the real core: a
// secret or a private key split between reads, text from before the start as context, an
// incomplete line held back and then shown, control sequences stripped.
import { test } from "node:test";
import assert from "node:assert/strict";
import core from "../../host-shim/core.js";
import { FollowRedactor } from "../../host-shim/cli/follow.js";

const redact = (/** @type {string} */ t) => core.redact(t);
const BODY1 = "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
const BODY2 = "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK";

test("a private key split over several reads never shows its body", () => {
  const f = new FollowRedactor(redact);
  let out = "";
  out += f.push("start\n-----BEGIN RSA PRIVATE KEY-----\n", 0);
  out += f.push(`${BODY1}\n`, 500);
  out += f.push(`${BODY2}\n`, 1000);
  out += f.push("-----END RSA PRIVATE KEY-----\nafter\n", 1500);
  out += f.flush(2000);
  assert.ok(!out.includes("MIIEpAIBAAKCAQEA") && !out.includes("VTLw7onLRnrq0"), out);
  assert.equal(out, "start\n[REDACTED PRIVATE KEY]\nafter\n");
});

test("a key whose BEGIN line came before the follow started is hidden (context)", () => {
  const f = new FollowRedactor(redact, `old line\n-----BEGIN PRIVATE KEY-----\n${BODY1}\n`);
  let out = f.push(`${BODY2}\n`, 0);
  out += f.push("-----END PRIVATE KEY-----\nnext\n", 500);
  assert.ok(!out.includes("VTLw7onLRnrq0"), out);
  assert.match(out, /next\n$/);
});

test("a secret split inside a line is held back until the line is complete", () => {
  const f = new FollowRedactor(redact);
  assert.equal(f.push("export OPENAI_API_KEY=sk-proj-AbCdEfGh", 0), "");
  assert.equal(f.push("IjKlMnOpQrStUvWxYz0123456789 done\n", 300), "export OPENAI_API_KEY=[REDACTED] done\n");
});

test("an incomplete last line is shown after the hold time", () => {
  const f = new FollowRedactor(redact, "", { holdMs: 2000 });
  assert.equal(f.push("Continue? [y/N] ", 0), "");
  assert.equal(f.push("", 1000), "");
  assert.equal(f.push("", 2500), "Continue? [y/N] ");
  assert.equal(f.push("y\n", 3000), "y\n");
});

test("control sequences are stripped, colours before a key do not hide it", () => {
  const f = new FollowRedactor(redact);
  const out = f.push("\x1b]0;title\x07\x1b]52;c;c2VjcmV0\x07\x1b[31msk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\x1b[0m\n", 0);
  assert.equal(out, "[REDACTED]\n");
});

test("the context stays bounded and output stays in step", () => {
  const f = new FollowRedactor(redact, "", { contextBytes: 200 });
  let out = "";
  let want = "";
  for (let i = 0; i < 50; i++) {
    const line = `line ${i} token=abc${i}def\n`;
    out += f.push(line, i);
    want += `line ${i} token=[REDACTED]\n`;
  }
  assert.equal(out, want);
  assert.ok(f.context.length <= 200);
});

test("a key cut by the hold time is not shown in two halves (the trailing word waits)", () => {
  const f = new FollowRedactor(redact, "", { holdMs: 2000 });
  let out = f.push("here it is: sk-proj-AbCdEfGh", 0);
  out += f.push("", 2500);
  assert.equal(out, "here it is: ");
  out += f.push("IjKlMnOpQrStUvWx0123 and more\n", 4000);
  assert.equal(out, "here it is: [REDACTED] and more\n");
  assert.ok(!out.includes("AbCdEfGh") && !out.includes("IjKlMnOp"), out);
  // A word alone is held until the end, and then shown.
  assert.equal(f.push("prompt>", 5000), "");
  assert.equal(f.push("", 9000), "");
  assert.equal(f.flush(9000), "prompt>");
});
