/** Takes the Python tool's database URL before the command out of dpo's argv. */

/** Global options that take a value, so the scan for the positional URL skips their values. */
const OPTIONS_WITH_VALUES = new Set([
  "--db",
  "--connect-timeout",
  "--statement-timeout",
  "--format",
  "--pipeline",
]);

/** Global options whose value may be left out (argparse's `nargs='?'`): `-l` alone is INFO. */
const OPTIONS_WITH_OPTIONAL_VALUES = new Set(["-l", "--log-level"]);

/** The argv for the parser, and the database URL given before the command, if any. */
export interface PreparedArgv {
  argv: string[];
  positionalUrl?: string;
}

/**
 * A database URL before the command (`dpo postgresql://… init-execution`) is taken out, since
 * the parser would take it for an unknown command. Expects option names already expanded
 * (Command.expandOptionNames), so that `--d <url>` is seen as `--db <url>`.
 */
export function prepareArgv(rawArgv: readonly string[]): PreparedArgv {
  const argv = [...rawArgv];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (OPTIONS_WITH_VALUES.has(arg)) {
      i++;
      continue;
    }
    if (OPTIONS_WITH_OPTIONAL_VALUES.has(arg)) {
      if (i + 1 < argv.length && !argv[i + 1].startsWith("-")) i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    if (!looksLikeDatabaseUrl(arg)) break;
    return { argv: [...argv.slice(0, i), ...argv.slice(i + 1)], positionalUrl: arg };
  }
  return { argv };
}

function looksLikeDatabaseUrl(arg: string): boolean {
  // sqlite:<file> has no "//"; pglite: is recognised to be told what became of it.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || /^(sqlite|pglite):/i.test(arg);
}
