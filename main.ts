/** dpo's entry point: the only place that reads Deno.args, prints a fatal error and exits. */
import type { CommandLine } from "./src/cli/command_line.ts";
import { CommandLineError, CommandLineExit } from "./src/cli/parser_declarations.ts";
import { parseCommandLine } from "./src/cli/program.ts";
import { commandLineSecrets } from "./src/config.ts";
import { exitCodeFor } from "./src/errors.ts";
import { answerInterrupt } from "./src/interrupts.ts";
import { configureLogging } from "./src/log.ts";
import { redactText } from "./src/redaction.ts";

function describeFailure(error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return String(error);
  if (!verbose) return error.message.split("\n")[0];
  const parts = [error.stack ?? error.message];
  for (let cause = error.cause; cause !== undefined; cause = (cause as Error).cause) {
    parts.push(`caused by: ${cause instanceof Error ? cause.stack ?? cause.message : cause}`);
    if (!(cause instanceof Error)) break;
  }
  return parts.join("\n");
}

// Written in full before Deno.exit, which would drop what an asynchronous write still holds.
function writeAllSync(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

// Exiting closes the connection, so the server rolls back any open transaction; the embedded
// store never made an uncommitted one visible (SQLite's write-ahead log ignores pages without a
// commit).
function exitOnSignal(signal: "SIGINT" | "SIGTERM", exitCode: number): void {
  Deno.addSignalListener(signal, () => {
    // A command that stops cleanly (dpo ui) may have taken the interrupt over.
    if (answerInterrupt()) return;
    console.error(`error: interrupted by ${signal}: any unfinished write was rolled back`);
    Deno.exit(exitCode);
  });
}

/** Runs the command `args` name; returns the exit code, having printed any failure on stderr. */
async function run(args: readonly string[]): Promise<number> {
  let commandLine: CommandLine | undefined;
  try {
    commandLine = await parseCommandLine(args);
    configureLogging(commandLine.globals.logLevel);
    await commandLine.run();
    return 0;
  } catch (error) {
    if (error instanceof CommandLineExit) {
      writeAllSync(error.stream === "stdout" ? Deno.stdout : Deno.stderr, error.text);
      return error.exitCode;
    }
    const secrets = commandLineSecrets(args);
    if (error instanceof CommandLineError) {
      // Worded as commander printed it, with its "Did you mean" line, and where to look next.
      console.error(`error: ${redactText(error.message, secrets)} (see "dpo --help")`);
    } else {
      // The stack and causes at DEBUG, which a command line that could not be read never asks for.
      const verbose = commandLine?.globals.logLevel === "DEBUG";
      console.error(`error: ${redactText(describeFailure(error, verbose), secrets)}`);
    }
    return exitCodeFor(error);
  }
}

if (import.meta.main) {
  exitOnSignal("SIGINT", 130);
  exitOnSignal("SIGTERM", 143);
  Deno.exit(await run(Deno.args));
}
