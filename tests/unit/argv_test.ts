import { deepStrictEqual } from "node:assert/strict";
import { declareProgram, prepareArgv } from "../../src/cli/command_line.ts";
import { Command } from "../../src/cli/parser.ts";

/** dpo's own program options, as the URL before the command is looked for among them. */
function programOptions() {
  const program = new Command("dpo");
  declareProgram(program);
  return program.options;
}

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
    {
      name: "every option with a value is skipped with it, in its short form too",
      input: [
        "--pipeline",
        "sqlite:p",
        "--connect-timeout",
        "3",
        "-l",
        "DEBUG",
        "sqlite:s",
        "diff",
      ],
      expected: {
        argv: ["--pipeline", "sqlite:p", "--connect-timeout", "3", "-l", "DEBUG", "diff"],
        positionalUrl: "sqlite:s",
      },
    },
    {
      name: "flags take no value, and -- ends the search",
      input: ["-V", "sqlite:s", "--", "sqlite:t"],
      expected: { argv: ["-V", "--", "sqlite:t"], positionalUrl: "sqlite:s" },
    },
    {
      name: "a pglite: URL is taken out, to be told what became of PGlite",
      input: ["pglite:./data", "init-execution"],
      expected: { argv: ["init-execution"], positionalUrl: "pglite:./data" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => deepStrictEqual(prepareArgv(c.input, programOptions()), c.expected));
  }
});
