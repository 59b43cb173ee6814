import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  commandLineSecrets,
  looksLikeDatabaseUrl,
  parseStoreUrl,
  resolveStoreTarget,
} from "../../src/config.ts";
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

Deno.test("commandLineSecrets() finds every password a command line was given, and the words it shows", async (t) => {
  const cases = [
    {
      name: "a URL before the command, written and decoded",
      args: ["postgresql://dpo:p%40ss@db1:5432/dpo", "init-execution"],
      env: {},
      expected: { passwords: ["p%40ss", "p@ss"], shown: ["dpo", "dpo", "db1"] },
    },
    {
      name: "--db=<url> in one argument, and a password holding a quote and a blank",
      args: ["--db=postgres://u:it's here@h/d"],
      env: {},
      expected: { passwords: ["it's here"], shown: ["u", "d", "h"] },
    },
    {
      name: "libpq's password= keyword, PGPASSWORD and DPO_DATABASE_URL",
      args: ["postgresql://u@h/d?password=kw"],
      env: { PGPASSWORD: "pg", DPO_DATABASE_URL: "postgresql://e:env@h2/d2" },
      expected: { passwords: ["pg", "kw", "env"], shown: ["u", "d", "h", "e", "d2", "h2"] },
    },
    {
      name: "none in a command line without URLs",
      args: ["init-step", "e1", "LOAD", "models", "**/*.sql"],
      env: { DPO_DATABASE_URL: "" },
      expected: { passwords: [], shown: [] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const env = (name: string) => (c.env as Record<string, string | undefined>)[name];
      const secrets = commandLineSecrets(c.args, env);
      deepStrictEqual(
        { passwords: [...new Set(secrets.passwords)], shown: [...new Set(secrets.shown)] },
        { passwords: c.expected.passwords, shown: [...new Set(c.expected.shown)] },
      );
    });
  }
});

Deno.test("looksLikeDatabaseUrl() knows a URL, sqlite:<file> and pglite: from a command name", async (t) => {
  const cases = [
    { arg: "postgresql+psycopg2://u@h/db", expected: true },
    { arg: "sqlite:state.db", expected: true },
    { arg: "pglite:.dpo", expected: true },
    { arg: "init-execution", expected: false },
    { arg: "./sqlite:x", expected: false },
  ];
  for (const c of cases) {
    await t.step(c.arg, () => equal(looksLikeDatabaseUrl(c.arg), c.expected));
  }
});
