/**
 * The embedded SQLite store at its edges: a writer that must wait, readers beside a writer, a
 * process killed mid-write, and store files that are not what dpo left behind.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runCaptured } from "../../scripts/lib/captured_command.ts";
import { dpoOk, MAIN, runDpo, startDpo } from "../helpers/cli.ts";
import { canMountTmpfs, temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { runShortPipeline } from "../helpers/short_pipeline.ts";
import {
  assertCleanFailure,
  FILE_MODES_UNBINDABLE,
  openStoreUnderTest,
  querySqliteStore,
  runDpoBoundByFileModes,
  snapshotTables,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The store's file, from the `--db sqlite:<file>` its arguments name. */
function fileOf(store: StoreUnderTest): string {
  return store.args[1].replace(/^sqlite:/, "");
}

/** A connection of the test's own to the store, as another process would hold one. */
function connectTo(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec("PRAGMA busy_timeout = 0");
  return db;
}

/** True when another connection holds the store's write lock now. */
function writeLockIsHeld(db: DatabaseSync): boolean {
  try {
    db.prepare("BEGIN IMMEDIATE").run();
  } catch (error) {
    if ((error as { errcode?: number }).errcode === 5) return true;
    throw error;
  }
  db.prepare("ROLLBACK").run();
  return false;
}

Deno.test("on SQLite a writer that finds the store busy says so, gives up after --connect-timeout with one line and writes nothing, while readers never wait", async () => {
  await using store = await openStoreUnderTest("SQLite");
  const executionId = await dpoOk([...store.args, "init-execution"]);
  await dpoOk([...store.args, "complete-execution", executionId]);
  const before = await snapshotTables(store.rows);
  const holder = connectTo(fileOf(store));
  holder.exec("BEGIN IMMEDIATE");
  try {
    const waiter = await runDpo([...store.args, "--connect-timeout", "1", "init-execution"]);
    assertEquals([waiter.code, waiter.stdout], [1, ""]);
    const lines = waiter.stderr.split("\n");
    assertMatch(
      lines[0],
      /^\S+ - dpo - INFO - Waiting for the embedded store ".*dpo\.sqlite": another dpo process is writing to it$/,
    );
    assertMatch(
      lines[1],
      /^error: The embedded store ".*dpo\.sqlite" stayed busy with another dpo process's write for 1 s: retry later or raise --connect-timeout$/,
    );
    assertEquals(lines.slice(2), [""]);

    // Readers use the write-ahead log: a held write lock does not hold them up at all.
    const timeout = ["--connect-timeout", "0.1"];
    assertEquals(
      await dpoOk([...store.args, ...timeout, "get-last-successful-execution"]),
      executionId,
    );
    assertEquals(
      JSON.parse(await dpoOk([...store.args, ...timeout, "--format", "json", "executions"]))
        .map((e: { execution_id: string }) => e.execution_id),
      [executionId],
    );
  } finally {
    holder.exec("ROLLBACK");
    holder.close();
  }
  assertEquals(await snapshotTables(store.rows), before);
  assertMatch(await dpoOk([...store.args, "init-execution"]), UUID);
});

/** Writes `count` small model files under `folder`, synchronously (thousands of async writes crawl). */
function writeManyModels(folder: string, count: number): void {
  Deno.mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    Deno.writeTextFileSync(`${folder}/m${String(i).padStart(5, "0")}.sql`, `select ${i};\n`);
  }
}

