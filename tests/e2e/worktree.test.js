// @ts-check
// A git worktree per task, on real tmux and real git: isolation between two tasks on one
// repository, resume after SIGKILL in the same worktree, cleanup that keeps the branch, a
// failing setup command that leaves nothing behind, and the refusals with stable codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskManager } from "../../host-shim/index.js";
import { world, waitFor, collect, agentPid, FAST } from "./helpers.js";

const w = await world();
const repo = w.projectDir;
/** @param {string[]} args @param {string} [cwd] */
const git = (args, cwd = repo) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd, encoding: "utf8" }).trim();
git(["init", "-q", "-b", "main"]);
await writeFile(join(repo, "README.md"), "hello\n");
git(["add", "README.md"]);
git(["commit", "-q", "-m", "init"]);
const worktreeRoot = join(w.root, "worktrees");

/** @param {Partial<import("../../host-shim/task-manager.js").TaskManagerOptions>} [o] */
function manager(o = {}) {
  return new TaskManager({ stateDir: w.stateDir, tmuxSocket: w.socket, env: w.agentEnv(), config: FAST, worktreeRoot, ...o });
}
/** @param {string} branch */
const branchExists = (branch) => {
  try {
    git(["show-ref", "--verify", "--quiet", `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
};

test("two tasks on one repository each commit in their own worktree and neither sees the other's", async () => {
  const tm = manager({ setupCommand: [process.execPath, "-e", "require('fs').writeFileSync('.setup-done', process.cwd())"] });
  const events = collect(tm);
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const a = await tm.start({ agent: "codex", name: "wt-a", projectDir: repo, prompt: "task a", worktree: true, env: { RCA_FAKE_COMMIT: "a.txt" } });
    const b = await tm.start({ agent: "codex", name: "wt-b", projectDir: repo, prompt: "task b", worktree: true, env: { RCA_FAKE_COMMIT: "b.txt" } });
    assert.equal(a.branch, "rca/wt-a");
    assert.notEqual(a.projectDir, b.projectDir);
    assert.ok(a.projectDir.startsWith(realpathSync(worktreeRoot) + "/"), a.projectDir);
    for (const v of [a, b]) {
      await waitFor(async () => (await tm.status(v.session)).state === "completed", { what: `${v.session} completed` });
    }
    // Each commit is on its own branch, in its own worktree; the main checkout is untouched.
    assert.ok(existsSync(join(a.projectDir, "a.txt")) && !existsSync(join(a.projectDir, "b.txt")));
    assert.ok(existsSync(join(b.projectDir, "b.txt")) && !existsSync(join(b.projectDir, "a.txt")));
    assert.ok(!existsSync(join(repo, "a.txt")) && !existsSync(join(repo, "b.txt")));
    assert.equal(git(["log", "--format=%s", "-1", "rca/wt-a"]), "fake codex: a.txt");
    assert.equal(git(["log", "--format=%s", "-1", "rca/wt-b"]), "fake codex: b.txt");
    assert.equal(git(["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    // The operator's setup command ran in each new worktree before the agent.
    assert.equal(await readFile(join(a.projectDir, ".setup-done"), "utf8"), a.projectDir);
    // The agent ran in the worktree (its cwd), never in the repository.
    const calls = await w.calls();
    assert.deepEqual(new Set(calls.map((c) => c.cwd)), new Set([a.projectDir, b.projectDir]));
    const st = await tm.status(a.session);
    assert.equal(st.worktree?.branch, "rca/wt-a");
    assert.equal(st.worktree?.commitsAhead, 1);
    assert.match(st.worktree?.diffStat ?? "", /a\.txt \| 1 \+/);
    const listed = await tm.list();
    assert.deepEqual(listed.map((v) => v.branch).sort(), ["rca/wt-a", "rca/wt-b"]);
    const done = events.filter((e) => e.kind === "completed");
    assert.deepEqual(done.map((e) => /** @type {any} */ (e).branch).sort(), ["rca/wt-a", "rca/wt-b"], "the completion event names the branch");
  } finally {
    ctl.abort();
    await watching;
  }
});

test("stop --cleanup removes the worktree and keeps the branch; --delete-branch refuses unmerged work unless forced", async () => {
  const tm = manager();
  const a = await tm.status("codex-wt-a");
  await tm.stop("codex-wt-a", { cleanup: true });
  assert.ok(!existsSync(a.projectDir), "worktree removed");
  assert.ok(branchExists("rca/wt-a"), "branch kept");
  assert.ok(!git(["worktree", "list"]).includes(a.projectDir));
  const b = await tm.status("codex-wt-b");
  await assert.rejects(tm.stop("codex-wt-b", { cleanup: true, deleteBranch: true }), (e) => /** @type {any} */ (e).code === "branch_unmerged");
  assert.ok(existsSync(b.projectDir), "a refusal changes nothing");
  assert.equal((await tm.status("codex-wt-b")).state, "completed");
  await tm.stop("codex-wt-b", { cleanup: true, deleteBranch: true, force: true });
  assert.ok(!branchExists("rca/wt-b") && !existsSync(b.projectDir));
});

test("a resume after SIGKILL runs in the same worktree", async () => {
  const tm = manager({ env: w.agentEnv({ RCA_FAKE_WORK_MS: "30000" }) });
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const v = await tm.start({ agent: "codex", name: "wt-kill", projectDir: repo, prompt: "long", worktree: true });
    const pid = await waitFor(() => agentPid(v.taskDir, 1), { what: "pid.1" });
    await waitFor(async () => (await tm.status(v.session)).agentSessionId, { what: "session id" });
    process.kill(pid, "SIGKILL");
    await waitFor(async () => (await tm.status(v.session)).state === "running" && (await tm.status(v.session)).attempts === 2, { what: "attempt 2 running" });
    // The agent logs its run as it begins, a moment after the wrapper: wait for that line.
    const runs = await waitFor(async () => {
      const mine = (await w.calls()).filter((c) => c.taskDir === v.taskDir);
      return mine.length >= 2 ? mine : null;
    }, { what: "both runs logged" });
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((c) => c.cwd), [v.projectDir, v.projectDir]);
    assert.ok(runs[1].argv.includes("resume"));
    await tm.stop(v.session, { cleanup: true, deleteBranch: true });
    assert.ok(!branchExists("rca/wt-kill"), "a branch with no commits of its own is deleted without --force");
  } finally {
    ctl.abort();
    await watching;
  }
});

test("a failing setup command fails the start and leaves nothing behind", async () => {
  const tm = manager({ setupCommand: [process.execPath, "-e", "process.stderr.write('npm ERR! boom\\n'); process.exit(3)"] });
  const before = await readdir(worktreeRoot);
  await assert.rejects(tm.start({ agent: "codex", name: "wt-setup", projectDir: repo, prompt: "x", worktree: true }), (e) => {
    const err = /** @type {any} */ (e);
    assert.equal(err.code, "setup_failed");
    assert.match(err.message, /exit 3: npm ERR! boom/);
    return true;
  });
  assert.deepEqual(await readdir(worktreeRoot), before, "no worktree directory");
  assert.ok(!branchExists("rca/wt-setup"), "no branch");
  assert.ok(!git(["worktree", "list"]).includes("wt-setup"), "no worktree entry");
  await assert.rejects(tm.status("codex-wt-setup"), (e) => /** @type {any} */ (e).code === "task_not_found");
  assert.equal((await readdir(join(w.stateDir, "tasks"))).filter((d) => d.includes("wt-setup")).length, 0, "no task directory");
});

test("refusals: not a repository, an existing branch, an unknown base (nothing is created)", async () => {
  const tm = manager();
  const plain = join(w.root, "plain");
  await mkdir(plain);
  const code = async (/** @type {Record<string, unknown>} */ extra) =>
    tm.start(/** @type {any} */ ({ agent: "codex", name: "wt-no", projectDir: repo, prompt: "x", worktree: true, ...extra })).then(
      () => "started",
      (e) => e.code,
    );
  assert.equal(await code({ projectDir: plain }), "not_a_git_repository");
  // A branch of that name with a commit the base lacks, or checked out somewhere: refused.
  git(["checkout", "-q", "-b", "rca/wt-no"]);
  git(["commit", "-q", "--allow-empty", "-m", "stale work"]);
  git(["checkout", "-q", "main"]);
  assert.equal(await code({}), "branch_exists");
  git(["branch", "-D", "rca/wt-no"]);
  const elsewhere = join(w.root, "elsewhere");
  git(["worktree", "add", "-q", "-b", "rca/wt-no", elsewhere]);
  await assert.rejects(tm.start({ agent: "codex", name: "wt-no", projectDir: repo, prompt: "x", worktree: true }), (e) => {
    const err = /** @type {any} */ (e);
    return err.code === "branch_exists" && err.message.includes(`checked out in ${realpathSync(elsewhere)}`);
  });
  git(["worktree", "remove", elsewhere]);
  git(["branch", "-D", "rca/wt-no"]);
  assert.equal(await code({ base: "no-such-branch" }), "base_unknown");
  assert.equal(await code({ base: "--upload-pack=evil" }), "base_unknown");
  assert.equal(await code({ worktree: false, base: "main" }), "invalid_option");
  assert.ok(!branchExists("rca/wt-no"));
  // --base picks the start point.
  git(["commit", "-q", "--allow-empty", "-m", "second"]);
  const v = await tm.start({ agent: "codex", name: "wt-base", projectDir: repo, prompt: "x", worktree: true, base: "main~1" });
  assert.equal(git(["rev-parse", "rca/wt-base"]), git(["rev-parse", "main~1"]));
  await tm.stop(v.session, { cleanup: true, deleteBranch: true });
});

test("the CLI: start --worktree --no-auto-resume, status and list show the branch, stop --cleanup --delete-branch", async () => {
  const started = await w.cli(["start", "--agent", "demo", "--name", "wt-cli", "--dir", repo, "--worktree", "--no-auto-resume", "--prompt", "x", "--json"], {
    env: { RCA_DEMO_MODE: "hang" },
  });
  assert.equal(started.code, 0, started.stderr);
  const view = JSON.parse(started.stdout);
  assert.equal(view.branch, "rca/wt-cli");
  assert.equal(view.autoResume, false);
  const status = await w.cli(["status", "demo-wt-cli", "--json"]);
  const st = JSON.parse(status.stdout);
  assert.equal(st.worktree.branch, "rca/wt-cli");
  assert.equal(st.worktree.commitsAhead, 0);
  const text = await w.cli(["status", "demo-wt-cli"]);
  assert.match(text.stdout, /branch\s+rca\/wt-cli \(from HEAD [0-9a-f]{12}; 0 commit\(s\) ahead\)/);
  assert.match(text.stdout, /auto-resume\s+off/);
  const list = await w.cli(["list"]);
  assert.match(list.stdout, /demo-wt-cli .*branch rca\/wt-cli/);
  const stop = await w.cli(["stop", "demo-wt-cli", "--cleanup", "--delete-branch", "--json"]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!branchExists("rca/wt-cli") && !existsSync(st.projectDir));
});

test("prune removes a finished task's worktree and keeps its branch; uncommitted work keeps the task, said once; a stale rca/<name> is reused only when merged", async () => {
  const tm = manager();
  /** @type {any[]} */
  const problems = [];
  tm.on("problem", (p) => problems.push(p));
  const ctl = new AbortController();
  const watching = tm.watch({ signal: ctl.signal });
  try {
    const p1 = await tm.start({ agent: "codex", name: "wt-p1", projectDir: repo, prompt: "x", worktree: true, env: { RCA_FAKE_COMMIT: "p1.txt" } });
    const p2 = await tm.start({ agent: "codex", name: "wt-p2", projectDir: repo, prompt: "x", worktree: true });
    const dirty = await tm.start({ agent: "codex", name: "wt-dirty", projectDir: repo, prompt: "x", worktree: true });
    for (const v of [p1, p2, dirty]) await waitFor(async () => (await tm.status(v.session)).state === "completed", { what: `${v.session} completed` });
    await writeFile(join(dirty.projectDir, "notes.txt"), "not committed\n");
    const removed = (await tm.prune({ olderThanMs: 0 })).map((r) => r.session);
    assert.ok(removed.includes(p1.session) && removed.includes(p2.session), removed.join(","));
    assert.ok(!removed.includes(dirty.session));
    for (const v of [p1, p2]) {
      assert.ok(!existsSync(v.projectDir), `${v.session}: worktree removed`);
      assert.ok(!git(["worktree", "list"]).includes(v.projectDir));
    }
    assert.ok(branchExists("rca/wt-p1") && branchExists("rca/wt-p2"), "branches kept");
    // The task with uncommitted work stays, worktree and all, reported once however often prune runs.
    assert.ok(existsSync(join(dirty.projectDir, "notes.txt")));
    assert.equal((await tm.status(dirty.session)).state, "completed");
    await tm.prune({ olderThanMs: 0 });
    const kept = problems.filter((p) => p.code === "worktree_dirty");
    assert.equal(kept.length, 1);
    assert.equal(kept[0].session, dirty.session);
    assert.match(kept[0].message, /uncommitted changes/);
    // The same names again: rca/wt-p2 has nothing the base lacks, so it is reused (reset to the
    // base); rca/wt-p1 holds the earlier task's commit, so the start is refused, saying how to clear it.
    const again = await tm.start({ agent: "codex", name: "wt-p2", projectDir: repo, prompt: "x", worktree: true });
    assert.equal(git(["rev-parse", "rca/wt-p2"]), git(["rev-parse", "main"]));
    await tm.stop(again.session, { cleanup: true, deleteBranch: true });
    await assert.rejects(tm.start({ agent: "codex", name: "wt-p1", projectDir: repo, prompt: "x", worktree: true }), (e) => {
      const err = /** @type {any} */ (e);
      return err.code === "branch_exists" && err.message.includes("branch -D rca/wt-p1") && err.message.includes("1 commit(s)");
    });
    await tm.stop(dirty.session, { cleanup: true, deleteBranch: true, force: true });
    git(["branch", "-D", "rca/wt-p1"]);
  } finally {
    ctl.abort();
    await watching;
  }
});
