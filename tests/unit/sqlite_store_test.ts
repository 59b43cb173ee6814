import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fileSystemType } from "../../src/store/sqlite_file_checks.ts";

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
