/**
 * `dpo ui` page times at scale: a pipeline with 10,000 executions and an execution whose step has
 * 200,000 models (20,000 of them changed, 1,000 added, 1,000 deleted), on PostgreSQL and the
 * embedded store. Each page is requested 20 times after a first request (timed apart: the
 * execution page's first request compares the steps, later ones read the server's cache of
 * change sets); p50s are printed as one Markdown table beside a floor measured in the same
 * loop: a 404 from the same server, which costs an HTTP round trip and no store work. Run
 * through ./scripts/ui_bench.sh, which starts a throwaway PostgreSQL.
 *
 *   deno run -A scripts/ui_bench.ts [--stores postgres,sqlite] [--requests 20]
 */
import { resolveStoreTarget } from "../src/config.ts";
import { dpoLog } from "../src/log.ts";
import { withStore } from "../src/store/connect.ts";
import type { Store } from "../src/store/database.ts";

const EXECUTIONS = 10_000;
const MODELS = 200_000;
const stores = (flag("--stores") ?? "postgres,sqlite").split(",");
const requests = Number(flag("--requests") ?? "20");
const main = new URL("../main.ts", import.meta.url).pathname;
const workRoot = await Deno.makeTempDir({ prefix: "dpo-ui-bench-" });

function flag(name: string): string | undefined {
  const index = Deno.args.indexOf(name);
  return index === -1 ? undefined : Deno.args[index + 1];
}

// Deterministic ids: execution n of the many-run pipeline, and the two wide executions.
const manyId = (n: string) =>
  `lpad(to_hex(${n}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(${n}), 12, '0')`;
const WIDE = ["0000000a-0000-4000-8000-00000000000a", "0000000b-0000-4000-8000-00000000000b"];
const WIDE_STEPS = ["0000000a-0000-4000-8000-0000000000aa", "0000000b-0000-4000-8000-0000000000bb"];

/** Rows written by SQL in one statement each: seeding through 10,000 CLI runs would take hours. */
async function seed(store: Store): Promise<void> {
  const pg = store.dialect === "postgres";
  const series = (n: number) =>
    pg
      ? `generate_series(1, ${n}) AS g(n)`
      : `(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${n})
         SELECT n FROM s) AS g`;
  const hoursAgo = (n: string) =>
    pg
      ? `now() - (${n}) * interval '1 hour'`
      : `strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (${n}) || ' hours') || '.000000+00:00'`;
  const id = (n: string) =>
    pg ? `CAST(${manyId(n)} AS uuid)` : `printf('%08x-0000-4000-8000-%012x', ${n}, ${n})`;
  await store.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO dpo.execution (execution_id, pipeline, status, created_on, updated_on,
         started_on, completed_on, execution_time_ms, failure_reason)
       SELECT ${
        id("g.n + 1000")
      }, 'many', CASE WHEN g.n % 10 = 0 THEN 'FAILED' ELSE 'COMPLETED' END,
         ${hoursAgo("g.n")}, ${hoursAgo("g.n")}, ${hoursAgo("g.n")}, ${hoursAgo("g.n")},
         60000 + (g.n * 7919) % 30000, CASE WHEN g.n % 10 = 0 THEN 'disk full' END
       FROM ${series(EXECUTIONS)}`,
    );
    for (const [i, executionId] of WIDE.entries()) {
      await tx.query(
        `INSERT INTO dpo.execution (execution_id, pipeline, status, created_on, updated_on,
           started_on, completed_on, execution_time_ms)
         VALUES ($1, 'wide', 'COMPLETED', ${hoursAgo(String(2 - i))}, ${hoursAgo(String(2 - i))},
           ${hoursAgo(String(2 - i))}, ${hoursAgo(String(2 - i))}, 600000)`,
        [executionId],
      );
      await tx.query(
        `INSERT INTO dpo.execution_step (execution_step_id, execution_id, step_name, status,
           created_on, updated_on, started_on, completed_on, execution_time_ms, rows_processed)
         VALUES ($1, $2, 'LOAD', 'COMPLETED', ${hoursAgo(String(2 - i))},
           ${hoursAgo(String(2 - i))}, ${hoursAgo(String(2 - i))}, ${hoursAgo(String(2 - i))},
           600000, 123456789)`,
        [WIDE_STEPS[i], executionId],
      );
      // The second step: every 10th checksum differs, 1,000 names are new and 1,000 are gone.
      const first = i * 1000 + 1;
      const name = pg ? `'model_' || lpad(CAST(g.n AS text), 6, '0')` : `printf('model_%06d', g.n)`;
      const checksum = pg
        ? `lpad(to_hex(g.n * CASE WHEN ${i} = 1 AND g.n % 10 = 0 THEN 7 ELSE 1 END), 64, '0')`
        : `printf('%064x', g.n * CASE WHEN ${i} = 1 AND g.n % 10 = 0 THEN 7 ELSE 1 END)`;
      const rowId = pg
        ? `CAST(left(replace($1, '-', ''), 20) || lpad(to_hex(g.n), 12, '0') AS uuid)`
        : `substr($1, 1, 23) || '-' || printf('%012x', g.n)`;
      await tx.query(
        `INSERT INTO dpo.execution_step_model (execution_step_model_id, execution_step_id,
           model_name, checksum, created_on, updated_on)
         SELECT ${rowId}, ${pg ? "CAST($1 AS uuid)" : "$1"}, ${name}, ${checksum}, ${
          hoursAgo("0")
        }, ${hoursAgo("0")}
         FROM ${series(MODELS + first - 1)} WHERE g.n >= ${first}`,
        [WIDE_STEPS[i]],
      );
    }
  });
}

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

async function benchStore(storeName: string, url: string) {
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
  await withStore(target, settings, seed);
  console.error(`${storeName}: seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
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
  const pages = [
    { what: "pipelines (2 pipelines, 10,002 executions)", path: "" },
    { what: "pipeline, 10,000 executions: page 1 + chart", path: "pipelines/many" },
    { what: "pipeline, 10,000 executions: page 200", path: "pipelines/many?page=200" },
    { what: "pipeline, 10,000 executions: JSON", path: "pipelines/many?format=json" },
    { what: "execution, step of 200,000 models (22,000 changes)", path: `executions/${WIDE[1]}` },
    { what: "the same, JSON", path: `executions/${WIDE[1]}?format=json` },
    { what: "the same, page 50 of its changes", path: `executions/${WIDE[1]}?page=50` },
  ];
  const rows = [];
  for (const page of pages) {
    // The first request of the execution page compares the two steps; later ones, and the other
    // forms of the same page, read the server's cache of change sets.
    const first = (await timedGet(base + page.path)).ms;
    const times: number[] = [], floors: number[] = [];
    let bytes = 0;
    for (let i = 0; i < requests; i++) {
      // The floor right before each request: both meet the same machine.
      floors.push((await timedGet(`${base}no-such-page`)).ms);
      const timed = await timedGet(base + page.path);
      times.push(timed.ms);
      bytes = timed.bytes;
    }
    rows.push({
      store: storeName,
      what: page.what,
      first,
      p50: median(times),
      floor: median(floors),
      ratio: median(times.map((t, i) => t / floors[i])),
      kb: bytes / 1024,
    });
  }
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
