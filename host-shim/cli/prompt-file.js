// @ts-check
// Reads the prompt of `start --prompt-file FILE` (or `-` for stdin) byte-exact, or refuses it.
// A prompt is text: bytes that are not valid UTF-8 would reach the agent altered (a decoder
// replaces them with U+FFFD), so they are refused with `invalid_prompt` and nothing is created.
// A byte-order mark is kept as it is (TextDecoder would drop it by default).
import { RcaError } from "../errors.js";
import { readBounded } from "./read-bounded.js";

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Read at most this much: the core refuses a prompt above 4 MiB anyway (spec::MAX_PROMPT_BYTES). */
export const MAX_PROMPT_FILE_BYTES = 4 * 1024 * 1024;

/**
 * @param {string} file a path, or "-" for stdin
 * @param {AsyncIterable<Buffer>} [stdin]
 * @returns {Promise<string>}
 */
export async function readPromptFile(file, stdin = process.stdin) {
  /** @type {Buffer} */
  let bytes;
  if (file === "-") {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of stdin) chunks.push(c);
    bytes = Buffer.concat(chunks);
  } else {
    bytes = await readBounded(file, MAX_PROMPT_FILE_BYTES, `--prompt-file ${file}`);
  }
  return decodePrompt(bytes, file === "-" ? "the prompt on stdin" : `--prompt-file ${file}`);
}

/**
 * The bytes as text, exactly, or `invalid_prompt` naming the first offending byte.
 * @param {Uint8Array} bytes
 * @param {string} what where the bytes came from, for the message
 */
export function decodePrompt(bytes, what) {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    const at = Math.min(firstInvalidUtf8(bytes), bytes.length - 1);
    throw new RcaError(
      "invalid_prompt",
      `invalid prompt: ${what} is not valid UTF-8 (byte ${at} is 0x${bytes[at].toString(16).padStart(2, "0")}); ` +
        "the agent would receive altered text, so nothing was started. Convert the file to UTF-8 (e.g. iconv -t UTF-8)",
      { details: { offset: at } },
    );
  }
}

/**
 * Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or the length when there is none.
 * @param {Uint8Array} b
 */
export function firstInvalidUtf8(b) {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i += 1;
      continue;
    }
    // [lead range, length, allowed range of the second byte]
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c === 0xe0) [n, lo] = [3, 0xa0];
    else if (c === 0xed) [n, hi] = [3, 0x9f];
    else if (c >= 0xe1 && c <= 0xef) n = 3;
    else if (c === 0xf0) [n, lo] = [4, 0x90];
    else if (c === 0xf4) [n, hi] = [4, 0x8f];
    else if (c >= 0xf1 && c <= 0xf3) n = 4;
    else return i;
    if (i + 1 >= b.length || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k < n; k++) if (i + k >= b.length || b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += n;
  }
  return i;
}
