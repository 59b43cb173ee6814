/**
 * The parser's types: the options and arguments a command declares, read from commander-style
 * specs, what a command line gives them, and what the parser throws instead of printing or exiting
 * (main.ts prints it).
 */
import { UsageError } from "../errors.ts";
import type { Command } from "./parser.ts";

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
    /** What ends the run: a help text, or the version (-V, --version). */
    readonly reason: "help" | "version" = "help",
  ) {
    super(`The command line ends the run with exit code ${exitCode}`);
  }
}

/** An option's value: the text given, or true for a flag. */
export type OptionValue = string | boolean;

/** Receives the command's arguments in order, then its options, then the command. */
// deno-lint-ignore no-explicit-any -- each command declares its own argument types, as with commander
export type ActionHandler = (...args: any[]) => void | Promise<void>;

/** Option values by camel-cased long name (`--rows-processed` gives `rowsProcessed`). */
export type OptionValues = Record<string, OptionValue>;

/** A command line read against the declarations: the command it names and what it was given. */
export interface ParsedCommand {
  /** The command whose action runs. */
  command: Command;
  /** Its arguments' values in declaration order: a variadic one as a list, defaults filled in. */
  arguments: unknown[];
  /** Its own options' values, defaults included. */
  options: OptionValues;
  /** The program's options' values, read anywhere on the line, defaults included. */
  programOptions: OptionValues;
  /** Calls the command's action with its arguments, its options and the command. */
  run(): Promise<void>;
}

/**
 * An option as declared: `-l, --log-level <level>` takes a value, `--name-status` is a flag,
 * `-r, --rows-processed [n]` may be given with or without a value (argparse's `nargs='?'`), and
 * `-id, --execution-id [uuid]` also has argparse's single-dash long name.
 */
export class Option {
  readonly flags: string;
  readonly description: string;
  readonly short?: string;
  readonly long?: string;
  /** A name of more than one letter after one dash, as argparse allowed: `-id`. */
  readonly singleDashLong?: string;
  readonly takesValue: boolean;
  /** Given without a value, the option takes its default (unset when it has none). */
  readonly valueOptional: boolean;
  readonly defaultValue?: string;

  constructor(flags: string, description: string, defaultValue?: string) {
    if (flags.includes("...")) {
      throw new TypeError(`Option "${flags}" has a variadic value: not supported`);
    }
    this.flags = flags;
    this.description = description;
    this.valueOptional = flags.includes("[");
    this.takesValue = flags.includes("<") || this.valueOptional;
    if (defaultValue !== undefined && !this.takesValue) {
      throw new TypeError(`Option "${flags}" is a flag: it cannot have a default`);
    }
    this.defaultValue = defaultValue;
    // String tests, not regular expressions: each expression costs every command its compilation.
    const parts = flags.replaceAll(",", " ").replaceAll("|", " ").split(" ");
    this.short = parts.find((part) => part.length === 2 && part[0] === "-" && part[1] !== "-");
    this.long = parts.find((part) => part.startsWith("--") && part.length > 2 && part[2] !== "-");
    this.singleDashLong = parts.find((part) =>
      part.length > 2 && part[0] === "-" && ![...part.slice(1)].some((c) => "-<[".includes(c))
    );
    if (!this.short && !this.long && !this.singleDashLong) {
      throw new TypeError(`Option "${flags}" names no flag`);
    }
  }

  /** The key of its value in opts(): `--rows-processed` gives `rowsProcessed`. */
  get attributeName(): string {
    const name = this.long?.slice(2) ?? this.singleDashLong?.slice(1) ?? this.short!.slice(1);
    let camelCased = "";
    for (let i = 0; i < name.length; i++) {
      camelCased += name[i] === "-" && i + 1 < name.length ? name[++i].toUpperCase() : name[i];
    }
    return camelCased;
  }

  /** The name it is written with once recognised: the long one, else the other. */
  get canonicalName(): string {
    return this.long ?? this.singleDashLong ?? this.short!;
  }

  /** True when `flag` is this option's short, long or single-dash long form. */
  is(flag: string): boolean {
    return flag === this.short || flag === this.long || flag === this.singleDashLong;
  }
}

/** A command argument: `<required>`, `[optional]`, and last, `<variadic...>`. */
export class Argument {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly defaultValue?: string;

  constructor(spec: string, description: string, defaultValue?: string) {
    const inner = spec.slice(1, -1);
    const bracketed = spec.length > 2 && "<[".includes(spec[0]) && ">]".includes(spec.at(-1)!);
    if (!bracketed || inner.includes(">") || inner.includes("]")) {
      throw new TypeError(`Argument "${spec}" is not <name>, [name] or <name...>`);
    }
    this.required = spec[0] === "<";
    this.variadic = inner.length > 3 && inner.endsWith("...");
    this.name = this.variadic ? inner.slice(0, -3) : inner;
    this.description = description;
    this.defaultValue = defaultValue;
  }

  /** How the usage line shows it: `<model-patterns...>`. */
  get usage(): string {
    const name = this.name + (this.variadic ? "..." : "");
    return this.required ? `<${name}>` : `[${name}]`;
  }
}

/**
 * The values of the declared arguments given `args`: a variadic one as a list, defaults filled
 * in. Throws a CommandLineError, in commander's words, for a missing or an extra one;
 * `commandName` is named in the latter, unless the arguments are the program's.
 */
export function argumentValues(
  declared: readonly Argument[],
  args: readonly string[],
  commandName: string | undefined,
): unknown[] {
  const missing = declared.find((argument, i) => argument.required && args[i] === undefined);
  if (missing) throw new CommandLineError(`missing required argument '${missing.name}'`);
  if (!declared.at(-1)?.variadic && args.length > declared.length) {
    const forCommand = commandName === undefined ? "" : ` for '${commandName}'`;
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
