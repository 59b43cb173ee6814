import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { modelNameOf, modelsInNameOrder, nameModels } from "../../src/files/model_names.ts";
import { ConflictError, UsageError } from "../../src/errors.ts";

Deno.test("modelNameOf() drops only the last extension, as pathlib's stem", async (t) => {
  const cases = [
    { input: "a.sql", expected: "a" },
    { input: "x/y/a.b.sql", expected: "a.b" },
    { input: ".hidden.sql", expected: ".hidden" },
    { input: ".env", expected: ".env" },
    { input: "noext", expected: "noext" },
    { input: "trailing.", expected: "trailing." },
    { input: "x.tar.gz", expected: "x.tar" },
    { input: "dir.d/file", expected: "file" },
  ];
  for (const c of cases) await t.step(c.input, () => equal(modelNameOf(c.input), c.expected));
});

Deno.test("nameModels() refuses two files with one model name, listing both paths", () => {
  throws(() => nameModels(["a/orders.sql", "b/orders.csv"]), (error: Error) => {
    equal(error instanceof ConflictError, true);
    equal(error.message.includes('"a/orders.sql" and "b/orders.csv"'), true, error.message);
    return true;
  });
});

Deno.test("nameModels() refuses names longer than the column holds", () => {
  throws(() => nameModels([`${"m".repeat(251)}.sql`]), UsageError);
  deepStrictEqual([...nameModels([`${"m".repeat(250)}.sql`]).keys()], ["m".repeat(250)]);
});

Deno.test("modelsInNameOrder() orders a listing by model name and says where each file stood", () => {
  const listed = ["b/zeta.sql", "a/alpha.csv", "c/mid.json", "a.b/beta.x.sql"];
  const models = modelsInNameOrder(listed);
  deepStrictEqual(models.names, ["alpha", "beta.x", "mid", "zeta"]);
  deepStrictEqual(models.paths, ["a/alpha.csv", "a.b/beta.x.sql", "c/mid.json", "b/zeta.sql"]);
  deepStrictEqual([...models.listedIndexes], [1, 3, 2, 0]);
  models.paths.forEach((path, i) => equal(listed[models.listedIndexes[i]], path));
});

Deno.test("modelsInNameOrder() refuses what nameModels() refuses, with the same words, whatever the listing's order", () => {
  const listed = ["z/orders.sql", "b/x.sql", "b/orders.csv", "a/x.csv"];
  const expected = (() => {
    try {
      nameModels([...listed].sort());
    } catch (error) {
      return (error as Error).message;
    }
  })();
  equal(expected?.includes('"a/x.csv" and "b/x.sql"'), true, expected);
  throws(() => modelsInNameOrder(listed), (error: Error) => {
    equal(error instanceof ConflictError, true);
    equal(error.message, expected);
    return true;
  });
  throws(() => modelsInNameOrder(["a.sql", `${"m".repeat(251)}.sql`]), UsageError);
  // Long in UTF-16 units, short in code points: accepted, as by nameModels().
  const emoji = "\u{1F600}".repeat(200);
  deepStrictEqual(modelsInNameOrder([`${emoji}.sql`, "a.sql"]).names, ["a", emoji]);
});
