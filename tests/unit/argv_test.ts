import { deepStrictEqual } from "node:assert/strict";
import { prepareArgv } from "../../src/cli/argv.ts";

Deno.test("prepareArgv() keeps the Python tool's argv forms working", async (t) => {
  const cases = [
    {
      name: "a URL before the command is taken out",
      input: ["postgresql+psycopg2://u:p@h/db", "init-execution"],
      expected: { argv: ["init-execution"], positionalUrl: "postgresql+psycopg2://u:p@h/db" },
    },
    {
      name: "options before the URL are skipped with their values",
      input: ["-l", "DEBUG", "--db", "x", "sqlite:s", "get-last-successful-execution"],
      expected: {
        argv: ["-l", "DEBUG", "--db", "x", "get-last-successful-execution"],
        positionalUrl: "sqlite:s",
      },
    },
    {
      name: "-l without a value (it is optional) skips no URL",
      input: ["-l", "postgresql://u:p@h/db", "init-execution"],
      expected: { argv: ["-l", "postgresql://u:p@h/db", "init-execution"] },
    },
    {
      name: "-l followed by an option takes no value",
      input: ["-l", "--format", "json", "sqlite:s", "init-execution"],
      expected: { argv: ["-l", "--format", "json", "init-execution"], positionalUrl: "sqlite:s" },
    },
    {
      name: "a command first leaves everything as is",
      input: ["init-step", "postgresql://not/a/url/here", "LOAD"],
      expected: { argv: ["init-step", "postgresql://not/a/url/here", "LOAD"] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => deepStrictEqual(prepareArgv(c.input), c.expected));
  }
});
