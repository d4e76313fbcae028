// @ts-check
// The four real agent CLIs as the conformance suite runs them: where the pinned binaries are,
// and how each one is pointed at the mock model server with an isolated HOME. Found by running
// them (see tests/conformance/README.md):
//   codex     $CODEX_HOME/config.toml: model_provider "mock" (wire_api "responses"), model
//             "mock-model"; no key needed for a custom provider
//   claude    ANTHROPIC_BASE_URL=<mock> and any ANTHROPIC_API_KEY; CLAUDE_CODE_MAX_RETRIES bounds
//             its own retries (default ~10, minutes of waiting)
//   opencode  $XDG_CONFIG_HOME/opencode/opencode.json: provider "mock" with
//             npm "@ai-sdk/openai-compatible" (bundled in 1.18.33: it works with the npm
//             registry unreachable) and baseURL <mock>/v1; model "mock/mock-model" (-m)
//   pi        ~/.pi/agent/models.json: provider "mock", api "openai-completions",
//             baseUrl <mock>/v1; settings.json defaultProvider/defaultModel; PI_OFFLINE=1
//   gemini    GOOGLE_GEMINI_BASE_URL=<mock> (plain HTTP to 127.0.0.1 works) and any
//             GEMINI_API_KEY; the user's headless setup in ~/.gemini: settings.json chooses the
//             auth type (else exit 41) and bounds its retries (general.maxAttempts, default 10
//             backing off to 30 s), trustedFolders.json trusts the folder (else exit 55);
//             TMPDIR a private folder (it writes its error reports to os.tmpdir())

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CACHE = process.env.RCA_TEST_CACHE || path.join(os.homedir(), ".cache", "resilient-coding-agent-tests");
export const AGENTS = /** @type {const} */ (["codex", "claude", "opencode", "pi", "gemini"]);
/** @typedef {(typeof AGENTS)[number]} Agent */

/** The verified versions and needs of each CLI (the `cli` object of agents/<name>.json: the installer's pins). */
const VERIFIED = Object.fromEntries(AGENTS.map((a) => [a, JSON.parse(fs.readFileSync(path.join(REPO, "agents", `${a}.json`), "utf8")).cli]));
/** Pinned versions (the installer's pins; checked against `--version` there). */
export const VERSIONS = Object.fromEntries(AGENTS.map((a) => [a, String(VERIFIED[a].verified_version)]));
/** True when the CLI needs a newer Node than this one (Node 24 then goes first on its PATH). @param {Agent} agent */
const needsNode24 = (agent) => Number(VERIFIED[agent].needs_node ?? 0) > Number(process.versions.node.split(".")[0]);

/** The model name each agent is given (`-m` / `--model` / `--provider --model`). */
export const MODEL = { codex: "mock-model", claude: "mock-model", opencode: "mock/mock-model", pi: "mock/mock-model", gemini: "mock-model" };

export const NODE24_BIN = path.join(CACHE, "node-24", "bin");

/** @param {Agent} agent */
export function binDir(agent) { return path.join(CACHE, "agents", agent, "node_modules", ".bin"); }

/**
 * Runs scripts/install-agent-clis.sh (idempotent). Throws with the installer's own reason when
 * a download fails: the suite must fail loudly, never skip.
 * @param {readonly Agent[]} [agents]
 */
export function installAgents(agents = AGENTS) {
  try {
    execFileSync("bash", [path.join(REPO, "scripts", "install-agent-clis.sh"), ...agents], {
      cwd: REPO, stdio: ["ignore", "pipe", "pipe"], timeout: 15 * 60_000, encoding: "utf8",
    });
  } catch (err) {
    const e = /** @type {any} */ (err);
    throw new Error(`installing the agent CLIs failed (scripts/install-agent-clis.sh exit ${e.status ?? e.signal}):\n${e.stderr ?? ""}${e.stdout ?? ""}`);
  }
}

/**
 * Writes the agent's configuration into `home` (an empty private folder) pointing at `baseUrl`
 * (the mock's root or a lane/mode URL, without /v1), and returns the environment to run it with.
 * @param {Agent} agent
 * @param {{ home: string, baseUrl: string, basePath?: string }} o
 * @returns {Record<string, string>}
 */
