/**
 * Imports a module by a computed URL, for code a command may never run (another command, the
 * other store's driver, an error's wording). Deno loads the graph of every import it can read in
 * the source, dynamic ones included, before the first line runs; a literal `import("./x.ts")` on
 * the start-up path made a light command read and resolve ~15 modules it did not use, PostgreSQL's
 * driver among them (measured: ~1.5–4 ms of a light command's ~45). `deno compile` includes them
 * with `--include src`. The type comes from `typeof import("./x.ts")`, which loads nothing.
 */
export function importLazily<Module>(path: string, base: string): Promise<Module> {
  return import(new URL(path, base).href);
}

/**
 * A call as dpo writes it: `importLazily<typeof import("./x.ts")>("./x.ts", import.meta.url)`,
 * the type's path then the loaded one. deno check reads only the first, a run only the second:
 * tests/unit/lazy_import_test.ts checks that they agree, scripts/bundle.ts rewrites each call as
 * the literal import esbuild follows.
 */
export const LAZY_IMPORT_CALL =
  /importLazily<typeof import\("([^"]+)"\)>\(\s*"([^"]+)",\s*import\.meta\.url,?\s*\)/g;
