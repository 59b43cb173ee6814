import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { Command, CommandLineError, CommandLineExit } from "../../src/cli/parser.ts";
import { Argument, Option } from "../../src/cli/parser_declarations.ts";
import { editDistance, formatHelp, suggestSimilar, wrapText } from "../../src/cli/help.ts";

/** What an action was called with: its arguments, then its options. */
interface Call {
  command: string;
  args: unknown[];
  options: Record<string, unknown>;
}

/** A program shaped like dpo's: global options, plain and nested commands, an alias. */
function sampleProgram(calls: Call[], events: string[] = []): Command {
  const program = new Command("dpo");
  const record = (name: string) => (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    ok(command instanceof Command);
    calls.push({
      command: name,
      args: received.slice(0, -2),
      options: received.at(-2) as Record<string, unknown>,
    });
    events.push(`action ${name}`);
  };
  program
    .usage("[options] <command>")
    .description("Records pipeline executions.")
    .version("1.2.3", "-V, --version", "print the version")
    .helpOption("-h, --help", "display help")
    .option("-l, --log-level <level>", "logging level", "INFO")
    .option("--db <url>", "the database URL");
  program.command("init-step")
    .alias("persist-models")
    .description("Record a step")
    .argument("<execution-id>", "an id")
    .argument("<step-name>", "the step")
    .argument("<model-patterns...>", "patterns")
    .action(record("init-step"));
  program.command("compare-step-models")
    .description("Compare")
    .argument("<step-id>", "an id")
    .option("--separator <text>", "text between model names", ",")
    .option("--name-status", "print A, M and D lines")
    .action(record("compare-step-models"));
  const db = program.command("db").description("The schema");
  db.command("upgrade")
    .description("Apply migrations")
    .argument("[revision]", "a revision", "head")
    .action(record("db upgrade"));
  db.command("downgrade")
    .description("Revert migrations")
    .argument("<revision>", "a revision")
    .action(record("db downgrade"));
  return program;
}

/** Parses argv with help wrapped at 80 columns and runs it; returns what it threw, if anything. */
async function parse(program: Command, argv: string[]): Promise<unknown> {
  try {
    await program.parse(argv, { helpWidth: () => 80 }).run();
    return undefined;
  } catch (error) {
    return error;
  }
}

Deno.test("Command.parse() passes arguments and options to the action as commander does", async (t) => {
  const cases: { name: string; argv: string[]; expected: Call }[] = [
    {
      name: "a required and a variadic argument",
      argv: ["init-step", "e1", "LOAD", "*.sql", "**/*.csv"],
      expected: { command: "init-step", args: ["e1", "LOAD", ["*.sql", "**/*.csv"]], options: {} },
    },
    {
      name: "an alias runs the same command",
      argv: ["persist-models", "e1", "LOAD", "*.sql"],
      expected: { command: "init-step", args: ["e1", "LOAD", ["*.sql"]], options: {} },
    },
    {
      name: "defaults fill options not given",
      argv: ["compare-step-models", "s1"],
      expected: { command: "compare-step-models", args: ["s1"], options: { separator: "," } },
    },
    {
      name: "--opt value, --opt=value and a flag, after the argument",
      argv: ["compare-step-models", "s1", "--separator", " ", "--name-status"],
      expected: {
        command: "compare-step-models",
        args: ["s1"],
        options: { separator: " ", nameStatus: true },
      },
    },
    {
      name: "--opt=value keeps everything after the first =",
      argv: ["compare-step-models", "--separator=a=b", "s1"],
      expected: { command: "compare-step-models", args: ["s1"], options: { separator: "a=b" } },
    },
    {
      name: "an option value may start with a dash",
      argv: ["compare-step-models", "s1", "--separator", "-"],
      expected: { command: "compare-step-models", args: ["s1"], options: { separator: "-" } },
    },
    {
      name: "-- ends the options",
      argv: ["compare-step-models", "--", "--name-status"],
      expected: {
        command: "compare-step-models",
        args: ["--name-status"],
        options: { separator: "," },
      },
    },
    {
      name: "an optional argument takes its default",
      argv: ["db", "upgrade"],
      expected: { command: "db upgrade", args: ["head"], options: {} },
    },
    {
      name: "a negative number is an argument of a command without subcommands",
      argv: ["db", "downgrade", "-1"],
      expected: { command: "db downgrade", args: ["-1"], options: {} },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const calls: Call[] = [];
      equal(await parse(sampleProgram(calls), c.argv), undefined);
      deepStrictEqual(calls, [c.expected]);
    });
  }
});