export function agentEnv(agent, { home, baseUrl, basePath = process.env.PATH ?? "/usr/bin:/bin" }) {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  /** @type {Record<string, string>} */
  const env = {
    HOME: home,
    // A JavaScript CLI that needs a newer Node (Pi 1.x: >= 22.19) runs with Node 24 first.
    PATH: needsNode24(agent) ? `${binDir(agent)}:${NODE24_BIN}:${basePath}` : `${binDir(agent)}:${basePath}`,
    LANG: "C.UTF-8",
    TERM: "xterm-256color",
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local", "share"),
    XDG_STATE_HOME: path.join(home, ".local", "state"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    // No proxies: everything goes to 127.0.0.1.
    NO_PROXY: "127.0.0.1,localhost",
  };
  const v1 = `${baseUrl}/v1`;
  switch (agent) {
    case "codex": {
      const codexHome = path.join(home, ".codex");
      fs.mkdirSync(codexHome, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(codexHome, "config.toml"), [
        `model = "mock-model"`,
        `model_provider = "mock"`,
        `[model_providers.mock]`,
        `name = "mock"`,
        `base_url = ${JSON.stringify(v1)}`,
        `wire_api = "responses"`,
        // Codex retries 401/429/5xx itself (5 times by default, with backoff); fewer keeps the
        // suite short and leaves the behaviour the same.
        `request_max_retries = 1`,
        `stream_max_retries = 1`,
        ``,
      ].join("\n"));
      env.CODEX_HOME = codexHome;
      break;
    }
    case "claude":
      env.ANTHROPIC_BASE_URL = baseUrl;
      env.ANTHROPIC_API_KEY = "mock-key";
      env.CLAUDE_CODE_MAX_RETRIES = "1";
      env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1";
      env.DISABLE_AUTOUPDATER = "1";
      // Claude Code 2.1.330 declares Node >= 22 (its binary is native; Node 24 goes first on
      // PATH for anything it runs with node).
      env.PATH = `${binDir(agent)}:${NODE24_BIN}:${basePath}`;
      break;
    case "opencode": {
      const dir = path.join(home, ".config", "opencode");
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, "opencode.json"), JSON.stringify({
        $schema: "https://opencode.ai/config.json",
        autoupdate: false,
        share: "disabled",
        model: "mock/mock-model",
        provider: {
          mock: {
            npm: "@ai-sdk/openai-compatible",
            name: "Mock",
            options: { baseURL: v1, apiKey: "mock-key" },
            models: { "mock-model": { name: "mock-model" } },
          },
        },
      }, null, 2));
      env.OPENCODE_DISABLE_AUTOUPDATE = "1";
      env.OPENCODE_DISABLE_MODELS_FETCH = "1";
      break;
    }
    case "pi": {
      const dir = path.join(home, ".pi", "agent");
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, "models.json"), JSON.stringify({
        providers: {
          mock: {
            baseUrl: v1, api: "openai-completions", apiKey: "mock-key",
            compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
            models: [{ id: "mock-model", name: "mock-model", contextWindow: 128000, maxTokens: 4096 }],
          },
        },
      }, null, 2));
      fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify({
        defaultProvider: "mock", defaultModel: "mock-model", quietStartup: true,
        // Pi retries transient errors 3 times (2, 4, 8 s); shorter delays keep the suite short.
        retry: { enabled: true, maxRetries: 2, baseDelayMs: 500 },
      }, null, 2));
      env.PI_OFFLINE = "1";
      break;
    }
    case "gemini": {
      // Two attempts (one retry ~5 s later) instead of ten backing off to 30 s.
      const { dir, tmp } = writeGeminiSettings(home, 2);
      // The test's whole folder (its projects are inside) is trusted, as a user trusts theirs.
      fs.writeFileSync(path.join(dir, "trustedFolders.json"), JSON.stringify({ [fs.realpathSync(path.dirname(home))]: "TRUST_FOLDER" }, null, 2));
      env.GOOGLE_GEMINI_BASE_URL = baseUrl;
      env.GEMINI_API_KEY = "mock-key";
      env.TMPDIR = tmp;
      break;
    }
  }
  return env;
}

/**
 * Gemini's headless settings in a private HOME (an auth type chosen, `maxAttempts` bounding its
 * silent retries) and a private TMPDIR for its error reports.
 * @param {string} home
 * @param {number} maxAttempts
 */
export function writeGeminiSettings(home, maxAttempts) {
  const dir = path.join(home, ".gemini");
  const tmp = path.join(home, "tmp");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify({
    security: { auth: { selectedType: "gemini-api-key" } },
    general: { maxAttempts },
  }, null, 2));
  return { dir, tmp };
}

/**
 * The session id an agent printed in its event stream (agent-clis.md). Written here rather than
 * taken from the core, so the tests check the core's recorded id against an independent reading.
 * @param {Agent} agent
 * @param {string} text the agent's stdout (JSON lines)
 * @returns {string | null}
 */
