import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { compileFunctionsEagerly } from "../../scripts/lib/eager_functions.ts";

// A module written as esbuild writes chunks: imports, functions used before their declaration,
// an exported async function, a nested declaration, a class, and its exports at the end.
const CHUNK = `import { join } from "node:path";
const early = double(21);
export const viaHoisting = later();
function double(n) {
  function inner(x) { return x * 2; }
  return inner(n);
}
export async function* counted(limit) {
  for (let i = 0; i < limit; i++) yield i;
}
class Box { value() { return double(2); } }
function later() { return join("a", "b"); }
export { early, Box };
`;

async function exportsOf(text: string): Promise<Record<string, unknown>> {
  return await import(`data:application/javascript;base64,${btoa(text)}`);
}

Deno.test("compileFunctionsEagerly() parenthesises the top-level functions and keeps what the module does", async () => {
  const { text, moved } = compileFunctionsEagerly(CHUNK);
  assertEquals(moved, 3);
  assertMatch(text, /^import \{ join \} from "node:path";\nvar double = \(function double\(n\) \{/);
  assertMatch(text, /\nexport var counted = \(async function\* counted\(limit\) \{/);
  // The nested declaration stays as written.
  assertMatch(text, /\n {2}function inner\(x\) \{ return x \* 2; \}/);
  const before = await exportsOf(CHUNK);
  const after = await exportsOf(text);
  assertEquals(after.early, 42);
  assertEquals(after.viaHoisting, before.viaHoisting);
  assertEquals(new (after.Box as new () => { value(): number })().value(), 4);
  const counted = after.counted as (limit: number) => AsyncGenerator<number>;
  assertEquals(await Array.fromAsync(counted(3)), [0, 1, 2]);
});

Deno.test("compileFunctionsEagerly() leaves a chunk without top-level functions as it is", () => {
  const text = `import "./chunk-A.js";\nvar x = class { m() { return 1; } };\nexport { x };\n`;
  assertEquals(compileFunctionsEagerly(text), { text, moved: 0 });
});
