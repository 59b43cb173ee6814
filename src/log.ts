/** Logging to stderr in the Python tool's format: `<time> - dpo - <LEVEL> - <message>`. */
import {
  configureSync,
  getConsoleSink,
  getLogger,
  type Logger,
  type LogLevel,
} from "@logtape/logtape";
import { UsageError } from "./errors.ts";

/** The Python tool's level names, most severe first. */
export const LOG_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] as const;
export type LogLevelName = typeof LOG_LEVELS[number];

const LOGTAPE_LEVEL: Record<LogLevelName, LogLevel> = {
  CRITICAL: "fatal",
  ERROR: "error",
  WARNING: "warning",
  INFO: "info",
  DEBUG: "debug",
};

const PYTHON_LEVEL: Record<LogLevel, string> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

/** Parses a --log-level value in any case. */
export function parseLogLevel(value: string): LogLevelName {
  const upper = value.toUpperCase();
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevelName;
  throw new UsageError(
    `Log level "${value}" is not known: choose one of ${LOG_LEVELS.join(", ")}`,
  );
}

/**
 * Sends every record to stderr. The console sink is synchronous, so records survive the exit;
 * every level is routed through console.error because the default puts info on stdout.
 */
export function configureLogging(level: LogLevelName): void {
  const toStderr = "error" as const;
  configureSync({
    reset: true,
    sinks: {
      stderr: getConsoleSink({
        formatter: (record) =>
          `${new Date(record.timestamp).toISOString()} - ${record.category.join(".")} - ${
            PYTHON_LEVEL[record.level]
          } - ${record.message.map(String).join("")}`,
        levelMap: {
          trace: toStderr,
          debug: toStderr,
          info: toStderr,
          warning: toStderr,
          error: toStderr,
          fatal: toStderr,
        },
      }),
    },
    loggers: [
      { category: ["dpo"], lowestLevel: LOGTAPE_LEVEL[level], sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
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
  const logger: Logger = getLogger(["dpo"]);
  return {
    debug: (text) => logger.debug("{text}", { text }),
    info: (text) => logger.info("{text}", { text }),
    warn: (text) => logger.warn("{text}", { text }),
    error: (text) => logger.error("{text}", { text }),
  };
}
