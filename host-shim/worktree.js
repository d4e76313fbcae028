// @ts-check
// A git worktree per task (`start --worktree`): a new branch `rca/<name>` from the project's
// HEAD (or `--base`), checked out in a directory this package owns, outside the project, the
// state directory and /tmp. The task's project directory IS that worktree, fixed at start in
// host.json like everything a recovery is built from, so every resume runs there and the trust
// model's project checks (identity, `cd -P` to the recorded real path) apply unchanged.
//
// git runs by execFile (argv, no shell) with an environment of our own (no GIT_DIR,
// GIT_WORK_TREE, GIT_CONFIG_* … inherited) and with the repository's hooks and fsmonitor
// switched off: the project (or an agent that wrote its .git) must not run code through us.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, realpath, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { RcaError } from "./errors.js";

/** Prefix of every task branch. */
export const BRANCH_PREFIX = "rca/";
/** Settings on every git command we run: no hook or fsmonitor program from the repository. */
const SAFE = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"];
const GIT_TIMEOUT_MS = 60_000;
/** The operator's setup command (e.g. `npm ci`) may take a while, not forever. */
export const DEFAULT_SETUP_TIMEOUT_MS = 15 * 60_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * @typedef {object} WorktreeInfo what host.json keeps of a task's worktree
 * @property {string} repo the repository's top-level directory (real path)
 * @property {string} path the worktree (the task's project directory)
 * @property {string} branch e.g. rca/fix-login
 * @property {string} base the base as given (HEAD when none)
 * @property {string} baseCommit the commit the branch started from
 */

/**
 * The environment git runs with: only what it needs to find itself and the user's identity.
 * @param {Record<string, string | undefined>} env
 */
export function gitEnv(env) {
  /** @type {Record<string, string>} */
  const out = { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  for (const k of ["PATH", "HOME", "XDG_CONFIG_HOME"]) {
    const v = env[k];
    if (typeof v === "string" && v) out[k] = v;
  }
  return out;
}

/**
 * Runs `git -C dir …args` and resolves with its exit code and output (never throws for a
 * non-zero exit; a missing git is `git_unavailable`).
 * @param {string} dir
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export function git(dir, args, env) {
  return new Promise((resolve, reject) => {
    execFile("git", [...SAFE, "-C", dir, ...args], { env, timeout: GIT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT }, (err, stdout, stderr) => {
      const code = /** @type {any} */ (err)?.code;
      if (code === "ENOENT") {
        reject(new RcaError("git_unavailable", "git is not installed or not on PATH; install git to use --worktree"));
        return;
      }
      resolve({ code: err ? (typeof code === "number" ? code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Where worktrees go by default: beside the state directory (`<state>-worktrees`), so outside
 * it (a project must not be inside the state directory), outside /tmp (the state directory is
 * refused there), and on the user's own file system.
 * @param {string} stateDir
 */
export function defaultWorktreeRoot(stateDir) {
  return join(dirname(stateDir), `${basename(stateDir)}-worktrees`);
}

/**
 * Checks what `start --worktree` needs before anything is created: a repository, a free
 * branch name, a base that names a commit.
 * @param {{ projectDir: string, name: string, base?: string | null, env: Record<string, string> }} o
 * @returns {Promise<{ repo: string, branch: string, base: string, baseCommit: string, reuse: boolean }>}
 */
export async function planWorktree({ projectDir, name, base, env }) {
  const top = await git(projectDir, ["rev-parse", "--show-toplevel"], env);
  if (top.code !== 0 || !top.stdout.trim()) {
    throw new RcaError("not_a_git_repository", `${projectDir} is not inside a git repository; --worktree needs one (run git init, or start without --worktree)`, {
      details: { projectDir },
    });
  }
  const repo = await realpath(top.stdout.trim());
  const branch = `${BRANCH_PREFIX}${name}`;
  const fmt = await git(repo, ["check-ref-format", "--branch", branch], env);
  if (fmt.code !== 0) throw new RcaError("invalid_name", `${branch} is not a valid git branch name; choose another task name`);
  const baseRef = base ?? "HEAD";
  // A ref, a commit id or an expression like main~2; never an option.
  if (typeof baseRef !== "string" || !baseRef || baseRef.startsWith("-") || /[\0-\x20\x7f]/.test(baseRef) || baseRef.length > 256) {
    throw new RcaError("base_unknown", `--base ${JSON.stringify(baseRef)} is not a git revision; give a branch, tag or commit`);
  }
  const rev = await git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${baseRef}^{commit}`], env);
  if (rev.code !== 0 || !/^[0-9a-f]{40,64}$/.test(rev.stdout.trim())) {
    throw new RcaError("base_unknown", `the base ${baseRef} names no commit in ${repo}${base ? "" : " (a repository with no commit yet?)"}; give an existing branch, tag or commit with --base`, {
      details: { base: baseRef, repo },
    });
  }
  const exists = await git(repo, ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], env);
  const baseCommit = rev.stdout.trim();
  if (exists.code === 0) await checkStaleBranch({ repo, branch, baseRef, baseCommit, env });
  return { repo, branch, base: baseRef, baseCommit, reuse: exists.code === 0 };
}

/**
 * A branch `rca/<name>` that exists already (most often left by an earlier task of the same
 * name: `stop --cleanup` and prune keep branches) is reused — reset to the new base — only
 * when that loses nothing: every commit of it is in the base, and no worktree has it checked
 * out. Otherwise `branch_exists`, saying which and how to clear it.
 * @param {{ repo: string, branch: string, baseRef: string, baseCommit: string, env: Record<string, string> }} o
 */
async function checkStaleBranch({ repo, branch, baseRef, baseCommit, env }) {
  const list = await git(repo, ["worktree", "list", "--porcelain"], env);
  const at = checkedOutAt(list.stdout, branch);
  if (list.code !== 0 || at) {
    throw new RcaError("branch_exists", `the branch ${branch} already exists in ${repo} and is checked out${at ? ` in ${at}` : ""}; finish with that worktree (git -C ${repo} worktree remove ${at ?? "PATH"}), or choose another task name`, {
      details: { branch, repo, checkedOut: at },
    });
  }
  const merged = await git(repo, ["merge-base", "--is-ancestor", "--", `refs/heads/${branch}`, baseCommit], env);
  if (merged.code !== 0) {
    const count = await git(repo, ["rev-list", "--count", `${baseCommit}..refs/heads/${branch}`, "--"], env);
    const ahead = Number.parseInt(count.stdout.trim(), 10) || 0;
    throw new RcaError(
      "branch_exists",
      `the branch ${branch} already exists in ${repo} with ${ahead || "some"} commit(s) that ${baseRef} does not have (an earlier task of this name?); merge it, or delete it (git -C ${repo} branch -D ${branch}), or choose another task name`,
      { details: { branch, repo, ahead } },
    );
  }
}

/**
 * The worktree that has `branch` checked out, from `git worktree list --porcelain`, or null.
 * @param {string} porcelain
 * @param {string} branch
 */
function checkedOutAt(porcelain, branch) {
  for (const block of porcelain.split("\n\n")) {
    const lines = block.split("\n");
    if (lines.includes(`branch refs/heads/${branch}`)) return lines.find((l) => l.startsWith("worktree "))?.slice("worktree ".length) ?? "?";
  }
  return null;
}

/**
 * Creates the branch and its worktree under `root`, then runs the operator's setup command in
 * it. On any failure nothing is left behind (no worktree, no branch).
 * @param {{ repo: string, branch: string, base: string, baseCommit: string, reuse?: boolean }} plan
 * @param {{ root: string, session: string, env: Record<string, string>, setupCommand?: string[] | null,
 *   setupEnv?: Record<string, string>, setupTimeoutMs?: number }} o
 * @returns {Promise<WorktreeInfo>}
 */
export async function createWorktree(plan, { root, session, env, setupCommand, setupEnv, setupTimeoutMs }) {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const path = join(await realpath(root), `${session}-${randomBytes(4).toString("hex")}`);
  // -B: a stale branch found safe to reuse (checkStaleBranch) is reset to the base.
  const add = await git(plan.repo, ["worktree", "add", "--quiet", plan.reuse ? "-B" : "-b", plan.branch, "--", path, plan.baseCommit], env);
  if (add.code !== 0) {
    await rm(path, { recursive: true, force: true }).catch(() => {});
    await git(plan.repo, ["worktree", "prune"], env).catch(() => {});
    throw new RcaError("worktree_failed", `git worktree add failed: ${add.stderr.trim() || `exit ${add.code}`}`, { details: { repo: plan.repo } });
  }
  const info = { repo: plan.repo, branch: plan.branch, base: plan.base, baseCommit: plan.baseCommit, path };
  if (setupCommand && setupCommand.length) {
    const res = await runSetup(setupCommand, path, setupEnv ?? env, setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS);
    if (res) {
      await removeWorktree(info, env, { deleteBranch: true, force: true }).catch(() => {});
      throw new RcaError("setup_failed", `the setup command ${JSON.stringify(setupCommand)} failed in the new worktree (${res}); nothing was started and the worktree and branch were removed`, {
        details: { setupCommand },
      });
    }
  }
  return info;
}

/**
 * Runs the setup command (argv, no shell) in the worktree.
 * @param {string[]} argv
 * @param {string} cwd
 * @param {Record<string, string>} env
 * @param {number} timeoutMs
 * @returns {Promise<string | null>} why it failed, or null
 */
function runSetup(argv, cwd, env, timeoutMs) {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { cwd, env, timeout: timeoutMs, maxBuffer: MAX_OUTPUT }, (err, _stdout, stderr) => {
      if (!err) return resolve(null);
      const e = /** @type {any} */ (err);
      const tail = String(stderr).trim().split("\n").slice(-3).join(" | ").slice(0, 500);
      const how = e.killed ? `killed after ${timeoutMs} ms` : typeof e.code === "number" ? `exit ${e.code}` : String(e.code ?? e.message);
      resolve(tail ? `${how}: ${tail}` : how);
    });
  });
}

/**
 * Removes a task's worktree; the branch stays unless `deleteBranch`. A branch with commits not
 * merged into the base's branch (or HEAD) is kept unless `force`: `branch_unmerged`.
 * @param {WorktreeInfo} info
 * @param {Record<string, string>} env
 * @param {{ deleteBranch?: boolean, force?: boolean }} [o]
 */
export async function removeWorktree(info, env, o = {}) {
  if (o.deleteBranch && !o.force) {
    const ahead = await unmergedCommits(info, env);
    if (ahead > 0) throw unmergedError(info, ahead);
  }
  const rmTree = await git(info.repo, ["worktree", "remove", "--force", "--", info.path], env);
  if (rmTree.code !== 0) {
    // Already gone (removed by hand): forget git's entry for it.
    await rm(info.path, { recursive: true, force: true }).catch(() => {});
    await git(info.repo, ["worktree", "prune"], env);
  }
  if (o.deleteBranch) {
    const del = await git(info.repo, ["branch", "-D", "--", info.branch], env);
    if (del.code !== 0 && !/not found/.test(del.stderr)) {
      throw new RcaError("worktree_failed", `git branch -D ${info.branch} failed: ${del.stderr.trim()}`);
    }
  }
}

/**
 * Whether the worktree holds work not committed (changed, staged or new files; ignored ones
 * do not count). A worktree that is gone holds none; one git cannot read counts as holding some
 * (never thrown away on a guess).
 * @param {WorktreeInfo} info
 * @param {Record<string, string>} env
 */
export async function worktreeDirty(info, env) {
  const there = await lstat(info.path).then((st) => st.isDirectory(), () => false);
  if (!there) return false;
  const st = await git(info.path, ["status", "--porcelain"], env);
  return st.code !== 0 || st.stdout.trim() !== "";
}

/**
 * Commits of the task's branch that the repository's HEAD does not have (0 when merged).
 * @param {WorktreeInfo} info
 * @param {Record<string, string>} env
 */
export async function unmergedCommits(info, env) {
  const merged = await git(info.repo, ["merge-base", "--is-ancestor", "--", `refs/heads/${info.branch}`, "HEAD"], env);
  return merged.code === 0 ? 0 : commitsAhead(info, env);
}

/**
 * @param {WorktreeInfo} info
 * @param {number} ahead
 */
export function unmergedError(info, ahead) {
  return new RcaError("branch_unmerged", `the branch ${info.branch} has ${ahead} commit(s) not merged into ${info.repo}'s HEAD; merge it first, or add --force to delete it anyway`, {
    details: { branch: info.branch, ahead },
  });
}

/**
 * Commits on the task's branch that its base does not have.
 * @param {WorktreeInfo} info
 * @param {Record<string, string>} env
 */
export async function commitsAhead(info, env) {
  const res = await git(info.repo, ["rev-list", "--count", `${info.baseCommit}..refs/heads/${info.branch}`, "--"], env);
  return res.code === 0 ? Number.parseInt(res.stdout.trim(), 10) || 0 : 0;
}

/**
 * What `status` shows of a worktree: branch, commits ahead of the base and `git diff --stat`
 * of the worktree (committed and not) against the base. Null fields when git cannot tell
 * (the worktree was removed).
 * @param {WorktreeInfo} info
 * @param {Record<string, string>} env
 */
export async function worktreeStatus(info, env) {
  const ahead = await commitsAhead(info, env);
  const stat = await git(info.path, ["diff", "--stat", info.baseCommit, "--"], env).catch(() => null);
  return {
    branch: info.branch,
    base: info.base,
    baseCommit: info.baseCommit,
    path: info.path,
    repo: info.repo,
    commitsAhead: ahead,
    diffStat: stat && stat.code === 0 ? stat.stdout.trimEnd() : null,
  };
}

/**
 * A worktree record read back from host.json: only well-formed ones count.
 * @param {unknown} v
 * @returns {WorktreeInfo | null}
 */
export function parseWorktreeInfo(v) {
  const o = /** @type {any} */ (v);
  if (!o || typeof o !== "object") return null;
  const ok = ["repo", "path", "branch", "base", "baseCommit"].every((k) => typeof o[k] === "string" && o[k]);
  if (!ok || !o.path.startsWith("/") || !o.repo.startsWith("/") || !o.branch.startsWith(BRANCH_PREFIX)) return null;
  return { repo: o.repo, path: o.path, branch: o.branch, base: o.base, baseCommit: o.baseCommit };
}

/**
 * The operator's setup command: null, or a non-empty array of non-empty strings.
 * @param {unknown} v
 * @returns {string[] | null}
 */
export function checkSetupCommand(v) {
  if (v == null) return null;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x.length > 0 && !x.includes("\0"))) {
    throw new RcaError("invalid_config", "setupCommand must be an argv array of strings (run without a shell), e.g. [\"npm\", \"ci\"]");
  }
  return [...v];
}
