/** The aligned tables `dpo executions` and `dpo executions show` print, and their cells. */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { CliResult } from "./cli.ts";

export const HISTORY_HEADER = [
  "EXECUTION ID",
  "STATUS",
  "STARTED",
  "DURATION",
  "STEPS",
  "MODELS",
  "ROWS PROCESSED",
];
export const HISTORY_RIGHT_ALIGNED = new Set([4, 5, 6]);
export const SHOW_HEADER = ["STEP", "STATUS", "DURATION", "MODELS", "CHANGED", "ROWS", "STEP ID"];
export const SHOW_RIGHT_ALIGNED = new Set([3, 4, 5]);

/** `1h 2m 3s`, as dpo prints a duration of whole seconds. */
export function duration(milliseconds: number | null): string {
  if (milliseconds === null) return "-";
  const seconds = Math.floor(milliseconds / 1000);
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ${seconds % 60}s`;
}

/** `9,223,372,036,854,775,807`, or "-" for no count. */
export function count(value: number | bigint | null): string {
  return value === null ? "-" : BigInt(value).toLocaleString("en-US");
}

/**
 * Asserts that `table` is `header` above `rows`, every column lined up with its title: a
 * left-aligned column starts where its title starts, a right-aligned one ends where its title
 * ends; columns are at least two spaces apart, with nothing else on a line.
 */
export function assertAlignedTable(
  table: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number>,
): void {
  const lines = table.split("\n");
  assertEquals(lines.length, rows.length + 1, `rows of\n${table}`);
  const titleStarts = titlePositions(lines[0], header);
  [header, ...rows].forEach((cells, lineIndex) => {
    const line = lines[lineIndex];
    let end = 0;
    cells.forEach((cell, column) => {
      const titleEnd = titleStarts[column] + header[column].length;
      const start = rightAligned.has(column) ? titleEnd - cell.length : titleStarts[column];
      const where = `column "${header[column]}" of line ${lineIndex}:\n${table}`;
      assert(column === 0 ? start === 0 : start >= end + 2, `overlap at ${where}`);
      assertEquals(line.slice(end, start).trim(), "", `not spaces before ${where}`);
      assertEquals(line.slice(start, start + cell.length), cell, where);
      end = start + cell.length;
    });
    assertEquals(line.length, end, `text after the last column of line ${lineIndex}`);
  });
}

/** Where each title starts on the header line; the first at 0. */
function titlePositions(headerLine: string, header: readonly string[]): number[] {
  const titleStarts: number[] = [];
  let searchFrom = 0;
  for (const title of header) {
    const start = headerLine.indexOf(title, searchFrom);
    assert(start >= 0, `no column "${title}" in ${headerLine}`);
    titleStarts.push(start);
    searchFrom = start + title.length;
  }
  assertEquals(titleStarts[0], 0);
  return titleStarts;
}

/** The table a text command printed, after checking it exited 0, logged nothing, ends in "\n". */
export function tableOf(result: CliResult): string {
  assertEquals([result.code, result.stderr], [0, ""]);
  assert(result.stdout.endsWith("\n") && !result.stdout.endsWith("\n\n"), result.stdout);
  return result.stdout.slice(0, -1);
}
