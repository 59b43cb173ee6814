/**
 * The forms of a command line the Python tool's argparse accepted, which scripts written for it
 * may use: prefixes of long options, `--opt=value`, `-id`, options whose value may be left out.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { Command, CommandLineError } from "../../src/cli/parser.ts";

interface Call {
  command: string;
  args: unknown[];
  options: Record<string, unknown>;
  globals: Record<string, unknown>;
}

/** The Python tool's options as dpo declares them, with two of dpo's own beside them. */
function pythonShapedProgram(calls: Call[]): Command {
  const program = new Command("dpo");
  const record = (name: string) => (...received: unknown[]) => {
    calls.push({
      command: name,
      args: received.slice(0, -2),
      options: received.at(-2) as Record<string, unknown>,
      globals: {}, // the program's options, filled in by parse()
    });
  };
  program
    .helpOption("-h, --help", "display help")
    .option("-l, --log-level [level]", "logging level", "INFO")
    .option("--db <url>", "the database URL")
    .option("--statement-timeout <seconds>", "the longest statement", "120");
  program.command("init-execution")
    .option("-id, --execution-id [uuid]", "use this id")
    .action(record("init-execution"));
  program.command("complete-step")
    .argument("<step-id>", "an id")
    .option("-r, --rows-processed [n]", "rows")
    .action(record("complete-step"));
  program.command("compare-step-models")
    .argument("<step-id>", "an id")
    .argument("<previous-execution-id>", "an id")
    .option("--separator <text>", "text between model names", " ")
    .option("--name-status", "print A, M and D lines")
    .action(record("compare-step-models"));
  return program;
}

/** Parses argv and runs it, noting the program's options in the call; returns what it threw. */
async function parse(program: Command, argv: string[], calls: Call[] = []): Promise<unknown> {
  try {
    const parsed = program.parse(argv, { helpWidth: () => 80 });
    await parsed.run();
    for (const call of calls) call.globals = parsed.programOptions;
    return undefined;
  } catch (error) {
    return error;
  }
}

Deno.test("Command.expandOptionNames() writes argparse's forms of an option with its declared name", async (t) => {
  const cases = [
    { argv: ["complete-step", "s", "--rows", "5"], expected: ["--rows-processed", "5"] },
    { argv: ["complete-step", "s", "--r=5"], expected: ["--rows-processed=5"] },
    { argv: ["complete-step", "s", "-r=5"], expected: ["--rows-processed=5"] },
    { argv: ["complete-step", "s", "-r5"], expected: ["-r5"] },
    { argv: ["init-execution", "--execution", "e"], expected: ["--execution-id", "e"] },
    { argv: ["init-execution", "--e=e"], expected: ["--execution-id=e"] },
    { argv: ["init-execution", "-id", "e"], expected: ["--execution-id", "e"] },
    { argv: ["init-execution", "-id=e"], expected: ["--execution-id=e"] },
    { argv: ["init-execution", "-i", "e"], expected: ["--execution-id", "e"] },
    // Options of the program count after the command too, and help is an option like others.
    { argv: ["init-execution", "--log", "debug"], expected: ["--log-level", "debug"] },
    { argv: ["compare-step-models", "--he"], expected: ["--help"] },
    { argv: ["compare-step-models", "a", "b", "--sep", ","], expected: ["--separator", ","] },
    { argv: ["compare-step-models", "a", "b", "--name"], expected: ["--name-status"] },
  ];
  for (const c of cases) {
    await t.step(c.argv.join(" "), () => {
      const expanded = pythonShapedProgram([]).expandOptionNames(c.argv);
      deepStrictEqual(expanded.slice(-c.expected.length), c.expected);
    });
  }
  await t.step("what is not an option of that place is kept as it is", () => {
    const kept = [
      // Before the command's name only the program's options count.
      ["--rows", "5", "complete-step", "s"],
      ["-id", "e", "init-execution"],
      // An option's value, and everything after --.
      ["compare-step-models", "a", "b", "--separator", "--name"],
      ["compare-step-models", "--", "--sep", "b"],
      // -i= is no form of -id for argparse; an unknown option is the parser's to report.
      ["init-execution", "-i=e"],
      ["init-execution", "--frob"],
    ];
    for (const argv of kept) deepStrictEqual(pythonShapedProgram([]).expandOptionNames(argv), argv);
    deepStrictEqual(
      pythonShapedProgram([]).expandOptionNames(["--log", "WARNING", "sqlite:x", "init-execution"]),
      ["--log-level", "WARNING", "sqlite:x", "init-execution"],
    );
  });
});

