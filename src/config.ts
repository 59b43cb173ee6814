/** Where dpo keeps its state: which store a command opens, and how to show it without secrets. */
import { UsageError } from "./errors.ts";
import { parsePostgresUrl, type PostgresSettings } from "./postgres_url.ts";
import { redactUrl } from "./redaction.ts";

/** The directory of the embedded store when no database is named. */
export const DEFAULT_EMBEDDED_DIR = ".dpo";

/** The environment variable that names the database, so that passwords need not sit in argv. */
export const DATABASE_URL_ENV = "DPO_DATABASE_URL";

/**
 * A PostgreSQL server (its URL read once, with libpq's variables), or an embedded PGlite store in
 * a directory.
 */
export type StoreTarget =
  | { kind: "postgres"; settings: PostgresSettings; display: string }
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
  const settings = parsePostgresUrl(url);
  return { kind: "postgres", settings, display: settings.display };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
