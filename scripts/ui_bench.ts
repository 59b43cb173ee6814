/**
 * `dpo ui` page times at scale (the history: scripts/ui_bench_seed.ts): a pipeline with 10,000
 * executions of 100 models each, and an execution whose step has 200,000 models (22,000 changes),
 * on PostgreSQL and the embedded store. Each page is requested 20 times after a first request
 * (timed apart); the execution page's change sets are also requested as 20 different pages, each
 * read from the store, not from the server's cache of pages. p50s are printed as one Markdown
 * table beside a floor measured in the same loop: a 404 from the same server, which costs an
 * HTTP round trip and no store work. Run through ./scripts/ui_bench.sh, which starts a throwaway
 * PostgreSQL.
 *
 *   deno run -A scripts/ui_bench.ts [--stores postgres,sqlite] [--requests 20]
 */
import { resolveStoreTarget } from "../src/config.ts";
import { dpoLog } from "../src/log.ts";
import { withStore } from "../src/store/connect.ts";
import { seed, WIDE } from "./ui_bench_seed.ts";
import { MAIN as main } from "./lib/repo_paths.ts";

const stores = (flag("--stores") ?? "postgres,sqlite").split(",");
const requests = Number(flag("--requests") ?? "20");
const workRoot = await Deno.makeTempDir({ prefix: "dpo-ui-bench-" });

function flag(name: string): string | undefined {
  const index = Deno.args.indexOf(name);
  return index === -1 ? undefined : Deno.args[index + 1];
}

/** The pages timed: what each shows, and its path for the i-th request (0 is the first). */
const PAGES: { what: string; path: (i: number) => string }[] = [
  { what: "pipelines (2 pipelines, 10,002 executions)", path: () => "" },
  { what: "pipeline of 10,000 executions: page 1 and charts", path: () => "pipelines/many" },
  { what: "pipeline of 10,000 executions: page 200", path: () => "pipelines/many?page=200" },
  { what: "pipeline of 10,000 executions: JSON", path: () => "pipelines/many?format=json" },
  {
    what: "execution, a step of 200,000 models (22,000 changes)",
    path: () => `executions/${WIDE[1]}`,
  },
  { what: "the same, JSON", path: () => `executions/${WIDE[1]}?format=json` },
  {
    what: "the same, a different page of changes each time (none cached)",
    path: (i) => `executions/${WIDE[1]}?page=${i + 2}`,
  },
  {
    what: "the same, a search (none cached)",
    path: (i) => `executions/${WIDE[1]}?q=${String(i).padStart(2, "0")}0`,
  },
  {
    what: "model in 10,000 executions (its history)",
    path: () => "pipelines/many/models/model_000050",
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  const ms = performance.now() - start;
  if (response.status !== 200 && response.status !== 404) {
    throw new Error(`${url}: ${response.status} ${new TextDecoder().decode(body)}`);
  }
  return { ms, bytes: body.byteLength };
}

async function seedStore(storeName: string, url: string): Promise<void> {
  const target = resolveStoreTarget({
    positionalUrl: url,
    dbOption: undefined,
    environmentUrl: "",
  });
  const settings = { connectTimeoutSeconds: 10, statementTimeoutSeconds: 600, log: dpoLog() };
  if (storeName === "postgres") {
    const upgrade = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", main, url, "db", "upgrade"],
      stdout: "null",
      stderr: "inherit",
    }).output();
    if (!upgrade.success) throw new Error("db upgrade failed");
  }
  const seedStart = performance.now();
  await withStore(target, settings, async (store) => {
    await seed(store);
    // A store in use has statistics (autovacuum gathers them within a minute of a bulk write);
    // right after this one the planner would know nothing of 1.4 million model rows.
    if (store.dialect === "postgres") await store.exec("ANALYZE");
  });
  console.error(`${storeName}: seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
}

async function timePage(base: string, page: typeof PAGES[number]) {
  const first = (await timedGet(base + page.path(0))).ms;
  const times: number[] = [], floors: number[] = [];
  let bytes = 0;
  for (let i = 1; i <= requests; i++) {
    // The floor right before each request: both meet the same machine.
    floors.push((await timedGet(`${base}no-such-page`)).ms);
    const timed = await timedGet(base + page.path(i));
    times.push(timed.ms);
    bytes = timed.bytes;
  }
  return {
    what: page.what,
    first,
    p50: median(times),
    floor: median(floors),
    ratio: median(times.map((t, i) => t / floors[i])),
    kb: bytes / 1024,
  };
}

async function benchStore(storeName: string, url: string) {
  await seedStore(storeName, url);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", main, url, "ui", "--port", "0"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  while (!printed.includes("\n")) printed += (await reader.read()).value ?? "";
  const base = printed.split("\n")[0];
  const rows = [];
  for (const page of PAGES) rows.push({ store: storeName, ...await timePage(base, page) });
  child.kill("SIGINT");
  await reader.cancel();
  await child.status;
  return rows;
}

const urls: Record<string, string | undefined> = {
  postgres: Deno.env.get("DPO_BENCH_PG_URL"),
  sqlite: `sqlite:${workRoot}/dpo.sqlite`,
};
const results = [];
for (const storeName of stores) {
  const url = urls[storeName];
  if (url === undefined) {
    throw new Error(`no URL for ${storeName}: run through scripts/ui_bench.sh`);
  }
  results.push(...await benchStore(storeName, url));
}
const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
console.log(`load average before the table: ${load}; ${Deno.build.os}, deno ${Deno.version.deno}`);
console.log("| store | page | first request ms | p50 ms | floor p50 ms | ratio | KiB |");
console.log("|---|---|--:|--:|--:|--:|--:|");
for (const r of results) {
  console.log(
    `| ${r.store} | ${r.what} | ${r.first.toFixed(0)} | ${r.p50.toFixed(1)} | ${
      r.floor.toFixed(1)
    } | ${r.ratio.toFixed(0)} | ${r.kb.toFixed(0)} |`,
  );
}
await Deno.remove(workRoot, { recursive: true });
