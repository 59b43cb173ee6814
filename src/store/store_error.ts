/**
 * The store's failures as what happened, a code and its values, for the CLI to word
 * (cli/store_errors.ts): the store knows which failure it met, not which flag or command cures it.
 */
import { DatabaseError } from "../errors.ts";

/** The session holding dpo's migration lock, as pg_stat_activity shows it. */
export interface LockHolder {
  pid: number;
  applicationName: string | null;
  user: string | null;
}

/** What went wrong. */
export type StoreFailure =
  | {
    /** The database or its driver failed with a code: a SQLSTATE, or the driver's own. */
    kind: "database";
    /** `ECONNREFUSED`, `CERT_HAS_EXPIRED`, `STATEMENT_DEADLINE`, `28P01`… */
    code: string;
    /** The server's or driver's own words, unredacted. */
    serverMessage: string;
    /** The statement timeout the store set (--statement-timeout), in seconds. */
    statementTimeoutSeconds?: number;
  }
  | EmbeddedStoreFailure
  | {
    /** Another process held the migration lock longer than the lock timeout. */
    kind: "migration-lock";
    /** The lock timeout in force, as PostgreSQL shows it: `5s`. */
    lockTimeout: string;
    /** Who holds it now; null once it is released. */
    holder: LockHolder | null;
  };

/** How the embedded store's file failed: SQLite's result code, or a check dpo made first. */
export type EmbeddedStoreCode =
  | "busy" // another process held the write lock past SQLite's own busy timeout
  | "busy-timeout" // another process's write lasted longer than the wait dpo allows
  | "not-sqlite"
  | "damaged"
  | "read-only"
  | "cannot-open"
  | "disk-full"
  | "io" // a read or write of the file failed (a network file system, a failing disk)
  | "no-wal" // the file system cannot keep SQLite's write-ahead log
  | "network-file-system"
  | "earlier-pglite" // the folder holds the PGlite store of an earlier dpo
  | "cannot-create-folder"
  | "cannot-create"
  | "other";

export interface EmbeddedStoreFailure {
  kind: "embedded";
  code: EmbeddedStoreCode;
  /** The store's file (for "earlier-pglite", its folder). */
  path: string;
  /**
   * SQLite's or the file system's own words; for "network-file-system" the file system's type,
   * for "no-wal" the journal mode SQLite kept.
   */
  detail: string;
  /** For "busy-timeout": how long dpo waited (--connect-timeout), in seconds. */
  waitedSeconds?: number;
}

/** A store failure; `cause` keeps the driver's error. */
export class StoreError extends DatabaseError {
  override name = "StoreError";
  readonly failure: StoreFailure;

  constructor(failure: StoreFailure, options?: ErrorOptions) {
    // Worded by the CLI; this text is for callers that do not (a script, a test).
    super(fallbackText(failure), options);
    this.failure = failure;
  }
}

function fallbackText(failure: StoreFailure): string {
  switch (failure.kind) {
    case "database":
      return `${failure.code}: ${failure.serverMessage}`;
    case "embedded":
      return `The embedded store "${failure.path}" failed (${failure.code}): ${failure.detail}`;
    case "migration-lock":
      return `Cannot take the migration lock within ${failure.lockTimeout}`;
  }
}

/**
 * The driver's error as a StoreError when it carries a code (PostgreSQL's SQLSTATE, or
 * postgres.js's and Node's codes); dpo's own errors and code-less ones pass through unchanged.
 */
export function asStoreError(error: unknown, statementTimeoutSeconds?: number): unknown {
  if (!(error instanceof Error) || error instanceof DatabaseError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return error;
  return new StoreError({
    kind: "database",
    code,
    serverMessage: error.message ?? "",
    statementTimeoutSeconds,
  }, { cause: error });
}
