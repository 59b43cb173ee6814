/** Logging to stderr in the Python tool's format: `<time> - dpo - <LEVEL> - <message>`. */
import { UsageError } from "./errors.ts";

/** The Python tool's level names, most severe first. */
export const LOG_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] as const;
export type LogLevelName = typeof LOG_LEVELS[number];

// The index in LOG_LEVELS of the least severe level written; until configureLogging() is
// called nothing is written, so a library use of dpo's modules stays quiet.
let leastSevereWritten = -1;

/** Parses a --log-level value in any case. */
export function parseLogLevel(value: string): LogLevelName {
  const upper = value.toUpperCase();
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevelName;
  throw new UsageError(
    `Log level "${value}" is not known: choose one of ${LOG_LEVELS.join(", ")}`,
  );
}

/** Writes every record at `level` or more severe to stderr from now on. */
export function configureLogging(level: LogLevelName): void {
  leastSevereWritten = LOG_LEVELS.indexOf(level);
}

/** Plain-text logging; text is never read as a template, so model names with braces print as is. */
export interface Log {
  debug(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

/** The log every module writes to, under the category "dpo". */
export function dpoLog(): Log {
  return {
    debug: (text) => write("DEBUG", text),
    info: (text) => write("INFO", text),
    warn: (text) => write("WARNING", text),
    error: (text) => write("ERROR", text),
  };
}

function write(level: LogLevelName, text: string): void {
  if (LOG_LEVELS.indexOf(level) > leastSevereWritten) return;
  // console.error writes synchronously, so a record survives the Deno.exit that may follow it;
  // one trailing line break is dropped, as console.error adds its own.
  console.error(`${new Date().toISOString()} - dpo - ${level} - ${text.replace(/\r?\n$/, "")}`);
}
