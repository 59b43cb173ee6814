/**
 * The stat cache: on this machine, the SHA-256 of each model file keyed by what `stat` says of it
 * (device, inode, size, mtime, ctime), so that a re-run reads only the files that changed. It is
 * a SQLite file of its own (node:sqlite, write-ahead log), never the state database: another
 * machine's files have other inodes.
 */
import { DatabaseSync } from "node:sqlite";
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

/** A file's stat and the digest of the bytes read after it was taken, as 64 hex ASCII bytes. */
export interface CachedDigest {
  stat: FileStat;
  hex: Uint8Array;
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
        "SELECT entries FROM stat_bucket WHERE scope_dev = ? AND scope_ino = ?",
      ).all(scope.dev, scope.ino) as unknown as { entries: Uint8Array }[];
      return CachedEntries.decode(rows.map((row) => row.entries));
    } catch (error) {
      this.#log.debug(`The stat cache "${this.#path}" cannot be read (${messageOf(error)})`);
      return CachedEntries.decode([]);
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

/**
 * The entries of one folder, as read: the stats side by side in one Float64Array and the digests
 * in one byte array, found by path through one Map. 200,000 rows of node:sqlite took ~10 times as
 * long to read as these ~1,000 blobs (measured), and a hit copies its digest's bytes, no string.
 */
export class CachedEntries {
  #indexByPath: Map<string, number>;
  #stats: Float64Array;
  #hex: Uint8Array;

  private constructor(indexByPath: Map<string, number>, stats: Float64Array, hex: Uint8Array) {
    this.#indexByPath = indexByPath;
    this.#stats = stats;
    this.#hex = hex;
  }

  /** Joins buckets as stored. */
  static decode(blobs: readonly Uint8Array[]): CachedEntries {
    const views = blobs.map((blob) => bucketViews(blob));
    const total = views.reduce((sum, view) => sum + view.count, 0);
    const stats = new Float64Array(total * STAT_FIELDS);
    const hex = new Uint8Array(total * HEX_LENGTH);
    const indexByPath = new Map<string, number>();
    let at = 0;
    for (const view of views) {
      stats.set(view.stats, at * STAT_FIELDS);
      hex.set(view.hex, at * HEX_LENGTH);
      for (const path of view.paths()) indexByPath.set(path, at++);
    }
    return new CachedEntries(indexByPath, stats, hex);
  }

  /** The cached digest (64 hex ASCII bytes) of `path` if its entry has exactly this stat. */
  digestFor(path: string, stat: FileStat): Uint8Array | undefined {
    const index = this.#indexByPath.get(path);
    if (index === undefined) return undefined;
    const at = index * STAT_FIELDS;
    const stats = this.#stats;
    if (
      stats[at + 1] !== stat.ino || stats[at + 3] !== stat.mtimeMs ||
      stats[at + 4] !== stat.ctimeMs || stats[at + 2] !== stat.size || stats[at] !== stat.dev
    ) {
      return undefined;
    }
    return this.#hex.subarray(index * HEX_LENGTH, (index + 1) * HEX_LENGTH);
  }
}

const STAT_FIELDS = 5;
const HEX_LENGTH = 64;
/** Entries are spread over this many rows a folder: a change rewrites one, ~1/1024 of them. */
const BUCKETS = 1024;
const HEADER_BYTES = 8;

/** FNV-1a of the path's UTF-16 units: the row that holds its entry. */
function bucketOf(path: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % BUCKETS;
}

/**
 * A bucket's blob: entry count and path bytes (two u32), the stats (dev, ino, size, mtime, ctime
 * as float64: exact up to 2^53), the digests' hex bytes, then the paths joined by NUL, which no
 * path holds.
 */
function encodeBucket(entries: Map<string, CachedDigest>): Uint8Array {
  const paths = new TextEncoder().encode([...entries.keys()].join("\0"));
  const count = entries.size;
  const blob = new Uint8Array(HEADER_BYTES + count * (STAT_FIELDS * 8 + HEX_LENGTH) + paths.length);
  new Uint32Array(blob.buffer, 0, 2).set([count, paths.length]);
  const stats = new Float64Array(blob.buffer, HEADER_BYTES, count * STAT_FIELDS);
  const hexStart = HEADER_BYTES + count * STAT_FIELDS * 8;
  let i = 0;
  for (const { stat, hex } of entries.values()) {
    stats.set([stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs], i * STAT_FIELDS);
    blob.set(hex, hexStart + i * HEX_LENGTH);
    i++;
  }
  blob.set(paths, hexStart + count * HEX_LENGTH);
  return blob;
}

function decodeBucket(blob: Uint8Array): Map<string, CachedDigest> {
  const view = bucketViews(blob);
  const entries = new Map<string, CachedDigest>();
  view.paths().forEach((path, i) => {
    const [dev, ino, size, mtimeMs, ctimeMs] = view.stats.subarray(
      i * STAT_FIELDS,
      (i + 1) * STAT_FIELDS,
    );
    entries.set(path, {
      stat: { dev, ino, size, mtimeMs, ctimeMs },
      hex: view.hex.slice(i * HEX_LENGTH, (i + 1) * HEX_LENGTH),
    });
  });
  return entries;
}

/** A bucket that does not decode is rewritten from this run's entries: it is repaired, not kept. */
function decodeBucketOrNothing(blob: Uint8Array): Map<string, CachedDigest> {
  try {
    return decodeBucket(blob);
  } catch {
    return new Map();
  }
}

/** Views into a bucket's blob; throws when its lengths do not add up (a corrupt cache). */
function bucketViews(stored: Uint8Array) {
  // Float64Array needs an offset that is a multiple of 8.
  const blob = stored.byteOffset % 8 === 0 ? stored : stored.slice();
  const [count, pathBytes] = new Uint32Array(blob.buffer, blob.byteOffset, 2);
  const hexStart = HEADER_BYTES + count * STAT_FIELDS * 8;
  const pathStart = hexStart + count * HEX_LENGTH;
  if (blob.length < HEADER_BYTES || pathStart + pathBytes !== blob.length) {
    throw new Error("a bucket's lengths do not add up");
  }
  return {
    count,
    stats: new Float64Array(blob.buffer, blob.byteOffset + HEADER_BYTES, count * STAT_FIELDS),
    hex: blob.subarray(hexStart, pathStart),
    paths(): string[] {
      const paths = new TextDecoder().decode(blob.subarray(pathStart)).split("\0");
      if (paths.length !== count) throw new Error("a bucket's paths do not add up");
      return paths;
    },
  };
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
