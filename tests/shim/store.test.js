// @ts-check
// The state directory: permissions, exclusive creates, atomic records, corrupt records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stat, readdir, writeFile, symlink, readFile, chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Store, resolveStateDir, dropCutStart } from "../../host-shim/store.js";
import { makeEffects } from "../../host-shim/effects.js";
import { withTestDir } from "../support/dirs.js";

/** @param {(dir: string) => Promise<void>} fn */
const withTmp = (fn) => withTestDir("rca-store-", fn);

/** @param {string} path */
const mode = async (path) => (await stat(path)).mode & 0o777;
const parse = (/** @type {string} */ t) => JSON.parse(t);

test("the state dir resolves from the option, then RCA_STATE_DIR, then XDG, then HOME", () => {
  assert.equal(resolveStateDir("/a/b", { RCA_STATE_DIR: "/x" }), "/a/b");
  assert.equal(resolveStateDir(undefined, { RCA_STATE_DIR: "/x" }), "/x");
  assert.equal(resolveStateDir(undefined, { XDG_STATE_HOME: "/s" }), "/s/resilient-coding-agent");
  assert.equal(resolveStateDir(undefined, { HOME: "/h" }), "/h/.local/state/resilient-coding-agent");
});

test("init makes 0700 directories; task dirs are 0700 and unpredictable; files 0600", async () => {
  await withTmp(async (tmp) => {
    const state = join(tmp, "state");
    const store = new Store(state, makeEffects());
    await store.init();
    for (const d of [state, store.tasksDir, store.sessionsDir]) assert.equal(await mode(d), 0o700, d);
    const a = await store.createTaskDir("demo-x");
    const b = await store.createTaskDir("demo-x");
    assert.notEqual(a, b);
    assert.match(a, /demo-x-[A-Za-z0-9]{6}$/);
    assert.equal(await mode(a), 0o700);
    const f = await store.writeNew(a, "prompt.1", "hello");
    assert.equal(await mode(f), 0o600);
    await store.writeRecord(a, { x: 1 });
    assert.equal(await mode(join(a, "record.json")), 0o600);
  });
});

test("writeNew never overwrites and never follows a symlink", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    await store.init();
    const dir = await store.createTaskDir("demo-x");
    await store.writeNew(dir, "prompt.1", "one");
    await assert.rejects(store.writeNew(dir, "prompt.1", "two"), { code: "EEXIST" });
    const target = join(tmp, "victim");
    await writeFile(target, "untouched");
    await symlink(target, join(dir, "prompt.2"));
    await assert.rejects(store.writeNew(dir, "prompt.2", "evil"));
    assert.equal(await readFile(target, "utf8"), "untouched");
    await assert.rejects(store.writeNew(dir, "../escape", "x"), { code: "invalid_input" });
  });
});

test("a state dir others can write to is refused with state_dir_unsafe", async () => {
  await withTmp(async (tmp) => {
    const state = join(tmp, "open");
    await mkdir(state, { mode: 0o777 });
    await chmod(state, 0o777);
    await assert.rejects(new Store(state, makeEffects()).init(), { code: "state_dir_unsafe" });
  });
});

test("record writes are atomic: no temporary files are left, the old record is whole until the rename", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    await store.init();
    const dir = await store.createTaskDir("demo-x");
    for (let i = 0; i < 20; i++) await store.writeRecord(dir, { i });
    assert.deepEqual(await readdir(dir), ["record.json"]);
    const { record } = await store.readRecord(dir, parse);
    assert.deepEqual(record, { i: 19 });
  });
});

test("a record whose rename fails leaves the old record and no temporary file", async () => {
  await withTmp(async (tmp) => {
    const real = makeEffects();
    const fx = makeEffects({
      fs: { ...real.fs, rename: async () => Promise.reject(Object.assign(new Error("disk full"), { code: "ENOSPC" })) },
    });
    const good = new Store(join(tmp, "s"), real);
    await good.init();
    const dir = await good.createTaskDir("demo-x");
    await good.writeRecord(dir, { v: 1 });
    const failing = new Store(join(tmp, "s"), fx);
    await assert.rejects(failing.writeRecord(dir, { v: 2 }), (/** @type {any} */ e) => {
      assert.equal(e.code, "state_write_failed");
      assert.match(e.message, /ENOSPC/);
      return true;
    });
    assert.deepEqual(await readdir(dir), ["record.json"]);
    assert.deepEqual((await good.readRecord(dir, parse)).record, { v: 1 });
  });
});

test("a corrupt record is set aside with a clear error; other tasks still read", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    await store.init();
    const bad = await store.createTaskDir("demo-bad");
    const ok = await store.createTaskDir("demo-ok");
    await writeFile(join(bad, "record.json"), "{ not json", { mode: 0o600 });
    await store.writeRecord(ok, { fine: true });
    await assert.rejects(store.readRecord(bad, parse), (/** @type {any} */ e) => {
      assert.equal(e.code, "record_corrupt");
      assert.match(e.message, /set aside as record\.json\.corrupt-\d+/);
      return true;
    });
    const names = await readdir(bad);
    assert.equal(names.length, 1);
    assert.match(names[0], /^record\.json\.corrupt-\d+$/);
    // Reading it again says where it went, still record_corrupt.
    await assert.rejects(store.readRecord(bad, parse), { code: "record_corrupt" });
    assert.deepEqual((await store.readRecord(ok, parse)).record, { fine: true });
  });
});

