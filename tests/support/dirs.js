// @ts-check
// Where tests put their state and project directories: never under /tmp (the package refuses
// a state directory a sandboxed agent could write, and /tmp is writable by every sandbox) and
// never inside the clone (a project must not contain the state directory). The root is
// $RCA_TEST_DIR, else ~/.local/state/resilient-coding-agent-tests, created 0700.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The root every test directory is made under (created 0700 on first use). */
export function testRoot() {
  const root = process.env.RCA_TEST_DIR
    ? resolve(process.env.RCA_TEST_DIR)
    : join(homedir(), ".local", "state", "resilient-coding-agent-tests");
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return root;
}

/**
 * A fresh, unpredictably named directory (0700) for one test: `<root>/<prefix>XXXXXX`.
 * @param {string} prefix e.g. "rca-e2e-"
 */
export function makeTestDir(prefix) {
  return mkdtempSync(join(testRoot(), prefix));
}

/**
 * Runs `fn` with a fresh test directory (see makeTestDir) and removes it afterwards, whatever
 * `fn` did.
 * @param {string} prefix
 * @param {(dir: string) => Promise<void>} fn
 */
export async function withTestDir(prefix, fn) {
  const dir = makeTestDir(prefix);
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