Deno.test("on SQLite a SIGKILL while init-step writes its models leaves no step and no model row, and the next command works", async () => {
  await using store = await openStoreUnderTest("SQLite");
  await using models = await temporaryFolder();
  const files = 20_000;
  writeManyModels(models.path, files);
  const executionId = await dpoOk([...store.args, "init-execution"]);
  const before = await snapshotTables(store.rows);
  const initStep = [...store.args, "init-step", executionId, "LOAD", models.path, "*.sql"];

  const dpo = startDpo(initStep);
  // The only write init-step makes is its step: once dpo holds the write lock, it is writing.
  const probe = connectTo(fileOf(store));
  try {
    while (!writeLockIsHeld(probe)) {
      if (dpo.exited()) {
        throw new Error(`dpo finished before it was caught writing: ${(await dpo.result).stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    dpo.kill("SIGKILL");
  } finally {
    probe.close();
  }
  const killed = await dpo.result;
  assertEquals([killed.code, killed.stdout], [137, ""]);

  assertEquals(await snapshotTables(store.rows), before);
  const shown = JSON.parse(
    await dpoOk([...store.args, "executions", "show", executionId, "--format", "json"]),
  );
  assertEquals([shown.status, shown.steps], ["INITIALISED", []]);
  const stepId = await dpoOk(initStep);
  assertEquals(
    await store.rows(
      `SELECT CAST(count(*) AS integer) AS models FROM dpo.execution_step_model
       WHERE execution_step_id = '${stepId}'`,
    ),
    [{ models: files }],
  );
});

Deno.test("on SQLite a store file that is not SQLite, or is cut short, fails with one line and is left as it was", async () => {
  await using folder = await temporaryFolder();
  const notSqlite = `${folder.path}/notes.txt`;
  await Deno.writeTextFile(notSqlite, "These are my notes, not a database.\n".repeat(200));
  const notSqliteResult = await runDpo(["--db", `sqlite:${notSqlite}`, "init-execution"]);
  assertCleanFailure(
    notSqliteResult,
    1,
    /^error: The embedded store ".*notes\.txt" is not a SQLite database \(file is not a database\): name the right file with --db sqlite:<file>, or move this one aside$/,
  );
  assertEquals(
    await Deno.readTextFile(notSqlite),
    "These are my notes, not a database.\n".repeat(200),
  );

  const truncated = `${folder.path}/cut/dpo.sqlite`;
  const executionId = await dpoOk(["--db", `sqlite:${truncated}`, "init-execution"]);
  assertMatch(executionId, UUID);
  const { size } = await Deno.stat(truncated);
  await Deno.truncate(truncated, 8192);
  assert(size > 8192, `the store holds ${size} bytes`);
  for (const command of [["get-last-successful-execution"], ["init-execution"]]) {
    assertCleanFailure(
      await runDpo(["--db", `sqlite:${truncated}`, ...command]),
      1,
      /^error: The embedded store ".*cut\/dpo\.sqlite" is damaged \(database disk image is malformed\): restore it from a backup, or move it aside to start afresh$/,
    );
  }
  assertEquals((await Deno.stat(truncated)).size, 8192);
});

Deno.test({
  name:
    "on SQLite a store this user may only read fails a write with one line, and nothing is written",
  ignore: FILE_MODES_UNBINDABLE !== undefined,
}, async () => {
  await using store = await openStoreUnderTest("SQLite");
  const executionId = await dpoOk([...store.args, "init-execution"]);
  const before = await snapshotTables(store.rows);
  const file = fileOf(store);
  await Deno.chmod(file, 0o444);
  const result = await runDpoBoundByFileModes([...store.args, "complete-execution", executionId]);
  assertCleanFailure(
    result,
    1,
    /^error: The embedded store ".*dpo\.sqlite" cannot be written \(attempt to write a readonly database\): give this user write access to the file and its folder$/,
  );
  await Deno.chmod(file, 0o644);
  assertEquals(await snapshotTables(store.rows), before);
});

const TMPFS_AVAILABLE = canMountTmpfs();
if (!TMPFS_AVAILABLE) {
  console.error(
    "sqlite_store_test: the full-disk test is ignored: it mounts a small tmpfs, which needs root " +
      "and mount(8)",
  );
}

Deno.test({
  name:
    "on SQLite a full disk fails init-step with one line, writes nothing, and the store works once there is room",
  ignore: !TMPFS_AVAILABLE,
  async fn() {
    await using mountPoint = await temporaryFolder();
    await using models = await temporaryFolder();
    writeManyModels(models.path, 20_000);
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path],
    }).output();
    assert(mount.success, new TextDecoder().decode(mount.stderr));
    try {
      const db = ["--db", `sqlite:${mountPoint.path}/dpo.sqlite`];
      const executionId = await dpoOk([...db, "init-execution"]);
      const rows = (query: string) =>
        Promise.resolve(querySqliteStore(`${mountPoint.path}/dpo.sqlite`, query));
      const before = await snapshotTables(rows);
      // 20,000 models take several megabytes of pages: more than the 2 MB the disk has.
      const initStep = [...db, "init-step", executionId, "LOAD", models.path, "*.sql"];
      assertCleanFailure(
        await runDpo(initStep),
        1,
        /^error: The embedded store ".*dpo\.sqlite" could not be written: the disk is full; nothing was written: free some space and run the command again$/,
      );
      assertEquals(await snapshotTables(rows), before);
      for (const entry of Deno.readDirSync(models.path)) {
        if (entry.name >= "m00100") Deno.removeSync(`${models.path}/${entry.name}`);
      }
      const stepId = await dpoOk(initStep);
      assertEquals(
        await rows(
          `SELECT CAST(count(*) AS integer) AS models FROM dpo.execution_step_model
           WHERE execution_step_id = '${stepId}'`,
        ),
        [{ models: 100 }],
      );
    } finally {
      await new Deno.Command("umount", { args: ["-l", mountPoint.path] }).output();
    }
  },
});

Deno.test("a .dpo folder that holds an earlier dpo's PGlite store is refused with one line, and no empty store is made beside it", async () => {
  await using folder = await temporaryFolder();
  await writeModels(folder.path, { ".dpo/pgdata/PG_VERSION": "18\n" });
  assertCleanFailure(
    await runDpo(["get-last-successful-execution"], { cwd: folder.path }),
    1,
    /^error: The folder "\.dpo" holds the embedded store of an earlier dpo \(PGlite\), which this dpo no longer reads; it would otherwise start an empty store and report every model as new: keep using the earlier dpo on it, or move "\.dpo\/pgdata" aside to start afresh$/,
  );
  assertEquals([...Deno.readDirSync(`${folder.path}/.dpo`)].map((e) => e.name), ["pgdata"]);
  assertCleanFailure(
    await runDpo(["--db", "pglite:.dpo", "get-last-successful-execution"], { cwd: folder.path }),
    2,
    /^error: Database URL "pglite:\.dpo" names a PGlite store: dpo's embedded store is now SQLite; use sqlite:<file> \(the default is \.dpo\/dpo\.sqlite\), or an earlier dpo for the PGlite store$/,
  );
});

const SQLITE3_SHELL = new Deno.Command("sqlite3", { args: ["-version"] });
function hasSqlite3Shell(): boolean {
  try {
    return SQLITE3_SHELL.outputSync().success;
  } catch {
    return false;
  }
}
const SQLITE3_AVAILABLE = hasSqlite3Shell();
if (!SQLITE3_AVAILABLE) {
  console.error("sqlite_store_test: the sqlite3 shell test is ignored: sqlite3 is not installed");
}

Deno.test({
  name: "the sqlite3 shell reads the embedded store with PostgreSQL's table and column names",
  ignore: !SQLITE3_AVAILABLE,
  async fn() {
    await using folder = await temporaryFolder();
    await writeModels(folder.path, { "models/a.sql": "select 1;\n" });
    const executionId = await dpoOk(["init-execution"], { cwd: folder.path });
    const stepId = await dpoOk(["init-step", executionId, "load", "models", "*.sql"], {
      cwd: folder.path,
    });
    await dpoOk(["complete-step", stepId, "--rows-processed", "9223372036854775807"], {
      cwd: folder.path,
    });
    const shell = await new Deno.Command("sqlite3", {
      args: [
        "-readonly",
        ".dpo/dpo.sqlite",
        `SELECT e.execution_id, e.status, s.step_name, s.rows_processed, m.model_name, m.checksum
         FROM execution e JOIN execution_step s USING (execution_id)
         JOIN execution_step_model m USING (execution_step_id)`,
      ],
      cwd: folder.path,
      stdin: "null",
    }).output();
    assertEquals(new TextDecoder().decode(shell.stderr), "");
    assertEquals(
      new TextDecoder().decode(shell.stdout),
      `${executionId}|IN_PROGRESS|LOAD|9223372036854775807|a|` +
        "4a45092ccf992ea92250053a80b931b787924ba61648f420555511b84f10ab6c\n",
    );
  },
});

Deno.test("on SQLite every command works with only the four permissions the compiled binary has", async () => {
  await using folder = await temporaryFolder();
  // As `deno task compile` bakes them in: no -A (Deno refuses ATTACH and VACUUM without it).
  const leastPermissions = ["--allow-read", "--allow-write", "--allow-env", "--allow-net"];
  const dpo = (args: readonly string[]) =>
    runCaptured(Deno.execPath(), ["run", "--quiet", ...leastPermissions, MAIN, ...args], {
      cwd: folder.path,
      env: { DPO_DATABASE_URL: "", DPO_PIPELINE: "" },
    });
  await runShortPipeline(dpo, `${folder.path}/models`);
  assertEquals(
    querySqliteStore(`${folder.path}/.dpo/dpo.sqlite`, "SELECT count(*) AS n FROM dpo.execution"),
    [{ n: 3 }],
  );
});
