/**
 * dpo's command-line parser: the part of commander's API and behaviour dpo uses, with no npm or
 * node: import, so starting dpo does not start Deno's Node compatibility layer (20-35 ms).
 * It never prints and never exits: it throws what main.ts prints.
 */
import { UsageError } from "../errors.ts";
import { formatHelp, type HelpSubject, helpWidthOf } from "./help.ts";
import { Argument, Option, type OptionValue } from "./parser_declarations.ts";
import { suggestSimilar } from "./suggest.ts";

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

/** Receives the command's arguments in order, then its options, then the command. */
// deno-lint-ignore no-explicit-any -- each command declares its own argument types, as with commander
export type ActionHandler = (...args: any[]) => void | Promise<void>;

/** Where the help goes: the number of columns to wrap it to. */
export type HelpWidth = (stream: "stdout" | "stderr") => number;

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
  #preActionHooks: (() => void | Promise<void>)[] = [];
  #optionValues: Record<string, OptionValue> = {};
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
    const option = new Option(flags, description, defaultValue);
    this.options.push(option);
    if (defaultValue !== undefined) this.#optionValues[option.attributeName] = defaultValue;
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

  /** Runs before the action of this command or of any subcommand, outermost command first. */
  hook(_event: "preAction", listener: () => void | Promise<void>): this {
    this.#preActionHooks.push(listener);
    return this;
  }

  action(handler: ActionHandler): this {
    this.#action = handler;
    return this;
  }

  /** This command's option values by camel-cased long name, defaults included. */
  opts<T extends object = Record<string, OptionValue>>(): T {
    return { ...this.#optionValues } as T;
  }

  /**
   * Parses `argv` (without the program name) and runs the chosen command's action. Throws
   * CommandLineError or CommandLineExit; errors from the action propagate as they are.
   */
  async parseAsync(
    argv: readonly string[],
    settings: { helpWidth?: HelpWidth } = {},
  ): Promise<void> {
    if (settings.helpWidth) this.#helpWidth = settings.helpWidth;
    await this.#parseCommand([], this.expandOptionNames(argv));
  }

  /**
   * `argv` with each option written in a form argparse also read replaced by its declared name:
   * an unambiguous prefix of a long option (`--rows 5`, `--exec=…`), a single-dash long name or
   * its prefix (`-id`, `-i`), a short option joined to its value by `=` (`-r=5`). Which options
   * count depends on where the argument stands: before a subcommand's name only the enclosing
   * commands' options, after it theirs and the subcommand's. Option values and everything after
   * `--` are kept as they are. Throws a CommandLineError for a prefix of several options.
   */
  expandOptionNames(argv: readonly string[]): string[] {
    const expanded: string[] = [];
    let subcommand: Command | undefined; // the innermost subcommand named so far
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      const scope = subcommand ?? this;
      if (arg === "--") {
        expanded.push(...argv.slice(i));
        break;
      }
      if (!looksLikeOption(arg)) {
        subcommand = scope.#findCommand(arg) ?? subcommand;
        expanded.push(arg);
        continue;
      }
      const { name, option, valueAttached } = scope.#resolveOptionName(arg);
      expanded.push(name);
      if (!option?.takesValue || valueAttached || i + 1 >= argv.length) continue;
      if (!option.valueOptional || canBeOptionalValue(argv[i + 1])) expanded.push(argv[++i]);
    }
    return expanded;
  }

  /** The help text on `stream`, wrapped as it would be printed. */
  helpInformation(stream: "stdout" | "stderr" = "stdout"): string {
    return formatHelp(this.#helpSubject(), this.#root().#helpWidth(stream));
  }

  // Mirrors commander's _parseCommand: program options are read anywhere in argv, what they do
  // not recognise is handed down to the subcommand, and errors come in commander's order.
  async #parseCommand(operandsBefore: string[], unparsed: string[]): Promise<void> {
    const parsed = this.#parseOptions(unparsed);
    const operands = [...operandsBefore, ...parsed.operands];
    const unknown = parsed.unknown;
    const args = [...operands, ...unknown];
    const subcommand = this.#findCommand(operands[0]);
    if (subcommand) return await subcommand.#parseCommand(operands.slice(1), unknown);
    if (this.#hasHelpCommand() && operands[0] === HELP_COMMAND.name) {
      throw this.#helpCommandExit(operands[1]);
    }
    if (this.commands.length > 0 && args.length === 0 && !this.#action) {
      throw this.#helpExit("stderr");
    }
    if (unknown.some((arg) => this.#helpOption.is(arg))) throw this.#helpExit("stdout");
    if (this.#action) {
      if (unknown.length > 0) throw this.#unknownOption(unknown[0]);
      const values = this.#argumentValues(args);
      for (const command of this.#lineage().reverse()) {
        for (const hook of command.#preActionHooks) await hook();
      }
      await this.#action(...values, this.opts(), this);
      return;
    }
    if (operands.length > 0 && this.commands.length > 0) throw this.#unknownCommand(operands[0]);
    if (unknown.length > 0) throw this.#unknownOption(unknown[0]);
    if (this.commands.length > 0) throw this.#helpExit("stderr");
    this.#argumentValues(args);
  }

  // Mirrors commander's parseOptions: from the first unrecognised option on, everything is
  // "unknown" and left for a subcommand, but this command's own options are still taken.
  #parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    const operands: string[] = [];
    const unknown: string[] = [];
    let destination = operands;
    let shortGroup: string | undefined; // the rest of `-abc` after a flag `-a`
    let i = 0;
    while (i < args.length || shortGroup !== undefined) {
      const arg = shortGroup ?? args[i++];
      shortGroup = undefined;
      if (arg === "--") {
        if (destination === unknown) destination.push(arg);
        destination.push(...args.slice(i));
        break;
      }
      const option = looksLikeOption(arg) ? this.#findOption(arg) : undefined;
      if (option) {
        if (!option.takesValue) {
          this.#setOption(option, true);
        } else if (option.valueOptional) {
          if (i < args.length && canBeOptionalValue(args[i])) {
            this.#setOption(option, args[i++]);
          } else {
            this.#resetOption(option);
          }
        } else if (i < args.length) {
          this.#setOption(option, args[i++]);
        } else {
          throw new CommandLineError(`option '${option.flags}' argument missing`);
        }
        continue;
      }
      // `-lDEBUG`: a short option and its value in one argument, or `-ab`: two flags.
      const shortOption = arg.length > 2 && arg[0] === "-" && arg[1] !== "-"
        ? this.#findOption(arg.slice(0, 2))
        : undefined;
      if (shortOption) {
        if (shortOption.takesValue) {
          this.#setOption(shortOption, arg.slice(2));
        } else {
          this.#setOption(shortOption, true);
          shortGroup = `-${arg.slice(2)}`;
        }
        continue;
      }
      const equals = /^--[^=]+=/.test(arg) ? arg.indexOf("=") : -1;
      const longOption = equals > 0 ? this.#findOption(arg.slice(0, equals)) : undefined;
      if (longOption?.takesValue) {
        this.#setOption(longOption, arg.slice(equals + 1));
        continue;
      }
      // A negative number is an argument of a command without subcommands (db downgrade -1).
      if (
        destination === operands && looksLikeOption(arg) &&
        !(this.commands.length === 0 && this.#isNegativeNumber(arg))
      ) {
        destination = unknown;
      }
      destination.push(arg);
    }
    return { operands, unknown };
  }

  #setOption(option: Option, value: OptionValue): void {
    if (option === this.#versionOption) {
      throw new CommandLineExit(`${this.#version}\n`, "stdout", 0);
    }
    this.#optionValues[option.attributeName] = value;
  }

  // argparse's `nargs='?'` with `const` equal to the default: given bare, the option is as if
  // not given (`--rows-processed` alone records no row count).
  #resetOption(option: Option): void {
    if (option.defaultValue === undefined) delete this.#optionValues[option.attributeName];
    else this.#optionValues[option.attributeName] = option.defaultValue;
  }

  // What argparse made of an argument that looks like an option, among the options of this
  // command and the commands around it; an option it does not know is left for #parseOptions.
  #resolveOptionName(
    arg: string,
  ): { name: string; option?: Option; valueAttached: boolean } {
    const inScope = [...new Set(this.#lineage().flatMap((command) => command.#visibleOptions()))];
    const exact = inScope.find((option) => option.is(arg));
    if (exact) {
      const name = arg === exact.singleDashLong ? exact.canonicalName : arg;
      return { name, option: exact, valueAttached: false };
    }
    const equals = arg.indexOf("=");
    const typed = equals > 0 ? arg.slice(0, equals) : arg;
    const value = equals > 0 ? arg.slice(equals) : "";
    if (!arg.startsWith("--")) {
      const short = inScope.find((option) => option.short === arg.slice(0, 2));
      if (short) {
        // `-r=5` is `-r 5` to argparse, as `-r5`; commander would have read "=5".
        const rewritten = short.takesValue && arg[2] === "=" && short.long;
        return { name: rewritten ? short.long + value : arg, option: short, valueAttached: true };
      }
    }
    const named = inScope.find((option) => option.is(typed));
    const prefixOf = (option: Option) =>
      arg.startsWith("--")
        ? option.long?.startsWith(typed)
        // A single-dash prefix names a single-dash long option only, and only without `=`.
        : equals < 0 && option.singleDashLong?.startsWith(typed);
    // The innermost command's option first, should a subcommand redeclare an enclosing one's.
    const candidates = named ? [named] : inScope.filter((option, i) =>
      prefixOf(option) &&
      inScope.findIndex((other) => other.canonicalName === option.canonicalName) === i
    );
    if (candidates.length > 1) {
      const names = candidates.map((option) => option.canonicalName);
      throw new CommandLineError(
        `option '${typed}' is ambiguous: it could be ${names.slice(0, -1).join(", ")} or ${
          names.at(-1)
        }`,
      );
    }
    if (candidates.length === 0) return { name: arg, valueAttached: false };
    const option = candidates[0];
    return { name: option.canonicalName + value, option, valueAttached: equals > 0 };
  }

  #argumentValues(args: string[]): unknown[] {
    const declared = this.registeredArguments;
    const missing = declared.find((argument, i) => argument.required && args[i] === undefined);
    if (missing) throw new CommandLineError(`missing required argument '${missing.name}'`);
    if (!declared.at(-1)?.variadic && args.length > declared.length) {
      const forCommand = this.parent ? ` for '${this.#name}'` : "";
      const s = declared.length === 1 ? "" : "s";
      throw new CommandLineError(
        `too many arguments${forCommand}. Expected ${declared.length} argument${s} but got ${args.length}.`,
      );
    }
    return declared.map((argument, i) => {
      if (argument.variadic) return i < args.length ? args.slice(i) : argument.defaultValue ?? [];
      return i < args.length ? args[i] : argument.defaultValue;
    });
  }

  // `help <command>` shows that command's help; commander shows the overview on stderr, as for
  // a missing command, when there is no such command.
  #helpCommandExit(commandName: string | undefined): CommandLineExit {
    if (commandName === undefined) return this.#helpExit("stdout");
    const command = this.#findCommand(commandName);
    return command ? command.#helpExit("stdout") : this.#helpExit("stderr");
  }

  #helpExit(stream: "stdout" | "stderr"): CommandLineExit {
    return new CommandLineExit(this.helpInformation(stream), stream, stream === "stdout" ? 0 : 2);
  }

  #unknownOption(flag: string): CommandLineError {
    // Options of the enclosing commands count too: they are accepted after the command.
    const candidates = flag.startsWith("--")
      ? this.#lineage().flatMap((command) =>
        command.#visibleOptions().flatMap((option) => option.long ?? [])
      )
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
      usage: `${path.join(" ")} ${this.#usage ?? this.#defaultUsage()}`,
      description: this.#description,
      arguments: this.registeredArguments,
      options: this.#visibleOptions(),
      commands: this.#listedCommands(),
    };
  }

  #defaultUsage(): string {
    return [
      "[options]",
      ...this.commands.length > 0 ? ["[command]"] : [],
      ...this.registeredArguments.map((argument) => argument.usage),
    ].join(" ");
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
    return this.commands.length > 0 && !this.#action && !this.#findCommand(HELP_COMMAND.name);
  }

  #findCommand(name: string | undefined): Command | undefined {
    if (!name) return undefined;
    return this.commands.find((command) =>
      command.#name === name || command.#aliases.includes(name)
    );
  }

  #findOption(flag: string): Option | undefined {
    return this.options.find((option) => option.is(flag));
  }

  #isNegativeNumber(arg: string): boolean {
    if (!/^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(arg)) return false;
    // Unless a command uses a digit as a short option, when `-1` would be that option.
    return !this.#lineage().some((command) =>
      command.options.some((option) => /^-\d$/.test(option.short ?? ""))
    );
  }

  /** This command and its ancestors, innermost first. */
  #lineage(): Command[] {
    return this.parent ? [this, ...this.parent.#lineage()] : [this];
  }

  #root(): Command {
    return this.#lineage().at(-1)!;
  }
}

function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg[0] === "-";
}

// As argparse decides whether the argument after a `nargs='?'` option is its value: unless it
// looks like an option; a negative number or text with a blank is a value.
function canBeOptionalValue(arg: string): boolean {
  return !looksLikeOption(arg) || /^-\d+$|^-\d*\.\d+$/.test(arg) || arg.includes(" ");
}