export function sessionIdInEvents(agent, text) {
  for (const line of text.split("\n")) {
    let ev;
    try { ev = JSON.parse(line); } catch { continue; }
    if (agent === "codex" && ev.type === "thread.started") return ev.thread_id;
    if (agent === "claude" && typeof ev.session_id === "string") return ev.session_id;
    if (agent === "opencode" && typeof ev.sessionID === "string") return ev.sessionID;
    if (agent === "pi" && ev.type === "session") return ev.id;
    if (agent === "gemini" && ev.type === "init") return ev.session_id;
  }
  return null;
}

/** Claude's project folder name: every non-alphanumeric character of the cwd becomes '-'. @param {string} cwd */
export function claudeProjectDir(cwd) { return cwd.replace(/[^A-Za-z0-9]/g, "-"); }

/**
 * Whether the agent's OWN session store holds the conversation `id`.
 * codex: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-*-<id>.jsonl; claude:
 * ~/.claude/projects/<cwd>/<id>.jsonl; opencode: `opencode export <id>` succeeds; pi: the session
 * file's header has that id; gemini: ~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl
 * whose first line names the whole id.
 * @param {Agent} agent
 * @param {{ env: Record<string, string>, id: string, projectDir: string, sessionFile?: string }} o
 * @returns {Promise<{ found: boolean, where: string }>}
 */
export async function sessionInStore(agent, { env, id, projectDir, sessionFile }) {
  switch (agent) {
    case "codex": {
      const root = path.join(env.CODEX_HOME, "sessions");
      const hits = findFiles(root, (f) => f.startsWith("rollout-") && f.endsWith(`-${id}.jsonl`));
      return { found: hits.length === 1, where: hits.join(", ") || `no rollout for ${id} under ${root}` };
    }
    case "claude": {
      const f = path.join(env.HOME, ".claude", "projects", claudeProjectDir(projectDir), `${id}.jsonl`);
      return { found: fs.existsSync(f), where: f };
    }
    case "opencode": {
      const r = await run(path.join(binDir("opencode"), "opencode"), ["export", id], { env, cwd: projectDir, timeoutMs: 60_000 });
      return { found: r.code === 0 && r.stdout.includes(id), where: `opencode export ${id}: exit ${r.code}` };
    }
    case "pi": {
      if (!sessionFile || !fs.existsSync(sessionFile)) return { found: false, where: `${sessionFile} missing` };
      const first = fs.readFileSync(sessionFile, "utf8").split("\n", 1)[0];
      let hdr = null;
      try { hdr = JSON.parse(first); } catch { /* not JSON */ }
      return { found: !!hdr && hdr.type === "session" && hdr.id === id, where: `${sessionFile}: ${first.slice(0, 200)}` };
    }
    case "gemini": {
      const root = path.join(env.HOME, ".gemini", "tmp");
      const hits = findFiles(root, (f) => f.startsWith("session-") && f.endsWith(`-${id.slice(0, 8)}.jsonl`)).filter((f) => {
        try { return JSON.parse(fs.readFileSync(f, "utf8").split("\n", 1)[0]).sessionId === id; } catch { return false; }
      });
      // A resume in a later minute may write the same session (same sessionId header) to a new
      // file named after that minute (seen: session-…T15-12-<id8> and …T15-13-<id8>); every
      // file found must be this session's, and there must be one.
      return { found: hits.length >= 1, where: hits.join(", ") || `no session file for ${id} under ${root}` };
    }
  }
  return { found: false, where: "unknown agent" };
}

/** @param {string} root @param {(name: string) => boolean} pred @returns {string[]} */
function findFiles(root, pred) {
  /** @type {string[]} */
  const out = [];
  /** @param {string} d @param {number} depth */
  const walk = (d, depth) => {
    if (depth > 6) return;
    let ents;
    try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (pred(e.name)) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

/**
 * Runs a program (no shell) with stdin text, a time limit, and captures everything.
 * @param {string} file @param {string[]} args
 * @param {{ env: Record<string, string>, cwd: string, input?: string, timeoutMs: number, killSignal?: NodeJS.Signals, onStdout?: (chunk: string) => void }} o
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, timedOut: boolean }>}
 */
export function run(file, args, { env, cwd, input, timeoutMs, killSignal = "SIGTERM", onStdout }) {
  return new Promise((resolve) => {
    let timedOut = false;
    const child = execFile(file, args, { env, cwd, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      clearTimeout(timer);
      const e = /** @type {any} */ (err);
      resolve({
        code: err ? (typeof e.code === "number" ? e.code : null) : 0,
        signal: err ? (e.signal ?? null) : null,
        stdout: String(stdout), stderr: String(stderr), timedOut,
      });
    });
    if (onStdout) child.stdout?.on("data", (c) => onStdout(String(c)));
    const timer = setTimeout(() => { timedOut = true; child.kill(killSignal); }, timeoutMs);
    child.stdin?.end(input ?? "");
  });
}
