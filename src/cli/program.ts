/** The command table: one entry per command module, legacy forms as aliases; argv read once. */
import { Command, CommandLineError, CommandLineExit } from "./parser.ts";
import { type CommandLine, declareProgram, globalOptionsOf, prepareArgv } from "./command_line.ts";
import { CliContext } from "./context.ts";
import { importLazily } from "../lazy_import.ts";
/** A command module's entry: it declares its commands on the program. */
type Register = (program: Command, cli: CliContext) => void;

/**
 * Every command module, in help order, with the command names (and aliases) it declares. Only
 * the module of the command given is loaded: importing every command with its services and
 * statements took ~15 ms of a light command's ~55 (measured), for code it never runs.
 */
const COMMAND_MODULES: { names: readonly string[]; load: () => Promise<Register> }[] = [
  {
    names: ["init-execution"],
    load: async () =>
      (await importLazily<typeof import("./commands/init_execution.ts")>(
        "./commands/init_execution.ts",
        import.meta.url,
      )).registerInitExecution,
  },
  {
    names: ["get-last-successful-execution"],
    load: async () =>
      (await importLazily<typeof import("./commands/get_last_successful_execution.ts")>(
        "./commands/get_last_successful_execution.ts",
        import.meta.url,
      )).registerGetLastSuccessfulExecution,
  },
  {
    names: ["get-execution-completion-timestamp", "get-execution-last-updated-timestamp"],
    load: async () =>
      (await importLazily<typeof import("./commands/get_execution_completion_timestamp.ts")>(
        "./commands/get_execution_completion_timestamp.ts",
        import.meta.url,
      )).registerGetExecutionCompletionTimestamp,
  },
  {
    names: ["init-step", "persist-models"],
    load: async () =>
      (await importLazily<typeof import("./commands/init_step.ts")>(
        "./commands/init_step.ts",
        import.meta.url,
      ))
        .registerInitStep,
  },
  {
    names: ["compare-step-models"],
    load: async () =>
      (await importLazily<typeof import("./commands/compare_step_models.ts")>(
        "./commands/compare_step_models.ts",
        import.meta.url,
      )).registerCompareStepModels,
  },
  {
    names: ["complete-step"],
    load: async () =>
      (await importLazily<typeof import("./commands/complete_step.ts")>(
        "./commands/complete_step.ts",
        import.meta.url,
      )).registerCompleteStep,
  },
  {
    names: ["complete-execution"],
    load: async () =>
      (await importLazily<typeof import("./commands/complete_execution.ts")>(
        "./commands/complete_execution.ts",
        import.meta.url,
      )).registerCompleteExecution,
  },
  {
    names: ["fail-step", "fail-execution"],
    load: async () =>
      (await importLazily<typeof import("./commands/fail.ts")>(
        "./commands/fail.ts",
        import.meta.url,
      ))
        .registerFailCommands,
  },
  {
    names: ["diff"],
    load: async () =>
      (await importLazily<typeof import("./commands/diff.ts")>(
        "./commands/diff.ts",
        import.meta.url,
      ))
        .registerDiff,
  },
  {
    names: ["executions"],
    load: async () =>
      (await importLazily<typeof import("./commands/executions.ts")>(
        "./commands/executions.ts",
        import.meta.url,
      )).registerExecutions,
  },
  {
    names: ["prune"],
    load: async () =>
      (await importLazily<typeof import("./commands/prune.ts")>(
        "./commands/prune.ts",
        import.meta.url,
      ))
        .registerPrune,
  },
  {
    names: ["log"],
    load: async () =>
      (await importLazily<typeof import("./commands/log.ts")>("./commands/log.ts", import.meta.url))
        .registerLog,
  },
  {
    names: ["compare-models"],
    load: async () =>
      (await importLazily<typeof import("./commands/compare_models.ts")>(
        "./commands/compare_models.ts",
        import.meta.url,
      )).registerCompareModels,
  },
  {
    names: ["db"],
    load: async () =>
      (await importLazily<typeof import("./commands/db.ts")>("./commands/db.ts", import.meta.url))
        .registerDb,
  },
  {
    names: ["ui"],
    load: async () =>
      (await importLazily<typeof import("./commands/ui.ts")>("./commands/ui.ts", import.meta.url))
        .registerUi,
  },
  // Lists every command: never loaded alone.
  {
    names: [],
    load: async () =>
      (await importLazily<typeof import("./commands/completions.ts")>(
        "./commands/completions.ts",
        import.meta.url,
      )).registerCompletions,
  },
];

/** The command modules whose command names appear in argv (as a value too: the parse decides). */
function modulesNamedIn(argv: readonly string[]) {
  return COMMAND_MODULES.filter((module) => module.names.some((name) => argv.includes(name)));
}

/**
 * The module that declares the command argv names, or undefined when argv names none of them
 * alone (help, a mistyped command, completions): then every module is loaded.
 */
function moduleOfCommandIn(argv: readonly string[]) {
  // Help lists every command, whichever one is named beside it.
  if (argv.some((arg) => arg === "-h" || arg === "--help" || arg === "help")) return undefined;
  const named = modulesNamedIn(argv);
  return named.length === 1 ? named[0] : undefined;
}

/** -V or --version, with no command named: what is printed does not depend on any command. */
function asksForVersionAlone(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === "-V" || arg === "--version") &&
    modulesNamedIn(argv).length === 0;
}

/**
 * Reads argv into the command line, loading the module of the command it names (every module when
 * it names none alone, or for help). Throws a CommandLineError for a wrong command line, a
 * CommandLineExit for help and the version, a UsageError for a log level or format not known.
 */
export async function parseCommandLine(argv: readonly string[]): Promise<CommandLine> {
  if (asksForVersionAlone(argv)) {
    // The version needs no command: every command module would cost ~10 ms for nothing. Only the
    // version's exit is taken from this reading; anything else (`--db -V`: -V is --db's value)
    // is read again below with the commands.
    try {
      await parseWith([], argv);
    } catch (error) {
      if (error instanceof CommandLineExit && error.reason === "version") throw error;
    }
  }
  const only = moduleOfCommandIn(argv);
  if (only !== undefined) {
    try {
      return await parseWith([only], argv);
    } catch (error) {
      // A command line that is wrong with one command known may be right, or wrong in another
      // way, with all of them (a value that reads like a command name): read it again with all.
      // So is one that ends in the program's help (`-l executions` names no command): that help
      // lists every command, not only the one loaded.
      if (!(error instanceof CommandLineError || error instanceof CommandLineExit)) throw error;
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
