/**
 * init-step's stat cache through the real CLI: it spares reading unchanged files, and every known
 * way for such a cache to go stale (git's racy edit, Bazel's moved and back-dated files) still
 * records the bytes the file holds now.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runCaptured } from "../../scripts/lib/captured_command.ts";
import { type CliResult, dpoOk, MAIN, runDpo } from "../helpers/cli.ts";
import { canMountTmpfs, temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  openStoreUnderTest,
  sha256OfFile,
  STORE_KINDS,
  type StoreKind,
} from "../helpers/pipeline.ts";

const CACHE_LINE = /Stat cache: (\d+) of (\d+) files unchanged, (\d+) read/;

/**
 * How long after a file's last change its cache entry is trusted: ctime has whole seconds in
 * Deno, taken as two seconds' resolution, plus the 100 ms clock margin (stat_cache.ts).
 */
const TRUSTED_AFTER_MS = 2_300;

/**
 * Deno's own cache, named outright: Deno keeps it under XDG_CACHE_HOME too, and the tests move that
 * to put dpo's stat cache elsewhere.
 */
const DENO_DIR = JSON.parse(
  new TextDecoder().decode(
    new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).outputSync()
      .stdout,
  ),
).denoDir as string;

/** A store, a base folder of models and the cache folder for PostgreSQL; `await using` clears. */
async function scenario(kind: StoreKind = "SQLite") {
  const store = await openStoreUnderTest(kind);
  const folder = await temporaryFolder();
  const cacheHome = `${folder.path}/cache`;
  return {
    store,
    base: `${folder.path}/models`,
    root: folder.path,
    /** The cache file this store's init-step uses. */
    cacheFile: kind === "SQLite"
      ? `${store.args[1].replace(/^sqlite:/, "").replace(/\/[^/]*$/, "")}/stat-cache.sqlite`
      : `${cacheHome}/dpo/stat-cache.sqlite`,
    env: { XDG_CACHE_HOME: cacheHome, DENO_DIR },
    async [Symbol.asyncDispose]() {
      await store[Symbol.asyncDispose]();
      await folder[Symbol.asyncDispose]();
    },
  };
}
type Scenario = Awaited<ReturnType<typeof scenario>>;

interface StepRun {
  result: CliResult;
  /** Files the cache vouched for, and files read. */
  unchanged: number;
  read: number;
  /** Model name -> checksum as stored. */
  checksums: Record<string, string>;
}

/** init-step of a new execution at DEBUG level over every file of `base`. */
async function initStep(
  s: Scenario,
  options: { base?: string; flags?: string[]; env?: Record<string, string> } = {},
): Promise<StepRun> {
  const env = { ...s.env, ...options.env };
  const execution = await dpoOk([...s.store.args, "init-execution"], { env });
  const result = await runDpo([
    ...s.store.args,
    "--log-level",
    "DEBUG",
    "init-step",
    ...options.flags ?? [],
    execution,
    "LOAD",
    options.base ?? s.base,
    "**/*",
  ], { env });
  assertEquals(result.code, 0, result.stderr);
  const counts = result.stderr.match(CACHE_LINE);
  const rows = await s.store.rows(
    `SELECT model_name, checksum FROM dpo.execution_step_model
      WHERE execution_step_id = '${result.stdout.trim()}'`,
  );
  return {
    result,
    unchanged: counts ? Number(counts[1]) : 0,
    read: counts ? Number(counts[3]) : -1,
    checksums: Object.fromEntries(rows.map((row) => [row.model_name, row.checksum])),
  };
}

/** The checksums the files under `base` have now, by model name. */
async function currentChecksums(base: string): Promise<Record<string, string>> {
  const checksums: Record<string, string> = {};
  for await (const entry of Deno.readDir(base)) {
    checksums[entry.name.replace(/\.[^.]*$/, "")] = await sha256OfFile(`${base}/${entry.name}`);
  }
  return checksums;
}

/** Waits until the files' last changes are old enough for their entries to be trusted. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, TRUSTED_AFTER_MS));
}

/** Writes the models, lets them settle and runs init-step twice: the second run reads nothing. */
async function cached(s: Scenario, files: Record<string, string>): Promise<void> {
  await writeModels(s.base, files);
  await settle();
  await initStep(s);
  const second = await initStep(s);
  assertEquals([second.unchanged, second.read], [Object.keys(files).length, 0]);
}

