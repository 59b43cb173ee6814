/**
 * Reads options out of argv: one command's as commander's parseOptions does, after the forms of an
 * option argparse read and commander does not are written as declared: an unambiguous prefix of a
 * long option (`--rows 5`, `--exec=…`), a single-dash long name or its prefix (`-id`, `-i`), a
 * short option joined to its value by `=` (`-r=5`). Scripts written for the Python tool use them.
 */
import { CommandLineError } from "./parser_declarations.ts";
import type { Option, OptionValue, OptionValues } from "./parser_declarations.ts";

/** What one command reads: its own options, and where each value goes. */
export interface OptionReader {
  readonly options: readonly Option[];
  /** True when `-1` is an argument (db downgrade -1), not an unknown option. */
  readonly negativeNumbersAreArguments: boolean;
  /** Receives an option given and its value; undefined when given bare without its value. */
  set(option: Option, value: OptionValue | undefined): void;
}

/** The arguments a command did not take as its options: operands, and what follows the first unknown option. */
export interface UnreadArguments {
  operands: string[];
  unknown: string[];
}

/**
 * Takes the reader's options out of `args`. From the first argument that looks like an option it
 * does not know on, everything is "unknown" and left for a subcommand, but its own options are
 * still taken. Throws a CommandLineError for an option whose required value is missing.
 */
export function readOptions(reader: OptionReader, args: readonly string[]): UnreadArguments {
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
    const option = looksLikeOption(arg) ? findOption(reader.options, arg) : undefined;
    if (option) {
      i = readValue(reader, option, args, i);
      continue;
    }
    const joined = readJoinedValue(reader, arg);
    if (joined.read) {
      shortGroup = joined.restOfGroup;
      continue;
    }
    if (
      destination === operands && looksLikeOption(arg) &&
      !(reader.negativeNumbersAreArguments && isNegativeNumber(arg))
    ) {
      destination = unknown;
    }
    destination.push(arg);
  }
  return { operands, unknown };
}

/** The values of the options that have a default, before any is read. */
export function defaultValues(options: readonly Option[]): OptionValues {
  const values: OptionValues = {};
  for (const option of options) {
    if (option.defaultValue !== undefined) values[option.attributeName] = option.defaultValue;
  }
  return values;
}

/**
 * Records an option's value. Given bare without its optional value, the option is as if not given:
 * argparse's `nargs='?'` with `const` equal to the default (`--rows-processed` alone records no
 * row count).
 */
export function setOptionValue(
  values: OptionValues,
  option: Option,
  value: OptionValue | undefined,
): void {
  if (value !== undefined) values[option.attributeName] = value;
  else if (option.defaultValue === undefined) delete values[option.attributeName];
  else values[option.attributeName] = option.defaultValue;
}

/** True for what argv parsers take for an option: a dash and at least one more character. */
export function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg[0] === "-";
}

/**
 * As argparse decides whether the argument after a `nargs='?'` option is its value: unless it
 * looks like an option; a negative number or text with a blank is a value.
 */
export function canBeOptionalValue(arg: string): boolean {
  return !looksLikeOption(arg) || /^-\d+$|^-\d*\.\d+$/.test(arg) || arg.includes(" ");
}

// An option named by itself: a flag, or its value in the next argument (perhaps left out).
// Returns the index of the next argument to read.
function readValue(
  reader: OptionReader,
  option: Option,
  args: readonly string[],
  next: number,
): number {
  if (!option.takesValue) {
    reader.set(option, true);
    return next;
  }
  if (option.valueOptional) {
    const given = next < args.length && canBeOptionalValue(args[next]);
    reader.set(option, given ? args[next] : undefined);
    return given ? next + 1 : next;
  }
  if (next >= args.length) throw new CommandLineError(`option '${option.flags}' argument missing`);
  reader.set(option, args[next]);
  return next + 1;
}

