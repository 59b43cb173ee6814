/**
 * `dpo prune` at scale: fills a store with 1,000,000 model rows (20 executions of one step with
 * 50,000 models each: steps recorded by dpo, the model rows added in bulk by SQL), then prunes
 * half of them (`--keep-last 10`) while a loop of `init-step`s (100 models each) runs on another
 * pipeline. Reports the prune's wall time and rows a second, and the init-steps' p50/p99 during
 * the prune against the same loop's p50/p99 before it (the floor, measured in the same run).
 * Run through `deno task bench-prune` (scripts/bench.sh starts a throwaway PostgreSQL).
 *
 *   deno run -A scripts/bench_prune.ts [--executions 20] [--models 50000] [--stores postgres,sqlite]
 */
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { inSqliteSchema } from "../src/store/sqlite_store.ts";
import { MAIN as main } from "./lib/repo_paths.ts";

const options = parseArgs(Deno.args);
const workRoot = await Deno.makeTempDir({ prefix: "dpo-bench-prune-" });

async function dpo(store: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", main, "--db", store, "--connect-timeout", "120", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`dpo ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout).trim();
}

/** Adds `count` bulk model rows to a step, in SQL (hashing 50,000 files would measure hashing). */
async function addBulkModels(store: string, stepId: string, count: number): Promise<void> {
  if (store.startsWith("sqlite:")) {
    const db = new DatabaseSync(store.slice("sqlite:".length), { timeout: 60_000 });
    try {
      db.prepare(inSqliteSchema(
        `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $2)
         INSERT INTO dpo.execution_step_model
           (execution_step_model_id, execution_step_id, model_name, checksum)
         SELECT $1 || '-' || n, $1, 'bulk_' || printf('%07d', n),
           printf('%064x', n) FROM g`,
      )).run({ 1: stepId, 2: count });
    } finally {
      db.close();
    }
    return;
  }
  const sql = postgres(store, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(
      `INSERT INTO dpo.execution_step_model
         (execution_step_model_id, execution_step_id, model_name, checksum)
       SELECT gen_random_uuid(), $1::uuid, 'bulk_' || lpad(g::text, 7, '0'),
         md5($1 || g::text) || md5(g::text || $1)
       FROM generate_series(1, $2::int) AS g`,
      [stepId, count],
    );
    await sql.unsafe("ANALYZE dpo.execution_step_model");
  } finally {
    await sql.end();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** init-steps of 100 models on pipeline "probe", one after another, until `until` resolves. */
async function probeLoop(store: string, tree: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  until.finally(() => done = true);
  const execution = await dpo(store, "--pipeline", "probe", "init-execution");
  const latencies: number[] = [];
  while (!done || latencies.length < 5) {
    const start = performance.now();
    await dpo(store, "init-step", execution, "PROBE", tree, "*.sql");
    latencies.push(performance.now() - start);
  }
  return latencies;
}

async function benchStore(name: string, store: string, probeTree: string) {
  await dpo(store, "db", "upgrade");
  const small = `${workRoot}/small`;
  await Deno.mkdir(small, { recursive: true });
  await Deno.writeTextFile(`${small}/a.sql`, "select 1;\n");
  const fillStart = performance.now();
  for (let i = 0; i < options.executions; i++) {
    const execution = await dpo(store, "init-execution");
    const step = await dpo(store, "init-step", execution, "LOAD", small, "*.sql");
    await addBulkModels(store, step, options.models - 1);
    await dpo(store, "complete-execution", execution);
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  // The floor: the same init-steps with nothing else running, for as long as 30 of them take.
  const floor = await probeLoop(store, probeTree, Promise.resolve());
  const floorMore = await probeLoop(
    store,
    probeTree,
    new Promise((resolve) => setTimeout(resolve, 5_000)),
  );
  floor.push(...floorMore);
  const keep = Math.floor(options.executions / 2);
  const pruneStart = performance.now();
  const pruning = dpo(store, "prune", "--keep-last", String(keep), "--format", "json");
  const [pruneOutput, during] = await Promise.all([pruning, probeLoop(store, probeTree, pruning)]);
  const pruneSeconds = (performance.now() - pruneStart) / 1000;
  const rows = JSON.parse(pruneOutput).totals.model_rows as number;
  return { name, fillSeconds, pruneSeconds, rows, floor, during };
}

function parseArgs(argv: string[]) {
  const parsed = { executions: 20, models: 50_000, stores: ["postgres", "sqlite"] };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--executions") parsed.executions = Number(argv[i + 1]);
    else if (argv[i] === "--models") parsed.models = Number(argv[i + 1]);
    else if (argv[i] === "--stores") parsed.stores = argv[i + 1].split(",");
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return parsed;
}

try {
  const probeTree = `${workRoot}/probe`;
  await Deno.mkdir(probeTree);
  for (let i = 0; i < 100; i++) {
    await Deno.writeTextFile(`${probeTree}/m${i}.sql`, `select ${i};\n`);
  }
  const results = [];
  for (const name of options.stores) {
    let store: string;
    if (name === "postgres") {
      const base = Deno.env.get("DPO_BENCH_PG_URL");
      if (!base) throw new Error("DPO_BENCH_PG_URL is not set: run through deno task bench-prune");
      const admin = postgres(base, { max: 1, onnotice: () => {} });
      await admin.unsafe("DROP DATABASE IF EXISTS dpo_bench_prune WITH (FORCE)");
      await admin.unsafe("CREATE DATABASE dpo_bench_prune");
      await admin.end();
      store = base.replace(/\/[^/]*$/, "/dpo_bench_prune");
    } else {
      store = `sqlite:${workRoot}/bench.sqlite`;
    }
    results.push(await benchStore(name, store, probeTree));
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  console.log(
    `${options.executions} executions × ${options.models} models; load average ${load}\n`,
  );
  console.log(
    "| store | fill s | prune s | rows pruned | rows/s | init-step p50 floor → during | p99 floor → during | p99 ratio |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const p50 = [percentile(r.floor, 50), percentile(r.during, 50)];
    const p99 = [percentile(r.floor, 99), percentile(r.during, 99)];
    console.log(
      `| ${r.name} | ${r.fillSeconds.toFixed(0)} | ${r.pruneSeconds.toFixed(1)} | ${r.rows} | ${
        (r.rows / r.pruneSeconds).toFixed(0)
      } | ${p50[0].toFixed(0)} → ${p50[1].toFixed(0)} ms | ${p99[0].toFixed(0)} → ${
        p99[1].toFixed(0)
      } ms | ${(p99[1] / p99[0]).toFixed(2)} (n=${r.floor.length}/${r.during.length}) |`,
    );
  }
} finally {
  await Deno.remove(workRoot, { recursive: true }).catch(() => {});
}
