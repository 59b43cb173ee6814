/** What the command-line parser throws instead of printing or exiting: main.ts prints it. */
import { UsageError } from "../errors.ts";

/** The command line is wrong (an unknown command or option, a missing or extra argument). */
export class CommandLineError extends UsageError {
  override name = "CommandLineError";
}

/**
 * The command line asked for help or the version, or named no command: the run ends by printing
 * `text` on `stream` and exiting with `exitCode` (0, or 2 when the help stands for an error).
 */
export class CommandLineExit extends Error {
  override name = "CommandLineExit";
  constructor(
    readonly text: string,
    readonly stream: "stdout" | "stderr",
    readonly exitCode: number,
  ) {
    super(`The command line ends the run with exit code ${exitCode}`);
  }
}
