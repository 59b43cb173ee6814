/**
 * SQL fragments shared by the statements of several tables, one variant per dialect.
 *
 * Times: PostgreSQL keeps timestamptz; the SQLite store keeps text that dpo writes itself,
 * `2026-11-24T21:18:52.792147+00:00`, always UTC with six fraction digits (see sqlite_store.ts's
 * now()), so that text order is time order and no microsecond is lost.
 */
import type { Dialect } from "./database.ts";

/**
 * A time formatted like Python's isoformat() in UTC (`2026-11-24T21:18:52.792147+00:00`,
 * no fraction when it is zero). Formatted in SQL: a JS Date has only milliseconds.
 * `column` is always a constant from dpo's own statements, never user input.
 */
export function isoText(dialect: Dialect, column: string): string {
  if (dialect === "sqlite") {
    return `CASE WHEN substr(${column}, 20, 7) = '.000000'
      THEN substr(${column}, 1, 19) || '+00:00' ELSE ${column} END`;
  }
  return `CASE WHEN date_trunc('second', ${column}) = ${column}
    THEN to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
    ELSE to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END`;
}

/** Whole milliseconds from `column` to now(), rounded half away from zero (a bigint). */
export function millisecondsSince(dialect: Dialect, column: string): string {
  if (dialect === "sqlite") {
    // Seconds from unixepoch(), microseconds from the fixed-width fraction: exact, no float time.
    return `CAST(round((unixepoch(substr(now(), 1, 19)) - unixepoch(substr(${column}, 1, 19)))
        * 1000 + (CAST(substr(now(), 21, 6) AS integer) - CAST(substr(${column}, 21, 6) AS integer))
        / 1000.0) AS integer)`;
  }
  return `(extract(epoch FROM now() - ${column}) * 1000)::bigint`;
}

/** The exact sum of a bigint column, as text (null when there is no value). */
export function exactSumText(dialect: Dialect, column: string): string {
  // SQLite's sum() fails with "integer overflow" past 2^63 - 1, where PostgreSQL's is numeric.
  return dialect === "sqlite"
    ? `dpo_sum_exact(CAST(${column} AS text))`
    : `CAST(sum(${column}) AS text)`;
}

/** Orders text by code point, as the Python tool sorted model names. */
export function codePointOrder(dialect: Dialect, column: string): string {
  // SQLite's default BINARY collation compares UTF-8 bytes, which is code-point order.
  return dialect === "sqlite" ? column : `${column} COLLATE "C"`;
}
