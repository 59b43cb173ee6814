/**
 * What the stat cache compares of a file, and git's racy-git rule for when a stat may be trusted
 * on the next run.
 */

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

/** The numbers a FileStat takes side by side in a Float64Array, in its fields' order. */
export const STAT_FIELDS = 5;

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
 * The stats of files (paths relative to `basePath`) side by side, STAT_FIELDS numbers each; NaN
 * for a file that cannot be stat'ed or has no full stat (it is read, and the read says why).
 */
export function statAll(basePath: string, paths: readonly string[]): Float64Array<ArrayBuffer> {
  const stats = new Float64Array(paths.length * STAT_FIELDS);
  for (let i = 0; i < paths.length; i++) {
    let stat: FileStat | null = null;
    try {
      stat = statFile(`${basePath}/${paths[i]}`);
    } catch {
      // Left NaN: the read reports what is wrong with the file.
    }
    const at = i * STAT_FIELDS;
    if (stat === null) stats.fill(NaN, at, at + STAT_FIELDS);
    else {
      stats[at] = stat.dev;
      stats[at + 1] = stat.ino;
      stats[at + 2] = stat.size;
      stats[at + 3] = stat.mtimeMs;
      stats[at + 4] = stat.ctimeMs;
    }
  }
  return stats;
}

/** The stat at `at` of statAll()'s numbers, or null for a file without one. */
export function statAt(stats: Float64Array, at: number): FileStat | null {
  if (Number.isNaN(stats[at])) return null;
  return {
    dev: stats[at],
    ino: stats[at + 1],
    size: stats[at + 2],
    mtimeMs: stats[at + 3],
    ctimeMs: stats[at + 4],
  };
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
