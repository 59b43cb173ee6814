import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { modelNameOf, nameModels } from "../../src/files/model_names.ts";
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
