/**
 * `deno task bundle`: builds dist/bundle/, dpo as a handful of JavaScript files for scripts that
 * run it with `deno run` (`deno run -A dist/bundle/main.js …`): the same program as main.ts,
 * started faster. Why: Deno 2.9.6 pays for every TypeScript module a command loads, which a light
 * command run from the sources spends ~30 of (~9 ms of its ~44, measured in docs/performance.md).
 *
 *   deno run -A scripts/bundle.ts [--out dist/bundle]
 *
 * How: `deno bundle` (esbuild) splits the program at its dynamic imports, so that a command still
 * loads only its own code and one store's driver. The sources import those parts by computed URLs
 * (src/lazy_import.ts), which a bundler cannot follow; a copy of the sources has them written as
 * plain `import("./x.ts")` first, and the bundle's own `import("./chunk.js")` are made computed
 * again, since Deno reads every literal import, dynamic or not, before the first line runs. The
 * hashing worker is a second entry point. The migrations are copied beside the bundle, which
 * reads them from there: the folder needs nothing from the checkout it was built in. Each chunk's
 * top-level functions are then made to compile with the chunk (lib/eager_functions.ts).
 */
import { parseArgs } from "node:util";
import { copy } from "./lib/copy_tree.ts";
import { LAZY_IMPORT_CALL } from "../src/lazy_import.ts";
import { chunksInCycles, compileFunctionsEagerly, staticImportsOf } from "./lib/eager_functions.ts";
import { REPO_ROOT as ROOT } from "./lib/repo_paths.ts";

// Decoded: a checkout in "/tmp/my dpo" has "%20" in its URL.
/** Written into every bundle: a folder without it is never replaced (`--out docs`). */
const MARKER = ".dpo-bundle";
/** Where the sources read the migrations from (src/store/migration_files.ts), and the bundle. */
const MIGRATIONS_SOURCE_URL = `new URL("../../migrations/", import.meta.url)`;
const MIGRATIONS_BUNDLE_URL = `new URL("./migrations/", import.meta.url)`;
/** The worker's URL as the sources write it (src/files/hash_worker_client.ts). */
const WORKER_SOURCE_URL = `new URL("./hash_worker.ts", import.meta.url)`;
const WORKER_ENTRY = "src/files/hash_worker.ts";

interface BundleOptions {
  /** The output folder (relative to the checkout, or absolute). */
  out: string;
}

/** Builds the bundle into `out`, replacing what was there only once the build succeeded. */
export async function buildBundle(options: BundleOptions): Promise<string> {
  const out = (options.out.startsWith("/") ? options.out : `${ROOT}/${options.out}`)
    .replace(/\/+$/, "");
  if (await exists(out) && !(await exists(`${out}/${MARKER}`))) {
    throw new Error(`${out} exists and is not a bundle dpo built: name another folder with --out`);
  }
  const parent = out.slice(0, out.lastIndexOf("/"));
  await Deno.mkdir(parent, { recursive: true });
  // Beside the output, on its file system, so that the finished bundle is renamed into place.
  const staging = await Deno.makeTempDir({ dir: parent, prefix: ".bundle-" });
  try {
    const sources = `${staging}/sources`;
    await copySources(sources);
    const rewritten = await importLazilyAsLiteralImports(`${sources}/src`);
    if (rewritten === 0) throw new Error("No importLazily() call was found to bundle");
    const built = `${staging}/out`;
    const imports = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).imports ?? {};
    await runDenoBundle(sources, built, imports);
    await computeChunkImports(built, imports);
    await copy(`${ROOT}/migrations`, `${built}/migrations`);
    await Deno.writeTextFile(
      `${built}/${MARKER}`,
      "Built by scripts/bundle.ts (deno task bundle).\n",
    );
    await Deno.remove(out, { recursive: true }).catch(() => {});
    await Deno.rename(built, out);
    return out;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

async function copySources(target: string): Promise<void> {
  await Deno.mkdir(target, { recursive: true });
  for (const file of ["main.ts", "deno.json", "deno.lock"]) {
    await Deno.copyFile(`${ROOT}/${file}`, `${target}/${file}`);
  }
  await copy(`${ROOT}/src`, `${target}/src`);
}

/**
 * `importLazily<typeof import("./x.ts")>("./x.ts", import.meta.url)` becomes `import("./x.ts")`,
 * which esbuild follows. Returns how many were rewritten; any call left over fails the build, as
 * the bundle would look for a .ts file beside itself at run time.
 */
export function rewriteLazyImports(source: string): { text: string; count: number } {
  let count = 0;
  const text = source.replace(
    LAZY_IMPORT_CALL,
    (call, typePath: string, path: string) => {
      if (typePath !== path) {
        throw new Error(`importLazily() types one module, loads another: ${call}`);
      }
      count++;
      return `import("${path}")`;
    },
  );
  const leftOver = text.match(/.*\bimportLazily\s*[<(].*/);
  if (leftOver) {
    throw new Error(`An importLazily() call the bundle cannot follow is left: ${leftOver[0]}`);
  }
  return { text, count };
}

async function importLazilyAsLiteralImports(folder: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) total += await importLazilyAsLiteralImports(path);
    if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name === "lazy_import.ts") continue;
    const { text, count } = rewriteLazyImports(await Deno.readTextFile(path));
    if (count > 0) await Deno.writeTextFile(path, text);
    total += count;
  }
  return total;
}

