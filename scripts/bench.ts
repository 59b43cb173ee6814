/**
 * init-step at scale against the sha256sum floor: generates deterministic model trees, runs dpo
 * end to end (init-step, compare-step-models, complete-step) on PostgreSQL and the embedded
 * store, and `find … | xargs -0 sha256sum` over the same files; prints one Markdown table.
 * Run through `deno task bench` (scripts/bench.sh starts a throwaway PostgreSQL).
 *
 *   deno run -A scripts/bench.ts [--sizes 1000,20000,200000] [--runs 3] [--stores postgres,sqlite]
 *
 * `--stat-cache-trees large,small` (the default) adds the stat cache's rows (bench_stat_cache.ts);
 * `--stat-cache-trees ""` skips them.
 *
 * `--sizes ""` skips the trees and measures only start-up: a light command on each store against a
 * bare `deno run` in the same run, and the embedded store's first command (it creates the store),
 * each from the sources (main.ts) and, on SQLite, from the bundle (dist/bundle, built first).
 */
import { generateModelTree } from "./lib/model_tree.ts";
import { buildBundle } from "./bundle.ts";
import {
  benchStatCache,
  loadAverage,
  statCacheStores,
  statCacheTable,
} from "./bench_stat_cache.ts";
import { MAIN as main } from "./lib/repo_paths.ts";

const args = parseArgs(Deno.args);
const postgresUrl = Deno.env.get("DPO_BENCH_PG_URL");
const workRoot = await Deno.makeTempDir({ prefix: "dpo-bench-" });

