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
  | {
    /** Another process held the migration lock longer than the lock timeout. */
    kind: "migration-lock";
    /** The lock timeout in force, as PostgreSQL shows it: `5s`. */
    lockTimeout: string;
    /** Who holds it now; null once it is released. */
    holder: LockHolder | null;
  };

/** A store failure; `cause` keeps the driver's error. */
export class StoreError extends DatabaseError {
  override name = "StoreError";
  readonly failure: StoreFailure;

  constructor(failure: StoreFailure, options?: ErrorOptions) {
    // Worded by the CLI; this text is for callers that do not (a script, a test).
    super(
      failure.kind === "database"
        ? `${failure.code}: ${failure.serverMessage}`
        : `Cannot take the migration lock within ${failure.lockTimeout}`,
      options,
    );
    this.failure = failure;
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
