/** dpo's entry point: the only place that reads Deno.args, prints a fatal error and exits. */
import { CommandLineError, CommandLineExit } from "./src/cli/parser.ts";
import { runCli } from "./src/cli/program.ts";
import { exitCodeFor } from "./src/errors.ts";
import { takeInterruptStopper } from "./src/interrupts.ts";
import { isLogging } from "./src/log.ts";
import { redactText, type Secrets, urlPasswords, urlShownWords } from "./src/redaction.ts";

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

/**
 * The passwords this invocation was given (in a URL's user-info or `password=`, in argv or
 * DPO_DATABASE_URL, and PGPASSWORD), and the words its URLs show anyway.
 */
function secretsInArgs(args: readonly string[]): Secrets {
  const passwords = [Deno.env.get("PGPASSWORD") ?? ""];
  const shown: string[] = [];
  for (const text of [...args, Deno.env.get("DPO_DATABASE_URL") ?? ""]) {
    // Anywhere in the argument (--db=<url>).
    const url = text.slice(Math.max(0, text.search(/[a-z][a-z0-9+.-]*:\/\//i)));
    passwords.push(...urlPasswords(url));
    shown.push(...urlShownWords(url));
  }
  return { passwords: passwords.filter((p) => p !== ""), shown };
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
    const stop = takeInterruptStopper();
    if (stop !== undefined) return stop();
    console.error(`error: interrupted by ${signal}: any unfinished write was rolled back`);
    Deno.exit(exitCode);
  });
}

if (import.meta.main) {
  exitOnSignal("SIGINT", 130);
  exitOnSignal("SIGTERM", 143);
  const args = Deno.args;
  let exitCode = 0;
  try {
    await runCli(args);
  } catch (error) {
    if (error instanceof CommandLineExit) {
      writeAllSync(error.stream === "stdout" ? Deno.stdout : Deno.stderr, error.text);
      exitCode = error.exitCode;
    } else if (error instanceof CommandLineError) {
      // Worded as commander printed it, with its "Did you mean" line, and where to look next.
      const message = redactText(error.message, secretsInArgs(args));
      console.error(`error: ${message} (see "dpo --help")`);
      exitCode = exitCodeFor(error);
    } else {
      // Set before any command runs, from --log-level however it was written (--log debug).
      const verbose = isLogging("DEBUG");
      const message = redactText(describeFailure(error, verbose), secretsInArgs(args));
      console.error(`error: ${message}`);
      exitCode = exitCodeFor(error);
    }
  }
  Deno.exit(exitCode);
}
