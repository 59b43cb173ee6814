/**
 * The stat cache: on this machine, the SHA-256 of each model file keyed by what `stat` says of it
 * (device, inode, size, mtime, ctime), so that a re-run reads only the files that changed. It is
 * a SQLite file of its own (node:sqlite, write-ahead log), never the state database: another
 * machine's files have other inodes.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Log } from "../log.ts";

/** Bumped whenever the table or the meaning of a column changes: an older cache is rebuilt. */
export const STAT_CACHE_VERSION = 1;

/** The file name of the cache, beside the embedded store or in the user's cache folder. */
export const STAT_CACHE_FILE = "stat-cache.sqlite";

/** How long a writer waits for another process's write before leaving the cache as it is. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Added to every timestamp's resolution in the racy guard: Linux stamps files with a clock that
 * advances once per tick (1–10 ms), so a file written just after dpo read the clock can carry a
 * slightly earlier time.
 */
const CLOCK_TICK_MARGIN_MS = 100;

/**
 * The resolution assumed for a timestamp that falls on a whole second: it may come from a file
 * system that keeps seconds (ext3, HFS+) or two (FAT), or from Deno, whose `ctime` has whole
 * seconds only (Deno 2.9: the nanoseconds are dropped, and no API with dpo's permissions has them).
 */
const WHOLE_SECOND_RESOLUTION_MS = 2_000;

/** What the cache compares of a file: any difference in any field means it is read again. */
export interface FileStat {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A file's stat and the digest of the bytes read after it was taken. */
export interface CachedDigest extends FileStat {
  sha256: string;
}

/** The folder whose files' relative paths key the entries: its device and inode. */
export interface CacheScope {
  dev: number;
  ino: number;
}

/**
 * The stat of a file (symbolic links followed, as the hashing follows them), or null when the
 * platform does not give every field: such a file is always read.
 */
export function statFile(path: string): FileStat | null {
  const info = Deno.statSync(path);
  const mtimeMs = info.mtime?.getTime();
  const ctimeMs = info.ctime?.getTime();
  if (info.dev === null || info.ino === null || mtimeMs === undefined || ctimeMs === undefined) {
    return null;
  }
  return { dev: info.dev, ino: info.ino, size: info.size, mtimeMs, ctimeMs };
}

/** True when both stats have the same value in every field. */
export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs &&
    a.size === b.size && a.dev === b.dev;
}

/**
 * git's racy-git rule: a stat taken at `readStartedMs` or later may be trusted next time only when
 * its mtime and ctime are safely older than that moment. A file changed after it was read then
 * carries a later time; one changed within the same timestamp tick as the stat would look the same.
 */
export function isSafelyOlder(stat: FileStat, readStartedMs: number): boolean {
  return [stat.mtimeMs, stat.ctimeMs].every((time) =>
    time + resolutionOf(time) + CLOCK_TICK_MARGIN_MS <= readStartedMs
  );
}

function resolutionOf(timeMs: number): number {
  return timeMs % 1000 === 0 ? WHOLE_SECOND_RESOLUTION_MS : 1;
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
      return new StatCache(openCacheFile(path), path, log);
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

  /** The cached digests of the files under one folder, by relative path, read in one query. */
  entries(scope: CacheScope): Map<string, CachedDigest> {
    const entries = new Map<string, CachedDigest>();
    try {
      const rows = this.#db.prepare(
        `SELECT path, dev, ino, size, mtime_ms AS mtimeMs, ctime_ms AS ctimeMs, sha256
           FROM stat_entry WHERE scope_dev = ? AND scope_ino = ?`,
      ).all(scope.dev, scope.ino) as unknown as (CachedDigest & { path: string })[];
      for (const row of rows) entries.set(row.path, row);
    } catch (error) {
      this.#log.debug(`The stat cache "${this.#path}" cannot be read (${messageOf(error)})`);
      entries.clear();
    }
    return entries;
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
    try {
      const upsert = this.#db.prepare(
        `INSERT OR REPLACE INTO stat_entry
           (scope_dev, scope_ino, path, dev, ino, size, mtime_ms, ctime_ms, sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const forget = this.#db.prepare(
        "DELETE FROM stat_entry WHERE scope_dev = ? AND scope_ino = ? AND path = ?",
      );
      this.#inTransaction(() => {
        for (const { path, digest } of read) {
          if (digest !== null && isSafelyOlder(digest, readStartedMs)) {
            upsertDigest(upsert, scope, path, digest);
          } else {
            forget.run(scope.dev, scope.ino, path);
          }
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

function upsertDigest(
  upsert: StatementSync,
  scope: CacheScope,
  path: string,
  digest: CachedDigest,
): void {
  upsert.run(
    scope.dev,
    scope.ino,
    path,
    digest.dev,
    digest.ino,
    digest.size,
    digest.mtimeMs,
    digest.ctimeMs,
    digest.sha256,
  );
}

/** Opens the cache file and checks (or creates) its table; throws when it is not dpo's. */
function openCacheFile(path: string): DatabaseSync {
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
      createTable(db);
    } else if (version !== STAT_CACHE_VERSION) {
      throw new Error(`version ${version}, this dpo writes version ${STAT_CACHE_VERSION}`);
    }
    // A file that only looks like the cache fails here rather than at the first lookup.
    db.prepare("SELECT path, sha256 FROM stat_entry LIMIT 1").all();
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
      CREATE TABLE IF NOT EXISTS stat_entry (
        scope_dev INTEGER NOT NULL,
        scope_ino INTEGER NOT NULL,
        path TEXT NOT NULL,
        dev INTEGER NOT NULL,
        ino INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        ctime_ms INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (scope_dev, scope_ino, path)
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
