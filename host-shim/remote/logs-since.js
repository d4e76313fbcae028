// @ts-check
// `logs --follow --host NAME`: the remote half (the rpc op `logs-since`) and the calling half.
// Each rpc call is a new process on the host, so nothing is kept between reads there: the
// caller holds the byte offset, the host reads from it and redacts with the 64 KiB before it
// as context (as local follow does, cli/follow.js), so a secret whose start was printed in an
// earlier read, or a private key whose BEGIN line was, is still recognised. Only whole lines
// are taken; an incomplete last line waits (the caller asks for it — all but its last word —
// once it has waited HOLD_MS, and for everything at the end). Raw transcript text never leaves
// the host: only redacted text is returned.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import core from "../core.js";
import { RcaError, toRcaError } from "../errors.js";
import { TRANSCRIPT } from "../task-files.js";
import { CONTEXT_BYTES, FollowRedactor, HOLD_MS, MAX_HELD_WORD } from "../cli/follow.js";
import { readNew, readRange } from "../transcript-read.js";

/** What of an incomplete last line a read takes: none of it, all but its last word, all. */
export const HOLD_MODES = ["line", "word", "none"];
/** How often the caller asks (one ssh round trip each, through the master connection). */
export const POLL_MS = 1_000;

/**
 * The rpc op: redacted transcript text from byte `offset` (whole lines, unless `hold` says
 * otherwise) and the offset to ask from next; without `offset`, only where the transcript ends.
 * @param {import("../task-manager.js").TaskManager} tm
 * @param {{ session: string, offset?: number, hold?: string }} a
 */
export async function logsSince(tm, a) {
  const hold = a.hold ?? "line";
  if (!HOLD_MODES.includes(hold)) throw new RcaError("invalid_request", `logs-since: hold must be one of ${HOLD_MODES.join(", ")}`);
  const view = await tm.status(a.session, { lines: 1 });
  const path = join(view.taskDir, TRANSCRIPT);
  if (a.offset === undefined) {
    const size = (await tm.fx.fs.stat(path).catch(() => ({ size: 0 }))).size;
    return { session: a.session, offset: size, text: "", held: 0, truncated: false };
  }
  const offset = a.offset;
  const got = await readNew(path, offset);
  if (got.truncated) return { session: a.session, offset: 0, text: "", held: 0, truncated: true };
  const bytes = got.bytes;
  const take = charBoundary(bytes, cut(bytes, hold));
  if (take === 0) return { session: a.session, offset, text: "", held: bytes.length, truncated: false };
  const redactor = new FollowRedactor((t) => core.redact(t), await readRange(path, Math.max(0, offset - CONTEXT_BYTES), offset));
  const text = redactor.push(bytes.subarray(0, take).toString("utf8"), 0) + redactor.flush(0);
  return { session: a.session, offset: offset + take, text, held: bytes.length - take, truncated: false };
}

/**
 * How many of `bytes` to take: through the last newline; with "word" an incomplete last line
 * too, but not its last word (heldWordStart in cli/follow.js, on bytes: whitespace is ASCII);
 * with "none" all.
 * @param {Buffer} bytes
 * @param {string} hold
 */
function cut(bytes, hold) {
  const lines = bytes.lastIndexOf(0x0a) + 1;
  if (hold === "none" || lines === bytes.length) return hold === "none" ? bytes.length : lines;
  if (hold === "line") return lines;
  let i = bytes.length;
  while (i > lines && ![0x20, 0x09, 0x0d, 0x0b, 0x0c].includes(bytes[i - 1])) i--;
  return bytes.length - i > MAX_HELD_WORD ? bytes.length : i;
}

/**
 * `take`, moved back to the start of a UTF-8 character it would cut in two (a read that
 * stopped inside one); the rest comes with the next read.
 * @param {Buffer} bytes
 * @param {number} take
 */
function charBoundary(bytes, take) {
  let start = take;
  while (start > 0 && take - start < 4 && (bytes[start - 1] & 0xc0) === 0x80) start--;
  if (start === 0 || take - start >= 4) return take;
  const lead = bytes[start - 1];
  const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return start - 1 + len > take ? start - 1 : take;
}

/**
 * The calling side: prints the host's new redacted text as it arrives, until Ctrl-C (SIGINT)
 * or `signal`. A host that cannot be asked is reported once per distinct reason and asked
 * again: the link's trouble, not the end.
 * @param {import("./rpc-client.js").RemoteManager} rm
 * @param {string} session
 * @param {number} from the byte offset to start at (the transcript's end before the tail was shown)
 * @param {{ write: (text: string) => void, warn: (line: string) => void, signal?: AbortSignal, now?: () => number }} io
 */
export async function followRemote(rm, session, from, io) {
  const now = io.now ?? (() => performance.now());
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  io.signal?.addEventListener("abort", stop, { once: true });
  let offset = from;
  /** Since when an incomplete last line has been waiting (null: none is). */
  let heldSince = /** @type {number | null} */ (null);
  let failing = "";
  const ask = async (/** @type {string} */ hold) => {
    const r = await rm.logsSince(session, offset, hold);
    if (r.truncated) {
      io.warn(`warning [transcript_truncated]: the transcript of ${session} on host ${rm.host.name} got shorter; following it from its start`);
      offset = 0;
      heldSince = null;
      return;
    }
    if (r.offset !== offset) heldSince = null;
    offset = r.offset;
    io.write(r.text);
    if (r.held > 0) heldSince ??= now();
    else heldSince = null;
  };
  try {
    while (!ctl.signal.aborted) {
      try {
        await ask(heldSince !== null && now() - heldSince >= HOLD_MS ? "word" : "line");
        failing = "";
      } catch (err) {
        const e = toRcaError(err);
        if (e.message !== failing) io.warn(`warning [${e.code}]: ${e.message}; trying again`);
        failing = e.message;
      }
      await sleep(POLL_MS, undefined, { signal: ctl.signal }).catch(() => {});
    }
    // The end: whatever is held back, as local follow prints it (best effort: the link may be gone).
    await ask("none").catch(() => {});
  } finally {
    process.off("SIGINT", stop);
    io.signal?.removeEventListener("abort", stop);
  }
}
