/**
 * The stat cache: on this machine, the SHA-256 of each model file keyed by what `stat` says of it
 * (device, inode, size, mtime, ctime), so that a re-run reads only the files that changed. It is
 * a SQLite file of its own (node:sqlite, write-ahead log), never the state database: another
 * machine's files have other inodes.
 */
import { DatabaseSync } from "node:sqlite";
import type { Log } from "../log.ts";
import { isSafelyOlder } from "./file_stat.ts";
import {
  bucketOf,
  type CachedDigest,
  CachedEntries,
  decodeBucketOrNothing,
  encodeBucket,
} from "./stat_bucket.ts";

/**
 * Bumped whenever the table or the meaning of a column changes: an older cache is rebuilt.
 * 2: a bucket's entries sorted by path hash, read in place (1: one Map of every path).
 */
export const STAT_CACHE_VERSION = 2;

/** How long a writer waits for another process's write before leaving the cache as it is. */
const BUSY_TIMEOUT_MS = 5_000;

/** The folder whose files' relative paths key the entries: its device and inode. */
export interface CacheScope {
  dev: number;
  ino: number;
}

/**
 * One cache file, open. Every failure to read or write it is logged at DEBUG and otherwise
 * ignored: the cache only ever saves reading, a file it cannot vouch for is read.
 */
export class StatCache implements Disposable {
  #db: DatabaseSync;
  #path: string;
  #log: Log;

  private constructor(db: DatabaseSync, path: string, log: Log) {
    this.#db = db;
    this.#path = path;
    this.#log = log;
  }

  /**
   * Opens the cache at `path`, creating it and its folder when missing, and rebuilding it when it
   * is corrupt, foreign or of another version; null (after one DEBUG line) when it cannot be used.
   */
  static open(path: string, log: Log): StatCache | null {
    try {
      const onNew = () => log.debug(`The stat cache "${path}" is new: every file is read once`);
      return new StatCache(openCacheFile(path, onNew), path, log);
    } catch (error) {
      log.debug(`The stat cache "${path}" cannot be used (${messageOf(error)}): rebuilding it`);
    }
    try {
      for (const suffix of ["", "-wal", "-shm"]) removeIfPresent(`${path}${suffix}`);
      return new StatCache(openCacheFile(path), path, log);
    } catch (error) {
      log.debug(
        `The stat cache "${path}" cannot be rebuilt (${messageOf(error)}): every file is read`,
      );
      return null;
    }
  }

  /** The cached digests of the files under one folder, read in one query. */
  entries(scope: CacheScope): CachedEntries {
    try {
      const rows = this.#db.prepare(
        "SELECT bucket, entries FROM stat_bucket WHERE scope_dev = ? AND scope_ino = ?",
      ).all(scope.dev, scope.ino) as unknown as { bucket: number; entries: Uint8Array }[];
      return CachedEntries.decode(rows);
    } catch (error) {
      this.#log.debug(`The stat cache "${this.#path}" cannot be read (${messageOf(error)})`);
      return CachedEntries.empty();
    }
  }

  /**
   * Records freshly read digests in one transaction: those whose stat passes the racy guard are
   * kept, the others' paths are forgotten. Called only after the step is committed.
   */
  record(
    scope: CacheScope,
    read: Iterable<{ path: string; digest: CachedDigest | null }>,
    readStartedMs: number,
  ): void {
    const changesByBucket = new Map<number, Map<string, CachedDigest | null>>();
    for (const { path, digest } of read) {
      const bucket = bucketOf(path);
      let changes = changesByBucket.get(bucket);
      if (changes === undefined) changesByBucket.set(bucket, changes = new Map());
      changes.set(
        path,
        digest !== null && isSafelyOlder(digest.stat, readStartedMs) ? digest : null,
      );
    }
    try {
      const select = this.#db.prepare(
        "SELECT entries FROM stat_bucket WHERE scope_dev = ? AND scope_ino = ? AND bucket = ?",
      );
      const upsert = this.#db.prepare(
        "INSERT OR REPLACE INTO stat_bucket (scope_dev, scope_ino, bucket, entries) VALUES (?, ?, ?, ?)",
      );
      const remove = this.#db.prepare(
        "DELETE FROM stat_bucket WHERE scope_dev = ? AND scope_ino = ? AND bucket = ?",
      );
      // Read, changed and written back inside one write transaction: another process's entries
      // in the same bucket, written meanwhile, are kept.
      this.#inTransaction(() => {
        for (const [bucket, changes] of changesByBucket) {
          const row = select.get(scope.dev, scope.ino, bucket) as
            | { entries: Uint8Array }
            | undefined;
          const entries = row === undefined ? new Map() : decodeBucketOrNothing(row.entries);
          for (const [path, digest] of changes) {
            if (digest === null) entries.delete(path);
            else entries.set(path, digest);
          }
          if (entries.size === 0) remove.run(scope.dev, scope.ino, bucket);
          else upsert.run(scope.dev, scope.ino, bucket, encodeBucket(entries));
        }
      });
    } catch (error) {
      this.#log.debug(`The stat cache "${this.#path}" was not updated (${messageOf(error)})`);
    }
  }

  [Symbol.dispose](): void {
    try {
      this.#db.close();
    } catch {
      // Closing a cache is never worth a failure.
    }
  }

  #inTransaction(work: () => void): void {
    // IMMEDIATE: the write lock up front, so that two dpo processes wait, not deadlock.
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      work();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

/** Opens the cache file and checks (or creates) its table; throws when it is not dpo's. */
function openCacheFile(path: string, onNew: () => void = () => {}): DatabaseSync {
  Deno.mkdirSync(path.slice(0, Math.max(0, path.lastIndexOf("/"))) || ".", { recursive: true });
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    // Losing the last writes to a power cut costs a re-read, never a wrong digest: entries are
    // written after the step commits and each is checked against the file's stat.
    db.exec("PRAGMA synchronous = NORMAL");
    const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    if (version === 0) {
      onNew();
      createTable(db);
    } else if (version !== STAT_CACHE_VERSION) {
      throw new Error(`version ${version}, this dpo writes version ${STAT_CACHE_VERSION}`);
    }
    // A file that only looks like the cache fails here rather than at the first lookup.
    db.prepare("SELECT scope_dev, scope_ino, bucket, entries FROM stat_bucket LIMIT 1").all();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function createTable(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    // Another process may have created it while this one waited for the lock.
    db.exec(`
      CREATE TABLE IF NOT EXISTS stat_bucket (
        scope_dev INTEGER NOT NULL,
        scope_ino INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        entries BLOB NOT NULL,
        PRIMARY KEY (scope_dev, scope_ino, bucket)
      ) WITHOUT ROWID;
      PRAGMA user_version = ${STAT_CACHE_VERSION};`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
