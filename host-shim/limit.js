// @ts-check
// Bounded concurrency for the monitor's per-task file work: with thousands of tasks, opening
// every record at once would run the process out of file descriptors (EMFILE) and turn a
// healthy state directory into a wall of errors.

/** How many task files the shim opens at once, at most. */
export const MAX_OPEN_AT_ONCE = 64;

/**
 * Like `Promise.all(items.map(fn))`, with at most `limit` calls of `fn` under way at a time.
 * @template T, R
 * @param {readonly T[]} items
 * @param {(item: T, index: number) => Promise<R>} fn
 * @param {number} [limit]
 * @returns {Promise<R[]>}
 */
export async function mapLimit(items, fn, limit = MAX_OPEN_AT_ONCE) {
  /** @type {R[]} */
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
