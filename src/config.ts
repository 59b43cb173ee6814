/** Where dpo keeps its state: which store a command opens, and how to show it without secrets. */
import { UsageError } from "./errors.ts";

/** The file of the embedded store when no database is named. */
export const DEFAULT_EMBEDDED_PATH = ".dpo/dpo.sqlite";

/** The environment variable that names the database, so that passwords need not sit in argv. */
export const DATABASE_URL_ENV = "DPO_DATABASE_URL";

/** A PostgreSQL server reached over the network, or an embedded SQLite store in a file. */
export type StoreTarget =
  | { kind: "postgres"; url: string; display: string; password?: string }
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
      `Database URL "${redactUrl(text)}" is not supported: use ` +
        "postgresql://user:password@host:port/dbname or sqlite:<file>",
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `Database URL "${
        redactUrl(text)
      }" is malformed: use postgresql://user:password@host:port/dbname`,
    );
  }
  let password: string | undefined;
  try {
    // libpq also takes the password as a parameter: ?password=…
    password = parsed.password === ""
      ? parsed.searchParams.get("password") || undefined
      : decodeURIComponent(parsed.password);
  } catch {
    throw new UsageError(
      `Database URL "${redactUrl(text)}" has a malformed %-escape in its password: ` +
        'write "%" as %25',
    );
  }
  return { kind: "postgres", url, display: redactUrl(url), password };
}

/**
 * Replaces the password of a URL-like string with "***", even when the URL does not parse. Up to
 * the last "@" of the authority: dpo's client (pg/config.ts) and the URL parser accept a raw "@" in a password.
 */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z0-9+.-]+:\/\/[^:/@?#]*:)[^/?#]*@/i, "$1***@")
    .replace(PASSWORD_PARAMETER, "$1***");
}

/** libpq's `password=` URL parameter. */
const PASSWORD_PARAMETER = /([?&]password=)([^&#\s]*)/gi;

/** Removes every occurrence of each secret from a message. */
export function redactSecrets(message: string, secrets: readonly (string | undefined)[]): string {
  let redacted = message;
  for (const secret of secrets) {
    if (secret) redacted = redacted.replaceAll(secret, "***");
  }
  return redacted.replace(/([a-z0-9+.-]+:\/\/[^:/@\s]*:)[^/?#\s]*@/gi, "$1***@")
    // A URL redacted before keeps what follows its "***" (the ":" of "at <url>: …").
    .replace(
      PASSWORD_PARAMETER,
      (whole, name: string, value: string) => value.startsWith("***") ? whole : `${name}***`,
    );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
