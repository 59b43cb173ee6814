import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/program.ts";
import { CommandLineError, CommandLineExit } from "../../src/cli/parser_declarations.ts";
import { UsageError } from "../../src/errors.ts";
import { DEBUG_LOG_LEVEL_FORMS } from "../helpers/cli.ts";

const STEP_ID = "00000000-0000-4000-8000-000000000000";

Deno.test("parseCommandLine() reads --log-level in every form argparse accepted", async (t) => {
  for (const form of DEBUG_LOG_LEVEL_FORMS) {
    await t.step(form.join(" "), async () => {
      for (
        const argv of [
          [...form, "get-last-successful-execution"],
          ["get-last-successful-execution", ...form],
          [...form, "sqlite:x", "complete-step", STEP_ID],
          ["sqlite:x", "complete-step", STEP_ID, "-r", "5", ...form],
        ]
      ) {
        equal((await parseCommandLine(argv)).globals.logLevel, "DEBUG", argv.join(" "));
      }
    });
  }
  await t.step("given bare, or not at all: INFO", async () => {
    equal(
      (await parseCommandLine(["get-last-successful-execution", "-l"])).globals.logLevel,
      "INFO",
    );
    equal((await parseCommandLine(["get-last-successful-execution"])).globals.logLevel, "INFO");
  });
});

Deno.test("parseCommandLine() gives the command, its arguments and options, and the global options", async () => {
  const commandLine = await parseCommandLine([
    "postgresql://u:p@h/db",
    "--format=JSON",
    "complete-step",
    STEP_ID,
    "--rows",
    "12",
    "--pipeline",
    "nightly",
  ]);
  deepStrictEqual(
    [commandLine.command, commandLine.arguments, commandLine.options],
    [["complete-step"], [STEP_ID], { rowsProcessed: "12" }],
  );
  deepStrictEqual(commandLine.globals, {
    logLevel: "INFO",
    format: "json",
    positionalUrl: "postgresql://u:p@h/db",
    db: undefined,
    pipeline: "nightly",
    connectTimeout: "10",
    statementTimeout: "120",
  });
  const nested = await parseCommandLine([
    "--db",
    "sqlite:s",
    "db",
    "upgrade",
    "--connect-timeout",
    "3",
  ]);
  deepStrictEqual(
    [nested.command, nested.arguments, nested.globals.db, nested.globals.connectTimeout],
    [["db", "upgrade"], ["head"], "sqlite:s", "3"],
  );
});

Deno.test("parseCommandLine() throws what main.ts prints for a command line it cannot run", async (t) => {
  await t.step("an unknown command", async () => {
    await rejects(parseCommandLine(["frobnicate"]), CommandLineError);
  });
  await t.step(
    "a level, then a format, not known: usage errors, before anything runs",
    async () => {
      await rejects(
        parseCommandLine(["-lLOUD", "--format", "xml", "get-last-successful-execution"]),
        (error: Error) => error instanceof UsageError && /^Log level "LOUD"/.test(error.message),
      );
      await rejects(
        parseCommandLine(["--format", "xml", "get-last-successful-execution"]),
        (error: Error) => error instanceof UsageError && /^Format "xml"/.test(error.message),
      );
    },
  );
  await t.step("help and the version end the run", async () => {
    for (const argv of [["--help"], ["-V"], ["init-step", "--help"], ["help", "db"]]) {
      const error = await parseCommandLine(argv).catch((error) => error);
      ok(error instanceof CommandLineExit, argv.join(" "));
      equal(error.exitCode, 0);
    }
  });
  await t.step(
    "a value that reads like another command's name is read with every command",
    async () => {
      const commandLine = await parseCommandLine(["init-execution", "--execution-id", "diff"]);
      deepStrictEqual([commandLine.command, commandLine.options], [["init-execution"], {
        executionId: "diff",
      }]);
    },
  );
});

Deno.test("parseCommandLine() prints the program's help with every command when a value that reads like a command name leaves no command", async () => {
  for (const argv of [["-l", "executions"], ["--pipeline", "executions"]]) {
    const exit = await parseCommandLine(argv).then(
      () => undefined,
      (error) => error,
    );
    ok(exit instanceof CommandLineExit, `${argv.join(" ")}: ${exit}`);
    equal(exit.exitCode, 2);
    for (const command of ["init-execution", "executions", "ui", "completions"]) {
      ok(exit.text.includes(`  ${command} `), `${argv.join(" ")}: no ${command} in\n${exit.text}`);
    }
  }
});
