/**
 * The command line read once into one value: the command, its arguments and options, and the
 * options every command takes. main.ts and every command read it; nothing reads argv again.
 */
import type { Command } from "./parser.ts";
import type { Option, OptionValues } from "./parser_declarations.ts";
import { looksLikeDatabaseUrl } from "../config.ts";
import { LOG_LEVELS, type LogLevelName, parseLogLevel } from "../log.ts";
import { UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";

/** Output formats: the seed's text, or one JSON document. */
export const OUTPUT_FORMATS = ["text", "json"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** The environment variable that names the pipeline when --pipeline does not. */
export const PIPELINE_ENV = "DPO_PIPELINE";

/** The pipeline of every execution the Python tool wrote, and of runs that name none. */
export const DEFAULT_PIPELINE = "default";

/** Default seconds to wait for a server connection or for the embedded store's lock. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/** Default limit on any one statement and on waiting for a row lock, in seconds. */
export const DEFAULT_STATEMENT_TIMEOUT_SECONDS = 120;

/**
 * The options every command takes, before or after its name. Those checked only where they are
 * used (a command that opens no store ignores a wrong --connect-timeout) are kept as written.
 */
export interface GlobalOptions {
  logLevel: LogLevelName;
  format: OutputFormat;
  /** The database URL given before the command (`dpo postgresql://… init-execution`). */
  positionalUrl?: string;
  /** --db. */
  db?: string;
  /** --pipeline, as written. */
  pipeline?: string;
  /** --connect-timeout, as written (seconds). */
  connectTimeout: string;
  /** --statement-timeout, as written (seconds). */
  statementTimeout: string;
}

/** One invocation's command line. */
export interface CommandLine {
  /** The command's names from the program down: `["db", "upgrade"]`. */
  command: readonly string[];
  /** Its arguments' values in declaration order (a variadic one as a list). */
  arguments: readonly unknown[];
  /** Its own options' values, by camel-cased long name. */
  options: Readonly<OptionValues>;
  globals: GlobalOptions;
  /** Runs the command. */
  run(): Promise<void>;
}

/** Declares dpo's usage, description, version, help and the options every command takes. */
export function declareProgram(program: Command): void {
  program
    .usage("[options] [<db-url>] <command> [command-args]")
    .description(
      "Records data pipeline executions and the SHA-256 of their model files, and tells which " +
        "models changed since the last successful run.\n\n" +
        "<db-url>: postgresql://user:password@host:port/dbname (also postgres:// and " +
        "postgresql+psycopg2://), or sqlite:<file>. Also --db <url> or " +
        "DPO_DATABASE_URL; without any, the embedded store in ./.dpo is used.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "display help")
    .option(
      "-l, --log-level [level]",
      `logging level: ${LOG_LEVELS.join(", ")}, any case (given bare: INFO)`,
      "INFO",
    )
    .option("--db <url>", "the database URL (instead of <db-url>; also DPO_DATABASE_URL)")
    .option("--format <format>", "output: text (default) or json", "text")
    .option(
      "--pipeline <name>",
      `the pipeline whose executions to use (also ${PIPELINE_ENV}; default "${DEFAULT_PIPELINE}")`,
    )
    .option(
      "--connect-timeout <seconds>",
      "how long to wait for the server or the embedded store's lock",
      String(DEFAULT_CONNECT_TIMEOUT_SECONDS),
    )
    .option(
      "--statement-timeout <seconds>",
      "the longest any statement or row-lock wait may take",
      String(DEFAULT_STATEMENT_TIMEOUT_SECONDS),
    );
}

/**
 * The program's option values as GlobalOptions. A log level, then a format, that is not known is
 * a UsageError: both are checked before the command runs, so that a bad --format never follows a
 * write.
 */
export function globalOptionsOf(
  values: OptionValues,
  positionalUrl: string | undefined,
): GlobalOptions {
  const text = (name: string) => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  return {
    logLevel: parseLogLevel(text("logLevel") ?? "INFO"),
    format: parseFormat(text("format") ?? "text"),
    positionalUrl,
    db: text("db"),
    pipeline: text("pipeline"),
    connectTimeout: text("connectTimeout") ?? String(DEFAULT_CONNECT_TIMEOUT_SECONDS),
    statementTimeout: text("statementTimeout") ?? String(DEFAULT_STATEMENT_TIMEOUT_SECONDS),
  };
}

function parseFormat(written: string): OutputFormat {
  const format = written.toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`Format "${format}" is not known: choose text or json`);
  }
  return format as OutputFormat;
}

/** The argv for the parser, and the database URL given before the command, if any. */
export interface PreparedArgv {
  argv: string[];
  positionalUrl?: string;
}

/**
 * A database URL before the command (`dpo postgresql://… init-execution`) is taken out, since
 * the parser would take it for an unknown command. The program's options are skipped with their
 * values (a value left out of `-l [level]` when an option follows). Expects option names already
 * expanded (Command.expandOptionNames), so that `--d <url>` is seen as `--db <url>`.
 */
export function prepareArgv(
  rawArgv: readonly string[],
  programOptions: readonly Option[],
): PreparedArgv {
  const argv = [...rawArgv];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    const option = programOptions.find((declared) => declared.is(arg));
    if (option?.takesValue) {
      const valueFollows = i + 1 < argv.length &&
        (!option.valueOptional || !argv[i + 1].startsWith("-"));
      if (valueFollows) i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    if (!looksLikeDatabaseUrl(arg)) break;
    return { argv: [...argv.slice(0, i), ...argv.slice(i + 1)], positionalUrl: arg };
  }
  return { argv };
}
