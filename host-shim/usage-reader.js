// @ts-check
// Reads the usage an attempt has reported so far from its event file, for the monitor's
// Observation.usage. The core knows which events carry usage (agent data) and how to add them
// up (core.readUsage); this only feeds it the file's new whole lines, once each: it remembers,
// per task, how far it has read and the usage up to there, so a long run's events are never
// read twice. A monitor that starts afresh reads each file once from the start.
import core from "./core.js";
import { viaCore } from "./errors.js";
import { READ_NOFOLLOW } from "./exclusive-file.js";

/** @typedef {import("./wasm/core.js").Usage} Usage */
/** @typedef {import("./wasm/core.js").TaskRecord} TaskRecord */

/** Most bytes read from one event file per look (the rest waits for the next tick). */
const CHUNK_BYTES = 4 * 1024 * 1024;

export class UsageReader {
  /** @param {{ open: (path: string, flags: number) => Promise<import("node:fs/promises").FileHandle> }} fs */
  constructor(fs) {
    this.fs = fs;
    /** @type {Map<string, { attempt: number, offset: number, usage: Usage | null }>} task dir → progress */
    this.progress = new Map();
  }

  /**
   * The usage attempt `attempt` of the task has reported so far (null: none, or the agent
   * reports none).
   * @param {TaskRecord} record
   * @param {string} eventsPath that attempt's event file
   * @param {number} attempt
   * @returns {Promise<Usage | null>}
   */
  async read(record, eventsPath, attempt) {
    let p = this.progress.get(record.taskDir);
    if (!p || p.attempt !== attempt) {
      p = { attempt, offset: 0, usage: null };
      this.progress.set(record.taskDir, p);
    }
    let fh;
    try {
      fh = await this.fs.open(eventsPath, READ_NOFOLLOW);
    } catch {
      return p.usage;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return p.usage;
      // A file that shrank was replaced: read it again from the start.
      if (st.size < p.offset) Object.assign(p, { offset: 0, usage: null });
      while (p.offset < st.size) {
        const length = Math.min(CHUNK_BYTES, st.size - p.offset);
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, p.offset);
        // Whole lines only: a line still being written is read when it is complete.
        const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (end < 0) {
          // One line longer than a chunk is no usage event: skip past it.
          if (bytesRead === CHUNK_BYTES) p.offset += bytesRead;
          break;
        }
        const text = buf.subarray(0, end + 1).toString("utf8");
        const prev = p.usage;
        p.usage = viaCore(() => core.readUsage(record.spec.agent, prev, text));
        p.offset += end + 1;
        if (bytesRead < length) break;
      }
      return p.usage;
    } finally {
      await fh.close();
    }
  }

  /** Forgets tasks no longer listed. @param {Set<string>} taskDirs */
  keepOnly(taskDirs) {
    for (const dir of this.progress.keys()) if (!taskDirs.has(dir)) this.progress.delete(dir);
  }
}