// `-lDEBUG`: a short option and its value in one argument; `-ab`: two flags, the rest of the group
// read next; `--name=value`.
function readJoinedValue(
  reader: OptionReader,
  arg: string,
): { read: boolean; restOfGroup?: string } {
  const short = arg.length > 2 && arg[0] === "-" && arg[1] !== "-"
    ? findOption(reader.options, arg.slice(0, 2))
    : undefined;
  if (short?.takesValue) {
    reader.set(short, arg.slice(2));
    return { read: true };
  }
  if (short) {
    reader.set(short, true);
    return { read: true, restOfGroup: `-${arg.slice(2)}` };
  }
  const equals = arg.startsWith("--") && arg[2] !== "=" ? arg.indexOf("=") : -1;
  const long = equals > 0 ? findOption(reader.options, arg.slice(0, equals)) : undefined;
  if (!long?.takesValue) return { read: false };
  reader.set(long, arg.slice(equals + 1));
  return { read: true };
}

/** True for "0" to "9". */
export function isDigit(character: string | undefined): boolean {
  return character !== undefined && character.length === 1 && character >= "0" &&
    character <= "9";
}

function findOption(options: readonly Option[], flag: string): Option | undefined {
  return options.find((option) => option.is(flag));
}

function isNegativeNumber(arg: string): boolean {
  return /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(arg);
}

/** A command as far as these forms go: the options it accepts and its subcommands. */
export interface OptionScope {
  /** Its options and those of the commands around it, help options included, innermost first. */
  optionsInScope(): readonly Option[];
  findCommand(name: string): OptionScope | undefined;
}

/**
 * `argv` with each option written in a form argparse also read replaced by its declared name.
 * Which options count depends on where the argument stands: before a subcommand's name only the
 * enclosing commands' options, after it theirs and the subcommand's. Option values and everything
 * after `--` are kept as they are. Throws a CommandLineError for a prefix of several options.
 */
export function expandOptionNames(program: OptionScope, argv: readonly string[]): string[] {
  const expanded: string[] = [];
  let scope = program; // the innermost subcommand named so far
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      expanded.push(...argv.slice(i));
      break;
    }
    if (!looksLikeOption(arg)) {
      scope = scope.findCommand(arg) ?? scope;
      expanded.push(arg);
      continue;
    }
    const { name, option, valueAttached } = resolveOptionName(scope.optionsInScope(), arg);
    expanded.push(name);
    if (!option?.takesValue || valueAttached || i + 1 >= argv.length) continue;
    if (!option.valueOptional || canBeOptionalValue(argv[i + 1])) expanded.push(argv[++i]);
  }
  return expanded;
}

interface ResolvedOption {
  /** The argument as commander reads it. */
  name: string;
  option?: Option;
  /** True when the argument carries the value too (`-r5`, `--rows=5`). */
  valueAttached: boolean;
}

// What argparse made of an argument that looks like an option; an option it does not know is
// left as it is, for the parser to report.
function resolveOptionName(inScope: readonly Option[], arg: string): ResolvedOption {
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
  const candidates = optionsNamedBy(inScope, typed, { long: arg.startsWith("--"), equals });
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

// The option `typed` names exactly, else those it is a prefix of: of a long name after two dashes;
// after one dash, of a single-dash long name only, and only without `=`. The innermost command's
// option comes first, should a subcommand redeclare an enclosing one's.
function optionsNamedBy(
  inScope: readonly Option[],
  typed: string,
  written: { long: boolean; equals: number },
): Option[] {
  const named = inScope.find((option) => option.is(typed));
  if (named) return [named];
  const isPrefix = (option: Option) =>
    written.long
      ? option.long?.startsWith(typed)
      : written.equals < 0 && option.singleDashLong?.startsWith(typed);
  return inScope.filter((option, i) =>
    isPrefix(option) &&
    inScope.findIndex((other) => other.canonicalName === option.canonicalName) === i
  );
}