function run(command: string, ...args: string[]): void {
  const output = new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).outputSync();
  assert(
    output.success,
    `${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`,
  );
}

/** Sets a file's mtime to another's, to the millisecond (`touch -r`), keeping the new bytes. */
function copyMtime(from: string, to: string): void {
  run("touch", "-r", from, to);
}

for (const kind of STORE_KINDS) {
  Deno.test(`on ${kind}, a re-run reads no unchanged file and records the same checksums, and the cache sits where the docs say`, async () => {
    await using s = await scenario(kind);
    await cached(s, { "a.sql": "select 1;\n", "b.sql": "select 2;\n" });
    const again = await initStep(s);
    assertEquals(again.checksums, await currentChecksums(s.base));
    assert(Deno.statSync(s.cacheFile).isFile, `no cache at ${s.cacheFile}`);
  });
}

/** Each known way to change a file that an inode + mtime + size key alone would miss. */
const STALE_CASES: { name: string; change(s: Scenario, file: string): void | Promise<void> }[] = [
  {
    name: "`touch -d` back to the very mtime it had",
    change(s, file) {
      Deno.writeTextFileSync(`${s.root}/old`, "");
      copyMtime(file, `${s.root}/old`);
      Deno.writeTextFileSync(file, "select 9;\n");
      copyMtime(`${s.root}/old`, file);
    },
  },
  {
    name: "`mv` of another file with the same size and mtime over it",
    change(s, file) {
      Deno.writeTextFileSync(`${s.root}/other.sql`, "select 9;\n");
      copyMtime(file, `${s.root}/other.sql`);
      run("mv", `${s.root}/other.sql`, file);
    },
  },
  {
    name: "`cp -p` of another file with the same size and mtime over it",
    change(s, file) {
      Deno.writeTextFileSync(`${s.root}/other.sql`, "select 9;\n");
      copyMtime(file, `${s.root}/other.sql`);
      run("cp", "-p", `${s.root}/other.sql`, file);
    },
  },
  {
    name: "a symbolic link to a different file with the same size and mtime in its place",
    change(s, file) {
      Deno.writeTextFileSync(`${s.root}/other.sql`, "select 9;\n");
      copyMtime(file, `${s.root}/other.sql`);
      Deno.removeSync(file);
      Deno.symlinkSync(`${s.root}/other.sql`, file);
    },
  },
  {
    name: "truncated and rewritten to the same size and mtime",
    change(s, file) {
      Deno.writeTextFileSync(`${s.root}/old`, "");
      copyMtime(file, `${s.root}/old`);
      Deno.truncateSync(file, 0);
      Deno.writeTextFileSync(file, "select 9;\n", { append: true });
      copyMtime(`${s.root}/old`, file);
    },
  },
];

for (const { name, change } of STALE_CASES) {
  Deno.test(`a model file ${name} is read again`, async () => {
    await using s = await scenario();
    await cached(s, { "a.sql": "select 1;\n", "b.sql": "select 2;\n" });
    const before = await currentChecksums(s.base);
    await change(s, `${s.base}/a.sql`);
    const after = await initStep(s);
    assertEquals([after.unchanged, after.read], [1, 1]);
    assertEquals(after.checksums, { ...before, a: await sha256OfFile(`${s.base}/a.sql`) });
    assert(after.checksums.a !== before.a);
  });
}

Deno.test("a same-size edit within the same second as the run that read the file is seen (the racy guard)", async () => {
  await using s = await scenario();
  await writeModels(s.base, { "a.sql": "select 1;\n" });
  const file = `${s.base}/a.sql`;
  // At the start of a second, so that both changes most likely share its ctime (whole seconds).
  await new Promise((resolve) => setTimeout(resolve, 1000 - Date.now() % 1000));
  Deno.writeTextFileSync(file, "select 2;\n");
  Deno.writeTextFileSync(`${s.root}/old`, "");
  copyMtime(file, `${s.root}/old`);
  const first = await initStep(s);
  Deno.writeTextFileSync(file, "select 3;\n");
  copyMtime(`${s.root}/old`, file);
  const second = await initStep(s);
  assert(first.checksums.a !== second.checksums.a, "the edit went unseen");
  assertEquals(second.checksums, await currentChecksums(s.base));
});

