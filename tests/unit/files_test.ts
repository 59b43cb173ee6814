import { deepStrictEqual, equal, rejects, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import { expandModelPatterns } from "../../src/files/glob.ts";
import { FileHasher } from "../../src/files/hash.ts";
import { HashPool } from "../../src/files/hash_pool.ts";
import { Sha256Digests } from "../../src/files/sha256_digests.ts";
import { FileError, NotFoundError, UsageError } from "../../src/errors.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";

Deno.test("FileHasher.sha256() matches sha256sum, across its 1 MiB chunks", async () => {
  await using folder = await temporaryFolder();
  await Deno.writeTextFile(`${folder.path}/hello`, "hello\n");
  await Deno.writeTextFile(`${folder.path}/empty`, "");
  await Deno.writeTextFile(`${folder.path}/big`, "a".repeat(3_000_000));
  const hasher = new FileHasher();
  const hex = (path: string) => hasher.sha256(`${folder.path}/${path}`).hex;
  // Digests pinned from `sha256sum`.
  equal(hex("hello"), "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  equal(hasher.sha256(`${folder.path}/hello`).bytes, 6);
  equal(hex("empty"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  equal(hex("big"), "2a152c894398719c0570f83fac34ac03a0f6e8e474b995c2403aa5434f7b9dd4");
});

Deno.test("Sha256Digests.joinHex() joins the digests in position order", () => {
  const first = "ab".repeat(32);
  const second = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0")).join("");
  const third = Array.from({ length: 32 }, (_, i) => (i + 32).toString(16)).join("");
  const digests = new Sha256Digests(4);
  digests.setHex(3, third);
  digests.setHex(0, first);
  const middle = new Sha256Digests(2);
  middle.setHex(0, second);
  middle.setHex(1, third);
  digests.setAll(1, middle.bytes, 2);
  equal(digests.count, 4);
  equal(digests.joinHex(), `${first}/${second}/${third}/${third}`);
  equal(new Sha256Digests(0).joinHex(), "");
  throws(() => digests.setHex(0, "ab"), RangeError);
  throws(() => digests.setHex(4, first), RangeError);
  throws(() => digests.setAll(0, new Uint8Array(63), 1), RangeError);
  throws(() => digests.setAll(0, middle.bytes, 1), RangeError);
  throws(() => digests.setAll(3, middle.bytes, 2), RangeError);
});

/** `count` small files with distinct contents, in sorted order, and their sha256sum digests. */
async function distinctFiles(root: string, count: number) {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    files[`d${i % 7}/m${String(i).padStart(5, "0")}.sql`] = `select ${i};\n`;
  }
  await writeModels(root, files);
  const paths = Object.keys(files).sort();
  const expected = paths.map((path) => createHash("sha256").update(files[path]).digest("hex"));
  return { paths, expected };
}

Deno.test("HashPool.hash() answers in the order of the paths, on the calling thread or workers", async (t) => {
  await using folder = await temporaryFolder();
  // Above hash_pool.ts's worker threshold and not a whole number of batches.
  const { paths, expected } = await distinctFiles(folder.path, 5_003);
  for (const count of [10, paths.length]) {
    await t.step(`${count} files`, async () => {
      let progressFiles = 0;
      using pool = new HashPool(folder.path);
      const digests = await pool.hash(paths.slice(0, count), ({ files }) => {
        progressFiles += files;
      });
      equal(digests.count, count);
      deepStrictEqual(digests.joinHex().split("/"), expected.slice(0, count));
      equal(progressFiles, count);
    });
  }
});

Deno.test("HashPool: workers started early hash a short list too, and stop when disposed of", async (t) => {
  await using folder = await temporaryFolder();
  const { paths, expected } = await distinctFiles(folder.path, 10);
  await t.step("told of many files, then given few", async () => {
    using pool = new HashPool(folder.path);
    // As the walk does at hash_pool.ts's worker threshold: the workers start now.
    pool.expect(100_000);
    const digests = await pool.hash(paths);
    deepStrictEqual(digests.joinHex().split("/"), expected);
  });
  // A worker that outlives its pool keeps the process from ending: checked in a process of its own.
  await t.step("told of many files, then abandoned (the walk failed)", async () => {
    const poolModule = new URL("../../src/files/hash_pool.ts", import.meta.url).href;
    const abandon = `import { HashPool } from "${poolModule}";
      using pool = new HashPool(${JSON.stringify(folder.path)});
      pool.expect(100_000);
      if (pool.workers < 2) throw new Error("no workers started");`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["eval", abandon],
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    equal(new TextDecoder().decode(run.stderr), "");
    equal(run.code, 0);
  });
});

Deno.test("HashPool.hash() reports a file that cannot be read as one FileError naming it", async () => {
  await using folder = await temporaryFolder();
  const { paths } = await distinctFiles(folder.path, 3_000);
  await Deno.remove(`${folder.path}/${paths[2_500]}`);
  using pool = new HashPool(folder.path);
  await rejects(pool.hash(paths), (error: Error) => {
    equal(error.constructor, FileError);
    equal(
      error.message,
      `Cannot read model file "${paths[2_500]}": it disappeared while dpo was reading`,
    );
    return true;
  });
});

Deno.test("expandModelPatterns() behaves like pathlib's glob under base-path", async (t) => {
  await using folder = await temporaryFolder();
  const base = folder.path;
  await writeModels(base, {
    "a.sql": "a",
    ".hidden.sql": "h",
    "x/b.sql": "b",
    "x/y/c.sql": "c",
    "x/d.csv": "d",
    "Upper.SQL": "u",
    "models.sql/e.txt": "e",
  });
  await Deno.symlink(`${base}/a.sql`, `${base}/x/link.sql`);
  await Deno.symlink(`${base}/x`, `${base}/linkdir`);
  const cases = [
    {
      name: "** matches zero or more folders and dot-files, not folders or linked folders",
      patterns: ["**/*.sql"],
      expected: [".hidden.sql", "a.sql", "x/b.sql", "x/link.sql", "x/y/c.sql"],
    },
    { name: "./ prefixes are allowed", patterns: ["./x/**/*.csv"], expected: ["x/d.csv"] },
    {
      name: "a file matched by two patterns counts once",
      patterns: ["*.sql", "a.*"],
      expected: [".hidden.sql", "a.sql"],
    },
    { name: "matching is case-sensitive", patterns: ["*.SQL"], expected: ["Upper.SQL"] },
    { name: "nothing matched is an empty list", patterns: ["*.json"], expected: [] },
    {
      name: "braces expand to alternatives",
      patterns: ["**/*.{csv,txt}"],
      expected: ["models.sql/e.txt", "x/d.csv"],
    },
    {
      name: "a trailing ** matches every file below, not linked folders",
      patterns: ["x/**"],
      expected: ["x/b.sql", "x/d.csv", "x/link.sql", "x/y/c.sql"],
    },
    {
      name: "a folder name in a pattern is matched exactly",
      patterns: ["x/y/*"],
      expected: [
        "x/y/c.sql",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => deepStrictEqual(expandModelPatterns(base, c.patterns), c.expected));
  }
  await t.step("absolute patterns and .. are refused", () => {
    throws(() => expandModelPatterns(base, ["/etc/*.conf"]), UsageError);
    throws(() => expandModelPatterns(base, ["../*.sql"]), UsageError);
    throws(() => expandModelPatterns(base, ["x/../../*.sql"]), UsageError);
  });
  await t.step(
    "a leading \\ escapes a character: it does not make the pattern absolute",
    async () => {
      await writeModels(`${base}/escaped`, { "*.sql": "star", "a.sql": "a" });
      deepStrictEqual(expandModelPatterns(`${base}/escaped`, ["\\*.sql"]), ["*.sql"]);
    },
  );
  await t.step("base-path must be an existing folder", () => {
    throws(() => expandModelPatterns(`${base}/missing`, ["*"]), NotFoundError);
    throws(() => expandModelPatterns(`${base}/a.sql`, ["*"]), FileError);
  });
});
