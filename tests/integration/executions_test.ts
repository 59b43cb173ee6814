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
  endExecution,
  executionCompletionTimestamp,
  ExecutionExistsError,
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
    assertEquals([started.pipeline, started.status, started.completedOn], [
      "nightly",
      "INITIALISED",
      null,
    ]);
    assertMatch(started.startedOn, ISO_TIMESTAMP);
    await assertRejects(
      startExecution(store, { executionId: chosen, pipeline: "other" }),
      (error: Error) =>
        error instanceof ExecutionExistsError && error instanceof ConflictError &&
        error.executionId === chosen && error.message === `Execution "${chosen}" already exists`,
    );
    assertEquals((await requireExecution(store, chosen)).pipeline, "nightly");
  },
);

testOnEachStore(
  "endExecution() completes a run once with its totals; again it changes nothing, and failing it then is refused",
  async (store) => {
    const executionId = await startExecution(store, { pipeline: "default" });
    await recordModels(store, { executionId, stepName: "load" }, {
      "a.sql": "a\n",
      "b.sql": "b\n",
    });
    const ended = await endExecution(store, executionId, { status: "COMPLETED" });
    assertEquals(ended.unchanged, false);
    assertEquals(
      [
        ended.record.status,
        ended.record.stepCount,
        ended.record.modelCount,
        ended.record.rowsProcessed,
      ],
      ["COMPLETED", 1n, 2n, null],
    );
    assertMatch(ended.record.completedOn!, ISO_TIMESTAMP);
    assert(ended.record.executionTimeMs !== null && ended.record.executionTimeMs >= 0n);
    assertEquals(await endExecution(store, executionId, { status: "COMPLETED" }), {
      record: ended.record,
      unchanged: true,
    });
    await assertRejects(
      endExecution(store, executionId, { status: "FAILED", failureReason: "late" }),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message.startsWith(
          `Execution "${executionId}" is already completed and cannot fail: `,
        ),
    );
    assertEquals((await requireExecution(store, executionId)).failureReason, null);
  },
);

testOnEachStore(
  "endExecution() failing a run records why; a failed run is never the last successful one, has no completion time and cannot be completed",
  async (store) => {
    const good = await startExecution(store, { pipeline: "default" });
    await endExecution(store, good, { status: "COMPLETED" });
    const bad = await startExecution(store, { pipeline: "default" });
    const failed = await endExecution(store, bad, {
      status: "FAILED",
      failureReason: "LOAD failed",
    });
    assertEquals([failed.unchanged, failed.record.status, failed.record.failureReason], [
      false,
      "FAILED",
      "LOAD failed",
    ]);
    assertMatch(failed.record.completedOn!, ISO_TIMESTAMP);
    assertEquals(await lastSuccessfulExecution(store, "default"), good);
    assertEquals(await executionCompletionTimestamp(store, bad), null);
    // Failing again keeps the first reason.
    const again = await endExecution(store, bad, { status: "FAILED", failureReason: "other" });
    assertEquals([again.unchanged, again.record.failureReason], [true, "LOAD failed"]);
    await assertRejects(
      endExecution(store, bad, { status: "COMPLETED" }),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message ===
          `Execution "${bad}" has failed and cannot be completed: start a new execution`,
    );
    const noReason = await startExecution(store, { pipeline: "default" });
    assertEquals(
      (await endExecution(store, noReason, { status: "FAILED", failureReason: null })).record
        .failureReason,
      null,
    );
    assertEquals(await lastSuccessfulExecution(store, "default"), good);
  },
);

testOnEachStore(
  "lastSuccessfulExecution() and executionCompletionTimestamp() answer per pipeline",
  async (store) => {
    assertEquals(await lastSuccessfulExecution(store, "a"), undefined);
    const a1 = await startExecution(store, { pipeline: "a" });
    const b1 = await startExecution(store, { pipeline: "b" });
    const completedA1 = (await endExecution(store, a1, { status: "COMPLETED" })).record.completedOn;
    await endExecution(store, b1, { status: "COMPLETED" });
    const a2 = await startExecution(store, { pipeline: "a" });
    assertEquals(await lastSuccessfulExecution(store, "a"), a1);
    assertEquals(await lastSuccessfulExecution(store, "b"), b1);
    assertEquals(await lastSuccessfulExecution(store, "c"), undefined);
    assertEquals(await executionCompletionTimestamp(store, a1), completedA1);
    // Unfinished: no time yet. No previous execution at all: the database's clock, as the Python
    // tool answered.
    assertEquals(await executionCompletionTimestamp(store, a2), null);
    assertMatch(String(await executionCompletionTimestamp(store, null)), ISO_TIMESTAMP);
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
      endExecution(store, stepId, { status: "COMPLETED" }),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message === `Execution "${stepId}" does not exist: that id is step LOAD of ` +
            `execution "${executionId}"; use an id printed by init-execution`,
    );
  },
);
