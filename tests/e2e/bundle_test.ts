/**
 * dist/bundle (`deno task bundle`), the faster entry for scripts, is the program main.ts is:
 * built from this checkout, it runs every command of a pipeline on both stores, hashes on its
 * worker, reads the migrations, creates a new store, loads PostgreSQL's driver, and prints the
 * same help, errors and pages as main.ts does.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { buildBundle } from "../../scripts/bundle.ts";
import { type CliOptions, dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { openStoreUnderTest, STORE_KINDS } from "../helpers/pipeline.ts";
import { runShortPipeline } from "../helpers/short_pipeline.ts";

// Outside the checkout: the bundle needs nothing from it.
const BUNDLE = await buildBundle({
  out: `${await Deno.makeTempDir({ prefix: "dpo-bundle-" })}/dpo`,
});
const BUNDLED_MAIN = `${BUNDLE}/main.js`;

/** Runs the bundle from a folder outside the checkout, where no deno.json or lock file applies. */
function viaBundle(options: CliOptions = {}): CliOptions {
  return { cwd: BUNDLE.slice(0, BUNDLE.lastIndexOf("/")), ...options, entry: BUNDLED_MAIN };
}

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(BUNDLE.slice(0, BUNDLE.lastIndexOf("/")), { recursive: true });
  } catch {
    // Already gone.
  }
});

for (const kind of STORE_KINDS) {
  Deno.test(`the bundle runs every command of a pipeline on ${kind}, and its pages are main.ts's`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    await runShortPipeline((args) => runDpo([...store.args, ...args], viaBundle()), models.path);
    await using pages = await temporaryFolder();
    for (const [name, entry] of [["source", undefined], ["bundle", BUNDLED_MAIN]] as const) {
      const exported = await runDpo([...store.args, "ui", "--export", `${pages.path}/${name}`], {
        entry,
      });
      assertEquals(exported.code, 0, exported.stderr);
    }
    assertEquals(await filesIn(`${pages.path}/bundle`), await filesIn(`${pages.path}/source`));
  });
}

Deno.test("the bundle creates a new embedded store and checks it as main.ts does", async () => {
  await using folder = await temporaryFolder();
  const db = ["--db", `sqlite:${folder.path}/new/dpo.sqlite`];
  const first = await runDpo([...db, "get-last-successful-execution"], viaBundle());
  assertEquals([first.code, first.stdout, first.stderr], [0, "NO_LAST_SUCCESSFUL_EXECUTION\n", ""]);
  const current = await runDpo([...db, "db", "current"], viaBundle());
  assertEquals(current.stdout, "0003_pipelines_and_failures (head)\n");
});

/** Enough files for init-step to hash them on worker threads (hash_pool.ts' WORKER_THRESHOLD). */
const WORKER_STEP_FILES = 2_500;
const ONE_CORE = navigator.hardwareConcurrency < 2;
if (ONE_CORE) {
  console.error(
    "bundle_test: the worker test is ignored: on one core dpo hashes on its main thread",
  );
}

Deno.test({
  name:
    `the bundle hashes a step of ${WORKER_STEP_FILES} files on its workers to main.ts's digests`,
  ignore: ONE_CORE,
}, async () => {
  // The pipeline above has too few files to start the workers: a bundle whose worker does not
  // load passed it (proved with the worker's URL pointing nowhere).
  await using folder = await temporaryFolder();
  const models = `${folder.path}/models`;
  await writeModels(
    models,
    Object.fromEntries(
      Array.from({ length: WORKER_STEP_FILES }, (_, i) => [`m${i}.sql`, `select ${i};\n`]),
    ),
  );
  const db = ["--db", `sqlite:${folder.path}/dpo.sqlite`];
  // Without the stat cache, so that each program reads and hashes every file itself.
  const noStatCache = { env: { DPO_STAT_CACHE: "0" } };
  const executions: string[] = [];
  for (const options of [viaBundle(noStatCache), noStatCache]) {
    const execution = await dpoOk([...db, "init-execution"], options);
    const step = await dpoOk([...db, "init-step", execution, "LOAD", models, "*.sql"], options);
    await dpoOk([...db, "complete-step", step], options);
    await dpoOk([...db, "complete-execution", execution], options);
    executions.push(execution);
  }
  assertEquals(await dpoOk([...db, "compare-models", ...executions, "LOAD"]), "");
});

Deno.test("the bundle prints main.ts's help, usage errors and store errors, word for word", async () => {
  await using folder = await temporaryFolder();
  const notAStore = `${folder.path}/not-a-store.sqlite`;
  await Deno.writeTextFile(
    notAStore,
    "this is not a SQLite file, but it is long enough to look like one\n",
  );
  const cases = [
    ["--help"],
    ["init-step", "--help"],
    ["--version"],
    ["init-stp"],
    ["--db", "mysql://x/y", "init-execution"],
    ["--db", `sqlite:${notAStore}`, "get-last-successful-execution"],
  ];
  for (const args of cases) {
    const source = await runDpo(args);
    const bundled = await runDpo(args, viaBundle());
    assertEquals(bundled, source, `dpo ${args.join(" ")}`);
  }
  const storeError = await runDpo(cases[5], viaBundle());
  assertMatch(storeError.stderr, /^error: .*not-a-store\.sqlite/);
});

async function filesIn(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) {
      for (const [name, text] of Object.entries(await filesIn(path))) {
        files[`${entry.name}/${name}`] = text;
      }
    } else {
      files[entry.name] = await Deno.readTextFile(path);
    }
  }
  return files;
}