Deno.test("a moved base folder keeps its entries (paths are relative), and a change after the move is seen", async () => {
  await using s = await scenario();
  await cached(s, { "a.sql": "select 1;\n", "b.sql": "select 2;\n" });
  const moved = `${s.root}/moved/models`;
  Deno.mkdirSync(`${s.root}/moved`);
  Deno.renameSync(s.base, moved);
  const afterMove = await initStep(s, { base: moved });
  assertEquals([afterMove.unchanged, afterMove.read], [2, 0]);
  assertEquals(afterMove.checksums, await currentChecksums(moved));
  Deno.writeTextFileSync(`${moved}/b.sql`, "select 22;\n");
  const changed = await initStep(s, { base: moved });
  assertEquals([changed.unchanged, changed.read], [1, 1]);
  assertEquals(changed.checksums, await currentChecksums(moved));
});

Deno.test("the same relative path in two base folders keeps two entries, each with its own checksum", async () => {
  await using s = await scenario();
  const second = `${s.root}/second`;
  await writeModels(s.base, { "a.sql": "select 1;\n" });
  await writeModels(second, { "a.sql": "select 2;\n" });
  copyMtime(`${s.base}/a.sql`, `${second}/a.sql`);
  await settle();
  for (let round = 0; round < 2; round++) {
    const one = await initStep(s);
    const two = await initStep(s, { base: second });
    assertEquals([one.read, two.read], round === 0 ? [1, 1] : [0, 0]);
    assertEquals(one.checksums, await currentChecksums(s.base));
    assertEquals(two.checksums, await currentChecksums(second));
  }
});

