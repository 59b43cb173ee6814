/**
 * Model patterns compiled into one matcher per path segment: pathlib's glob syntax (`*`, `?`,
 * `[seq]`, `[!seq]`, `**` for zero or more folders), where `*` also matches dot-files, plus
 * brace expansion (`*.{sql,csv}`) and `\` to escape a character, as dpo has always read them.
 */

import { UsageError } from "../errors.ts";

/** One segment of a pattern: `**`, or a test of one file or folder name. */
export type Segment = { globstar: true } | { globstar: false; matches(name: string): boolean };

/** A pattern as its segments, e.g. `**` then `*.sql`. */
export type CompiledPattern = Segment[];

/** Every pattern brace-expanded and split into segments; empty segments (`a//b`) dropped. */
export function compilePatterns(patterns: readonly string[]): CompiledPattern[] {
  return patterns.flatMap(expandBraces).map((pattern) =>
    pattern.split("/").filter((part) => part !== "").map(compileSegment)
  );
}

function compileSegment(part: string): Segment {
  if (part === "**") return { globstar: true };
  if (!/[*?[\\]/.test(part)) return { globstar: false, matches: (name) => name === part };
  // The common shapes, `*` and `*.sql`, without a regular expression: a walk tests every name.
  if (part === "*") return { globstar: false, matches: () => true };
  const suffix = part.slice(1);
  if (part.startsWith("*") && !/[*?[\\]/.test(suffix)) {
    return { globstar: false, matches: (name) => name.endsWith(suffix) };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(`^${segmentSource(part)}$`, "su");
  } catch (error) {
    // A set such as [z-a] that is no set of characters.
    throw new UsageError(
      `Model pattern part "${part}" is not a valid pattern (${(error as Error).message}): ` +
        "fix its [...] set",
    );
  }
  return { globstar: false, matches: (name) => regex.test(name) };
}

/** The regular expression source of one segment's wildcards. */
function segmentSource(part: string): string {
  let source = "";
  for (let i = 0; i < part.length; i++) {
    const char = part[i];
    if (char === "\\" && i + 1 < part.length) source += escapeRegex(part[++i]);
    else if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else if (char === "[") {
      // As fnmatch reads a set: a "]" first in it (after any "!") is one of its characters, only
      // "!" negates ("^" is a character), a "\" is itself, and a "[" with no "]" is itself.
      let first = i + 1;
      if (part[first] === "!") first++;
      if (part[first] === "]") first++;
      const end = part.indexOf("]", first);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let set = part.slice(i + 1, end);
      const negated = set.startsWith("!");
      if (negated) set = set.slice(1);
      source += `[${negated ? "^" : ""}${set.replace(/[\\\][^]/g, "\\$&")}]`;
      i = end;
    } else source += escapeRegex(char);
  }
  return source;
}

/** Escapes what is special in a regular expression; in Unicode mode nothing else may be. */
function escapeRegex(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`; a brace without a comma stays as it is. */
export function expandBraces(pattern: string): string[] {
  const open = findUnescaped(pattern, "{", 0);
  if (open === -1) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") i++;
    else if (char === "{") depth++;
    else if (char === "," && depth === 1) commas.push(i);
    else if (char === "}" && --depth === 0) {
      const prefix = pattern.slice(0, open);
      const rest = expandBraces(pattern.slice(i + 1));
      if (commas.length === 0) {
        return rest.map((tail) => `${prefix}{${pattern.slice(open + 1, i)}}${tail}`);
      }
      const bounds = [open, ...commas, i];
      const alternatives = bounds.slice(1).flatMap((end, k) =>
        expandBraces(pattern.slice(bounds[k] + 1, end))
      );
      return alternatives.flatMap((alternative) =>
        rest.map((tail) => `${prefix}${alternative}${tail}`)
      );
    }
  }
  return [pattern];
}

function findUnescaped(text: string, char: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === char) return i;
  }
  return -1;
}
