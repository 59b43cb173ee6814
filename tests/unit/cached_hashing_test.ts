import { deepStrictEqual, equal } from "node:assert/strict";
import { createHash } from "node:crypto";
import { hashWithStatCache, StatScan } from "../../src/files/cached_hashing.ts";
import { expandModelPatterns } from "../../src/files/glob.ts";
import { HashPool } from "../../src/files/hash_pool.ts";
import { StatCache } from "../../src/files/stat_cache.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One init-step's fingerprinting, as service/steps.ts runs it: walk, stat, look up, hash. The
 * caller's order comes with where each path stood in the walk (as modelsInNameOrder() gives),
 * or with `indexes` "none" without, or "wrong" with misleading ones.
 */
async function fingerprint(
  base: string,
  cachePath: string,
  order: (paths: string[]) => string[],
  indexes: "right" | "none" | "wrong" = "right",
) {
  using pool = new HashPool(base);
  using cache = StatCache.open(cachePath, quietLog)!;
  const scan = new StatScan(pool, base);
  const listed = expandModelPatterns(base, ["**/*"], scan.found, "as-listed");
  const indexByPath = new Map(listed.map((path, index) => [path, index]));
  const paths = order([...listed]);
  const listedIndexes = indexes === "none" ? undefined : Uint32Array.from(
    paths,
    (path, i) => indexes === "right" ? indexByPath.get(path)! : (i * 7 + 1) % paths.length,
  );
  const hashed = await hashWithStatCache(paths, {
    pool,
    cache,
    scan,
    basePath: base,
    listedIndexes,
  });
  hashed.record();
  // On two cores or more the workers have taken the stats (hash_pool.ts' threshold).
  equal(pool.workers > 0, navigator.hardwareConcurrency >= 2);
  return { paths, digests: hashed.digests.joinHex().split("/"), unchanged: hashed.unchanged };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

Deno.test("with the stat cache, files found by the walk are stat'ed on the workers and their digests land in the caller's order", async (t) => {
  await using folder = await temporaryFolder();
  const base = `${folder.path}/models`;
  const cachePath = `${folder.path}/stat-cache.sqlite`;
  // Above hash_pool.ts's worker threshold, and not a whole number of stat batches.
  const content = new Map<string, string>();
  for (let i = 0; i < 3_001; i++) {
    const path = `g${i % 7}/m${i}.sql`;
    content.set(path, `select ${i};\n`);
  }
  for (let i = 0; i < 7; i++) await Deno.mkdir(`${base}/g${i}`, { recursive: true });
  for (const [path, text] of content) await Deno.writeTextFile(`${base}/${path}`, text);
  // Past the racy guard (file_stat.ts): the first run's entries are trusted by the next.
  await new Promise((resolve) => setTimeout(resolve, 2_300));
  // Not the walk's order: the service hands over paths in model-name order.
  const reversed = (paths: string[]) => paths.reverse();
  const expected = (paths: string[]) => paths.map((path) => sha256(content.get(path)!));

  await t.step("a first run reads every file", async () => {
    const run = await fingerprint(base, cachePath, reversed);
    equal(run.unchanged, 0);
    deepStrictEqual(run.digests, expected(run.paths));
  });
  await t.step("a re-run reads none", async () => {
    const run = await fingerprint(base, cachePath, reversed);
    equal(run.unchanged, content.size);
    deepStrictEqual(run.digests, expected(run.paths));
  });
  await t.step(
    "without the walk's indexes, or with wrong ones, each path still gets its own stat",
    async () => {
      for (const indexes of ["none", "wrong"] as const) {
        const run = await fingerprint(base, cachePath, reversed, indexes);
        equal(run.unchanged, content.size);
        deepStrictEqual(run.digests, expected(run.paths));
      }
    },
  );
  await t.step("a same-size edit is read, and only it", async () => {
    const victim = "g6/m1000.sql";
    content.set(victim, "select X;\n".padEnd(content.get(victim)!.length));
    await Deno.writeTextFile(`${base}/${victim}`, content.get(victim)!);
    const run = await fingerprint(base, cachePath, reversed);
    equal(run.unchanged, content.size - 1);
    deepStrictEqual(run.digests, expected(run.paths));
  });
});