Deno.test("a file rewritten while init-step reads it is read again by the next run", async () => {
  await using s = await scenario();
  const file = `${s.base}/big.csv`;
  const chunk = new Uint8Array(1 << 20);
  await writeModels(s.base, { "big.csv": "" });
  Deno.writeFileSync(file, new Uint8Array(48 << 20));
  await settle();
  let writing = true;
  // Overwrites the first MiB in place (same size, same inode) as fast as it can meanwhile.
  const writer = (async () => {
    for (let n = 1; writing; n++) {
      using handle = Deno.openSync(file, { write: true });
      handle.writeSync(chunk.fill(n % 256));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await initStep(s).finally(() => writing = false);
  await writer;
  await settle();
  const next = await initStep(s);
  assertEquals(next.checksums, await currentChecksums(s.base));
});

Deno.test("a corrupt cache or one of another version is ignored with one DEBUG line and rebuilt", async () => {
  for (
    const spoil of [
      (path: string) => Deno.writeTextFileSync(path, "not a database ".repeat(300)),
      (path: string) => {
        using db = new DatabaseSync(path);
        db.exec("PRAGMA user_version = 99");
      },
    ]
  ) {
    await using s = await scenario();
    await cached(s, { "a.sql": "select 1;\n" });
    for (const suffix of ["-wal", "-shm"]) removeIfPresent(`${s.cacheFile}${suffix}`);
    spoil(s.cacheFile);
    const ignored = await initStep(s);
    assertEquals([ignored.unchanged, ignored.read], [0, 1]);
    const cacheLines = ignored.result.stderr.split("\n").filter((line) =>
      /The stat cache/.test(line)
    );
    assertEquals(cacheLines.length, 1, ignored.result.stderr);
    assert(/cannot be used/.test(cacheLines[0]), cacheLines[0]);
    const rebuilt = await initStep(s);
    assertEquals([rebuilt.unchanged, rebuilt.read], [1, 0]);
    assertEquals(rebuilt.checksums, await currentChecksums(s.base));
  }
});

Deno.test("with the cache folder on a file system dpo may not write, init-step reads every file and succeeds", async () => {
  await using s = await scenario("PostgreSQL");
  await writeModels(s.base, { "a.sql": "select 1;\n" });
  // sysfs: no folder can be made in it, whoever asks.
  const step = await initStep(s, { env: { XDG_CACHE_HOME: "/sys/dpo-test", DENO_DIR } });
  assertEquals(step.checksums, await currentChecksums(s.base));
  assert(/stat cache .* cannot be rebuilt/i.test(step.result.stderr), step.result.stderr);
});

const TMPFS_AVAILABLE = canMountTmpfs();
if (!TMPFS_AVAILABLE) {
  console.error(
    "stat_cache_test: the read-only file system test is ignored: it mounts a small tmpfs, which " +
      "needs root and mount(8)",
  );
}

Deno.test({
  name:
    "with the cache on a file system remounted read-only, init-step reads every file and succeeds",
  ignore: !TMPFS_AVAILABLE,
  async fn() {
    await using s = await scenario("PostgreSQL");
    const cacheHome = `${s.root}/cache`;
    Deno.mkdirSync(cacheHome);
    run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", cacheHome);
    try {
      await cached(s, { "a.sql": "select 1;\n" });
      run("mount", "-o", "remount,ro", cacheHome);
      Deno.writeTextFileSync(`${s.base}/a.sql`, "select 2;\n");
      const step = await initStep(s);
      assertEquals(step.checksums, await currentChecksums(s.base));
      assert(/stat cache .* cannot be rebuilt/i.test(step.result.stderr), step.result.stderr);
    } finally {
      run("umount", cacheHome);
    }
  },
});

Deno.test("--no-stat-cache and DPO_STAT_CACHE=0 read every file and leave no cache", async () => {
  for (const off of [{ flags: ["--no-stat-cache"] }, { env: { DPO_STAT_CACHE: "0" } }]) {
    await using s = await scenario();
    await writeModels(s.base, { "a.sql": "select 1;\n" });
    await settle();
    for (let i = 0; i < 2; i++) {
      const step = await initStep(s, off);
      assertEquals(step.read, -1, "a stat cache line");
      assertEquals(step.checksums, await currentChecksums(s.base));
    }
    assertEquals(existsSync(s.cacheFile), false);
  }
});

Deno.test("an init-step that fails in its transaction leaves the cache as it was", async () => {
  await using s = await scenario();
  await writeModels(s.base, { "a.sql": "select 1;\n" });
  await settle();
  const execution = await dpoOk([...s.store.args, "init-execution"]);
  // Another writer holds the store: the step's transaction cannot start within the timeout.
  const storeFile = s.store.args[1].replace(/^sqlite:/, "");
  const blocker = new DatabaseSync(storeFile);
  blocker.exec("BEGIN IMMEDIATE");
  let failed: CliResult;
  try {
    failed = await runDpo([
      ...s.store.args,
      "--connect-timeout",
      "1",
      "init-step",
      execution,
      "LOAD",
      s.base,
      "**/*",
    ]);
  } finally {
    blocker.exec("ROLLBACK");
    blocker.close();
  }
  assertEquals(failed.code, 1, failed.stderr);
  assertEquals(cacheEntries(s.cacheFile), 0);
  await initStep(s);
  assertEquals(cacheEntries(s.cacheFile), 1);
});

Deno.test("four init-steps writing one cache at once all succeed and leave it whole", async () => {
  await using s = await scenario();
  const files = Object.fromEntries(
    Array.from({ length: 300 }, (_, i) => [`m${i}.sql`, `select ${i};\n`]),
  );
  await writeModels(s.base, files);
  await settle();
  const runs = await Promise.all(Array.from({ length: 4 }, () => initStep(s)));
  for (const step of runs) assertEquals(step.checksums, await currentChecksums(s.base));
  const after = await initStep(s);
  assertEquals([after.unchanged, after.read], [300, 0]);
  using db = new DatabaseSync(s.cacheFile);
  assertEquals({ ...db.prepare("PRAGMA integrity_check").get() }, { integrity_check: "ok" });
});

Deno.test("the cache works with only the four permissions the compiled binary has", async () => {
  await using s = await scenario();
  await writeModels(s.base, { "a.sql": "select 1;\n" });
  await settle();
  const permissions = ["--allow-read", "--allow-write", "--allow-env", "--allow-net"];
  const dpo = (...args: string[]) =>
    runCaptured(
      Deno.execPath(),
      ["run", "--quiet", ...permissions, MAIN, ...s.store.args, ...args],
      {
        env: { DPO_DATABASE_URL: "" },
      },
    );
  const execution = (await dpo("init-execution")).stdout.trim();
  for (const expected of ["0 of 1 files unchanged", "1 of 1 files unchanged"]) {
    const step = await dpo("--log-level", "DEBUG", "init-step", execution, "LOAD", s.base, "a.sql");
    assertEquals(step.code, 0, step.stderr);
    assert(step.stderr.includes(expected), step.stderr);
  }
});

/** Rows in the cache: buckets of entries (one per file in these small trees). */
function cacheEntries(path: string): number {
  if (!existsSync(path)) return 0;
  using db = new DatabaseSync(path);
  return (db.prepare("SELECT count(*) AS n FROM stat_bucket").get() as { n: number }).n;
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeIfPresent(path: string): void {
  if (existsSync(path)) Deno.removeSync(path);
}
