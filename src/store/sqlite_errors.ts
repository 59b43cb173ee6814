/** One clear line for each way the embedded store's file can fail, from SQLite's result codes. */
import { DatabaseError } from "../errors.ts";

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

/** One clear line for each way the store's file can fail; other errors pass through unchanged. */
export function translateSqliteError(error: unknown, path: string): unknown {
  if (!(error instanceof Error) || error instanceof DatabaseError) return error;
  const code = resultCode(error);
  const store = `The embedded store "${path}"`;
  // node:sqlite's exec() throws without a result code: still the store's failure, in one line.
  if (code === undefined) {
    const fromSqlite = (error as { code?: unknown }).code === "ERR_SQLITE_ERROR";
    return fromSqlite
      ? new DatabaseError(`${store} failed: ${error.message}`, { cause: error })
      : error;
  }
  const make = (text: string) => new DatabaseError(text, { cause: error });
  switch (code) {
    case SQLITE_BUSY:
      return make(
        `${store} stayed locked by another dpo process: retry later or raise --connect-timeout`,
      );
    case SQLITE_NOTADB:
      return make(
        `${store} is not a SQLite database (${error.message}): name the right file with ` +
          "--db sqlite:<file>, or move this one aside",
      );
    case SQLITE_CORRUPT:
      return make(
        `${store} is damaged (${error.message}): restore it from a backup, or move it aside to ` +
          "start afresh",
      );
    case SQLITE_READONLY:
      return make(
        `${store} cannot be written (${error.message}): give this user write access to the ` +
          "file and its folder",
      );
    case SQLITE_CANTOPEN:
      return make(
        `Cannot open ${store.charAt(0).toLowerCase()}${store.slice(1)} (${error.message}): ` +
          "check that the path names a file in a folder this user may write",
      );
    case SQLITE_FULL:
      return make(
        `${store} could not be written: the disk is full; nothing was written: free some ` +
          "space and run the command again",
      );
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return make(
        `${store} could not be read or written (${error.message}): keep it on a local disk ` +
          "(network file systems are not supported) and check the disk",
      );
  }
  return make(`${store} failed: ${error.message}`);
}
