/** Where dpo keeps its state: which store a command opens, and how to show it without secrets. */
import { UsageError } from "./errors.ts";
import { parsePostgresUrl, type PostgresSettings } from "./postgres_url.ts";
import {
  fromFirstUrl,
  redactUrl,
  type Secrets,
  urlAuthority,
  urlPasswords,
  urlShownWords,
} from "./redaction.ts";

/** The file of the embedded store when no database is named. */
export const DEFAULT_EMBEDDED_PATH = ".dpo/dpo.sqlite";

/** The environment variable that names the database, so that passwords need not sit in argv. */
export const DATABASE_URL_ENV = "DPO_DATABASE_URL";

/**
 * A PostgreSQL server (its URL read once, with libpq's variables), or an embedded SQLite store in a
 * file.
 */
export type StoreTarget =
  | { kind: "postgres"; settings: PostgresSettings; display: string }
  | { kind: "sqlite"; path: string; display: string };

/** Where each way of naming the database came from, highest precedence first. */
export interface DatabaseSources {
  positionalUrl?: string;
  dbOption?: string;
  environmentUrl?: string;
}

// SQLAlchemy's "postgresql+psycopg2://" names a driver; the server is the same.
const DRIVER_SCHEME = /^postgres(?:ql)?\+[a-z0-9_]+:\/\//i;
const POSTGRES_SCHEME = /^postgres(?:ql)?:\/\//i;
const SQLITE_SCHEME = /^sqlite:/i;
// The embedded store of dpo before 2.0: named only to say what became of it.
const PGLITE_SCHEME = /^pglite:/i;

/** Reads an environment variable (Deno.env.get, or a table in tests). */
export type Env = (name: string) => string | undefined;

/** True for an argument that names a database: a URL, or sqlite:<file> (which has no "//"). */
export function looksLikeDatabaseUrl(arg: string): boolean {
  // Command names have no ":": they are told apart without a regular expression, whose first use
  // costs every command ~0.3 ms (case-insensitive ones load case folding).
  if (!arg.includes(":")) return false;
  // pglite: is recognised to be told what became of it.
  return urlAuthority(arg) !== undefined || SQLITE_SCHEME.test(arg) || PGLITE_SCHEME.test(arg);
}

/**
 * The passwords one invocation was given (in a URL's user-info or `password=`, anywhere in argv
 * or in DPO_DATABASE_URL, and PGPASSWORD) and the words its URLs show anyway: main.ts redacts
 * every error with them, whether or not the command line could be parsed.
 */
export function commandLineSecrets(
  args: readonly string[],
  env: Env = (name) => Deno.env.get(name),
): Secrets {
  const passwords = [env("PGPASSWORD") ?? ""];
  const shown: string[] = [];
  for (const text of [...args, env(DATABASE_URL_ENV) ?? ""]) {
    const url = fromFirstUrl(text);
    passwords.push(...urlPasswords(url));
    shown.push(...urlShownWords(url));
  }
  return { passwords: passwords.filter((password) => password !== ""), shown };
}

/** Picks the database from argv, --db or the environment, else the embedded default. */
export function resolveStoreTarget(sources: DatabaseSources): StoreTarget {
  if (sources.positionalUrl !== undefined && sources.dbOption !== undefined) {
    throw new UsageError(
      "The database is named twice (before the command and by --db): give it once",
    );
  }
  const named = sources.positionalUrl ?? sources.dbOption ?? nonEmpty(sources.environmentUrl);
  if (named === undefined) {
    return {
      kind: "sqlite",
      path: DEFAULT_EMBEDDED_PATH,
      display: `sqlite:${DEFAULT_EMBEDDED_PATH}`,
    };
  }
  return parseStoreUrl(named);
}

/** Parses one database URL: postgresql://, postgres://, postgresql+driver:// or sqlite:<file>. */
export function parseStoreUrl(text: string): StoreTarget {
  if (SQLITE_SCHEME.test(text)) {
    // sqlite:<file>; sqlite:///abs/file also names /abs/file.
    const path = text.replace(SQLITE_SCHEME, "").replace(/^\/\/(?=\/)/, "");
    if (path === "" || path.endsWith("/")) {
      throw new UsageError(`Database URL "${text}" names no file: use sqlite:<file>`);
    }
    return { kind: "sqlite", path, display: `sqlite:${path}` };
  }
  if (PGLITE_SCHEME.test(text)) {
    throw new UsageError(
      `Database URL "${text}" names a PGlite store: dpo's embedded store is now SQLite; use ` +
        `sqlite:<file> (the default is ${DEFAULT_EMBEDDED_PATH}), or an earlier dpo for the ` +
        "PGlite store",
    );
  }
  const url = text.replace(DRIVER_SCHEME, "postgresql://");
  if (!POSTGRES_SCHEME.test(url)) {
    throw new UsageError(
      `Database URL "${redactUrl(text)}" is not supported: use a postgresql:// URL ` +
        "(postgresql://host:port/dbname, with the user and password before the host) or " +
        "sqlite:<file>",
    );
  }
  const settings = parsePostgresUrl(url);
  return { kind: "postgres", settings, display: settings.display };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
