/**
 * Rewrites bundled chunks so that V8 compiles their top-level functions when it compiles the
 * chunk, and so keeps them in Deno's code cache: `function f(…) {…}` becomes
 * `var f = (function f(…) {…});`, placed before the chunk's first statement that is not an import.
 *
 * Why: V8 compiles a function declaration on its first call, in every run, and Deno's code cache
 * holds only what was compiled before the module ran; a function expression in parentheses is
 * compiled at once (V8's heuristic for functions called right away). Measured in
 * docs/performance.md's start-up section.
 *
 * When it keeps the program's meaning, and what is left alone otherwise: a declaration is defined
 * before its module runs, the expression only once the module's first statements run. Every use
 * inside the module comes after (the expressions go first); a use from another module comes
 * after too unless the two import each other, so a chunk in an import cycle is left as written.
 * A function whose name is assigned anywhere in the chunk stays a declaration (the expression's
 * own name would be a constant inside it). Nested declarations and methods stay as written.
 */
import { parse } from "acorn";

interface Node {
  type: string;
  start: number;
  end: number;
  declaration?: Node | null;
  id?: { name: string } | null;
  source?: { value: string } | null;
  [key: string]: unknown;
}

function parseModule(text: string): Node[] {
  return (parse(text, { ecmaVersion: "latest", sourceType: "module" }) as unknown as {
    body: Node[];
  }).body;
}

function functionOf(statement: Node): Node | undefined {
  if (statement.type === "FunctionDeclaration") return statement;
  if (
    statement.type === "ExportNamedDeclaration" &&
    statement.declaration?.type === "FunctionDeclaration"
  ) {
    return statement.declaration;
  }
  return undefined;
}

/** Every name assigned (`x = …`, `x += …`, `x++`) anywhere under `node`. */
function assignedNames(node: unknown, names = new Set<string>()): Set<string> {
  if (node === null || typeof node !== "object") return names;
  if (Array.isArray(node)) {
    for (const child of node) assignedNames(child, names);
    return names;
  }
  const current = node as Node;
  const target = current.type === "AssignmentExpression"
    ? current.left as Node
    : current.type === "UpdateExpression"
    ? current.argument as Node
    : undefined;
  if (target?.type === "Identifier") names.add(target.name as string);
  for (const [key, value] of Object.entries(current)) {
    if (key !== "type" && typeof value === "object") assignedNames(value, names);
  }
  return names;
}

/** The chunk's text with its top-level function declarations compiled eagerly; how many. */
export function compileFunctionsEagerly(text: string): { text: string; moved: number } {
  const body = parseModule(text);
  const assigned = assignedNames(body);
  const declarations = body.filter((statement) => {
    const declared = functionOf(statement);
    return declared !== undefined && !assigned.has(declared.id!.name);
  });
  if (declarations.length === 0) return { text, moved: 0 };
  const expressions = declarations.map((statement) => {
    const declared = functionOf(statement)!;
    const exported = statement.type === "ExportNamedDeclaration" ? "export " : "";
    return `${exported}var ${declared.id!.name} = (${text.slice(declared.start, declared.end)});`;
  }).join("\n");
  const firstCode = body.find((statement) => statement.type !== "ImportDeclaration")!;
  let rewritten = "";
  let cursor = 0;
  for (const statement of body) {
    if (statement === firstCode) {
      rewritten += `${text.slice(cursor, statement.start)}${expressions}\n`;
      cursor = statement.start;
    }
    if (declarations.includes(statement)) {
      rewritten += text.slice(cursor, statement.start);
      cursor = statement.end;
    }
  }
  return { text: rewritten + text.slice(cursor), moved: declarations.length };
}

/** The relative modules a chunk imports statically (`import … from`, `export … from`). */
export function staticImportsOf(text: string): string[] {
  return parseModule(text)
    .filter((statement) =>
      ["ImportDeclaration", "ExportNamedDeclaration", "ExportAllDeclaration"].includes(
        statement.type,
      ) && statement.source?.value.startsWith(".")
    )
    .map((statement) => statement.source!.value);
}

/**
 * The chunks (keys of `importsByChunk`, each with the chunks it imports) that lie on an import
 * cycle, which compileFunctionsEagerly() must leave alone.
 */
export function chunksInCycles(
  importsByChunk: ReadonlyMap<string, readonly string[]>,
): Set<string> {
  const inCycles = new Set<string>();
  for (const start of importsByChunk.keys()) {
    // Whether `start` can reach itself again.
    const seen = new Set<string>();
    const pending = [...importsByChunk.get(start) ?? []];
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (next === start) {
        inCycles.add(start);
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      pending.push(...importsByChunk.get(next) ?? []);
    }
  }
  return inCycles;
}
