// @ts-check
// The two commands of the table that run until Ctrl-C: `watch` (the monitor, with a live table
// or JSON event lines) and `logs --follow` (the transcript as it grows, redacted).
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import core from "./core.js";
import { TRANSCRIPT } from "./task-files.js";
import { readNew, readRange } from "./transcript-read.js";
import { eventLine } from "./cli/format.js";
import { LiveView, startLive } from "./cli/live.js";
import { CONTEXT_BYTES, FollowRedactor } from "./cli/follow.js";
import { followHost } from "./remote/watch.js";
import { configuredHosts } from "./remote/hosts-file.js";
import { RemoteManager } from "./remote/rpc-client.js";
import { followRemote } from "./remote/logs-since.js";

/** @typedef {import("./commands.js").Ctx} Ctx */
/** @typedef {import("./monitor.js").TaskEvent} TaskEvent */

/**
 * Runs the monitor and prints every state change as it happens (one JSON object per line with
 * --json); without --json also a live table of the tasks (redrawn in place on a terminal,
 * changed rows as plain lines otherwise). `--once`: one tick.
 * @param {Ctx} ctx
 */
export async function watch({ tm, opts, json, surface }) {
  const { out, err } = surface.io;
  if (opts.host !== undefined) return watchRemote(/** @type {any} */ (tm), json, surface);
  const live = json ? null : new LiveView({ out });
  const show = (/** @type {TaskEvent} */ ev) => {
    if (live) live.log(eventLine(ev));
    else out.write(JSON.stringify(ev) + "\n");
  };
  if (opts.once) {
    for (const ev of await tm.check()) show(ev);
    await tm.notificationsIdle();
    return 0;
  }
  tm.on("monitor", (m) => {
    if (json) return;
    if (m.status === "standby") err.write(`another monitor (pid ${m.owner?.pid ?? "?"}) is active; standing by\n`);
    else err.write(`monitoring ${tm.stateDir}${tm.socket ? ` (tmux -L ${tm.socket})` : ""}; Ctrl-C to stop\n`);
  });
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const refresher = live ? startLive(tm, live, { all: !!opts.all }) : null;
  // Every configured host's events too (their own monitors keep their tasks going).
  const remote = Object.values(await configuredHosts(tm)).map((h) =>
    followHost(new RemoteManager(tm.stateDir, h), { signal: ctl.signal, show: (ev) => (live ? live.log(`[${ev.host}] ${eventLine(ev)}`) : show(ev)) }),
  );
  // An event redraws the table at once (not only at the next second).
  const onEvent = (/** @type {TaskEvent} */ ev) => {
    show(ev);
    void refresher?.refresh();
  };
  try {
    await tm.watch({ signal: ctl.signal, onEvent });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    ctl.abort();
    await Promise.all(remote);
    await refresher?.stop();
    await tm.notificationsIdle();
  }
  return 0;
}

/**
 * `watch --host NAME`: that host's events as they happen (JSON lines with --json), until Ctrl-C.
 * @param {RemoteManager} rm
 * @param {boolean} json
 * @param {import("./commands-run.js").Surface} surface
 */
async function watchRemote(rm, json, surface) {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (!json) surface.io.err.write(`following host ${rm.host.name}'s events (its monitor runs there); Ctrl-C to stop\n`);
  try {
    await followHost(rm, {
      signal: ctl.signal,
      show: (ev) => surface.io.out.write(json ? JSON.stringify(ev) + "\n" : `[${ev.host}] ${eventLine(ev)}\n`),
    });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return 0;
}

/**
 * Size of a task's transcript now (0 when there is none yet).
 * @param {import("./commands.js").Manager} tm
 * @param {string} session
 */
export async function transcriptSize(tm, session) {
  if (tm instanceof RemoteManager) return (await tm.logsSince(session, undefined)).offset;
  const view = await tm.status(session, { lines: 1 });
  return (await tm.fx.fs.stat(join(view.taskDir, TRANSCRIPT)).catch(() => ({ size: 0 }))).size;
}

/**
 * Prints the transcript's new lines from byte `from` on as they arrive (redacted across reads,
 * see cli/follow.js), until Ctrl-C. With --json, one `{ session, logs }` object per chunk.
 * @param {Ctx} ctx
 * @param {number} from
 */
export async function follow({ tm, args, json, surface }, from) {
  const { session } = args;
  if (tm instanceof RemoteManager) {
    // On a remote host: read and redacted there, a round trip a second (remote/logs-since.js).
    return followRemote(tm, session, from, {
      write: (out) => out && surface.io.out.write(json ? JSON.stringify({ session, logs: out }) + "\n" : out),
      warn: (line) => surface.io.err.write(`${line}\n`),
    });
  }
  const view = await tm.status(session, { lines: 1 });
  const path = join(view.taskDir, TRANSCRIPT);
  let offset = from;
  // The text just before the start is context, so a secret that began there is still seen.
  const before = await readRange(path, Math.max(0, offset - CONTEXT_BYTES), offset);
  const redactor = new FollowRedactor((t) => core.redact(t), before);
  const decoder = new StringDecoder("utf8");
  const write = (/** @type {string} */ out) => {
    if (out) surface.io.out.write(json ? JSON.stringify({ session, logs: out }) + "\n" : out);
  };
  let stopped = false;
  const stop = () => (stopped = true);
  process.once("SIGINT", stop);
  // A read that fails (EIO, the transcript replaced by something that is not a file) is
  // reported once and tried again at the next tick: the machine's trouble, not the end.
  let failing = "";
  try {
    while (!stopped) {
      let text = "";
      try {
        const got = await readNew(path, offset);
        if (got.truncated) {
          // Cut short under us (rotated, truncated by hand): what comes next is read from its
          // start, not from the old offset in the middle of some later line.
          surface.io.err.write(`warning [transcript_truncated]: the transcript of ${session} got shorter; following it from its start\n`);
          offset = 0;
          continue;
        }
        if (got.bytes.length > 0) {
          offset += got.bytes.length;
          text = decoder.write(got.bytes);
        }
        failing = "";
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        if (why !== failing) surface.io.err.write(`warning [transcript_unreadable]: cannot read the transcript of ${session} (${why}); trying again\n`);
        failing = why;
      }
      write(redactor.push(text, performance.now()));
      await tm.fx.sleep(500);
    }
  } finally {
    process.off("SIGINT", stop);
  }
  write(redactor.flush(performance.now()));
}
