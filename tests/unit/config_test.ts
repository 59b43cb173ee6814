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

Deno.test("parseStoreUrl() names an embedded store with sqlite:<file>", () => {
  deepStrictEqual(parseStoreUrl("sqlite:/var/lib/dpo/state.sqlite"), {
    kind: "sqlite",
    path: "/var/lib/dpo/state.sqlite",
    display: "sqlite:/var/lib/dpo/state.sqlite",
  });
  deepStrictEqual(
    parseStoreUrl("sqlite:///var/lib/dpo.sqlite").display,
    "sqlite:/var/lib/dpo.sqlite",
  );
  deepStrictEqual(parseStoreUrl("sqlite:state.db").kind, "sqlite");
  throws(() => parseStoreUrl("sqlite:"), UsageError);
  throws(() => parseStoreUrl("sqlite:folder/"), UsageError);
});

Deno.test("parseStoreUrl() says that a pglite: store is now SQLite, as a usage error", () => {
  throws(() => parseStoreUrl("pglite:.dpo"), (error: Error) => {
    equal(error instanceof UsageError, true);
    equal(
      error.message,
      'Database URL "pglite:.dpo" names a PGlite store: dpo\'s embedded store is now SQLite; ' +
        "use sqlite:<file> (the default is .dpo/dpo.sqlite), or an earlier dpo for the PGlite store",
    );
    return true;
  });
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
    resolveStoreTarget({ dbOption: "sqlite:a", environmentUrl: "sqlite:b" }).display,
    "sqlite:a",
  );
  equal(resolveStoreTarget({ environmentUrl: "sqlite:b" }).display, "sqlite:b");
  equal(resolveStoreTarget({ positionalUrl: "sqlite:c" }).display, "sqlite:c");
  deepStrictEqual(resolveStoreTarget({ environmentUrl: " " }), {
    kind: "sqlite",
    path: ".dpo/dpo.sqlite",
    display: "sqlite:.dpo/dpo.sqlite",
  });
  throws(
    () => resolveStoreTarget({ positionalUrl: "sqlite:a", dbOption: "sqlite:b" }),
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
