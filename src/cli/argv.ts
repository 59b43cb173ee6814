/** Takes the Python tool's database URL before the command out of dpo's argv. */
import { looksLikeDatabaseUrl } from "../config.ts";
import type { Option } from "./parser_declarations.ts";

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
