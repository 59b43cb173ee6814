/**
 * The compare queries' plans on PostgreSQL when the statistics know neither step, as right after
 * a large step is stored: the planner then estimates one row per step, and a query that allows a
 * nested loop may read the previous step once per model (200,000 × 200,000 rows at scale, which
 * ran into the statement timeout in the benchmark). Plans are read with EXPLAIN, so the test needs
 * no large data to fail.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { dpoOk } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/postgres_server.ts";
import type { Queryable } from "../../src/store/database.ts";
import { changedModelNames, modelChanges } from "../../src/store/step_models.ts";

const MODELS_PER_STEP = 3_000;

Deno.test("compare queries on steps the statistics do not know use no nested loop", async () => {
  await using db = await createTestDatabase();
  await dpoOk([db.url, "db", "upgrade"]);
  // No analyze behind the test's back: the statistics stay as the test leaves them.
  await db.sql.unsafe(
    "ALTER TABLE dpo.execution_step_model SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)",
  );
  const [{ execution_id: executionId }] = await db.sql.unsafe(
    "INSERT INTO dpo.execution (execution_id) VALUES (gen_random_uuid()) RETURNING execution_id::text",
  );
  const addStep = async () => {
    const [{ step_id: stepId }] = await db.sql.unsafe(
      `INSERT INTO dpo.execution_step (execution_step_id, execution_id, step_name)
       VALUES (gen_random_uuid(), $1, 'LOAD') RETURNING execution_step_id::text AS step_id`,
      [executionId],
    );
    await db.sql.unsafe(
      `INSERT INTO dpo.execution_step_model
         (execution_step_model_id, execution_step_id, model_name, checksum)
       SELECT gen_random_uuid(), $1, 'model_' || i, md5(i::text) FROM generate_series(1, $2) i`,
      [stepId, MODELS_PER_STEP],
    );
    return stepId as string;
  };
  await addStep();
  await addStep();
  await db.sql.unsafe("ANALYZE dpo.execution_step_model");
  const previous = await addStep();
  const current = await addStep();

  // Runs each query's EXPLAIN instead, with the same parameters, and keeps the plan.
  const plans: string[] = [];
  const explaining: Queryable = {
    dialect: "postgres",
    async query(text, params = []) {
      const rows = await db.sql.unsafe(`EXPLAIN (FORMAT JSON) ${text}`, params as string[]);
      plans.push(JSON.stringify(rows[0]));
      return [];
    },
    exec: () => Promise.reject(new Error("not used")),
  };
  await changedModelNames(explaining, current, previous);
  await modelChanges(explaining, current, previous);
  assertEquals(plans.length, 2);
  for (const plan of plans) {
    // The premise: the planner expects (almost) nothing of either step.
    assert(/"Plan Rows":1[,}]/.test(plan), `the planner knew the steps: ${plan}`);
    assert(!plan.includes('"Nested Loop"'), `a nested loop: ${plan}`);
  }
});
