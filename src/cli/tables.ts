/** Text renderings for people: git-style change lines and aligned tables. */
import type { ChangeSet } from "../domain.ts";
import { compareCodePoints } from "./json_shapes.ts";

/**
 * `A name`, `M name`, `D name` and `R old new` lines, sorted by name, a rename by its old one
 * (as `git diff --name-status`).
 */
export function nameStatusLines(changes: ChangeSet, prefix = ""): string[] {
  const lines = [
    ...changes.added.map((name) => ({ name, line: `A ${prefix}${name}` })),
    ...changes.modified.map((name) => ({ name, line: `M ${prefix}${name}` })),
    ...changes.deleted.map((name) => ({ name, line: `D ${prefix}${name}` })),
    ...changes.renamed.map(({ from, to }) => ({
      name: from,
      line: `R ${prefix}${from} ${prefix}${to}`,
    })),
  ];
  return lines.sort((a, b) => compareCodePoints(a.name, b.name)).map((l) => l.line);
}

/** Columns padded to their widest cell; numeric columns right-aligned. */
export function alignedTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length))
  );
  const render = (cells: readonly string[]) =>
    cells.map((cell, column) =>
      rightAligned.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])
    ).join("  ").trimEnd();
  return [render(header), ...rows.map(render)].join("\n");
}

/** A checksum's first 12 hex digits, as people compare them; "-" when there is none. */
export function shortChecksum(checksum: string | null): string {
  return checksum === null ? "-" : checksum.slice(0, 12);
}
