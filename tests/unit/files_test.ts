import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { expandModelPatterns } from "../../src/files/glob.ts";
import { FileHasher } from "../../src/files/hash.ts";
import { FileError, NotFoundError, UsageError } from "../../src/errors.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";

Deno.test("FileHasher.sha256() matches sha256sum, across its 1 MiB chunks", async () => {
  await using folder = await temporaryFolder();
  await Deno.writeTextFile(`${folder.path}/hello`, "hello\n");
  await Deno.writeTextFile(`${folder.path}/empty`, "");
  await Deno.writeTextFile(`${folder.path}/big`, "a".repeat(3_000_000));
  const hasher = new FileHasher();
  // Digests pinned from `sha256sum`.
  deepStrictEqual(hasher.sha256(`${folder.path}/hello`), {
    checksum: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
    bytes: 6,
  });
  equal(
    hasher.sha256(`${folder.path}/empty`).checksum,
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  equal(
    hasher.sha256(`${folder.path}/big`).checksum,
    "2a152c894398719c0570f83fac34ac03a0f6e8e474b995c2403aa5434f7b9dd4",
  );
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
  ];
  for (const c of cases) {
    await t.step(c.name, () => deepStrictEqual(expandModelPatterns(base, c.patterns), c.expected));
  }
  await t.step("absolute patterns and .. are refused", () => {
    throws(() => expandModelPatterns(base, ["/etc/*.conf"]), UsageError);
    throws(() => expandModelPatterns(base, ["../*.sql"]), UsageError);
    throws(() => expandModelPatterns(base, ["x/../../*.sql"]), UsageError);
  });
  await t.step("base-path must be an existing folder", () => {
    throws(() => expandModelPatterns(`${base}/missing`, ["*"]), NotFoundError);
    throws(() => expandModelPatterns(`${base}/a.sql`, ["*"]), FileError);
  });
});
