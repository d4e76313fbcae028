// @ts-check
// `resilient-agent doctor` end to end: the real CLI (a child process) checks fake agent CLIs on a
// private PATH (shell scripts that answer `--version`, `--help` and the login check like the
// real ones), the real tmux and a real state directory. Cases: all well, an agent missing, an
// old version, a flag missing from `--help`, not logged in (and an API key variable instead),
// a newer version (a warning only), an unsafe state directory. The facts come from the real
// agents' own data files (the `cli` object of agents/<name>.json), so a pin bump keeps these
// tests honest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI } from "./helpers.js";
import { withTestDir } from "../support/dirs.js";

/** The `cli` facts of a built-in agent's data file. @param {string} agent */
const cliFacts = (agent) => JSON.parse(readFileSync(new URL(`../../agents/${agent}.json`, import.meta.url), "utf8")).cli;
const FACTS = { codex: cliFacts("codex"), claude: cliFacts("claude") };
const CODEX = FACTS.codex;
/** Every flag a fake codex lists unless a test drops one. */
const CODEX_FLAGS = CODEX.help.flatMap((/** @type {{ flags: string[] }} */ h) => h.flags);
/** Where tmux (and sh) are: the fakes' PATH holds nothing else, so no real agent CLI is found. */
const SYSTEM_PATH = "/usr/bin:/bin";

/**
 * A fake codex: `--version` prints `version`, every `--help` lists `flags` (as clap prints
 * them), `login status` exits `login`.
 * @param {string} bin
 * @param {{ version?: string, flags?: string[], login?: number }} o
 */
function fakeCodex(bin, { version = CODEX.verified_version, flags = CODEX_FLAGS, login = 0 } = {}) {
  mkdirSync(bin, { recursive: true });
  const help = flags.map((f) => `      ${f} <VALUE>\n          what it does`).join("\n");
  const script = [
    "#!/bin/sh",
    `case "$*" in`,
    `  --version) echo "codex-cli ${version}" ;;`,
    `  *--help*) printf '%s\\n' 'Usage: codex exec [OPTIONS] [PROMPT]' '' 'Options:' '${help.replaceAll("'", "")}' ;;`,
    `  "login status") if [ ${login} = 0 ]; then echo "Logged in using ChatGPT"; else echo "Not logged in" >&2; fi; exit ${login} ;;`,
    `  *) echo "unexpected: $*" >&2; exit 2 ;;`,
    "esac",
  ].join("\n");
  writeFileSync(join(bin, "codex"), script + "\n");
  chmodSync(join(bin, "codex"), 0o755);
}

/**
 * Runs `resilient-agent doctor --json …` with only `bin` and the system directories on PATH.
 * @param {string} root
 * @param {string} bin
 * @param {string[]} args
 * @param {Record<string, string>} [extraEnv]
 * @returns {Promise<{ code: number, report: any, stderr: string, stdout: string }>}
 */
function doctor(root, bin, args, extraEnv = {}) {
  const home = join(root, "home");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = { PATH: `${bin}:${SYSTEM_PATH}`, HOME: home, LANG: "C.UTF-8", ...extraEnv };
  return new Promise((resolve) => {
    // A test's own --state-dir replaces the default one (a single-value option may be given once).
    const stateDir = args.includes("--state-dir") ? [] : ["--state-dir", join(root, "state")];
    execFile(process.execPath, [CLI, "doctor", ...stateDir, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? Number(/** @type {any} */ (err).code) : 0;
      let report = null;
      try {
        report = JSON.parse(stdout);
      } catch {
        // text output, or nothing
      }
      resolve({ code, report, stderr, stdout });
    });
  });
}

/** @param {any} report @param {string} agent */
const agentOf = (report, agent) => report.agents.find((/** @type {any} */ a) => a.agent === agent);

test("all well: the named agent found, verified, every flag present, logged in; tmux and the state directory fine → exit 0", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin);
    const r = await doctor(root, bin, ["--json", "--agent", "codex"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.report.ok, true);
    const codex = agentOf(r.report, "codex");
    assert.equal(codex.program, join(bin, "codex"));
    assert.equal(codex.version, CODEX.verified_version);
    assert.equal(codex.versionStatus, "verified");
    assert.deepEqual(codex.flagsMissing, []);
    assert.equal(codex.login, "logged_in");
    assert.equal(codex.policy.sandbox, "os");
    assert.deepEqual(codex.problems, []);
    assert.equal(r.report.tmux.ok, true);
    assert.match(r.report.tmux.version, /^\d+\.\d+[a-z]?$/);
    assert.equal(r.report.stateDir.ok, true);
    // The other agents are reported but, not named, do not count.
    const claude = agentOf(r.report, "claude");
    assert.equal(claude.configured, false);
    assert.equal(claude.problems[0].code, "agent_missing");
    // The same in text: one line per agent and the verdict.
    const text = await doctor(root, bin, ["--agent", "codex"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^\[ok\] codex: .*codex {2}\d+\.\d+\.\d+ \(verified/m);
    assert.match(text.stdout, /doctor: everything the configured agents need is in place/);
  });
});

