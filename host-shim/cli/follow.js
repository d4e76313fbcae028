// @ts-check
// `logs --follow`: the transcript's new text as it arrives, redacted across chunk boundaries.
// Redacting each chunk on its own would miss a secret split between two reads, and the body of a
// private key whose BEGIN line came in an earlier chunk. So the text already printed is kept as
// context (its last 64 KiB, cut at a line start): each time, context + new text is redacted and
// what redaction made of the new part is printed. An incomplete last line is held back until
// its newline comes, or for at most `holdMs` (a prompt that ends without a newline still shows),
// all but its last word, which waits for a space or a newline (see heldWordStart).

/** Raw text kept before new text: enough for a private key's BEGIN line to still be seen. */
export const CONTEXT_BYTES = 64 * 1024;
/** How long an incomplete last line is held back. */
export const HOLD_MS = 2000;

export class FollowRedactor {
  /**
   * @param {(text: string) => string} redact the core's redaction (strips control sequences too)
   * @param {string} [before] transcript text before the first new text (not printed; context)
   * @param {{ contextBytes?: number, holdMs?: number }} [opts]
   */
  constructor(redact, before = "", opts = {}) {
    this.redact = redact;
    this.contextBytes = opts.contextBytes ?? CONTEXT_BYTES;
    this.holdMs = opts.holdMs ?? HOLD_MS;
    /** Raw text already accounted for (printed, or context from before). */
    this.context = keepTail(before, this.contextBytes);
    /** redact(context): what the printed output corresponds to. */
    this.shown = this.redact(this.context);
    /** Raw text not printed yet (an incomplete last line). */
    this.pending = "";
    this.pendingSince = 0;
  }

  /**
   * Takes new raw text (or "" on a timer tick) and returns what to print now.
   * @param {string} chunk
   * @param {number} now milliseconds
   */
  push(chunk, now) {
    return this.#push(chunk, now, false);
  }

  /** Whatever is held back, for the end. @param {number} now */
  flush(now) {
    return this.#push("", now + this.holdMs, true);
  }

  /**
   * @param {string} chunk
   * @param {number} now
   * @param {boolean} end print everything held back
   */
  #push(chunk, now, end) {
    if (chunk) {
      if (this.pending === "") this.pendingSince = now;
      this.pending += chunk;
    }
    let take = this.pending.lastIndexOf("\n") + 1;
    if (take === 0 && this.pending !== "" && (end || now - this.pendingSince >= this.holdMs)) take = end ? this.pending.length : heldWordStart(this.pending);
    if (take === 0) return "";
    const add = this.pending.slice(0, take);
    this.pending = this.pending.slice(take);
    this.pendingSince = now;
    return this.#print(add);
  }

  /** @param {string} add */
  #print(add) {
    const all = this.context + add;
    const red = this.redact(all);
    // Redaction of the earlier text normally stays as it was; if the new text changed it
    // (it completed a pattern that began earlier), the new text is printed redacted on its own.
    const out = red.startsWith(this.shown) ? red.slice(this.shown.length) : this.redact(add);
    this.context = keepTail(all, this.contextBytes);
    this.shown = this.context === all ? red : this.redact(this.context);
    return out;
  }
}

/**
 * Where an incomplete line shown after the hold time stops: before its last word. A key being
 * printed when the hold ran out would otherwise show in two halves, each too short for
 * redaction to recognise; the word waits for a space, a newline or the end (unless it grows
 * past `MAX_HELD_WORD`, e.g. a progress bar of dots).
 * @param {string} pending
 */
function heldWordStart(pending) {
  const m = /\S*$/.exec(pending);
  const word = m ? m[0].length : 0;
  return word > MAX_HELD_WORD ? pending.length : pending.length - word;
}

/** An incomplete line's last word longer than this is shown anyway (no key is this long). */
export const MAX_HELD_WORD = 4096;

/**
 * The last `bytes` (about: UTF-16 units) of `text`, from a line start when there is one.
 * @param {string} text
 * @param {number} bytes
 */
function keepTail(text, bytes) {
  if (text.length <= bytes) return text;
  const from = text.length - bytes;
  const nl = text.indexOf("\n", from);
  return nl < 0 ? text.slice(from) : text.slice(nl + 1);
}
