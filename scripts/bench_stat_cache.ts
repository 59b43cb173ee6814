/**
 * The stat cache's benchmark: a re-run of init-step over files that did not change, against the
 * sha256sum floor over the same files measured right before it, and a re-run that finds one
 * changed file among them, against the no-change run plus hashing that one file. Prints one
 * Markdown table and the machine's load.
 *
 *   deno run -A scripts/bench_stat_cache.ts [--trees large,small] [--runs 3] [--stores sqlite,postgres]
 *
 * `large` is 1,000 files of 1 MiB, `small` the 200,000-file tree of bench.ts (2.7 KiB on average).
 * `deno task bench` runs it after bench.ts's rows; PostgreSQL only when DPO_BENCH_PG_URL is set.
 */
import { generateModelTree } from "./lib/model_tree.ts";
import { runCaptured } from "./lib/captured_command.ts";
import { MAIN } from "./lib/repo_paths.ts";

/** Past the racy guard's margin (stat_cache.ts): files written before it are trusted. */
const SETTLE_MS = 2_500;

interface TreeSpec {
  name: string;
  files: number;
  generate(root: string): Promise<void>;
}

const TREES: Record<string, TreeSpec> = {
  large: { name: "1,000 × 1 MiB", files: 1_000, generate: (root) => writeLargeFiles(root, 1_000) },
  small: {
    name: "200,000 small",
    files: 200_000,
    generate: async (root) => void await generateModelTree(root, 200_000),
  },
};

/** One row: medians of paired runs, each ratio taken against the floor measured beside it. */
export interface StatCacheRow {
  store: string;
  tree: string;
  floorMs: number;
  noChangeMs: number;
  noChangeRatio: number;
  uncachedMs: number;
  oneChangedMs: number;
  oneFileHashMs: number;
  /** oneChangedMs over (noChangeMs + oneFileHashMs). */
  oneChangedRatio: number;
}

