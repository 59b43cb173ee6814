import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type FileStat, isSafelyOlder } from "../../src/files/file_stat.ts";
import type { CachedEntries } from "../../src/files/stat_bucket.ts";
import { Sha256Digests } from "../../src/files/sha256_digests.ts";
import { StatCache } from "../../src/files/stat_cache.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";

const STAT: FileStat = {
  dev: 65024,
  ino: 2771657,
  size: 15,
  mtimeMs: 1_796_520_535_551,
  ctimeMs: 1_796_520_535_000,
};
const HEX = new TextEncoder().encode("ab".repeat(32));

/** The cached digest of `path` for exactly `stat`. */
function digestFor(entries: CachedEntries, path: string, stat: FileStat) {
  const { dev, ino, size, mtimeMs, ctimeMs } = stat;
  return entries.digestFor(path, new Float64Array([dev, ino, size, mtimeMs, ctimeMs]), 0);
}

function quietLog(lines: string[] = []) {
  return { debug: (text: string) => lines.push(text), info() {}, warn() {}, error() {} };
}

Deno.test("isSafelyOlder() trusts a stat only when mtime and ctime are a resolution and 100 ms older than the read", async (t) => {
  const cases = [
    // ctime on a whole second: two seconds' resolution.
    { name: "ctime 2.1 s before", readMs: STAT.ctimeMs + 2_100, expected: true },
    { name: "ctime 2.099 s before", readMs: STAT.ctimeMs + 2_099, expected: false },
    { name: "the same second", readMs: STAT.ctimeMs + 900, expected: false },
    {
      name: "millisecond mtime and ctime 101 ms before",
      stat: { ...STAT, ctimeMs: STAT.mtimeMs },
      readMs: STAT.mtimeMs + 101,
      expected: true,
    },
    {
      name: "millisecond mtime and ctime 100 ms before",
      stat: { ...STAT, ctimeMs: STAT.mtimeMs },
      readMs: STAT.mtimeMs + 100,
      expected: false,
    },
  ];
  for (const { name, stat = STAT, readMs, expected } of cases) {
    await t.step(name, () => assertEquals(isSafelyOlder(stat, readMs), expected));
  }
});

Deno.test("StatCache gives a digest back only for the very stat it was recorded with", async (t) => {
  await using folder = await temporaryFolder();
  using cache = StatCache.open(`${folder.path}/stat-cache.sqlite`, quietLog())!;
  const scope = { dev: 1, ino: 2 };
  cache.record(scope, [
    { path: "a/b.sql", digest: { stat: STAT, hex: HEX } },
    { path: "racy.sql", digest: { stat: STAT, hex: HEX } },
  ], STAT.ctimeMs + 10_000);
  cache.record(scope, [{ path: "racy.sql", digest: { stat: STAT, hex: HEX } }], STAT.ctimeMs);
  const entries = cache.entries(scope);
  assertEquals(digestFor(entries, "a/b.sql", STAT), HEX);
  assertEquals(digestFor(entries, "racy.sql", STAT), undefined);
  assertEquals(digestFor(cache.entries({ dev: 1, ino: 3 }), "a/b.sql", STAT), undefined);
  for (const field of ["dev", "ino", "size", "mtimeMs", "ctimeMs"] as const) {
    await t.step(`a different ${field}`, () => {
      assertEquals(
        digestFor(entries, "a/b.sql", { ...STAT, [field]: STAT[field] + 1 }),
        undefined,
      );
    });
  }
});

Deno.test("StatCache ignores a bucket that does not decode, and the next record repairs it", async () => {
  await using folder = await temporaryFolder();
  const path = `${folder.path}/stat-cache.sqlite`;
  const lines: string[] = [];
  const scope = { dev: 1, ino: 2 };
  const entry = { path: "a.sql", digest: { stat: STAT, hex: HEX } };
  {
    using cache = StatCache.open(path, quietLog(lines))!;
    cache.record(scope, [entry], STAT.ctimeMs + 10_000);
  }
  {
    using db = new DatabaseSync(path);
    db.exec("UPDATE stat_bucket SET entries = x'0102030405'");
  }
  lines.length = 0;
  using cache = StatCache.open(path, quietLog(lines))!;
  assertEquals(digestFor(cache.entries(scope), "a.sql", STAT), undefined);
  assertEquals(lines.length, 1, lines.join("\n"));
  cache.record(scope, [entry], STAT.ctimeMs + 10_000);
  assertEquals(digestFor(cache.entries(scope), "a.sql", STAT), HEX);
});

Deno.test("copyDigests() gives each path what digestFor() gives, in the caller's order, and lists the others", async () => {
  await using folder = await temporaryFolder();
  using cache = StatCache.open(`${folder.path}/stat-cache.sqlite`, quietLog())!;
  const scope = { dev: 1, ino: 2 };
  // Enough paths that buckets hold several, each with its own digest and inode.
  const paths = Array.from({ length: 5_000 }, (_, i) => `g${i % 13}/m${i}.sql`);
  const statOf = (i: number): FileStat => ({ ...STAT, ino: STAT.ino + i });
  const hexOf = (i: number) => new TextEncoder().encode(i.toString(16).padStart(64, "0"));
  // Every 10th path (from the 4th) has no entry.
  const recorded = paths.flatMap((path, i) =>
    i % 10 === 3 ? [] : [{ path, digest: { stat: statOf(i), hex: hexOf(i) } }]
  );
  cache.record(scope, recorded, STAT.ctimeMs + 10_000);
  const entries = cache.entries(scope);
  const asked = [...paths].reverse();
  const stats = new Float64Array(asked.length * 5);
  asked.forEach((path, j) => {
    const i = paths.indexOf(path);
    // Every 7th file changed its size since.
    const stat = { ...statOf(i), size: STAT.size + (i % 7 === 0 ? 1 : 0) };
    stats.set([stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs], j * 5);
  });
  const digests = new Sha256Digests(asked.length);
  const misses = entries.copyDigests(asked, stats, digests);
  const expectedMisses = asked.flatMap((path, j) =>
    entries.digestFor(path, stats, j * 5) === undefined ? [j] : []
  );
  assertEquals(misses, expectedMisses);
  assertEquals(misses.length > 1_000 && misses.length < 2_000, true, `${misses.length}`);
  asked.forEach((path, j) => {
    if (misses.includes(j)) return;
    assertEquals(digests.hexBytesAt(j), entries.digestFor(path, stats, j * 5));
  });
});
