/**
 * Creates the embedded store whole or not at all: built and migrated under a temporary name
 * beside it, synced once, then given the store's name by a hard link, which fails when another
 * process got there first (then its store is used, and this one is dropped).
 *
 * Why not create it in place: SQLite syncs the disk at each step of a new file (the switch to
 * WAL through a rollback journal, the migration's commit, the closing checkpoint): ten fsyncs
 * for the first command on a new store, most of its cost (measured: 10 fsyncs, ~3.5 ms each on a
 * busy disk). Built without a journal and without syncs under a name no other process opens,
 * then switched to WAL, the store costs one fsync, and no process ever sees a half-created
 * store, even after a crash.
 */
import { DatabaseError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Store } from "./database.ts";
import { exists } from "./sqlite_file_checks.ts";
import { openSqliteStore } from "./sqlite_store.ts";

export interface CreationOptions {
  busyTimeoutSeconds: number;
  log: Log;
  /** Brings the new store's schema to the head revision. */
  migrate: (store: Store) => Promise<unknown>;
}

/** Creates the store file at `path` unless it exists (or another process creates it first). */
export async function createSqliteStore(path: string, options: CreationOptions): Promise<void> {
  const temporary = `${path}.creating-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const store = openSqliteStore({ ...options, path, file: temporary, building: true });
    try {
      await options.migrate(store);
      // Recorded in the file's header: every later open finds the store in WAL mode.
      const [{ journal_mode }] = await store.query<{ journal_mode: string }>(
        "PRAGMA journal_mode = WAL",
      );
      if (journal_mode !== "wal") {
        throw new DatabaseError(
          `The embedded store "${path}" cannot use SQLite's write-ahead log (journal mode ` +
            `"${journal_mode}"): put it on a local disk (network file systems are not supported)`,
        );
      }
    } finally {
      await store.close();
    }
    try {
      syncFile(temporary);
      takeName(temporary, path);
    } catch (error) {
      throw new DatabaseError(
        `Cannot create the embedded store "${path}": ${(error as Error).message}`,
        { cause: error },
      );
    }
  } finally {
    removeQuietly(temporary);
  }
}

function syncFile(path: string): void {
  const file = Deno.openSync(path, { read: true, write: true });
  try {
    file.syncSync();
  } finally {
    file.close();
  }
}

/**
 * Links the new store under its name. The link's directory entry is made durable by the first
 * write to the store: SQLite syncs the folder when it creates the write-ahead log there.
 */
function takeName(temporary: string, path: string): void {
  try {
    Deno.linkSync(temporary, path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    // A file system without hard links: rename, unless the store appeared meanwhile.
    if (!exists(path)) Deno.renameSync(temporary, path);
  }
}

function removeQuietly(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      Deno.removeSync(file);
    } catch {
      // Already gone (renamed into place, or never written).
    }
  }
}
