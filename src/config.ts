/** Where dpo keeps its state: which store a command opens, and how to show it without secrets. */
import { UsageError } from "./errors.ts";

/** The directory of the embedded store when no database is named. */
export const DEFAULT_EMBEDDED_DIR = ".dpo";

/** The environment variable that names the database, so that passwords need not sit in argv. */
export const DATABASE_URL_ENV = "DPO_DATABASE_URL";

/** A PostgreSQL server reached over the network, or an embedded PGlite store in a directory. */
export type StoreTarget =
  | { kind: "postgres"; url: string; display: string; password?: string }
  | { kind: "pglite"; dir: string; display: string };

/** Where each way of naming the database came from, highest precedence first. */
export interface DatabaseSources {
  positionalUrl?: string;
  dbOption?: string;
  environmentUrl?: string;
}

// SQLAlchemy's "postgresql+psycopg2://" names a driver; the server is the same.
const DRIVER_SCHEME = /^postgres(?:ql)?\+[a-z0-9_]+:\/\//i;
const POSTGRES_SCHEME = /^postgres(?:ql)?:\/\//i;
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
    return { kind: "pglite", dir: DEFAULT_EMBEDDED_DIR, display: `pglite:${DEFAULT_EMBEDDED_DIR}` };
  }
  return parseStoreUrl(named);
}

/** Parses one database URL: postgresql://, postgres://, postgresql+driver:// or pglite:<dir>. */
export function parseStoreUrl(text: string): StoreTarget {
  if (PGLITE_SCHEME.test(text)) {
    const dir = text.replace(PGLITE_SCHEME, "").replace(/^\/\/(?=\/)/, "");
    if (dir === "") {
      throw new UsageError(`Database URL "pglite:" names no directory: use pglite:<directory>`);
    }
    return { kind: "pglite", dir, display: `pglite:${dir}` };
  }
  const url = text.replace(DRIVER_SCHEME, "postgresql://");
  if (!POSTGRES_SCHEME.test(url)) {
    throw new UsageError(
      `Database URL "${redactUrl(text)}" is not supported: use ` +
        "postgresql://user:password@host:port/dbname or pglite:<directory>",
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
