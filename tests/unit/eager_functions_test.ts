import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import {
  chunksInCycles,
  compileFunctionsEagerly,
  staticImportsOf,
} from "../../scripts/lib/eager_functions.ts";

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

Deno.test("compileFunctionsEagerly() leaves a function whose name is assigned a declaration", async () => {
  const chunk = `function counter() { return 1; }
function recursive(n) { return n <= 0 ? 0 : 1 + recursive(n - 1); }
export const before = counter();
counter = () => 2;
export const after = counter();
export const depth = recursive(3);
`;
  const { text, moved } = compileFunctionsEagerly(chunk);
  assertEquals(moved, 1);
  assertMatch(text, /^var recursive = \(function recursive/);
  assertMatch(text, /\nfunction counter\(\) \{ return 1; \}/);
  const exports = await exportsOf(text);
  assertEquals([exports.before, exports.after, exports.depth], [1, 2, 3]);
});

Deno.test("chunksInCycles() finds the chunks that import each other, directly or not", () => {
  const imports = new Map([
    ["main.js", ["a.js", "b.js"]],
    ["a.js", ["c.js"]],
    ["c.js", ["a.js"]],
    ["b.js", ["d.js"]],
    ["d.js", []],
    ["self.js", ["self.js"]],
  ]);
  assertEquals([...chunksInCycles(imports)].sort(), ["a.js", "c.js", "self.js"]);
});

Deno.test("staticImportsOf() lists a chunk's relative static imports and re-exports, not its dynamic ones", () => {
  const chunk = `import { a } from "./chunk-A.js";
import "./chunk-B.js";
import fs from "node:fs";
export { c } from "./chunk-C.js";
export * from "./chunk-D.js";
const later = () => import(new URL("./chunk-E.js", import.meta.url).href);
`;
  assertEquals(staticImportsOf(chunk), [
    "./chunk-A.js",
    "./chunk-B.js",
    "./chunk-C.js",
    "./chunk-D.js",
  ]);
});
