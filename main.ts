/** dpo's entry point: the only place that reads Deno.args, prints a fatal error and exits. */
import { CommandLineError, CommandLineExit } from "./src/cli/parser.ts";
import { runCli } from "./src/cli/program.ts";
import { exitCodeFor } from "./src/errors.ts";
import { redactSecrets } from "./src/config.ts";
import { isLogging } from "./src/log.ts";

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

function passwordsInArgs(args: readonly string[]): string[] {
  const passwords = [Deno.env.get("PGPASSWORD")];
  for (const text of [...args, Deno.env.get("DPO_DATABASE_URL") ?? ""]) {
    // Anywhere in the argument (--db=<url>), up to the authority's last "@", as redactUrl() does.
    const match = text.match(/[a-z0-9+.-]+:\/\/[^:/@?#\s]*:([^/?#\s]+)@/i);
    if (match) passwords.push(match[1], decodedOrAsIs(match[1]));
    // libpq's ?password=… parameter.
    const parameter = text.match(/[?&]password=([^&#\s]+)/i);
    if (parameter) passwords.push(parameter[1], decodedOrAsIs(parameter[1]));
  }
  return passwords.filter((p): p is string => p !== undefined && p !== "");
}

function decodedOrAsIs(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// Written in full before Deno.exit, which would drop what an asynchronous write still holds.
function writeAllSync(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

// Exiting closes the connection, so the server rolls back any open transaction; the embedded
// store discards an uncommitted one on its next start (PostgreSQL's WAL recovery).
function exitOnSignal(signal: "SIGINT" | "SIGTERM", exitCode: number): void {
  Deno.addSignalListener(signal, () => {
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
      const message = redactSecrets(error.message, passwordsInArgs(args));
      console.error(`error: ${message} (see "dpo --help")`);
      exitCode = exitCodeFor(error);
    } else {
      // Set before any command runs, from --log-level however it was written (--log debug).
      const verbose = isLogging("DEBUG");
      const message = redactSecrets(describeFailure(error, verbose), passwordsInArgs(args));
      console.error(`error: ${message}`);
      exitCode = exitCodeFor(error);
    }
  }
  Deno.exit(exitCode);
}
