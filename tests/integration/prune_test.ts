/**
 * Retention in-process on PostgreSQL and SQLite: prune deletes whole executions in batches, never
 * a pipeline's baseline nor an unfinished run unless asked, and a dry run changes nothing.
 */
import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { NotFoundError } from "../../src/errors.ts";
import {
  endExecution,
  lastSuccessfulExecution,
  startExecution,
} from "../../src/service/executions.ts";
import { prune, type PruneOptions } from "../../src/service/prune.ts";
import type { Store } from "../../src/store/database.ts";
import { recordModels, testOnEachStore } from "../helpers/integration_store.ts";
import { ORPHAN_ROWS_QUERY, snapshotTables } from "../helpers/pipeline.ts";

/** One run of `pipeline` with a LOAD step of two models, ended as asked. */
async function run(store: Store, pipeline: string, end: "complete" | "fail" | null) {
  const executionId = await startExecution(store, { pipeline });
  await recordModels(store, { executionId, stepName: "load" }, { "a.sql": "a\n", "b.sql": "b\n" });
  if (end === "complete") await endExecution(store, executionId, { status: "COMPLETED" });
  if (end === "fail") {
    await endExecution(store, executionId, { status: "FAILED", failureReason: null });
  }
  return executionId;
}

/** Five runs: default's first (completed), failed, baseline, running; other's one (completed). */
async function fiveRuns(store: Store) {
  const first = await run(store, "default", "complete");
  const failed = await run(store, "default", "fail");
  const baseline = await run(store, "default", "complete");
  const running = await run(store, "default", null);
  const other = await run(store, "other", "complete");
  return { first, failed, baseline, running, other };
}

const everyPipeline: PruneOptions = {
  pipeline: null,
  keepLast: 0,
  olderThan: null,
  includeUnfinished: false,
  dryRun: false,
};

async function executionIds(store: Store): Promise<string[]> {
  const rows = await store.query<{ id: string }>(
    "SELECT CAST(execution_id AS text) AS id FROM dpo.execution ORDER BY started_on",
  );
  return rows.map((row) => row.id);
}

/** Steps and model rows that lost their execution or step. */
async function orphans(store: Store): Promise<number[]> {
  const [row] = await store.query<{ steps: unknown; models: unknown }>(ORPHAN_ROWS_QUERY);
  return [Number(row.steps), Number(row.models)];
}

testOnEachStore(
  "a dry run of prune lists what it would delete, oldest first, and changes nothing",
  async (store) => {
    const { first, failed } = await fiveRuns(store);
    const before = await snapshotTables((query) => store.query(query));
    const dryRun = await prune(store, { ...everyPipeline, dryRun: true });
    assertEquals(dryRun.executions.map((e) => [e.executionId, e.pipeline, e.status]), [
      [first, "default", "COMPLETED"],
      [failed, "default", "FAILED"],
    ]);
    assertEquals([dryRun.dryRun, dryRun.startedBefore], [true, null]);
    assertEquals(dryRun.totals, { executions: 2, steps: 2, modelRows: 4 });
    const keepOne = await prune(store, {
      ...everyPipeline,
      pipeline: "default",
      keepLast: 1,
      dryRun: true,
    });
    assertEquals(keepOne.executions.map((e) => e.executionId), [first, failed]);
    assertEquals(await snapshotTables((query) => store.query(query)), before);
  },
);

testOnEachStore(
  "prune deletes whole executions in batches and keeps each pipeline's baseline and its unfinished runs",
  async (store) => {
    const { baseline, running, other } = await fiveRuns(store);
    const pruned = await prune(store, { ...everyPipeline, batchRows: 1 });
    assertEquals(pruned.totals, { executions: 2, steps: 2, modelRows: 4 });
    assertEquals(await executionIds(store), [baseline, running, other]);
    assertEquals(await orphans(store), [0, 0]);
    assertEquals(await lastSuccessfulExecution(store, "default"), baseline);
    assertEquals(await lastSuccessfulExecution(store, "other"), other);
    const again = await prune(store, everyPipeline);
    assertEquals([again.executions, again.totals], [[], { executions: 0, steps: 0, modelRows: 0 }]);
  },
);

testOnEachStore(
  "prune deletes an unfinished run only when asked and older than the cut-off; an agent holding its id is then refused",
  async (store) => {
    const { first, failed, baseline, running, other } = await fiveRuns(store);
    const notYet = await prune(store, {
      ...everyPipeline,
      keepLast: null,
      olderThan: { seconds: 7 * 24 * 3600 },
      includeUnfinished: true,
    });
    assertEquals(notYet.totals.executions, 0);
    const pruned = await prune(store, {
      ...everyPipeline,
      pipeline: "default",
      keepLast: null,
      olderThan: { iso: "2999-01-01T00:00:00Z" },
      includeUnfinished: true,
    });
    assertEquals(pruned.startedBefore, "2999-01-01T00:00:00+00:00");
    assertEquals(pruned.executions.map((e) => e.executionId), [first, failed, running]);
    assertEquals(pruned.totals, { executions: 3, steps: 3, modelRows: 6 });
    assertEquals(await executionIds(store), [baseline, other]);
    // An agent still holding the pruned run's id is refused.
    await assertRejects(
      recordModels(store, { executionId: running, stepName: "load" }, { "a.sql": "a\n" }),
      NotFoundError,
    );
  },
);