Deno.test("Command.parse() accepts program options before or after the command", async (t) => {
  const cases = [
    { argv: ["-l", "DEBUG", "db", "upgrade"], expected: { logLevel: "DEBUG" } },
    { argv: ["db", "upgrade", "-l", "DEBUG"], expected: { logLevel: "DEBUG" } },
    { argv: ["db", "-lDEBUG", "upgrade"], expected: { logLevel: "DEBUG" } },
    { argv: ["--log-level=WARNING", "db", "upgrade"], expected: { logLevel: "WARNING" } },
    { argv: ["db", "upgrade", "--db", "sqlite:x"], expected: { logLevel: "INFO", db: "sqlite:x" } },
    { argv: ["db", "upgrade"], expected: { logLevel: "INFO" } },
  ];
  for (const c of cases) {
    await t.step(c.argv.join(" "), () => {
      deepStrictEqual(sampleProgram([]).parse(c.argv).programOptions, c.expected);
    });
  }
});

Deno.test("Command.parse() reads the command line into one value and runs nothing", async () => {
  const events: string[] = [];
  const parsed = sampleProgram([], events).parse(["-l", "DEBUG", "db", "upgrade", "0002"]);
  deepStrictEqual(events, []);
  deepStrictEqual(
    [parsed.command.path(), parsed.arguments, parsed.options, parsed.programOptions],
    [["db", "upgrade"], ["0002"], {}, { logLevel: "DEBUG" }],
  );
  await parsed.run();
  deepStrictEqual(events, ["action db upgrade"]);
  const options = sampleProgram([]).parse(["compare-step-models", "s1", "--name-status"]).options;
  deepStrictEqual(options, { separator: ",", nameStatus: true });
});

Deno.test("Command.parse() gives each parse its own option values", () => {
  const program = sampleProgram([]);
  deepStrictEqual(program.parse(["--db", "a", "db", "upgrade"]).programOptions.db, "a");
  deepStrictEqual(program.parse(["db", "upgrade"]).programOptions.db, undefined);
});

Deno.test("Command.parse() rejects a wrong command line with commander's messages", async (t) => {
  const cases = [
    { argv: ["frobnicate"], message: "unknown command 'frobnicate'" },
    { argv: ["frobnicate", "--x"], message: "unknown command 'frobnicate'" },
    { argv: ["init-stp"], message: "unknown command 'init-stp'\n(Did you mean init-step?)" },
    {
      argv: ["persist-model"],
      message: "unknown command 'persist-model'\n(Did you mean persist-models?)",
    },
    { argv: ["db", "upgrad"], message: "unknown command 'upgrad'\n(Did you mean upgrade?)" },
    { argv: ["--frob"], message: "unknown option '--frob'" },
    { argv: ["-x", "db"], message: "unknown option '-x'" },
    { argv: ["db", "upgrade", "--x=1"], message: "unknown option '--x=1'" },
    {
      // A typo, not a prefix: a prefix is the option itself (see expandOptionNames).
      argv: ["compare-step-models", "s1", "--name-stauts"],
      message: "unknown option '--name-stauts'\n(Did you mean --name-status?)",
    },
    {
      argv: ["db", "upgrade", "--log-levl", "DEBUG"],
      message: "unknown option '--log-levl'\n(Did you mean --log-level?)",
    },
    { argv: ["compare-step-models"], message: "missing required argument 'step-id'" },
    { argv: ["init-step", "e1", "LOAD"], message: "missing required argument 'model-patterns'" },
    {
      argv: ["compare-step-models", "s1", "s2"],
      message: "too many arguments for 'compare-step-models'. Expected 1 argument but got 2.",
    },
    {
      argv: ["db", "upgrade", "a", "b"],
      message: "too many arguments for 'upgrade'. Expected 1 argument but got 2.",
    },
    { argv: ["--db"], message: "option '--db <url>' argument missing" },
    { argv: ["db", "upgrade", "-l"], message: "option '-l, --log-level <level>' argument missing" },
    // The option's missing value is found while reading options, before the unknown option.
    { argv: ["--frob", "--db"], message: "option '--db <url>' argument missing" },
  ];
  for (const c of cases) {
    await t.step(c.argv.join(" "), async () => {
      const calls: Call[] = [];
      const error = await parse(sampleProgram(calls), c.argv);
      ok(error instanceof CommandLineError, String(error));
      equal(error.message, c.message);
      deepStrictEqual(calls, []);
    });
  }
});

