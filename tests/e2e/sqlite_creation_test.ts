/**
 * The embedded store's creation: whole or not at all (built under a temporary name, then linked
 * into place), whoever creates it and however many processes try at once.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { REPO_ROOT } from "../../scripts/lib/repo_paths.ts";
import { canMountTmpfs, temporaryFolder } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  FILE_MODES_UNBINDABLE,
  querySqliteStore,
  runDpoBoundByFileModes,
} from "../helpers/pipeline.ts";

const CREATORS = 8;

function namesIn(folder: string): string[] {
  return [...Deno.readDirSync(folder)].map((entry) => entry.name).sort();
}

Deno.test(`${CREATORS} processes creating one new embedded store at once all succeed, on one store migrated once, with no temporary file left`, async () => {
  await using folder = await temporaryFolder();
  const db = ["--db", `sqlite:${folder.path}/dpo.sqlite`];
  const ids = await Promise.all(
    Array.from({ length: CREATORS }, () => dpoOk([...db, "init-execution"])),
  );
  assertEquals(new Set(ids).size, CREATORS);
  const file = `${folder.path}/dpo.sqlite`;
  assertEquals(
    querySqliteStore(file, "SELECT execution_id FROM dpo.execution ORDER BY execution_id"),
    [...ids].sort().map((id) => ({ execution_id: id })),
  );
  const migrationFiles = namesIn(`${REPO_ROOT}/migrations/sqlite`);
  assertEquals(
    querySqliteStore(file, "SELECT version FROM dpo.schema_migrations ORDER BY version"),
    migrationFiles.map((name) => ({ version: name.replace(/\.sql$/, "") })),
  );
  assertEquals(await dpoOk([...db, "db", "current"]), "0003_pipelines_and_failures (head)");
  assertEquals(namesIn(folder.path), ["dpo.sqlite"]);
});

Deno.test("creating a store removes what creators that died left behind, and nothing another may still be writing", async () => {
  await using folder = await temporaryFolder();
  const abandoned = `${folder.path}/dpo.sqlite.creating-999999999-0badc0de`;
  const otherStore = `${folder.path}/other.sqlite.creating-999999999-0badc0de`;
  // This test's own process is alive: its file may be a creation in progress.
  const inProgress = `${folder.path}/dpo.sqlite.creating-${Deno.pid}-0badc0de`;
  const aMinuteAgo = new Date(Date.now() - 60_000);
  for (const file of [abandoned, `${abandoned}-journal`, otherStore, inProgress]) {
    Deno.writeTextFileSync(file, "");
    Deno.utimeSync(file, aMinuteAgo, aMinuteAgo);
  }
  await dpoOk(["--db", `sqlite:${folder.path}/dpo.sqlite`, "init-execution"]);
  assertEquals(namesIn(folder.path), [
    "dpo.sqlite",
    `dpo.sqlite.creating-${Deno.pid}-0badc0de`,
    "other.sqlite.creating-999999999-0badc0de",
  ]);
});

Deno.test({
  name:
    "a new embedded store in a folder this user may not write fails with one line naming the store, and leaves no file",
  ignore: FILE_MODES_UNBINDABLE !== undefined,
}, async () => {
  await using folder = await temporaryFolder();
  await Deno.chmod(folder.path, 0o555);
  try {
    assertCleanFailure(
      await runDpoBoundByFileModes(["--db", `sqlite:${folder.path}/dpo.sqlite`, "init-execution"]),
      1,
      /^error: Cannot create the embedded store ".*\/dpo\.sqlite" \(Permission denied .*\): check that this user may write in its folder and that the disk has room$/,
    );
    assertEquals(namesIn(folder.path), []);
  } finally {
    await Deno.chmod(folder.path, 0o755);
  }
});

const TMPFS_AVAILABLE = canMountTmpfs();

Deno.test({
  name:
    "a new embedded store that cannot be created whole (a full disk) is not created at all: one line, no file left, and it is created once there is room",
  ignore: !TMPFS_AVAILABLE,
  async fn() {
    await using mountPoint = await temporaryFolder();
    // Smaller than a migrated store (~200 kB in 16 KiB pages), larger than its first pages.
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=24k", "tmpfs", mountPoint.path],
    }).output();
    assert(mount.success, new TextDecoder().decode(mount.stderr));
    try {
      const db = ["--db", `sqlite:${mountPoint.path}/dpo.sqlite`];
      assertCleanFailure(
        await runDpo([...db, "init-execution"]),
        1,
        /^error: The embedded store ".*dpo\.sqlite" could not be written: the disk is full; nothing was written: free some space and run the command again$/,
      );
      assertEquals(namesIn(mountPoint.path), []);
      const remount = await new Deno.Command("mount", {
        args: ["-o", "remount,size=1m", mountPoint.path],
      }).output();
      assert(remount.success, new TextDecoder().decode(remount.stderr));
      await dpoOk([...db, "init-execution"]);
      assertEquals(namesIn(mountPoint.path), ["dpo.sqlite"]);
    } finally {
      await new Deno.Command("umount", { args: ["-l", mountPoint.path] }).output();
    }
  },
});

if (!TMPFS_AVAILABLE) {
  console.error(
    "sqlite_creation_test: the full-disk creation test is ignored: it mounts a small tmpfs, " +
      "which needs root and mount(8)",
  );
}