Deno.test("Command.parse() rejects an ambiguous prefix, naming the options it could be", async (t) => {
  const cases = [
    {
      argv: ["compare-step-models", "a", "b", "--s", ","],
      message: "option '--s' is ambiguous: it could be --separator or --statement-timeout",
    },
    {
      argv: ["compare-step-models", "a", "b", "--s=,"],
      message: "option '--s' is ambiguous: it could be --separator or --statement-timeout",
    },
  ];
  for (const c of cases) {
    await t.step(c.argv.join(" "), async () => {
      const calls: Call[] = [];
      const error = await parse(pythonShapedProgram(calls), c.argv, calls);
      ok(error instanceof CommandLineError, String(error));
      equal(error.message, c.message);
      deepStrictEqual(calls, []);
    });
  }
  // Before the command, only the program's --statement-timeout starts so.
  const calls: Call[] = [];
  equal(await parse(pythonShapedProgram(calls), ["--s", "5", "init-execution"], calls), undefined);
  equal(calls[0].globals.statementTimeout, "5");
});

Deno.test("Command.parse() reads an option whose value may be left out as argparse's nargs='?'", async (t) => {
  const cases: { argv: string[]; expected: Omit<Call, "command"> }[] = [
    {
      argv: ["complete-step", "s1", "--rows-processed"],
      expected: {
        args: ["s1"],
        options: {},
        globals: { logLevel: "INFO", statementTimeout: "120" },
      },
    },
    {
      argv: ["complete-step", "s1", "--rows-processed", "--log-level", "DEBUG"],
      expected: {
        args: ["s1"],
        options: {},
        globals: { logLevel: "DEBUG", statementTimeout: "120" },
      },
    },
    {
      argv: ["complete-step", "s1", "-r", "-l", "debug"],
      expected: {
        args: ["s1"],
        options: {},
        globals: { logLevel: "debug", statementTimeout: "120" },
      },
    },
    {
      argv: ["complete-step", "--rows-processed", "5", "s1"],
      expected: {
        args: ["s1"],
        options: { rowsProcessed: "5" },
        globals: { logLevel: "INFO", statementTimeout: "120" },
      },
    },
    {
      argv: ["complete-step", "s1", "-r", "-5"],
      expected: {
        args: ["s1"],
        options: { rowsProcessed: "-5" },
        globals: { logLevel: "INFO", statementTimeout: "120" },
      },
    },
    {
      argv: ["complete-step", "s1", "--rows", "5", "--rows"],
      expected: {
        args: ["s1"],
        options: {},
        globals: { logLevel: "INFO", statementTimeout: "120" },
      },
    },
    {
      argv: ["-l", "--db", "x", "init-execution", "--execution-id"],
      expected: {
        args: [],
        options: {},
        globals: { logLevel: "INFO", db: "x", statementTimeout: "120" },
      },
    },
    {
      argv: ["init-execution", "-id", "e1", "-l", "WARNING"],
      expected: {
        args: [],
        options: { executionId: "e1" },
        globals: { logLevel: "WARNING", statementTimeout: "120" },
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.argv.join(" "), async () => {
      const calls: Call[] = [];
      equal(await parse(pythonShapedProgram(calls), c.argv, calls), undefined);
      deepStrictEqual(calls.map(({ command: _, ...call }) => call), [c.expected]);
    });
  }
});