test("a record that is a symlink is not followed: it is set aside", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    await store.init();
    const dir = await store.createTaskDir("demo-x");
    await writeFile(join(tmp, "elsewhere.json"), "{}");
    await symlink(join(tmp, "elsewhere.json"), join(dir, "record.json"));
    await assert.rejects(store.readRecord(dir, parse), { code: "record_corrupt" });
  });
});

test("a huge record or index entry is not read whole: the record is set aside, the entry names no task", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    await store.init();
    const dir = await store.createTaskDir("demo-x");
    let parsed = 0;
    await writeFile(join(dir, "record.json"), `{"pad":"${"x".repeat(2 * 1024 * 1024)}"}`);
    await assert.rejects(store.readRecord(dir, (t) => (parsed++, JSON.parse(t))), (/** @type {any} */ e) => e.code === "record_corrupt" && /larger than/.test(e.message));
    assert.equal(parsed, 0, "never handed to the parser");
    assert.equal((await readdir(dir)).filter((n) => n.startsWith("record.json.corrupt-")).length, 1);
    await writeFile(join(store.sessionsDir, "demo-huge"), dir + "\n" + " ".repeat(2 * 1024 * 1024));
    assert.equal(await store.lookup("demo-huge"), null);
  });
});

test("the session index maps names to task dirs and ignores hostile entries", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    await store.init();
    const dir = await store.createTaskDir("demo-a");
    await store.claimSession("demo-a", dir);
    await assert.rejects(store.claimSession("demo-a", dir), { code: "EEXIST" });
    assert.equal(await store.lookup("demo-a"), dir);
    assert.equal(await store.lookup("demo-none"), null);
    await writeFile(join(store.sessionsDir, "demo-evil"), "../../etc\n");
    assert.equal(await store.lookup("demo-evil"), null);
    assert.deepEqual(await store.sessions(), [{ session: "demo-a", taskDir: dir }]);
    await store.forgetSession("demo-a");
    assert.equal(await store.lookup("demo-a"), null);
  });
});

test("tails start at a whole line and heads stop at the limit", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    const p = join(tmp, "f");
    await writeFile(p, "line one\nline two\nline three\n");
    assert.equal(await store.readTail(p, 12), "line three\n");
    assert.equal(await store.readHead(p, 4), "line");
    assert.equal(await store.readTail(join(tmp, "missing"), 10), "");
  });
});

test("a tail cut inside a line longer than it does not show a secret whose name or start is cut off", async () => {
  await withTmp(async (tmp) => {
    const store = new Store(join(tmp, "s"), makeEffects());
    const p = join(tmp, "f");
    const after = " then the build went on and on without a newline ".repeat(3);
    // The cut lands inside the name (its `PASS` is gone), inside a key, inside `Bearer`.
    for (const [line, secret] of [
      [`prefix text DB_PASSWORD: hunter2secret${after}`, "hunter2secret"],
      [`prefix text DB_PASSWORD hunter2secret${after}`, "hunter2secret"],
      [`prefix text key sk-proj-AbCdEfGhIjKlMnOpQrSt${after}`, "IjKlMnOp"],
      [`prefix text Authorization: Bearer abc123token${after}`, "abc123token"],
      [`prefix text {\"api_password\": \"hunter2 secret\"}${after}`, "hunter2 secret"],
    ]) {
      await writeFile(p, line);
      const cut = line.indexOf(secret) - (secret === "IjKlMnOp" ? 0 : 6);
      const tail = await store.readTail(p, line.length - cut);
      assert.ok(!tail.includes(secret.slice(0, 6)), `${JSON.stringify(tail)} shows the secret`);
      assert.ok(tail.endsWith(after.slice(" then ".length)), `the rest of the line is kept: ${JSON.stringify(tail)}`);
    }
    // A tail with a newline still starts at the next whole line.
    await writeFile(p, `DB_PASSWORD: hunter2secret\nnext line\n`);
    assert.equal(await store.readTail(p, 20), "next line\n");
  });
});

test("dropCutStart drops the cut-off word and the value it names, keeps the rest", () => {
  assert.equal(dropCutStart("ssword: hunter2 rest of it"), "rest of it");
  assert.equal(dropCutStart("ssword=\"a b c\" rest"), "rest");
  assert.equal(dropCutStart("ization: Bearer abc123 rest"), "rest");
  assert.equal(dropCutStart("KlMnOp rest of it"), "of it");
  assert.equal(dropCutStart("nothing-to-keep"), "");
});

test("index entries created, replaced or removed are made durable: the sessions directory is fsynced each time", async () => {
  await withTmp(async (tmp) => {
    const real = makeEffects();
    /** @type {string[]} */
    const synced = [];
    const fs = {
      ...real.fs,
      /** @type {typeof real.fs.open} */
      open: async (path, ...rest) => {
        const fh = await real.fs.open(path, ...rest);
        const flags = rest[0];
        if (typeof flags === "number" && (flags & real.fs.constants.O_DIRECTORY) !== 0) {
          const sync = fh.sync.bind(fh);
          fh.sync = async () => {
            synced.push(String(path));
            return sync();
          };
        }
        return fh;
      },
    };
    const store = new Store(join(tmp, "s"), makeEffects({ fs }));
    await store.init();
    const dir = await store.createTaskDir("demo-a");
    assert.ok(synced.includes(store.tasksDir), "the new task directory's entry");
    for (const step of [() => store.claimSession("demo-a", dir), () => store.pointSession("demo-a", dir), () => store.forgetSession("demo-a")]) {
      synced.length = 0;
      await step();
      assert.deepEqual(synced, [store.sessionsDir]);
    }
  });
});
