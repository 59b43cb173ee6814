/**
 * The server's recent change sets, so that paging through a step of 200,000 models, or asking
 * for the same page as JSON, compares the two steps once, not once a request. Bounded by the
 * model names it holds; the least recently used go first.
 */
import type { ChangeSet } from "../service/compare.ts";
import type { ChangeSetCache } from "../service/history.ts";

/** Names held at most: about 50 MB for names of 40 characters. */
export const CACHED_NAMES_LIMIT = 1_000_000;

/** A least-recently-used cache of change sets, at most `limit` model names in all. */
export function changeSetCache(limit = CACHED_NAMES_LIMIT): ChangeSetCache {
  const entries = new Map<string, ChangeSet>();
  let names = 0;
  const size = (c: ChangeSet) => c.added.length + c.modified.length + c.deleted.length + 1;
  return {
    get(key) {
      const found = entries.get(key);
      if (found !== undefined) {
        // Map keeps insertion order: re-inserting marks it the most recently used.
        entries.delete(key);
        entries.set(key, found);
      }
      return found;
    },
    set(key, changeSet) {
      if (size(changeSet) > limit) return;
      entries.set(key, changeSet);
      names += size(changeSet);
      for (const [oldKey, old] of entries) {
        if (names <= limit) break;
        entries.delete(oldKey);
        names -= size(old);
      }
    },
  };
}
