import { equal, ok } from "node:assert/strict";
import { LAZY_IMPORT_CALL } from "../../src/lazy_import.ts";

/** The .ts files under `folder`, at any depth. */
function* walk(folder: URL): Generator<URL> {
  for (const entry of Deno.readDirSync(folder)) {
    const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, folder);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

// deno check reads only a call's type path, a run only its string: a renamed module would fail at
// run time alone.
Deno.test("every importLazily() call loads the module its type names, and that module exists", () => {
  const srcFolder = new URL("../../src/", import.meta.url);
  let calls = 0;
  for (const file of walk(srcFolder)) {
    // The module that defines the call, not one.
    if (file.pathname.endsWith("/src/lazy_import.ts")) continue;
    const text = Deno.readTextFileSync(file);
    const found = [...text.matchAll(LAZY_IMPORT_CALL)];
    equal(
      found.length,
      text.split("importLazily<typeof").length - 1,
      `${file.pathname}: a call not matched`,
    );
    for (const [, typePath, runtimePath] of found) {
      calls++;
      equal(runtimePath, typePath, `${file.pathname}`);
      const target = new URL(runtimePath, file);
      ok(Deno.statSync(target).isFile, `${file.pathname}: ${runtimePath} is not a file`);
    }
  }
  ok(calls > 20, `only ${calls} importLazily() calls found`);
});
