/** SQL fragments shared by the statements of several tables. */

/**
 * A timestamptz formatted like Python's isoformat() in UTC (`2026-11-24T21:18:52.792147+00:00`,
 * no fraction when it is zero). Formatted in SQL: a JS Date has only milliseconds.
 * `column` is always a constant from dpo's own statements, never user input.
 */
export function isoText(column: string): string {
  return `CASE WHEN date_trunc('second', ${column}) = ${column}
    THEN to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
    ELSE to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END`;
}
