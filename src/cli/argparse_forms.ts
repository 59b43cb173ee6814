/**
 * The forms of an option argparse read that commander does not: an unambiguous prefix of a long
 * option (`--rows 5`, `--exec=…`), a single-dash long name or its prefix (`-id`, `-i`), a short
 * option joined to its value by `=` (`-r=5`). Scripts written for the Python tool use them.
 */
import { CommandLineError } from "./parser_errors.ts";
import type { Option } from "./parser_declarations.ts";
import { canBeOptionalValue, looksLikeOption } from "./parser_options.ts";

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
