// @ts-check
// Reads a file the operator named on the command line (--config, --prompt-file) with a size
// cap: a slip like `--config /dev/zero` or a multi-GB file must fail at once with a message, not
// fill the memory until Node gives up. Pipes stay allowed (`--prompt-file <(…)`), so the file
// is read as a stream and stopped at the cap rather than checked by size first.
import { createReadStream } from "node:fs";
import { RcaError } from "../errors.js";

/**
 * The file's bytes, at most `max` of them, or `usage` naming the option.
 * @param {string} file
 * @param {number} max
 * @param {string} what the option, for messages (`--config FILE`)
 * @returns {Promise<Buffer>}
 */
export async function readBounded(file, max, what) {
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > max) throw new RcaError("usage", `${what} is larger than ${max} bytes; nothing was read from it`);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof RcaError) throw e;
    throw new RcaError("usage", `cannot read ${what}: ${e instanceof Error ? e.message : e}`);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
