/**
 * dpo's command-line parser: the part of commander's API and behaviour dpo uses, with no npm or
 * node: import, so starting dpo does not start Deno's Node compatibility layer (20-35 ms).
 * Parsing yields one value, the command and what it was given; it never prints, never exits and
 * runs nothing: it throws what main.ts prints.
 */
import {
  defaultUsage,
  formatHelp,
  type HelpSubject,
  type HelpWidth,
  helpWidthOf,
  suggestSimilar,
} from "./help.ts";
import {
  type ActionHandler,
  Argument,
  argumentValues,
  CommandLineError,
  CommandLineExit,
  Option,
  type OptionValues,
  type ParsedCommand,
} from "./parser_declarations.ts";
import {
  defaultValues,
  expandOptionNames,
  isDigit,
  readOptions,
  setOptionValue,
  type UnreadArguments,
} from "./parser_options.ts";

export { CommandLineError, CommandLineExit };

// The implicit `help [command]` command of a command that has subcommands and no action.
const HELP_COMMAND = { name: "help", description: "display help for command" };

/** A command (or the program): its arguments, options, subcommands and action. */
export class Command {
  /** The subcommands, in declaration order. */
  readonly commands: Command[] = [];
  /** The options, in declaration order (the version option included, the help option not). */
  readonly options: Option[] = [];
  readonly registeredArguments: Argument[] = [];
  readonly parent: Command | null;
  #name: string;
  #aliases: string[] = [];
  #description = "";
  #usage: string | undefined;
  #helpOption = new Option("-h, --help", "display help for command");
  #versionOption: Option | undefined;
  #version = "";
  #action: ActionHandler | undefined;
  #helpWidth: HelpWidth = helpWidthOf;

  constructor(name: string, parent: Command | null = null) {
    this.#name = name;
    this.parent = parent;
  }

  /** Declares a subcommand, which shares this command's help option, and returns it. */
  command(name: string): Command {
    const command = new Command(name, this);
    command.#helpOption = this.#helpOption;
    this.commands.push(command);
    return command;
  }

  name(): string {
    return this.#name;
  }

  /** The other names the command answers to. */
  aliases(): readonly string[] {
    return this.#aliases;
  }

  /** Another name the command answers to; the first is shown in its help. */
  alias(alias: string): this {
    this.#aliases.push(alias);
    return this;
  }

  description(text: string): this {
    this.#description = text;
    return this;
  }

  /** Replaces the usage shown after the command's name (`[options] [command] <args>`). */
  usage(text: string): this {
    this.#usage = text;
    return this;
  }

  /** `<required>`, `[optional]` (with an optional default) or, last, `<variadic...>`. */
  argument(spec: string, description: string, defaultValue?: string): this {
    this.registeredArguments.push(new Argument(spec, description, defaultValue));
    return this;
  }

  /** `--name <value>` (with an optional default), `-s, --name <value>` or a flag `--name`. */
  option(flags: string, description: string, defaultValue?: string): this {
    this.options.push(new Option(flags, description, defaultValue));
    return this;
  }