Deno.test("Command.parse() ends the run with help or the version where commander did", async (t) => {
  const cases = [
    { argv: ["--help"], stream: "stdout", exitCode: 0, starts: "Usage: dpo [options] <command>" },
    { argv: ["-h", "db"], stream: "stdout", exitCode: 0, starts: "Usage: dpo [options] <command>" },
    { argv: ["help"], stream: "stdout", exitCode: 0, starts: "Usage: dpo [options] <command>" },
    {
      argv: ["help", "db"],
      stream: "stdout",
      exitCode: 0,
      starts: "Usage: dpo db [options] [command]",
    },
    {
      argv: ["help", "persist-models"],
      stream: "stdout",
      exitCode: 0,
      starts: "Usage: dpo init-step|persist-models [options] <execution-id> <step-name> " +
        "<model-patterns...>",
    },
    {
      argv: ["db", "upgrade", "--help", "--frob"],
      stream: "stdout",
      exitCode: 0,
      starts: "Usage: dpo db upgrade [options] [revision]",
    },
    // Help for something that does not exist stands for an error.
    { argv: ["help", "frob"], stream: "stderr", exitCode: 2, starts: "Usage: dpo [options]" },
    { argv: [], stream: "stderr", exitCode: 2, starts: "Usage: dpo [options] <command>" },
    { argv: ["db"], stream: "stderr", exitCode: 2, starts: "Usage: dpo db [options] [command]" },
    { argv: ["--version"], stream: "stdout", exitCode: 0, starts: "1.2.3\n" },
    { argv: ["db", "upgrade", "-V", "--frob"], stream: "stdout", exitCode: 0, starts: "1.2.3\n" },
  ];
  for (const c of cases) {
    await t.step(c.argv.join(" ") || "no arguments", async () => {
      const error = await parse(sampleProgram([]), c.argv);
      ok(error instanceof CommandLineExit, String(error));
      deepStrictEqual([error.stream, error.exitCode], [c.stream, c.exitCode]);
      ok(error.text.startsWith(c.starts), error.text);
    });
  }
});

Deno.test("Command.helpInformation() lays out help in commander's columns", async () => {
  const error = await parse(sampleProgram([]), ["--help"]);
  ok(error instanceof CommandLineExit);
  equal(
    error.text,
    `Usage: dpo [options] <command>

Records pipeline executions.

Options:
  -V, --version            print the version
  -l, --log-level <level>  logging level (default: "INFO")
  --db <url>               the database URL
  -h, --help               display help

Commands:
  init-step                Record a step
  compare-step-models      Compare
  db                       The schema
  help                     display help for command
`,
  );
  const upgrade = await parse(sampleProgram([]), ["db", "upgrade", "-h"]);
  ok(upgrade instanceof CommandLineExit);
  equal(
    upgrade.text,
    `Usage: dpo db upgrade [options] [revision]

Apply migrations

Arguments:
  revision    a revision (default: "head")

Options:
  -h, --help  display help
`,
  );
});

