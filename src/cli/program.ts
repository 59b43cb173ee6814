/** The command table: dpo's options and one entry per command, legacy forms as aliases. */
import { Command } from "./parser.ts";
import { configureLogging, LOG_LEVELS, parseLogLevel } from "../log.ts";
import { VERSION } from "../version.ts";
import { prepareArgv } from "./argv.ts";
import {
  CliContext,
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_PIPELINE,
  DEFAULT_STATEMENT_TIMEOUT_SECONDS,
  type GlobalOptions,
  PIPELINE_ENV,
} from "./context.ts";
import { registerCompareModels } from "./commands/compare_models.ts";
import { registerCompareStepModels } from "./commands/compare_step_models.ts";
import { registerCompleteExecution } from "./commands/complete_execution.ts";
import { registerCompleteStep } from "./commands/complete_step.ts";
import { registerCompletions } from "./commands/completions.ts";
import { registerDiff } from "./commands/diff.ts";
import { registerExecutions } from "./commands/executions.ts";
import { registerFailCommands } from "./commands/fail.ts";
import { registerDb } from "./commands/db.ts";
import { registerGetExecutionCompletionTimestamp } from "./commands/get_execution_completion_timestamp.ts";
import { registerGetLastSuccessfulExecution } from "./commands/get_last_successful_execution.ts";
import { registerInitExecution } from "./commands/init_execution.ts";
import { registerInitStep } from "./commands/init_step.ts";
import { registerLog } from "./commands/log.ts";
import { registerPrune } from "./commands/prune.ts";

const COMMANDS = [
  registerInitExecution,
  registerGetLastSuccessfulExecution,
  registerGetExecutionCompletionTimestamp,
  registerInitStep,
  registerCompareStepModels,
  registerCompleteStep,
  registerCompleteExecution,
  registerFailCommands,
  registerDiff,
  registerExecutions,
  registerPrune,
  registerLog,
  registerCompareModels,
  registerDb,
  registerCompletions,
];

/**
 * Parses argv and runs the command; errors propagate to main.ts, which alone exits. Help and
 * the version come back as a CommandLineExit, a wrong command line as a CommandLineError.
 */
export async function runCli(rawArgv: readonly string[]): Promise<void> {
  const program = new Command("dpo");
  const cli = new CliContext(program);
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
    )
    .hook("preAction", () => {
      configureLogging(parseLogLevel(program.opts<GlobalOptions>().logLevel));
      // Checked before the command runs: a bad --format must not follow a write.
      cli.wantsJson();
    });
  for (const register of COMMANDS) register(program, cli);
  const { argv, positionalUrl } = prepareArgv(program.expandOptionNames(rawArgv));
  cli.positionalUrl = positionalUrl;
  await program.parseAsync(argv);
}
