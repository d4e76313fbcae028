// @ts-check
// The real Gemini CLI (@google/gemini-cli, pinned in agents/gemini.json) pointed at the mock
// model server, with an isolated HOME. Found by running gemini 0.61.0 (see
// tests/fixtures/agent-output/gemini/README.md):
//   - GOOGLE_GEMINI_BASE_URL=<mock base> moves the Gemini API (plain HTTP to 127.0.0.1 is
//     accepted); GEMINI_API_KEY may be anything;
//   - headless needs an auth type chosen in ~/.gemini/settings.json (else exit 41 "Invalid auth
//     method selected") and a trusted folder (GEMINI_CLI_TRUST_WORKSPACE=true or --skip-trust,
//     else exit 55);
//   - `general.maxAttempts` bounds its own retries (default 10, backing off to 30 s: minutes of
//     silence on a 429);
//   - error reports are written to os.tmpdir(): TMPDIR points into the test's own folder.
// The CLI run directly (tests/e2e/mock-gemini.test.js); through TaskManager the suite uses ./agents.js.
import fs from "node:fs";
import path from "node:path";
import { CACHE, NODE24_BIN, writeGeminiSettings } from "./agents.js";

export const GEMINI_BIN = path.join(CACHE, "agents", "gemini", "node_modules", ".bin");
export const GEMINI_MODEL = "mock-model";

/**
 * Writes the settings into `home` and returns the environment to run `gemini` with.
 * @param {{ home: string, baseUrl: string, maxAttempts?: number, basePath?: string }} o
 * @returns {Record<string, string>}
 */
export function geminiEnv({ home, baseUrl, maxAttempts = 2, basePath = process.env.PATH ?? "/usr/bin:/bin" }) {
  const { tmp } = writeGeminiSettings(home, maxAttempts);
  return {
    HOME: home,
    PATH: `${GEMINI_BIN}:${NODE24_BIN}:${basePath}`,
    LANG: "C.UTF-8",
    TERM: "xterm-256color",
    TMPDIR: tmp,
    GEMINI_API_KEY: "mock-key",
    GOOGLE_GEMINI_BASE_URL: baseUrl,
    GEMINI_CLI_TRUST_WORKSPACE: "true",
  };
}

/** Our argv of a headless start: prompt on stdin, stream-json, preset session id. @param {string} id @param {string[]} [autonomy] */
export function geminiStartArgs(id, autonomy = ["--approval-mode", "auto_edit"]) {
  return ["-p", "", "--output-format", "stream-json", "--session-id", id, ...autonomy, "--model", GEMINI_MODEL];
}

/** Our argv of a resume by explicit id (never `latest` or an index). @param {string} id @param {string[]} [autonomy] */
export function geminiResumeArgs(id, autonomy = ["--approval-mode", "auto_edit"]) {
  return ["-p", "", "--output-format", "stream-json", "--resume", id, ...autonomy, "--model", GEMINI_MODEL];
}

/**
 * The session files gemini keeps for `id`: ~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl
 * (whose first line names the whole id).
 * @param {string} home @param {string} id
 * @returns {string[]}
 */
export function geminiSessionFiles(home, id) {
  const root = path.join(home, ".gemini", "tmp");
  /** @type {string[]} */
  const found = [];
  for (const project of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const chats = path.join(root, project, "chats");
    if (!fs.existsSync(chats)) continue;
    for (const f of fs.readdirSync(chats)) {
      if (!f.endsWith(`-${id.slice(0, 8)}.jsonl`)) continue;
      const first = fs.readFileSync(path.join(chats, f), "utf8").split("\n")[0];
      try {
        if (JSON.parse(first).sessionId === id) found.push(path.join(chats, f));
      } catch { /* not a session header */ }
    }
  }
  return found;
}
