// @ts-check
// `watch` over remote hosts: each host's event journal followed by cursor (the `events-since`
// rpc, about once a second through the host's master connection). A host that cannot be asked
// is announced once (`host_unreachable`), and when it answers again (`host_reachable`) the
// events it had meanwhile come from the kept cursor: none lost, none shown twice. Nothing here
// touches the remote tasks: the host's own monitor keeps them going.
import { toRcaError } from "../errors.js";

/** How often a host's journal is asked for new events. */
export const FOLLOW_POLL_MS = 1000;

/**
 * Follows one host until `signal` aborts.
 * @param {import("./rpc-client.js").RemoteManager} rm
 * @param {{ signal: AbortSignal, show: (ev: any) => void, pollMs?: number }} o
 */
export async function followHost(rm, { signal, show, pollMs = FOLLOW_POLL_MS }) {
  const host = rm.host.name;
  /** @type {import("./journal.js").Cursor | null} */
  let cursor = null;
  let down = false;
  while (!signal.aborted) {
    let more = false;
    try {
      const r = await rm.eventsSince(cursor);
      if (signal.aborted) break;
      if (down) show({ kind: "host_reachable", host, at: Date.now(), message: `host ${host} answers again` });
      down = false;
      if (r.reset && cursor !== null) {
        show({ kind: "host_journal_reset", host, at: Date.now(), message: `host ${host}: its event journal was replaced; some events may be missing` });
      }
      for (const ev of r.events) show({ ...ev, host });
      more = r.events.length > 0 && (cursor === null || r.cursor.offset !== cursor.offset || r.cursor.ino !== cursor.ino);
      cursor = r.cursor;
    } catch (err) {
      if (signal.aborted) break;
      const e = toRcaError(err);
      if (!down) show({ kind: "host_unreachable", host, at: Date.now(), code: e.code, message: e.message });
      down = true;
    }
    // Straight on while there is a backlog (a journal read is capped), else wait.
    if (!more) await sleep(pollMs, signal);
  }
}

/** @param {number} ms @param {AbortSignal} signal */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve(undefined);
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
