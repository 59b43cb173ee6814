/** Hashing that reads only the files whose stat differs from the stat cache's entry. */
import type { HashPool, HashProgress } from "./hash_pool.ts";
import { Sha256Digests } from "./sha256_digests.ts";
import { type CacheScope, type FileStat, type StatCache, statFile } from "./stat_cache.ts";

/** The digests of a list of files, and what to tell the cache once they are safely stored. */
export interface CachedHashing {
  digests: Sha256Digests;
  /** How many files the cache vouched for (not read). */
  unchanged: number;
  /** Writes the digests read in this run into the cache; call it after the step commits. */
  record(): void;
}

/**
 * The SHA-256 of each file (paths relative to `basePath`), in the order given: each file is
 * stat'ed first, one whose stat equals its cache entry is not read, the others go to the pool.
 */
export async function hashWithStatCache(
  paths: readonly string[],
  { pool, cache, basePath, onProgress = () => {} }: {
    pool: HashPool;
    cache: StatCache;
    basePath: string;
    onProgress?: HashProgress;
  },
): Promise<CachedHashing> {
  const scope = folderScope(basePath);
  // Before the first stat: every file read later is read after this moment (the racy guard).
  const readStartedMs = Date.now();
  const cached = cache.entries(scope);
  const digests = new Sha256Digests(paths.length);
  const missIndexes: number[] = [];
  const missStats: (FileStat | null)[] = [];
  for (let i = 0; i < paths.length; i++) {
    const stat = statOrNull(`${basePath}/${paths[i]}`);
    const hex = stat === null ? undefined : cached.digestFor(paths[i], stat);
    if (hex !== undefined) {
      digests.setHexBytes(i, hex);
    } else {
      missIndexes.push(i);
      missStats.push(stat);
    }
  }
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
        missIndexes.map((index, j) => ({
          path: paths[index],
          digest: missStats[j] === null ? null : { stat: missStats[j]!, hex: read.hexBytesAt(j) },
        })),
        readStartedMs,
      ),
  };
}

/**
 * The base folder's device and inode: entries stay valid when the folder is moved (its files keep
 * their inodes), and two folders with the same relative paths keep apart.
 */
function folderScope(basePath: string): CacheScope {
  const stat = statFile(basePath);
  return { dev: stat?.dev ?? -1, ino: stat?.ino ?? -1 };
}

/** A file that cannot be stat'ed is read, and the read reports why it failed. */
function statOrNull(path: string): FileStat | null {
  try {
    return statFile(path);
  } catch {
    return null;
  }
}