test("without --agent the installed agents count: only codex installed and well → exit 0", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin);
    const r = await doctor(root, bin, ["--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(r.report.agents.filter((/** @type {any} */ a) => a.configured).map((/** @type {any} */ a) => a.agent), ["codex"]);
  });
});

test("an agent missing: named but not on PATH → exit 1, agent_missing naming the package to install", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin);
    const r = await doctor(root, bin, ["--json", "--agent", "codex", "--agent", "claude"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.equal(r.report.ok, false);
    const claude = agentOf(r.report, "claude");
    assert.equal(claude.configured, true);
    assert.equal(claude.program, null);
    assert.equal(claude.problems[0].code, "agent_missing");
    assert.match(claude.problems[0].message, new RegExp(`${FACTS.claude.package}@${FACTS.claude.verified_version.replaceAll(".", "\\.")}`));
    assert.equal(agentOf(r.report, "codex").ok, true);
    // No agent installed at all is a failure too.
    const none = await doctor(root, join(root, "empty-bin"), ["--json"]);
    assert.equal(none.code, 1);
    assert.equal(none.report.agents.some((/** @type {any} */ a) => a.configured), false);
  });
});

test("an old version: below the oldest verified → exit 1, agent_too_old; a newer one is only a warning", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin, { version: "0.100.0" });
    const r = await doctor(root, bin, ["--json", "--agent", "codex"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const codex = agentOf(r.report, "codex");
    assert.equal(codex.version, "0.100.0");
    assert.equal(codex.versionStatus, "older");
    assert.deepEqual(codex.problems.map((/** @type {any} */ p) => p.code), ["agent_too_old"]);

    fakeCodex(bin, { version: "99.0.0" });
    const newer = await doctor(root, bin, ["--json", "--agent", "codex"]);
    assert.equal(newer.code, 0, newer.stderr + newer.stdout);
    const c2 = agentOf(newer.report, "codex");
    assert.equal(c2.versionStatus, "newer");
    assert.deepEqual(c2.warnings.map((/** @type {any} */ w) => w.code), ["agent_newer"]);
  });
});

test("a missing flag: --help no longer lists a flag a task uses → exit 1, agent_flag_missing naming it", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin, { flags: CODEX_FLAGS.filter((/** @type {string} */ f) => f !== "--skip-git-repo-check") });
    const r = await doctor(root, bin, ["--json", "--agent", "codex"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const codex = agentOf(r.report, "codex");
    assert.ok(codex.flagsMissing.includes("--skip-git-repo-check"), JSON.stringify(codex));
    assert.equal(codex.problems[0].code, "agent_flag_missing");
    assert.match(codex.problems[0].message, /--skip-git-repo-check/);
  });
});

test("not logged in → exit 1; an API key variable the task gets instead → exit 0 (its value never printed)", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin, { login: 1 });
    const r = await doctor(root, bin, ["--json", "--agent", "codex"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const codex = agentOf(r.report, "codex");
    assert.equal(codex.login, "not_logged_in");
    assert.equal(codex.problems[0].code, "agent_not_logged_in");
    assert.match(codex.problems[0].message, /Not logged in/);

    const secret = "sk-doctortest-0123456789abcdefghijkl";
    const withKey = await doctor(root, bin, ["--json", "--agent", "codex"], { OPENAI_API_KEY: secret });
    assert.equal(withKey.code, 0, withKey.stderr + withKey.stdout);
    assert.equal(agentOf(withKey.report, "codex").login, "api_key_env");
    assert.ok(!withKey.stdout.includes(secret) && !withKey.stderr.includes(secret));
  });
});

test("an unsafe state directory (under /tmp) → exit 1 with state_dir_unsafe, nothing created", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const bin = join(root, "bin");
    fakeCodex(bin);
    const unsafe = `/tmp/rca-doctor-never-created-${process.pid}`;
    const r = await doctor(root, bin, ["--json", "--agent", "codex", "--state-dir", unsafe]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.equal(r.report.stateDir.ok, false);
    assert.equal(r.report.stateDir.problems[0].code, "state_dir_unsafe");
    assert.equal(r.report.stateDir.exists, false);
  });
});

test("an unknown --agent is a usage error (exit 2)", async () => {
  await withTestDir("rca-doctor-", async (root) => {
    const r = await doctor(root, join(root, "bin"), ["--json", "--agent", "nosuchagent"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /"code":"usage"/);
  });
});