Deno.test("formatHelp() wraps descriptions under their column, and not below 40 columns", () => {
  const subject = {
    usage: "x [options]",
    description: "",
    arguments: [],
    options: [{ flags: "--long-option <value>", description: "one two three four five six" }],
    commands: [],
  };
  equal(
    formatHelp(subject, 65),
    "Usage: x [options]\n\nOptions:\n  --long-option <value>  one two three four five six\n",
  );
  // 65 - 21 - 4 = 40 columns for the description: wide enough to wrap.
  equal(
    formatHelp({
      ...subject,
      options: [{ ...subject.options[0], description: "word ".repeat(10) }],
    }, 65)
      .split("\n")[3],
    "  --long-option <value>  word word word word word word word word",
  );
  equal(wrapText("aaa bbb ccc", 39), "aaa bbb ccc");
  equal(
    wrapText("a".repeat(30) + " " + "b".repeat(30), 40),
    `${"a".repeat(30)}\n${"b".repeat(30)}`,
  );
  equal(wrapText("one\n\ntwo", 40), "one\n\ntwo");
});

Deno.test("suggestSimilar() offers the closest names, as commander does", async (t) => {
  const cases = [
    {
      word: "init-exection",
      candidates: ["init-execution", "init-step"],
      expected: "\n(Did you mean init-execution?)",
    },
    { word: "xyz", candidates: ["init-execution", "db"], expected: "" },
    { word: "--formt", candidates: ["--format", "--db"], expected: "\n(Did you mean --format?)" },
    { word: "dc", candidates: ["db", "dd"], expected: "\n(Did you mean one of db, dd?)" },
    { word: "a", candidates: ["b"], expected: "" },
  ];
  for (const c of cases) {
    await t.step(c.word, () => equal(suggestSimilar(c.word, c.candidates), c.expected));
  }
  equal(editDistance("ab", "ba"), 1);
  equal(editDistance("kitten", "sitting"), 3);
});

Deno.test("Option and Argument read commander-style specs", async (t) => {
  const options = [
    {
      flags: "-l, --log-level [level]",
      expected: ["-l", "--log-level", undefined, "logLevel", true, true],
    },
    {
      flags: "-id, --execution-id [uuid]",
      expected: [undefined, "--execution-id", "-id", "executionId", true, true],
    },
    {
      flags: "--name-status",
      expected: [undefined, "--name-status", undefined, "nameStatus", false, false],
    },
    { flags: "-r|--rows <n>", expected: ["-r", "--rows", undefined, "rows", true, false] },
    { flags: "-V", expected: ["-V", undefined, undefined, "V", false, false] },
  ];
  for (const c of options) {
    await t.step(c.flags, () => {
      const option = new Option(c.flags, "");
      deepStrictEqual([
        option.short,
        option.long,
        option.singleDashLong,
        option.attributeName,
        option.takesValue,
        option.valueOptional,
      ], c.expected);
    });
  }
  const specs = [
    { spec: "<step-id>", expected: ["step-id", true, false] },
    { spec: "[revision]", expected: ["revision", false, false] },
    { spec: "<model-patterns...>", expected: ["model-patterns", true, true] },
  ];
  for (const c of specs) {
    await t.step(c.spec, () => {
      const argument = new Argument(c.spec, "");
      deepStrictEqual([argument.name, argument.required, argument.variadic], c.expected);
      equal(argument.usage, c.spec);
    });
  }
  await t.step("what is not a spec is a programming error", () => {
    for (const spec of ["step-id", "<>", "<a>b>", "<a"]) {
      throws(() => new Argument(spec, ""), TypeError, spec);
    }
    for (const flags of ["<value>", "--files <paths...>"]) {
      throws(() => new Option(flags, ""), TypeError, flags);
    }
  });
});
