/**
 * Creates the embedded store whole or not at all: written from the image of a new store
 * (sqlite_image.ts) under a temporary name beside it, synced once, then given the store's name by
 * a hard link, which fails when another process got there first (then its store is used, and
 * this one is dropped).
 *
 * Why not create it in place: SQLite syncs the disk at each step of a new file (the switch to
 * WAL through a rollback journal, the migration's commit, the closing checkpoint): ten fsyncs
 * for the first command on a new store, most of its cost (measured: 10 fsyncs, ~3.5 ms each on a
 * busy disk). Written whole under a name no other process opens, the store costs one write and
 * one fsync, and no process ever sees a half-created store, even after a crash.
 */
import {
  exists,
  fileNameOf,
  folderOf,
  refuseEarlierStore,
  refuseNetworkFileSystem,
} from "./sqlite_file_checks.ts";
import { embeddedStoreError } from "./sqlite_errors.ts";
import { HEAD_IMAGE } from "./sqlite_head_image.ts";
import { imageBytes } from "./sqlite_image.ts";
import { utcMicroseconds } from "./sqlite_store.ts";

export interface CreationOptions {
  /**
   * The store folder's names as folderEntries() gave them (it makes the folder; undefined when
   * the folder could not be listed).
   */
  folderEntries: ReadonlySet<string> | undefined;
}

/** Creates the store file at `path` unless it exists (or another process creates it first). */
export function createSqliteStore(path: string, options: CreationOptions): void {
  refuseEarlierStore(path, options.folderEntries);
  // Before anything is written: the store could not be used there (sqlite_file_checks.ts).
  refuseNetworkFileSystem(path);
  removeAbandonedCreations(path, options.folderEntries);
  // getRandomValues, not randomUUID, whose first use costs ~0.3 ms (measured).
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(16).padStart(8, "0");
  const temporary = `${path}${CREATING}${Deno.pid}-${random}`;
  // Synchronous throughout: an interrupt reaches main.ts's listener only after the finally block
  // has removed the temporary file; what a SIGKILL leaves, removeAbandonedCreations() removes.
  try {
    // The version table says when the store was made, as a migration run would have.
    const bytes = imageBytes(HEAD_IMAGE, utcMicroseconds());
    try {
      writeSynced(temporary, bytes);
      takeName(temporary, path);
    } catch (error) {
      throw embeddedStoreError({
        code: (error as { code?: string }).code === "ENOSPC" ? "disk-full" : "cannot-create",
        path,
        detail: (error as Error).message,
      }, error);
    }
  } finally {
    removeQuietly(temporary);
  }
}

const CREATING = ".creating-";

/**
 * Removes the temporary stores of creators that died (SIGKILL, a crash): older than a creation
 * ever takes, and either their process is gone or they are old. Not by process alone: a container
 * sharing the folder has other process ids.
 */
function removeAbandonedCreations(path: string, entries: ReadonlySet<string> | undefined): void {
  const folder = folderOf(path);
  const prefix = `${fileNameOf(path)}${CREATING}`;
  let names: string[];
  try {
    names = entries ? [...entries] : [...Deno.readDirSync(folder)].map((entry) => entry.name);
  } catch {
    return;
  }
  for (const name of names.filter((name) => name.startsWith(prefix))) {
    const file = `${folder}/${name}`;
    const age = Date.now() - (statQuietly(file)?.mtime?.getTime() ?? Date.now());
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    const gone = Number.isInteger(pid) && pid !== Deno.pid && exists("/proc/self") &&
      !exists(`/proc/${pid}`);
    if (age > 10_000 && (gone || age > 600_000)) removeQuietly(file);
  }
}

function statQuietly(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Writes `bytes` to a new file at `path`, on the disk before it returns. Mode 0644 (less the
 * umask), as SQLite creates a store: Deno's default 0666 would make it group-writable under a
 * umask of 002, and SQLite gives its -wal and -shm files the store's mode.
 */
function writeSynced(path: string, bytes: Uint8Array): void {
  const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o644 });
  try {
    for (let written = 0; written < bytes.length;) {
      written += file.writeSync(bytes.subarray(written));
    }
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
