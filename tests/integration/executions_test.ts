/**
 * The execution workflows in-process on PostgreSQL and SQLite: start, end once (completed or
 * failed, why), the last successful run per pipeline and its completion time, unknown ids.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { ConflictError, NotFoundError } from "../../src/errors.ts";
import {
  completeExecution,
  executionCompletionTimestamp,
  failExecution,
  lastSuccessfulExecution,
  requireExecution,
  startExecution,
} from "../../src/service/executions.ts";
import { recordModels, testOnEachStore } from "../helpers/integration_store.ts";
import { ISO_TIMESTAMP } from "../helpers/pipeline.ts";
import { UUID } from "../helpers/json_output.ts";

testOnEachStore(
  "startExecution() gives a run a new id in its pipeline, or keeps the caller's, and refuses an id twice",
  async (store) => {
    const generated = await startExecution(store, { pipeline: "nightly" });
    assertMatch(generated, UUID);
    const chosen = crypto.randomUUID();
    assertEquals(await startExecution(store, { executionId: chosen, pipeline: "nightly" }), chosen);
    const started = await requireExecution(store, chosen);
    assertEquals([started.pipeline, started.status, started.completed_on], [
      "nightly",
      "INITIALISED",
      null,
    ]);
    assertMatch(started.started_on, ISO_TIMESTAMP);
    await assertRejects(
      startExecution(store, { executionId: chosen, pipeline: "other" }),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message ===
          `Execution "${chosen}" already exists: give a new id or omit --execution-id`,
    );
    assertEquals((await requireExecution(store, chosen)).pipeline, "nightly");
  },
);

testOnEachStore(
  "completeExecution() ends a run once with its totals; again it changes nothing, and failing it is refused",
  async (store) => {
    const executionId = await startExecution(store, { pipeline: "default" });
    await recordModels(store, { executionId, stepName: "load" }, {
      "a.sql": "a\n",
      "b.sql": "b\n",
    });
    const ended = await completeExecution(store, executionId);
    assertEquals(ended.unchanged, false);
    assertEquals(
      [ended.row.status, ended.row.step_count, ended.row.model_count, ended.row.rows_processed],
      ["COMPLETED", "1", "2", null],
    );
    assertMatch(ended.row.completed_on!, ISO_TIMESTAMP);
    assert(Number(ended.row.execution_time_ms) >= 0);
    assertEquals(await completeExecution(store, executionId), { row: ended.row, unchanged: true });
    await assertRejects(
      failExecution(store, executionId, "late"),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message.startsWith(
          `Execution "${executionId}" is already completed and cannot fail: `,
        ),
    );
    assertEquals((await requireExecution(store, executionId)).failure_reason, null);
  },
);

testOnEachStore(
  "failExecution() records why; a failed run is never the last successful one, has no completion time and cannot be completed",
  async (store) => {
    const good = await startExecution(store, { pipeline: "default" });
    await completeExecution(store, good);
    const bad = await startExecution(store, { pipeline: "default" });
    const failed = await failExecution(store, bad, "LOAD failed");
    assertEquals([failed.unchanged, failed.row.status, failed.row.failure_reason], [
      false,
      "FAILED",
      "LOAD failed",
    ]);
    assertMatch(failed.row.completed_on!, ISO_TIMESTAMP);
    assertEquals(await lastSuccessfulExecution(store, "default"), good);
    assertEquals(await executionCompletionTimestamp(store, bad), "");
    // Failing again keeps the first reason.
    const again = await failExecution(store, bad, "other");
    assertEquals([again.unchanged, again.row.failure_reason], [true, "LOAD failed"]);
    await assertRejects(
      completeExecution(store, bad),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message ===
          `Execution "${bad}" has failed and cannot be completed: start a new execution`,
    );
    const noReason = await startExecution(store, { pipeline: "default" });
    assertEquals((await failExecution(store, noReason, null)).row.failure_reason, null);
    assertEquals(await lastSuccessfulExecution(store, "default"), good);
  },
);

testOnEachStore(
  "lastSuccessfulExecution() and executionCompletionTimestamp() answer per pipeline",
  async (store) => {
    assertEquals(await lastSuccessfulExecution(store, "a"), undefined);
    const a1 = await startExecution(store, { pipeline: "a" });
    const b1 = await startExecution(store, { pipeline: "b" });
    const completedA1 = (await completeExecution(store, a1)).row.completed_on;
    await completeExecution(store, b1);
    const a2 = await startExecution(store, { pipeline: "a" });
    assertEquals(await lastSuccessfulExecution(store, "a"), a1);
    assertEquals(await lastSuccessfulExecution(store, "b"), b1);
    assertEquals(await lastSuccessfulExecution(store, "c"), undefined);
    assertEquals(await executionCompletionTimestamp(store, a1), completedA1);
    // Unfinished: no time yet. No previous execution at all: the database's clock, as the Python
    // tool answered.
    assertEquals(await executionCompletionTimestamp(store, a2), "");
    assertMatch(await executionCompletionTimestamp(store, null), ISO_TIMESTAMP);
  },
);

testOnEachStore(
  "an unknown execution id is a NotFoundError, which names the step when the id is a step's",
  async (store) => {
    const unknown = crypto.randomUUID();
    await assertRejects(
      requireExecution(store, unknown),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message ===
          `Execution "${unknown}" does not exist: use an id printed by init-execution`,
    );
    const executionId = await startExecution(store, { pipeline: "default" });
    const stepId = await recordModels(store, { executionId, stepName: "load" }, { "a.sql": "a\n" });
    await assertRejects(
      completeExecution(store, stepId),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message === `Execution "${stepId}" does not exist: that id is step LOAD of ` +
            `execution "${executionId}"; use an id printed by init-execution`,
    );
  },
);
