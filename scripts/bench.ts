/**
 * init-step at scale against the sha256sum floor: generates deterministic model trees, runs dpo
 * end to end (init-step, compare-step-models, complete-step) on PostgreSQL and the embedded
 * store, and `find … | xargs -0 sha256sum` over the same files; prints one Markdown table.
 * Run through `deno task bench` (scripts/bench.sh starts a throwaway PostgreSQL).
 *
 *   deno run -A scripts/bench.ts [--sizes 1000,20000,200000] [--runs 3] [--stores postgres,pglite]
 *
 * `--sizes ""` skips the trees and measures only start-up: a light command on PostgreSQL against a
 * bare `deno run`, and the embedded store's first command (it creates the store) and warm ones.
 */
import { generateModelTree } from "./lib/model_tree.ts";

const args = parseArgs(Deno.args);
const postgresUrl = Deno.env.get("DPO_BENCH_PG_URL");
const main = new URL("../main.ts", import.meta.url).pathname;
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
  return [Deno.execPath(), "run", "-A", "--quiet", main, "--db", store, ...rest];
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
    const step = await timed(dpo(store, "init-step", execution, "LOAD", tree, "**/*"));
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

async function lightCommand(store: string): Promise<{ dpoMs: number; bareMs: number }> {
  const empty = `${workRoot}/empty.ts`;
  await Deno.writeTextFile(empty, "");
  const bare = [Deno.execPath(), "run", "--quiet", empty];
  await timed(dpo(store, "db", "upgrade"));
  const dpoRuns: number[] = [], bareRuns: number[] = [];
  for (let i = 0; i < 11; i++) {
    bareRuns.push((await timed(bare)).ms);
    dpoRuns.push((await timed(dpo(store, "get-last-successful-execution"))).ms);
  }
  return { dpoMs: median(dpoRuns), bareMs: median(bareRuns) };
}

/** The embedded store: the first command creates and migrates it, later ones open it. */
async function embeddedStartup(): Promise<{ firstMs: number; warmMs: number; warmRssMb: number }> {
  const first: number[] = [], warm: Timed[] = [];
  for (let i = 0; i < args.runs; i++) {
    const store = `pglite:${workRoot}/startup-${i}`;
    first.push((await timed(dpo(store, "get-last-successful-execution"))).ms);
    for (let k = 0; k < 3; k++) warm.push(await timed(dpo(store, "get-last-successful-execution")));
  }
  return {
    firstMs: median(first),
    warmMs: median(warm.map((t) => t.ms)),
    warmRssMb: median(warm.map((t) => t.peakRssMb)),
  };
}

const rows: Row[] = [];
for (const size of args.sizes) {
  const tree = `${workRoot}/tree-${size}`;
  const generated = await generateModelTree(tree, size);
  await floorMs(tree); // warms the page cache
  for (const storeName of args.stores) {
    const store = storeName === "postgres" ? requirePostgres() : `pglite:${workRoot}/store-${size}`;
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
if (postgresUrl && args.stores.includes("postgres")) {
  const light = await lightCommand(postgresUrl);
  console.log(
    `\nget-last-successful-execution (PostgreSQL): median ${light.dpoMs.toFixed(0)} ms; ` +
      `bare \`deno run\` of an empty script: ${light.bareMs.toFixed(0)} ms; ratio ${
        (light.dpoMs / light.bareMs).toFixed(2)
      }`,
  );
}
if (args.stores.includes("pglite")) {
  const embedded = await embeddedStartup();
  console.log(
    `\nEmbedded store, get-last-successful-execution: first command on a new store (creates it) ` +
      `${embedded.firstMs.toFixed(0)} ms; warm ${embedded.warmMs.toFixed(0)} ms, peak RSS ` +
      `${embedded.warmRssMb.toFixed(0)} MB`,
  );
}
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
    stores: value("--stores", "postgres,pglite").split(","),
  };
}