  /** An option that prints `version` and ends the run. */
  version(version: string, flags: string, description: string): this {
    this.#version = version;
    this.#versionOption = new Option(flags, description);
    this.options.push(this.#versionOption);
    return this;
  }

  /** The help option of this command and of the subcommands declared after this call. */
  helpOption(flags: string, description: string): this {
    this.#helpOption = new Option(flags, description);
    return this;
  }

  action(handler: ActionHandler): this {
    this.#action = handler;
    return this;
  }

  /** The names from the program's first subcommand down to this one: `["db", "upgrade"]`. */
  path(): string[] {
    return this.#lineage().reverse().slice(1).map((command) => command.#name);
  }

  /**
   * Reads `argv` (without the program name) into the command it names and what it was given,
   * accepting argparse's forms of options (see expandOptionNames). Throws CommandLineError, or
   * CommandLineExit for help and the version; runs nothing.
   */
  parse(argv: readonly string[], settings: { helpWidth?: HelpWidth } = {}): ParsedCommand {
    if (settings.helpWidth) this.#helpWidth = settings.helpWidth;
    return this.#parseCommand([], this.expandOptionNames(argv), new Map());
  }

  /** `argv` with argparse's forms of options written as declared: see parser_options.ts. */
  expandOptionNames(argv: readonly string[]): string[] {
    return expandOptionNames(this, argv);
  }

  /** The help text on `stream`, wrapped as it would be printed. */
  helpInformation(stream: "stdout" | "stderr" = "stdout"): string {
    return formatHelp(this.#helpSubject(), this.#root().#helpWidth(stream));
  }

  /** This command's options and those of the commands around it, innermost first, each once. */
  optionsInScope(): Option[] {
    return [...new Set(this.#lineage().flatMap((command) => command.#visibleOptions()))];
  }

  /** The subcommand with this name or alias. */
  findCommand(name: string | undefined): Command | undefined {
    if (!name) return undefined;
    return this.commands.find((command) =>
      command.#name === name || command.#aliases.includes(name)
    );
  }

  // Mirrors commander's _parseCommand: program options are read anywhere in argv, what they do
  // not recognise is handed down to the subcommand, and errors come in commander's order.
  #parseCommand(
    operandsBefore: string[],
    unparsed: string[],
    values: Map<Command, OptionValues>,
  ): ParsedCommand {
    const parsed = this.#readOwnOptions(unparsed, values);
    const operands = [...operandsBefore, ...parsed.operands];
    const unknown = parsed.unknown;
    const args = [...operands, ...unknown];
    const subcommand = this.findCommand(operands[0]);
    if (subcommand) return subcommand.#parseCommand(operands.slice(1), unknown, values);
    if (this.#hasHelpCommand() && operands[0] === HELP_COMMAND.name) {
      throw this.#helpCommandExit(operands[1]);
    }
    if (this.commands.length > 0 && args.length === 0 && !this.#action) {
      throw this.#helpExit("stderr");
    }
    if (unknown.some((arg) => this.#helpOption.is(arg))) throw this.#helpExit("stdout");
    if (this.#action) {
      if (unknown.length > 0) throw this.#unknownOption(unknown[0]);
      return this.#parsed(this.#argumentValues(args), values);
    }
    if (operands.length > 0 && this.commands.length > 0) throw this.#unknownCommand(operands[0]);
    if (unknown.length > 0) throw this.#unknownOption(unknown[0]);
    if (this.commands.length > 0) throw this.#helpExit("stderr");
    return this.#parsed(this.#argumentValues(args), values);
  }

  // This command's options out of `args`, into `values` (starting from their defaults).
  #readOwnOptions(args: string[], values: Map<Command, OptionValues>): UnreadArguments {
    const own = defaultValues(this.options);
    values.set(this, own);
    // `-1` is a short option if any command around declares one.
    const digitOption = this.optionsInScope().some((option) => isDigit(option.short?.[1]));
    return readOptions({
      options: this.options,
      negativeNumbersAreArguments: this.commands.length === 0 && !digitOption,
      set: (option, value) => {
        if (option === this.#versionOption) {
          throw new CommandLineExit(`${this.#version}\n`, "stdout", 0, "version");
        }
        setOptionValue(own, option, value);
      },
    }, args);
  }

  #parsed(args: unknown[], values: Map<Command, OptionValues>): ParsedCommand {
    const action = this.#action ?? (() => {});
    const options = values.get(this)!;
    return {
      command: this,
      arguments: args,
      options,
      programOptions: values.get(this.#root())!,
      run: async () => await action(...args, options, this),
    };
  }

  #argumentValues(args: string[]): unknown[] {
    return argumentValues(this.registeredArguments, args, this.parent ? this.#name : undefined);
  }

  // `help <command>` shows that command's help; commander shows the overview on stderr, as for
  // a missing command, when there is no such command.
  #helpCommandExit(commandName: string | undefined): CommandLineExit {
    if (commandName === undefined) return this.#helpExit("stdout");
    const command = this.findCommand(commandName);
    return command ? command.#helpExit("stdout") : this.#helpExit("stderr");
  }

  #helpExit(stream: "stdout" | "stderr"): CommandLineExit {
    return new CommandLineExit(this.helpInformation(stream), stream, stream === "stdout" ? 0 : 2);
  }

  #unknownOption(flag: string): CommandLineError {
    // Options of the enclosing commands count too: they are accepted after the command.
    const candidates = flag.startsWith("--")
      ? this.optionsInScope().flatMap((option) => option.long ?? [])
      : [];
    return new CommandLineError(`unknown option '${flag}'${suggestSimilar(flag, candidates)}`);
  }

  #unknownCommand(name: string): CommandLineError {
    const candidates = this.#listedCommands().flatMap((command) => command.names);
    return new CommandLineError(`unknown command '${name}'${suggestSimilar(name, candidates)}`);
  }

  #helpSubject(): HelpSubject {
    const path = this.#lineage().reverse().map((command) => command.#name);
    const alias = this.#aliases[0];
    path[path.length - 1] += alias ? `|${alias}` : "";
    return {
      usage: `${path.join(" ")} ${
        this.#usage ?? defaultUsage(this.commands.length > 0, this.registeredArguments)
      }`,
      description: this.#description,
      arguments: this.registeredArguments,
      options: this.#visibleOptions(),
      commands: this.#listedCommands(),
    };
  }

  #visibleOptions(): Option[] {
    return [...this.options, this.#helpOption];
  }

  #listedCommands(): { name: string; description: string; names: string[] }[] {
    const listed = this.commands.map((command) => ({
      name: command.#name,
      description: command.#description,
      // Only the first alias is offered as a suggestion, as only it is shown.
      names: [command.#name, ...command.#aliases.slice(0, 1)],
    }));
    if (this.#hasHelpCommand()) listed.push({ ...HELP_COMMAND, names: [HELP_COMMAND.name] });
    return listed;
  }

  #hasHelpCommand(): boolean {
    return this.commands.length > 0 && !this.#action && !this.findCommand(HELP_COMMAND.name);
  }

  /** This command and its ancestors, innermost first. */
  #lineage(): Command[] {
    return this.parent ? [this, ...this.parent.#lineage()] : [this];
  }

  #root(): Command {
    return this.#lineage().at(-1)!;
  }
}
