/** The command table: dpo's options and one entry per command, legacy forms as aliases. */
import { Command, CommandLineError } from "./parser.ts";
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
/** A command module's entry: it declares its commands on the program. */
type Register = (program: Command, cli: CliContext) => void;

/**
 * Imports a command module by a computed URL. Deno builds the module graph of every import it
 * can read in the source, dynamic ones included, before the first line runs: with literal
 * specifiers here, each command paid for loading the graphs of all the others (measured: ~4 ms
 * of a light command's ~45). `deno compile` gets them with `--include src/cli/commands`.
 */
function loadCommandModule<Module>(path: string): Promise<Module> {
  return import(new URL(path, import.meta.url).href);
}

/**
 * Every command module, in help order, with the command names (and aliases) it declares. Only
 * the module of the command given is loaded: importing every command with its services and
 * statements took ~15 ms of a light command's ~55 (measured), for code it never runs.
 */
const COMMAND_MODULES: { names: readonly string[]; load: () => Promise<Register> }[] = [
  {
    names: ["init-execution"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/init_execution.ts")>(
        "./commands/init_execution.ts",
      )).registerInitExecution,
  },
  {
    names: ["get-last-successful-execution"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/get_last_successful_execution.ts")>(
        "./commands/get_last_successful_execution.ts",
      )).registerGetLastSuccessfulExecution,
  },
  {
    names: ["get-execution-completion-timestamp", "get-execution-last-updated-timestamp"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/get_execution_completion_timestamp.ts")>(
        "./commands/get_execution_completion_timestamp.ts",
      )).registerGetExecutionCompletionTimestamp,
  },
  {
    names: ["init-step", "persist-models"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/init_step.ts")>("./commands/init_step.ts"))
        .registerInitStep,
  },
  {
    names: ["compare-step-models"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/compare_step_models.ts")>(
        "./commands/compare_step_models.ts",
      )).registerCompareStepModels,
  },
  {
    names: ["complete-step"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/complete_step.ts")>(
        "./commands/complete_step.ts",
      )).registerCompleteStep,
  },
  {
    names: ["complete-execution"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/complete_execution.ts")>(
        "./commands/complete_execution.ts",
      )).registerCompleteExecution,
  },
  {
    names: ["fail-step", "fail-execution"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/fail.ts")>("./commands/fail.ts"))
        .registerFailCommands,
  },
  {
    names: ["diff"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/diff.ts")>("./commands/diff.ts"))
        .registerDiff,
  },
  {
    names: ["executions"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/executions.ts")>(
        "./commands/executions.ts",
      )).registerExecutions,
  },
  {
    names: ["prune"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/prune.ts")>("./commands/prune.ts"))
        .registerPrune,
  },
  {
    names: ["log"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/log.ts")>("./commands/log.ts"))
        .registerLog,
  },
  {
    names: ["compare-models"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/compare_models.ts")>(
        "./commands/compare_models.ts",
      )).registerCompareModels,
  },
  {
    names: ["db"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/db.ts")>("./commands/db.ts")).registerDb,
  },
  {
    names: ["ui"],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/ui.ts")>("./commands/ui.ts")).registerUi,
  },
  // Lists every command: never loaded alone.
  {
    names: [],
    load: async () =>
      (await loadCommandModule<typeof import("./commands/completions.ts")>(
        "./commands/completions.ts",
      )).registerCompletions,
  },
];

/**
 * The module that declares the command argv names, or undefined when argv names none of them
 * alone (help, a mistyped command, completions): then every module is loaded.
 */
function moduleOfCommandIn(argv: readonly string[]) {
  // Help lists every command, whichever one is named beside it.
  if (argv.some((arg) => arg === "-h" || arg === "--help" || arg === "help")) return undefined;
  const named = COMMAND_MODULES.filter((module) => module.names.some((n) => argv.includes(n)));
  return named.length === 1 ? named[0] : undefined;
}

/**
 * Parses argv and runs the command; errors propagate to main.ts, which alone exits. Help and
 * the version come back as a CommandLineExit, a wrong command line as a CommandLineError.
 */
export async function runCli(rawArgv: readonly string[]): Promise<void> {
  const only = moduleOfCommandIn(rawArgv);
  if (only !== undefined) {
    try {
      return await parseAndRun(rawArgv, [only]);
    } catch (error) {
      // A command line that is wrong with one command known may be right, or wrong in another
      // way, with all of them (a value that reads like a command name): ask again with all.
      if (!(error instanceof CommandLineError)) throw error;
    }
  }
  await parseAndRun(rawArgv, COMMAND_MODULES);
}

async function parseAndRun(
  rawArgv: readonly string[],
  modules: readonly { load: () => Promise<Register> }[],
): Promise<void> {
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
  for (const register of await Promise.all(modules.map((module) => module.load()))) {
    register(program, cli);
  }
  const { argv, positionalUrl } = prepareArgv(program.expandOptionNames(rawArgv));
  cli.positionalUrl = positionalUrl;
  await program.parseAsync(argv);
}
