/**
 * The history scripts/ui_bench.ts measures `dpo ui` on, written by SQL in a few statements
 * (seeding through 10,000 CLI runs would take hours):
 * - pipeline "many": 10,000 executions an hour apart (every 10th failed), each with one LOAD step
 *   of 100 models of which about 10 change from one execution to the next;
 * - pipeline "wide": two executions whose LOAD step has 200,000 models; between them every 10th
 *   checksum differs, 1,000 names are new and 1,000 are gone.
 */
import type { Queryable, Store } from "../src/store/database.ts";

export const EXECUTIONS = 10_000;
export const MANY_MODELS = 100;
export const WIDE_MODELS = 200_000;
/** The two wide executions, oldest first, and their steps. */
export const WIDE = [
  "0000000a-0000-4000-8000-00000000000a",
  "0000000b-0000-4000-8000-00000000000b",
];
const WIDE_STEPS = ["0000000a-0000-4000-8000-0000000000aa", "0000000b-0000-4000-8000-0000000000bb"];

/** SQL fragments in the store's dialect. */
function sqlFor(db: Queryable) {
  const pg = db.dialect === "postgres";
  return {
    pg,
    series: (n: number, alias = "g") =>
      pg
        ? `generate_series(1, ${n}) AS ${alias}(n)`
        : `(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${n})
           SELECT n FROM s) AS ${alias}`,
    hoursAgo: (n: string) =>
      pg
        ? `now() - (${n}) * interval '1 hour'`
        : `strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (${n}) || ' hours') || '.000000+00:00'`,
    /** A uuid from two numbers and a middle group that tells executions, steps and rows apart. */
    uuid: (n: string, group: string, k = n) =>
      pg
        ? `CAST(lpad(to_hex(${n}), 8, '0') || '-0000-4000-${group}-' || lpad(to_hex(${k}), 12, '0')
           AS uuid)`
        : `printf('%08x-0000-4000-${group}-%012x', ${n}, ${k})`,
    hex64: (value: string) => pg ? `lpad(to_hex(${value}), 64, '0')` : `printf('%064x', ${value})`,
    name: (n: string) =>
      pg ? `'model_' || lpad(CAST(${n} AS text), 6, '0')` : `printf('model_%06d', ${n})`,
  };
}

/** Writes both pipelines in one transaction. */
export async function seed(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    await seedMany(tx);
    for (const index of WIDE.keys()) await seedWide(tx, index);
  });
}

async function seedMany(tx: Queryable): Promise<void> {
  const { series, hoursAgo, uuid, hex64, name } = sqlFor(tx);
  const at = hoursAgo("g.n");
  await tx.query(
    `INSERT INTO dpo.execution (execution_id, pipeline, status, created_on, updated_on,
       started_on, completed_on, execution_time_ms, failure_reason)
     SELECT ${uuid("g.n + 1000", "8000")}, 'many',
       CASE WHEN g.n % 10 = 0 THEN 'FAILED' ELSE 'COMPLETED' END, ${at}, ${at}, ${at}, ${at},
       60000 + (g.n * 7919) % 30000, CASE WHEN g.n % 10 = 0 THEN 'disk full' END
     FROM ${series(EXECUTIONS)}`,
  );
  await tx.query(
    `INSERT INTO dpo.execution_step (execution_step_id, execution_id, step_name, status,
       created_on, updated_on, started_on, completed_on, execution_time_ms, rows_processed)
     SELECT ${uuid("g.n + 1000", "9000")}, ${uuid("g.n + 1000", "8000")}, 'LOAD', 'COMPLETED',
       ${at}, ${at}, ${at}, ${at}, 50000, 1000 + (g.n * 104729) % 5000
     FROM ${series(EXECUTIONS)}`,
  );
  // Model k's checksum moves on every 10 executions, at a different one for each k.
  await tx.query(
    `INSERT INTO dpo.execution_step_model (execution_step_model_id, execution_step_id,
       model_name, checksum, created_on, updated_on)
     SELECT ${uuid("g.n + 1000", "9000", "k.n")}, ${uuid("g.n + 1000", "9000")}, ${name("k.n")},
       ${hex64(`k.n * 100000 + (g.n + k.n * 7) / 10`)}, ${at}, ${at}
     FROM ${series(EXECUTIONS)} CROSS JOIN ${series(MANY_MODELS, "k")}`,
  );
}

async function seedWide(tx: Queryable, index: number): Promise<void> {
  const { pg, series, hoursAgo, hex64, name } = sqlFor(tx);
  const at = hoursAgo(String(2 - index));
  await tx.query(
    `INSERT INTO dpo.execution (execution_id, pipeline, status, created_on, updated_on,
       started_on, completed_on, execution_time_ms)
     VALUES ($1, 'wide', 'COMPLETED', ${at}, ${at}, ${at}, ${at}, 600000)`,
    [WIDE[index]],
  );
  await tx.query(
    `INSERT INTO dpo.execution_step (execution_step_id, execution_id, step_name, status,
       created_on, updated_on, started_on, completed_on, execution_time_ms, rows_processed)
     VALUES ($1, $2, 'LOAD', 'COMPLETED', ${at}, ${at}, ${at}, ${at}, 600000, 123456789)`,
    [WIDE_STEPS[index], WIDE[index]],
  );
  // The second step: every 10th checksum differs, 1,000 names are new and 1,000 are gone.
  const first = index * 1000 + 1;
  const rowId = pg
    ? `CAST(left(replace($1, '-', ''), 20) || lpad(to_hex(g.n), 12, '0') AS uuid)`
    : `substr($1, 1, 23) || '-' || printf('%012x', g.n)`;
  await tx.query(
    `INSERT INTO dpo.execution_step_model (execution_step_model_id, execution_step_id,
       model_name, checksum, created_on, updated_on)
     SELECT ${rowId}, ${pg ? "CAST($1 AS uuid)" : "$1"}, ${name("g.n")},
       ${hex64(`g.n * CASE WHEN ${index} = 1 AND g.n % 10 = 0 THEN 7 ELSE 1 END`)},
       ${hoursAgo("0")}, ${hoursAgo("0")}
     FROM ${series(WIDE_MODELS + first - 1)} WHERE g.n >= ${first}`,
    [WIDE_STEPS[index]],
  );
}
