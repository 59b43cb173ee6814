import { deepStrictEqual as equal, throws } from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { compilePatterns, expandBraces } from "../../src/files/glob_pattern.ts";

function matches(pattern: string, name: string): boolean {
  const [[segment]] = compilePatterns([pattern]);
  return !segment.globstar && segment.matches(name);
}

Deno.test("expandBraces() expands alternatives, nested ones too, and leaves a lone brace", () => {
  equal(expandBraces("**/*.{sql,csv}"), ["**/*.sql", "**/*.csv"]);
  equal(expandBraces("{a,b{c,d}}/x"), ["a/x", "bc/x", "bd/x"]);
  equal(expandBraces("{a,b}-{1,2}"), ["a-1", "a-2", "b-1", "b-2"]);
  equal(expandBraces("{single}.sql"), ["{single}.sql"]);
  equal(expandBraces("\\{a,b}.sql"), ["\\{a,b}.sql"]);
  equal(expandBraces("unclosed{a,b"), ["unclosed{a,b"]);
});

Deno.test("a segment's wildcards match as pathlib's do: * and ? within one name, dot-files too", () => {
  const cases: [string, string, boolean][] = [
    ["*.sql", "a.sql", true],
    ["*.sql", ".hidden.sql", true],
    ["*.sql", "a.sql.bak", false],
    ["?.sql", "é.sql", true],
    ["?.sql", "ab.sql", false],
    ["[ab].sql", "b.sql", true],
    ["[!ab].sql", "b.sql", false],
    ["[!ab].sql", "c.sql", true],
    ["[a-c]x", "bx", true],
    ["[a-c]x", "dx", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["(x)+.sql", "(x)+.sql", true],
    ["{single}.sql", "{single}.sql", true],
    ["*.SQL", "a.sql", false],
    ["stg-*.sql", "stg-orders.sql", true],
    ["*-v2.sql", "orders-v2.sql", true],
    ["a?-b", "ax-b", true],
    ["[a-c]-*", "b-x", true],
    ["*.(sql)", "a.(sql)", true],
    // Sets as fnmatch reads them: "]" first is a member, only "!" negates, "\\" is itself.
    ["[]a].sql", "].sql", true],
    ["[!]].sql", "a.sql", true],
    ["[!]].sql", "].sql", false],
    ["[!].sql", "[!].sql", true],
    ["[!].sql", "a.sql", false],
    ["[^a].sql", "^.sql", true],
    ["[^a].sql", "b.sql", false],
    ["[\\]]x", "\\]x", true],
    ["[[]x", "[x", true],
    ["a[b", "a[b", true],
  ];
  for (const [pattern, name, expected] of cases) {
    equal(matches(pattern, name), expected, `${pattern} on ${name}`);
  }
});

Deno.test("compilePatterns() splits patterns into segments, ** as its own kind", () => {
  const [segments] = compilePatterns(["x//**/*.sql"]);
  equal(segments.map((s) => s.globstar), [false, true, false]);
});

Deno.test("a set that is no set of characters is one usage error naming the pattern", () => {
  throws(() => compilePatterns(["**/[z-a]*.sql"]), UsageError);
});
