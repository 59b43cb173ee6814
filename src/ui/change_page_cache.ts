/**
 * The server's recently read pages of change sets, so that asking for the same page again, or as
 * JSON, reads the store once. Each entry holds at most one page of names (CHANGES_PAGE_SIZE a
 * step), so the bound is a number of pages; the least recently used go first.
 */
import type { ChangePageCache } from "../service/change_pages.ts";

/** Pages held at most: about 20 MB for 200 names of 40 characters each. */
export const CACHED_PAGES_LIMIT = 1_000;

/** A least-recently-used cache of change-set pages, at most `limit` of them. */
export function changePageCache(limit = CACHED_PAGES_LIMIT): ChangePageCache {
  const entries = new Map<string, Parameters<ChangePageCache["set"]>[1]>();
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
    set(key, page) {
      entries.set(key, page);
      for (const oldKey of entries.keys()) {
        if (entries.size <= limit) break;
        entries.delete(oldKey);
      }
    },
  };
}
