/** Rewrites dpo's argv into what the parser reads, keeping the Python tool's forms working. */

/** Global options that take a value, so the scan for the positional URL skips their values. */
const OPTIONS_WITH_VALUES = new Set([
  "-l",
  "--log-level",
  "--db",
  "--connect-timeout",
  "--statement-timeout",
  "--format",
  "--pipeline",
]);

/** The argv for the parser, and the database URL given before the command, if any. */
export interface PreparedArgv {
  argv: string[];
  positionalUrl?: string;
}

/**
 * `-id <uuid>` (argparse's single-dash long option) becomes `--execution-id`: the parser would
 * read it as `-i d`. A database URL before the command (`dpo postgresql://… init-execution`)
 * is taken out, since the parser would take it for an unknown command.
 */
export function prepareArgv(rawArgv: readonly string[]): PreparedArgv {
  const argv = rawArgv.map((arg) =>
    arg === "-id"
      ? "--execution-id"
      : arg.startsWith("-id=")
      ? `--execution-id=${arg.slice(4)}`
      : arg
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (OPTIONS_WITH_VALUES.has(arg)) {
      i++;
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
