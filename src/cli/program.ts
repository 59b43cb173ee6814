/** The command table: one entry per command module, legacy forms as aliases; argv read once. */
import { Command, CommandLineError } from "./parser.ts";
import { type CommandLine, declareProgram, globalOptionsOf, prepareArgv } from "./command_line.ts";
import { CliContext } from "./context.ts";
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
 * Reads argv into the command line, loading the module of the command it names (every module when
 * it names none alone, or for help). Throws a CommandLineError for a wrong command line, a
 * CommandLineExit for help and the version, a UsageError for a log level or format not known.
 */
export async function parseCommandLine(argv: readonly string[]): Promise<CommandLine> {
  const only = moduleOfCommandIn(argv);
  if (only !== undefined) {
    try {
      return await parseWith([only], argv);
    } catch (error) {
      // A command line that is wrong with one command known may be right, or wrong in another
      // way, with all of them (a value that reads like a command name): read it again with all.
      if (!(error instanceof CommandLineError)) throw error;
    }
  }
  return await parseWith(COMMAND_MODULES, argv);
}

async function parseWith(
  modules: readonly { load: () => Promise<Register> }[],
  argv: readonly string[],
): Promise<CommandLine> {
  const program = new Command("dpo");
  declareProgram(program);
  const cli = new CliContext();
  for (const register of await Promise.all(modules.map((module) => module.load()))) {
    register(program, cli);
  }
  // The URL comes out after option names are expanded, so that `--d <url>` is seen as --db's.
  const prepared = prepareArgv(program.expandOptionNames(argv), program.options);
  const parsed = program.parse(prepared.argv);
  cli.globals = globalOptionsOf(parsed.programOptions, prepared.positionalUrl);
  return {
    command: parsed.command.path(),
    arguments: parsed.arguments,
    options: parsed.options,
    globals: cli.globals,
    run: parsed.run,
  };
}
