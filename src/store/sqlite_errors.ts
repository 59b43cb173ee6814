/** What failed in the embedded store's file, from SQLite's result codes. */
import { DatabaseError } from "../errors.ts";
import { type EmbeddedStoreCode, type EmbeddedStoreFailure, StoreError } from "./store_error.ts";

// SQLite's primary result codes (https://sqlite.org/rescode.html); node:sqlite reports extended
// ones in errcode, whose low byte is the primary.
const SQLITE_BUSY = 5;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_PROTOCOL = 15;
const SQLITE_NOTADB = 26;

function resultCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown })?.errcode;
  return typeof code === "number" ? code & 0xff : undefined;
}

export function isBusy(error: unknown): boolean {
  return resultCode(error) === SQLITE_BUSY;
}

/**
 * The file's failure as a StoreError naming what happened (the CLI words it); dpo's own errors
 * and errors that are not SQLite's pass through unchanged.
 */
export function translateSqliteError(error: unknown, path: string): unknown {
  if (!(error instanceof Error) || error instanceof DatabaseError) return error;
  const code = resultCode(error);
  // node:sqlite's exec() throws without a result code: still the store's failure, in one line.
  if (code === undefined && (error as { code?: unknown }).code !== "ERR_SQLITE_ERROR") {
    return error;
  }
  return embeddedStoreError(
    {
      code: code === undefined ? "other" : RESULT_CODES[code] ?? "other",
      path,
      detail: error.message,
    },
    error,
  );
}

const RESULT_CODES: Record<number, EmbeddedStoreCode> = {
  [SQLITE_BUSY]: "busy",
  [SQLITE_NOTADB]: "not-sqlite",
  [SQLITE_CORRUPT]: "damaged",
  [SQLITE_READONLY]: "read-only",
  [SQLITE_CANTOPEN]: "cannot-open",
  [SQLITE_FULL]: "disk-full",
  [SQLITE_IOERR]: "io",
  [SQLITE_PROTOCOL]: "io",
};

/** A failure of the embedded store's file, as the CLI words it (cli/embedded_store_errors.ts). */
export function embeddedStoreError(
  failure: Omit<EmbeddedStoreFailure, "kind">,
  cause?: unknown,
): StoreError {
  return new StoreError({ kind: "embedded", ...failure }, { cause });
}
