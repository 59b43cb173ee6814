import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { parseStoreUrl, resolveStoreTarget } from "../../src/config.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("parseStoreUrl() accepts the URL forms the Python tool's users have", async (t) => {
  const cases = [
    {
      input: "postgresql+psycopg2://u:p%40ss@h:5432/db",
      display: "postgresql://u:***@h:5432/db",
      password: "p@ss",
    },
    {
      input: "postgres://u@h/db?sslmode=require",
      display: "postgres://u@h/db?sslmode=require",
      password: undefined,
    },
    {
      input: "postgresql://u:secret@127.0.0.1:6543/db",
      display: "postgresql://u:***@127.0.0.1:6543/db",
      password: "secret",
    },
  ];
  for (const c of cases) {
    await t.step(c.input, () => {
      const target = parseStoreUrl(c.input);
      deepStrictEqual(
        target.kind === "postgres" && [target.display, target.settings.password],
        [c.display, c.password],
      );
    });
  }
});

Deno.test("parseStoreUrl() names an embedded store with pglite:<dir>", () => {
  deepStrictEqual(parseStoreUrl("pglite:/var/lib/dpo"), {
    kind: "pglite",
    dir: "/var/lib/dpo",
    display: "pglite:/var/lib/dpo",
  });
  deepStrictEqual(parseStoreUrl("pglite:state").kind, "pglite");
  throws(() => parseStoreUrl("pglite:"), UsageError);
});

Deno.test("parseStoreUrl() refuses other schemes without showing the password", () => {
  throws(() => parseStoreUrl("mysql://root:hunter2@h/db"), (error: Error) => {
    equal(error instanceof UsageError, true);
    equal(error.message.includes("hunter2"), false);
    return true;
  });
});

Deno.test("resolveStoreTarget() prefers the positional URL, then --db, then the environment", () => {
  equal(
    resolveStoreTarget({ dbOption: "pglite:a", environmentUrl: "pglite:b" }).display,
    "pglite:a",
  );
  equal(resolveStoreTarget({ environmentUrl: "pglite:b" }).display, "pglite:b");
  equal(resolveStoreTarget({ positionalUrl: "pglite:c" }).display, "pglite:c");
  deepStrictEqual(resolveStoreTarget({ environmentUrl: " " }), {
    kind: "pglite",
    dir: ".dpo",
    display: "pglite:.dpo",
  });
  throws(
    () => resolveStoreTarget({ positionalUrl: "pglite:a", dbOption: "pglite:b" }),
    UsageError,
  );
});

Deno.test("a password given as libpq's ?password= parameter is hidden too", () => {
  const target = parseStoreUrl("postgresql://u@h/db?sslmode=disable&password=s3cret&x=1");
  deepStrictEqual(target.kind === "postgres" && [target.display, target.settings.password], [
    "postgresql://u@h/db?sslmode=disable&password=***&x=1",
    "s3cret",
  ]);
});
