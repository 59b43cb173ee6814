/**
 * The words for the embedded store's failures (store/sqlite_errors.ts): one line each, saying
 * what happened to the file and what to do next, the flag that cures it included.
 */
import type { EmbeddedStoreCode, EmbeddedStoreFailure } from "../store/store_error.ts";

/** The one line for a failure of the embedded store's file. */
export function embeddedStoreText(failure: EmbeddedStoreFailure): string {
  return EMBEDDED_TEXTS[failure.code](failure, `The embedded store "${failure.path}"`);
}

const EMBEDDED_TEXTS: Record<
  EmbeddedStoreCode,
  (failure: EmbeddedStoreFailure, store: string) => string
> = {
  "busy": (_, store) =>
    `${store} stayed locked by another dpo process: retry later or raise --connect-timeout`,
  "busy-timeout": ({ waitedSeconds }, store) =>
    `${store} stayed busy with another dpo process's write for ${waitedSeconds} s: retry later ` +
    "or raise --connect-timeout",
  "not-sqlite": ({ detail }, store) =>
    `${store} is not a SQLite database (${detail}): name the right file with ` +
    "--db sqlite:<file>, or move this one aside",
  "damaged": ({ detail }, store) =>
    `${store} is damaged (${detail}): restore it from a backup, or move it aside to start afresh`,
  "read-only": ({ detail }, store) =>
    `${store} cannot be written (${detail}): give this user write access to the file and its ` +
    "folder",
  "cannot-open": ({ path, detail }) =>
    `Cannot open the embedded store "${path}" (${detail}): check that the path names a file in ` +
    "a folder this user may write",
  "disk-full": (_, store) =>
    `${store} could not be written: the disk is full; nothing was written: free some space and ` +
    "run the command again",
  "io": ({ detail }, store) =>
    `${store} could not be read or written (${detail}): keep it on a local disk (network file ` +
    "systems are not supported) and check the disk",
  "no-wal": ({ detail }, store) =>
    `${store} cannot use SQLite's write-ahead log (journal mode "${detail}"): put it on a local ` +
    "disk (network file systems are not supported)",
  "network-file-system": ({ detail }, store) =>
    `${store} is on a network file system (${detail}), where SQLite's write-ahead log is not ` +
    "safe: keep it on a local disk (--db sqlite:<file>), or use a PostgreSQL server",
  "earlier-pglite": ({ path }) =>
    `The folder "${path}" holds the embedded store of an earlier dpo (PGlite), which this dpo ` +
    "no longer reads; it would otherwise start an empty store and report every model as new: " +
    `keep using the earlier dpo on it, or move "${path}/pgdata" aside to start afresh`,
  "cannot-create-folder": ({ path, detail }) =>
    `Cannot create the folder of the embedded store "${path}" (${detail}): name a file in a ` +
    "folder this user may create, with --db sqlite:<file>",
  "cannot-create": ({ path, detail }) =>
    `Cannot create the embedded store "${path}" (${detail}): check that this user may write ` +
    "in its folder and that the disk has room",
  "other": ({ detail }, store) => `${store} failed: ${detail}`,
};