async function elapsed(command: string[], cwd?: string): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const output = await runCaptured(command[0], command.slice(1), { cwd });
  const ms = performance.now() - start;
  if (output.code !== 0) throw new Error(`${command.join(" ")} failed: ${output.stderr}`);
  return { ms, stdout: output.stdout.trim() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs the benchmark over the named trees and stores; returns its rows. */
export async function benchStatCache(
  options: { trees: string[]; runs: number; stores: Record<string, (cacheHome: string) => string> },
): Promise<StatCacheRow[]> {
  const workRoot = await Deno.makeTempDir({ prefix: "dpo-bench-stat-cache-" });
  const rows: StatCacheRow[] = [];
  try {
    for (const treeName of options.trees) {
      const spec = TREES[treeName];
      const tree = `${workRoot}/${treeName}`;
      await spec.generate(tree);
      for (const [storeName, store] of Object.entries(options.stores)) {
        console.error(`bench: stat cache, ${spec.name} on ${storeName}…`);
        const cacheHome = `${workRoot}/cache-${treeName}-${storeName}`;
        rows.push({
          store: storeName,
          tree: spec.name,
          ...await benchTree(tree, store(cacheHome), cacheHome, options.runs),
        });
      }
      await Deno.remove(tree, { recursive: true });
    }
  } finally {
    await Deno.remove(workRoot, { recursive: true });
  }
  return rows;
}

async function benchTree(tree: string, store: string, cacheHome: string, runs: number) {
  const dpo = (...args: string[]) => [
    "env",
    `XDG_CACHE_HOME=${cacheHome}`,
    `DENO_DIR=${denoDir()}`,
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--quiet",
    MAIN,
    "--db",
    store,
    ...args,
  ];
  const step = async (...flags: string[]) => {
    const execution = (await elapsed(dpo("init-execution"))).stdout;
    return (await elapsed(dpo("init-step", ...flags, execution, "LOAD", tree, "**/*"))).ms;
  };
  if (!store.startsWith("sqlite:")) await elapsed(dpo("db", "upgrade"));
  const floorCommand = ["sh", "-c", "find . -type f -print0 | xargs -0 sha256sum > /dev/null"];
  await elapsed(floorCommand, tree); // warms the page cache
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await step(); // fills the cache
  const floor: number[] = [], noChange: number[] = [], uncached: number[] = [];
  const oneChanged: number[] = [], oneFile: number[] = [];
  const victim = firstFile(tree);
  for (let i = 0; i < runs; i++) {
    floor.push((await elapsed(floorCommand, tree)).ms);
    noChange.push(await step());
    // Same size, new bytes: only the stat says it changed. Measured right after the no-change
    // run, so that both meet the same machine.
    const bytes = Deno.readFileSync(victim);
    bytes[0] = bytes[0] ^ 1;
    Deno.writeFileSync(victim, bytes);
    oneFile.push((await elapsed(["sha256sum", victim])).ms);
    oneChanged.push(await step());
    uncached.push(await step("--no-stat-cache"));
    // Past the racy guard, so that the next no-change run need not read the changed file.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  }
  return {
    floorMs: median(floor),
    noChangeMs: median(noChange),
    noChangeRatio: median(noChange.map((ms, i) => ms / floor[i])),
    uncachedMs: median(uncached),
    oneChangedMs: median(oneChanged),
    oneFileHashMs: median(oneFile),
    oneChangedRatio: median(oneChanged.map((ms, i) => ms / (noChange[i] + oneFile[i]))),
  };
}

let cachedDenoDir: string | undefined;
/** Deno's own cache, named outright: it too would follow XDG_CACHE_HOME. */
function denoDir(): string {
  cachedDenoDir ??= JSON.parse(
    new TextDecoder().decode(
      new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).outputSync()
        .stdout,
    ),
  ).denoDir as string;
  return cachedDenoDir;
}

function firstFile(root: string): string {
  for (const entry of Deno.readDirSync(root)) {
    const path = `${root}/${entry.name}`;
    if (entry.isFile) return path;
    if (entry.isDirectory) return firstFile(path);
  }
  throw new Error(`no file under ${root}`);
}

async function writeLargeFiles(root: string, count: number): Promise<void> {
  await Deno.mkdir(root, { recursive: true });
  const content = new Uint8Array(1 << 20);
  for (let i = 0; i < count; i++) {
    // Distinct bytes per file, cheaply: random 64 KiB at the start.
    crypto.getRandomValues(content.subarray(0, 65_536));
    Deno.writeFileSync(`${root}/seed_${String(i).padStart(4, "0")}.csv`, content);
  }
}

/** The rows as a Markdown table. */
export function statCacheTable(rows: StatCacheRow[]): string {
  const lines = [
    "| store | files | sha256sum floor ms | no-change re-run ms | ratio | without cache ms | one changed ms | no-change + hash one file ms | ratio |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.store} | ${r.tree} | ${r.floorMs.toFixed(0)} | ${r.noChangeMs.toFixed(0)} | ${
        r.noChangeRatio.toFixed(2)
      } | ${r.uncachedMs.toFixed(0)} | ${r.oneChangedMs.toFixed(0)} | ${
        (r.noChangeMs + r.oneFileHashMs).toFixed(0)
      } | ${r.oneChangedRatio.toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

/** The stores to measure: SQLite in a fresh folder, PostgreSQL when a URL is given. */
export function statCacheStores(
  names: string[],
  postgresUrl: string | undefined,
): Record<string, (cacheHome: string) => string> {
  const stores: Record<string, (cacheHome: string) => string> = {};
  for (const name of names) {
    if (name === "sqlite") stores.sqlite = (cacheHome) => `sqlite:${cacheHome}/store/dpo.sqlite`;
    else if (name === "postgres" && postgresUrl) stores.postgres = () => postgresUrl;
  }
  return stores;
}

const USAGE = `Usage: deno run -A scripts/bench_stat_cache.ts [options]

  --trees large,small       trees to measure: large = 1,000 files of 1 MiB, small = 200,000 small
                            files (bench.ts's tree, 2.7 KiB on average); default both
  --runs N                  paired runs per row (floor, no-change, one changed, no cache); default 3
  --stores sqlite,postgres  stores to measure; postgres only when DPO_BENCH_PG_URL is set
                            (./scripts/bench.sh starts a throwaway server and sets it)
  --help                    this text

Prints one Markdown table (medians; each ratio against the sha256sum floor measured right before
it) and the load average.`;

if (import.meta.main && Deno.args.includes("--help")) {
  console.log(USAGE);
} else if (import.meta.main) {
  const value = (name: string, fallback: string) => {
    const index = Deno.args.indexOf(name);
    return index === -1 ? fallback : Deno.args[index + 1];
  };
  const rows = await benchStatCache({
    trees: value("--trees", "large,small").split(",").filter(Boolean),
    runs: Number(value("--runs", "3")),
    stores: statCacheStores(
      value("--stores", "sqlite,postgres").split(","),
      Deno.env.get("DPO_BENCH_PG_URL"),
    ),
  });
  console.log(statCacheTable(rows));
  console.log(`\nload: ${await loadAverage()}`);
}

/** The machine's load average as uptime prints it. */
export async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(", ");
}
