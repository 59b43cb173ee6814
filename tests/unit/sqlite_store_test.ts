import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { dpoLog } from "../../src/log.ts";
import { fileSystemType, networkFileSystemType } from "../../src/store/sqlite_file_checks.ts";
import { openSqliteStore } from "../../src/store/sqlite_store.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";

const MOUNT_INFO = [
  "22 27 0:21 / /proc rw,relatime - proc proc rw",
  "27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw",
  "40 27 0:40 / /mnt/shared rw,relatime shared:7 - nfs4 fs:/export rw,vers=4.2",
  "41 40 0:41 / /mnt/shared/scratch rw - tmpfs tmpfs rw",
  "42 27 0:42 / /mnt/my\\040share rw - cifs //host/share rw",
].join("\n");

Deno.test("fileSystemType() finds the file system of the deepest mount that holds a path", async (t) => {
  const cases = [
    { path: "/work/dpo/.dpo", expected: "ext4" },
    { path: "/mnt/shared/ci/.dpo", expected: "nfs4" },
    { path: "/mnt/shared", expected: "nfs4" },
    { path: "/mnt/sharedother", expected: "ext4" },
    { path: "/mnt/shared/scratch/.dpo", expected: "tmpfs" },
    { path: "/mnt/my share/.dpo", expected: "cifs" },
  ];
  for (const { path, expected } of cases) {
    await t.step(path, () => assertEquals(fileSystemType(MOUNT_INFO, path), expected));
  }
  assertEquals(fileSystemType("", "/x"), undefined);
});

Deno.test("the embedded store's now() is the wall clock as UTC text to the microsecond", async () => {
  await using folder = await temporaryFolder();
  const store = openSqliteStore({
    path: `${folder.path}/dpo.sqlite`,
    busyTimeoutSeconds: 1,
    log: dpoLog(),
  });
  try {
    const before = Date.now();
    const [{ now }] = await store.query<{ now: string }>("SELECT now() AS now");
    const after = Date.now();
    assertMatch(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    const written = Date.parse(now);
    // Within the same millisecond window as Date.now(), give or take the clocks' rounding.
    assertEquals(
      written >= before - 2 && written <= after + 2,
      true,
      `${now} not in [${before}, ${after}]`,
    );
    // Inside a transaction every row gets the transaction's start time.
    const times = await store.transaction(async (tx) => {
      const [first] = await tx.query<{ now: string }>("SELECT now() AS now");
      await new Promise((resolve) => setTimeout(resolve, 3));
      const [second] = await tx.query<{ now: string }>("SELECT now() AS now");
      return [first.now, second.now];
    });
    assertEquals(times[0], times[1]);
  } finally {
    await store.close();
  }
});

Deno.test("networkFileSystemType() finds a store's network file system, and reads nothing more where none is mounted", () => {
  assertEquals(networkFileSystemType(MOUNT_INFO, () => "/mnt/shared/ci/.dpo"), "nfs4");
  assertEquals(networkFileSystemType(MOUNT_INFO, () => "/mnt/my share/.dpo"), "cifs");
  assertEquals(networkFileSystemType(MOUNT_INFO, () => "/mnt/shared/scratch/.dpo"), undefined);
  assertEquals(networkFileSystemType(MOUNT_INFO, () => "/work/.dpo"), undefined);
  const local = MOUNT_INFO.split("\n").filter((line) => !/ - (nfs4|cifs) /.test(line)).join("\n");
  assertEquals(
    networkFileSystemType(local, () => {
      throw new Error("the folder was resolved with no network file system mounted");
    }),
    undefined,
  );
  // nfsd (the NFS server's control file system) is not where a store could be shared from.
  assertEquals(
    networkFileSystemType("50 27 0:50 / /proc/fs/nfsd rw - nfsd nfsd rw", () => "/proc/fs/nfsd/x"),
    undefined,
  );
});
