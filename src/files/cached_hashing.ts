/** Hashing that reads only the files whose stat differs from the stat cache's entry. */
import type { HashPool, HashProgress } from "./hash_pool.ts";
import { Sha256Digests } from "./sha256_digests.ts";
import { type FileStat, STAT_FIELDS, statAll, statAt, statFile } from "./file_stat.ts";
import type { CacheScope, StatCache } from "./stat_cache.ts";

/** Files a worker stats at a time: ~40 µs of messaging for ~4 ms of `stat` calls. */
const STAT_BATCH_FILES = 1_024;

/** The digests of a list of files, and what to tell the cache once they are safely stored. */
export interface CachedHashing {
  digests: Sha256Digests;
  /** How many files the cache vouched for (not read). */
  unchanged: number;
  /** Writes the digests read in this run into the cache; call it after the step commits. */
  record(): void;
}

/**
 * The stats of the files a walk finds, taken while it goes on: once the pool has started its
 * workers (HashPool.expect(), at its threshold), each batch of files found goes to a worker, so
 * that the `stat` calls (~4 µs a file) run beside the walk's own listing instead of after it.
 * Files found before the workers start and after the last full batch are stat'ed on this thread.
 */
export class StatScan {
  /** Before the first stat: every file read later is read after this moment (the racy guard). */
  readonly readStartedMs = Date.now();
  #pool: HashPool;
  #basePath: string;
  #found: string[] = [];
  /** Built only for a caller that does not say where its paths stood in the walk. */
  #indexByPath: Map<string, number> | undefined;
  /** The files found before this index are sent to a worker. */
  #sent = 0;
  #batches: Promise<{ start: number; stats: Float64Array } | { error: unknown }>[] = [];

  constructor(pool: HashPool, basePath: string) {
    this.#pool = pool;
    this.#basePath = basePath;
  }

  /** Told of each file the walk finds (glob.ts' onFileFound). */
  readonly found = (_count: number, path: string): void => {
    this.#found.push(path);
    this.#pool.expect(this.#found.length);
    if (this.#found.length - this.#sent >= STAT_BATCH_FILES) this.#sendBatch();
  };

  /**
   * The stats of `paths` (statAll()'s numbers), all of them found by the walk or not;
   * `listedIndexes`, when given, says where each stood in the walk's order (no lookup by path).
   */
  async statsOf(paths: readonly string[], listedIndexes?: Uint32Array): Promise<Float64Array> {
    this.#sendBatch();
    const byWalk = new Float64Array(this.#found.length * STAT_FIELDS);
    byWalk.set(statAll(this.#basePath, this.#found.slice(this.#sent)), this.#sent * STAT_FIELDS);
    for (const batch of await Promise.all(this.#batches)) {
      if ("error" in batch) throw batch.error;
      byWalk.set(batch.stats, batch.start * STAT_FIELDS);
    }
    const stats = new Float64Array(paths.length * STAT_FIELDS);
    for (let i = 0; i < paths.length; i++) {
      const index = this.#walkIndexOf(paths[i], listedIndexes?.[i]);
      const from = index === undefined ? statAll(this.#basePath, [paths[i]]) : byWalk;
      const at = index === undefined ? 0 : index * STAT_FIELDS;
      for (let field = 0; field < STAT_FIELDS; field++) {
        stats[i * STAT_FIELDS + field] = from[at + field];
      }
    }
    return stats;
  }

  /**
   * Where the walk found `path`: the index given when it names the same path (checked: a stat
   * paired with another file's digest would be a stale entry), else looked up by path.
   */
  #walkIndexOf(path: string, given: number | undefined): number | undefined {
    if (given !== undefined && this.#found[given] === path) return given;
    if (this.#indexByPath === undefined) {
      this.#indexByPath = new Map(this.#found.map((found, index) => [found, index]));
    }
    return this.#indexByPath.get(path);
  }

  #sendBatch(): void {
    // Without workers (yet, or on one core) the files wait here, never copied again and again.
    if (this.#sent === this.#found.length || this.#pool.workers === 0) return;
    const stats = this.#pool.statOnWorker(this.#found.slice(this.#sent))!;
    const start = this.#sent;
    this.#sent = this.#found.length;
    // Settled at once: a walk that fails later leaves no rejection unhandled.
    this.#batches.push(stats.then((stats) => ({ start, stats }), (error) => ({ error })));
  }
}

/**
 * The SHA-256 of each file (paths relative to `basePath`), in the order given: a file whose stat
 * (taken by `scan`) equals its cache entry is not read, the others go to the pool.
 */
export async function hashWithStatCache(
  paths: readonly string[],
  { pool, cache, scan, basePath, listedIndexes, onProgress = () => {} }: {
    pool: HashPool;
    cache: StatCache;
    scan: StatScan;
    basePath: string;
    /** Where each path stood in the walk's order (model_names.ts' modelsInNameOrder()). */
    listedIndexes?: Uint32Array;
    onProgress?: HashProgress;
  },
): Promise<CachedHashing> {
  const scope = folderScope(basePath);
  const cached = cache.entries(scope);
  const stats = await scan.statsOf(paths, listedIndexes);
  const digests = new Sha256Digests(paths.length);
  const missIndexes = cached.copyDigests(paths, stats, digests);
  const unchanged = paths.length - missIndexes.length;
  if (unchanged > 0) onProgress({ files: unchanged, bytes: 0 });
  // Nothing to read, nothing to load: hashing on this thread would import node:crypto (~30 ms).
  const read = missIndexes.length === 0
    ? new Sha256Digests(0)
    : await pool.hash(missIndexes.map((i) => paths[i]), onProgress);
  missIndexes.forEach((index, j) => digests.setHexBytes(index, read.hexBytesAt(j)));
  return {
    digests,
    unchanged,
    record: () =>
      cache.record(
        scope,
        missIndexes.map((index, j) => {
          const stat = statAt(stats, index * STAT_FIELDS);
          return { path: paths[index], digest: stat && { stat, hex: read.hexBytesAt(j) } };
        }),
        scan.readStartedMs,
      ),
  };
}

/**
 * The base folder's device and inode: entries stay valid when the folder is moved (its files keep
 * their inodes), and two folders with the same relative paths keep apart.
 */
function folderScope(basePath: string): CacheScope {
  let stat: FileStat | null = null;
  try {
    stat = statFile(basePath);
  } catch {
    // A base path that cannot be stat'ed has been refused by the walk already.
  }
  return { dev: stat?.dev ?? -1, ino: stat?.ino ?? -1 };
}