interface Timed {
  ms: number;
  peakRssMb: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time for its peak RSS; wall time measured here. */
async function timed(command: string[], cwd?: string): Promise<Timed> {
  const rssFile = `${workRoot}/rss`;
  const start = performance.now();
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", rssFile, ...command],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - start;
  if (!output.success) {
    throw new Error(`${command.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const peakRssMb = Number((await Deno.readTextFile(rssFile)).trim().split("\n").at(-1)) / 1024;
  return { ms, peakRssMb, stdout: new TextDecoder().decode(output.stdout).trim() };
}

function dpo(store: string, ...rest: string[]): string[] {
  return dpoVia(main, store, ...rest);
}

/** dpo through `entry`: main.ts, or the bundle's main.js. */
function dpoVia(entry: string, store: string, ...rest: string[]): string[] {
  return [Deno.execPath(), "run", "-A", "--quiet", entry, "--db", store, ...rest];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The floor: sha256sum over the same files, which a run of dpo should not be far above. */
async function floorMs(tree: string): Promise<number> {
  const floor = ["sh", "-c", `find . -type f -print0 | xargs -0 sha256sum > /dev/null`];
  return (await timed(floor, tree)).ms;
}

interface Row {
  store: string;
  files: number;
  mb: number;
  initMs: number;
  floorMs: number;
  ratio: number;
  compareMs: number;
  completeMs: number;
  peakRssMb: number;
}

async function benchStore(storeName: string, store: string, tree: string) {
  if (storeName === "postgres") await timed(dpo(store, "db", "upgrade"));
  const previous = (await timed(dpo(store, "init-execution"))).stdout;
  const firstStep = (await timed(dpo(store, "init-step", previous, "LOAD", tree, "**/*"))).stdout;
  await timed(dpo(store, "complete-step", firstStep));
  await timed(dpo(store, "complete-execution", previous));
  const init: Timed[] = [], floor: number[] = [], compare: number[] = [], complete: number[] = [];
  for (let i = 0; i < args.runs; i++) {
    const execution = (await timed(dpo(store, "init-execution"))).stdout;
    // The floor runs right before each init-step, so that both meet the same machine: on a
    // shared VM either can swing by a third from one minute to the next.
    floor.push(await floorMs(tree));
    // Every file read and hashed, as on a first run: the stat cache's re-runs have their own rows.
    const step = await timed(
      dpo(store, "init-step", "--no-stat-cache", execution, "LOAD", tree, "**/*"),
    );
    init.push(step);
    const changed = await timed(dpo(store, "compare-step-models", step.stdout, previous));
    if (changed.stdout !== "") throw new Error("an unchanged tree reported changed models");
    compare.push(changed.ms);
    complete.push((await timed(dpo(store, "complete-step", step.stdout))).ms);
  }
  return {
    initMs: median(init.map((t) => t.ms)),
    floorMs: median(floor),
    ratio: median(init.map((t, i) => t.ms / floor[i])),
    peakRssMb: Math.max(...init.map((t) => t.peakRssMb)),
    compareMs: median(compare),
    completeMs: median(complete),
  };
}

/** An empty `deno run`: the floor of any command, measured beside it in the same loop. */
async function bareDenoRun(): Promise<Timed> {
  const empty = `${workRoot}/empty.ts`;
  await Deno.writeTextFile(empty, "");
  return await timed([Deno.execPath(), "run", "--quiet", empty]);
}

interface Light {
  dpoMs: number;
  bareMs: number;
  /** Median of the paired ratios, each dpo run over the bare run right before it. */
  ratio: number;
  dpoRssMb: number;
  bareRssMb: number;
}

function lightSummary(dpoRuns: Timed[], bareRuns: Timed[]): Light {
  return {
    dpoMs: median(dpoRuns.map((t) => t.ms)),
    bareMs: median(bareRuns.map((t) => t.ms)),
    ratio: median(dpoRuns.map((t, i) => t.ms / bareRuns[i].ms)),
    dpoRssMb: median(dpoRuns.map((t) => t.peakRssMb)),
    bareRssMb: median(bareRuns.map((t) => t.peakRssMb)),
  };
}

/**
 * Start-up rows are medians of this many pairs: a process of ~40 ms swings by a few ms with the
 * machine's other work, and 11 pairs moved the median ratio by ~0.05 between runs.
 */
const START_UP_PAIRS = 21;

/** get-last-successful-execution on an existing store, paired with an empty `deno run`. */
async function lightCommand(store: string, entry = main): Promise<Light> {
  await timed(dpoVia(entry, store, "db", "upgrade"));
  const dpoRuns: Timed[] = [], bareRuns: Timed[] = [];
  for (let i = 0; i < START_UP_PAIRS; i++) {
    bareRuns.push(await bareDenoRun());
    dpoRuns.push(await timed(dpoVia(entry, store, "get-last-successful-execution")));
  }
  return lightSummary(dpoRuns, bareRuns);
}

/** The embedded store's first command, which creates the store, paired as above. */
async function firstEmbeddedCommand(entry = main): Promise<Light> {
  const dpoRuns: Timed[] = [], bareRuns: Timed[] = [];
  const stores = `${workRoot}/startup-${crypto.randomUUID()}`;
  for (let i = 0; i < Math.max(START_UP_PAIRS, args.runs); i++) {
    bareRuns.push(await bareDenoRun());
    const store = `sqlite:${stores}/${i}/dpo.sqlite`;
    dpoRuns.push(await timed(dpoVia(entry, store, "get-last-successful-execution")));
  }
  return lightSummary(dpoRuns, bareRuns);
}

function describeLight(what: string, light: Light): string {
  return `${what}: median ${light.dpoMs.toFixed(0)} ms, ${
    light.dpoRssMb.toFixed(0)
  } MB peak RSS; ` +
    `empty \`deno run\`: ${light.bareMs.toFixed(0)} ms, ${light.bareRssMb.toFixed(0)} MB; ` +
    `ratio ${light.ratio.toFixed(2)}`;
}

const rows: Row[] = [];
for (const size of args.sizes) {
  const tree = `${workRoot}/tree-${size}`;
  const generated = await generateModelTree(tree, size);
  await floorMs(tree); // warms the page cache
  for (const storeName of args.stores) {
    const store = storeName === "postgres"
      ? requirePostgres()
      : `sqlite:${workRoot}/store-${size}/dpo.sqlite`;
    console.error(`bench: ${size} files on ${storeName}…`);
    rows.push({
      store: storeName,
      files: size,
      mb: generated.bytes / 1e6,
      ...await benchStore(storeName, store, tree),
    });
  }
  await Deno.remove(tree, { recursive: true });
}

if (rows.length > 0) {
  console.log(
    "| store | files | MB | init-step ms | sha256sum floor ms | ratio | compare ms | complete-step ms | init-step peak RSS MB |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
}
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.files.toLocaleString("en")} | ${r.mb.toFixed(1)} | ${
      r.initMs.toFixed(0)
    } | ${r.floorMs.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.compareMs.toFixed(0)} | ${
      r.completeMs.toFixed(0)
    } | ${r.peakRssMb.toFixed(0)} |`,
  );
}
console.log("");
if (postgresUrl && args.stores.includes("postgres")) {
  const light = await lightCommand(postgresUrl);
  console.log(describeLight("get-last-successful-execution on PostgreSQL", light));
}
if (args.stores.includes("sqlite")) {
  const store = `sqlite:${workRoot}/light/dpo.sqlite`;
  console.log(describeLight("get-last-successful-execution on SQLite", await lightCommand(store)));
  console.log(
    describeLight("the first command on a new SQLite store", await firstEmbeddedCommand()),
  );
  const bundled = `${await buildBundle({ out: "dist/bundle" })}/main.js`;
  console.log(
    describeLight(
      "get-last-successful-execution on SQLite, bundled (dist/bundle)",
      await lightCommand(store, bundled),
    ),
  );
  console.log(
    describeLight(
      "the first command on a new SQLite store, bundled (dist/bundle)",
      await firstEmbeddedCommand(bundled),
    ),
  );
}
if (args.statCacheTrees.length > 0) {
  const statCacheRows = await benchStatCache({
    trees: args.statCacheTrees,
    runs: args.runs,
    stores: statCacheStores(args.stores, postgresUrl),
  });
  console.log(`\n${statCacheTable(statCacheRows)}`);
}
console.log(`\nload average: ${await loadAverage()}`);
await Deno.remove(workRoot, { recursive: true });

function requirePostgres(): string {
  if (!postgresUrl) throw new Error("DPO_BENCH_PG_URL is not set: run through scripts/bench.sh");
  return postgresUrl;
}

function parseArgs(argv: string[]) {
  const value = (name: string, fallback: string) => {
    const index = argv.indexOf(name);
    return index === -1 ? fallback : argv[index + 1];
  };
  return {
    sizes: value("--sizes", "1000,20000,200000").split(",").filter(Boolean).map(Number),
    runs: Number(value("--runs", "3")),
    stores: value("--stores", "postgres,sqlite").split(","),
    statCacheTrees: value("--stat-cache-trees", "large,small").split(",").filter(Boolean),
  };
}