async function runDenoBundle(
  sources: string,
  out: string,
  imports: Record<string, string>,
): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=deno",
      "--code-splitting",
      // postgres.js stays the npm package the sources load (pinned in deno.json, locked), not a
      // copy: the hostile-server tests vouch for that package as Deno loads it.
      ...Object.keys(imports).map((name) => `--external=${name}`),
      "--outdir",
      out,
      "main.ts",
      WORKER_ENTRY,
    ],
    cwd: sources,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`deno bundle failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

/**
 * The bundle's `import("./chunk-X.js")` become computed (each chunk is then read only when its
 * command or store needs it), the worker's URL names the bundled worker, and a package named
 * through deno.json's imports (`"postgres"`) is named by its pinned specifier, which needs no
 * deno.json wherever the bundle runs.
 */
export function computeChunkImportsIn(
  text: string,
  workerPath: string | undefined,
  imports: Record<string, string>,
): string {
  for (const [name, specifier] of Object.entries(imports)) {
    text = text.replaceAll(`from "${name}";`, `from "${specifier}";`);
  }
  let result = text.replace(
    /\bimport\("(\.\.?\/[^"]+\.js)"\)/g,
    (_, path: string) => `import(new URL("${path}", import.meta.url).href)`,
  ).replaceAll(MIGRATIONS_SOURCE_URL, MIGRATIONS_BUNDLE_URL);
  if (result.includes(WORKER_SOURCE_URL)) {
    if (workerPath === undefined) throw new Error("The bundle has no hashing worker");
    result = result.replaceAll(WORKER_SOURCE_URL, `new URL("${workerPath}", import.meta.url)`);
  }
  return result;
}

async function computeChunkImports(out: string, imports: Record<string, string>): Promise<void> {
  const worker = WORKER_ENTRY.replace(/\.ts$/, ".js");
  if (!(await exists(`${out}/${worker}`))) {
    throw new Error(`deno bundle wrote no ${worker}`);
  }
  const texts = new Map<string, string>();
  let migrationsFound = false;
  for await (const path of javaScriptFiles(out)) {
    const text = await Deno.readTextFile(path);
    // Chunks sit at the output's top level; the worker's URL is relative to the chunk using it.
    const fromFolder = path.slice(out.length + 1).split("/").length - 1;
    const workerPath = fromFolder === 0 ? `./${worker}` : undefined;
    if (text.includes(MIGRATIONS_SOURCE_URL)) {
      // Only a chunk at the top level sits beside migrations/.
      if (fromFolder !== 0) throw new Error(`${path} reads the migrations from a subfolder`);
      migrationsFound = true;
    }
    texts.set(path, computeChunkImportsIn(text, workerPath, imports));
  }
  if (!migrationsFound) throw new Error(`No chunk reads ${MIGRATIONS_SOURCE_URL}`);
  const cyclic = chunksInCycles(
    new Map(
      [...texts].map(([path, text]) => [
        path,
        staticImportsOf(text).map((specifier) => new URL(specifier, `file://${path}`).pathname),
      ]),
    ),
  );
  for (const [path, text] of texts) {
    await Deno.writeTextFile(path, cyclic.has(path) ? text : compileFunctionsEagerly(text).text);
  }
  if (cyclic.size > 0) {
    console.error(`bundle: ${cyclic.size} chunks import each other: their functions stay lazy`);
  }
}

async function* javaScriptFiles(folder: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) yield* javaScriptFiles(path);
    else if (entry.isFile && entry.name.endsWith(".js")) yield path;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "dist/bundle" } },
  });
  try {
    const out = await buildBundle({ out: values.out! });
    console.error(`bundle: built ${out} (run it with: deno run -A "${out}/main.js" --help)`);
  } catch (error) {
    console.error(`bundle: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
