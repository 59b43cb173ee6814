/**
 * The step workflows in-process on PostgreSQL and SQLite: record a step's model checksums, end it
 * once (completed with its rows, or failed and why), unknown ids.
 */
import { createHash } from "node:crypto";
import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { ConflictError, NotFoundError } from "../../src/errors.ts";
import { endExecution, requireExecution, startExecution } from "../../src/service/executions.ts";
import { endStep, requireStep } from "../../src/service/steps.ts";
import type { Store } from "../../src/store/database.ts";
import { recordingLog, recordModels, testOnEachStore } from "../helpers/integration_store.ts";
import { snapshotTables } from "../helpers/pipeline.ts";

const MAX_ROWS = 9223372036854775807n;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The step's stored models as `name=checksum`, by name. */
async function storedModels(store: Store, stepId: string): Promise<string[]> {
  const rows = await store.query<{ model_name: string; checksum: string }>(
    `SELECT model_name, checksum FROM dpo.execution_step_model
     WHERE CAST(execution_step_id AS text) = $1`,
    [stepId],
  );
  return rows.map((row) => `${row.model_name}=${row.checksum}`).sort();
}

testOnEachStore(
  "recordStep() stores each model's SHA-256 under its name, upper-cases the step and moves the execution in progress",
  async (store) => {
    const executionId = await startExecution(store, { pipeline: "default" });
    const stepId = await recordModels(store, { executionId, stepName: "Load" }, {
      "orders.sql": "select 1;\n",
      "sub/customers.csv": "id\n1\n",
    });
    assertEquals(await storedModels(store, stepId), [
      `customers=${sha256("id\n1\n")}`,
      `orders=${sha256("select 1;\n")}`,
    ]);
    const step = await requireStep(store, stepId);
    assertEquals([step.stepName, step.status, step.modelCount, step.executionId], [
      "LOAD",
      "IN_PROGRESS",
      2n,
      executionId,
    ]);
    assertEquals((await requireExecution(store, executionId)).status, "IN_PROGRESS");
  },
);

testOnEachStore(
  "recordStep() with patterns that match nothing records a step without models and warns",
  async (store) => {
    const executionId = await startExecution(store, { pipeline: "default" });
    const log = recordingLog();
    const stepId = await recordModels(store, { executionId, stepName: "audit" }, {}, log);
    assertEquals((await requireStep(store, stepId)).modelCount, 0n);
    assertEquals(log.warnings.length, 1);
    assertEquals(log.warnings[0].endsWith(": the step is recorded without models"), true);
  },
);

testOnEachStore(
  "recordStep() refuses an execution that has ended and writes nothing",
  async (store) => {
    for (const end of ["completed", "failed"] as const) {
      const executionId = await startExecution(store, { pipeline: "default" });
      if (end === "completed") await endExecution(store, executionId, { status: "COMPLETED" });
      else await endExecution(store, executionId, { status: "FAILED", failureReason: null });
      const before = await snapshotTables((query) => store.query(query));
      await assertRejects(
        recordModels(store, { executionId, stepName: "load" }, { "a.sql": "a\n" }),
        (error: Error) =>
          error instanceof ConflictError &&
          error.message ===
            `Execution "${executionId}" is already ${end}: start a new one with init-execution`,
      );
      assertEquals(await snapshotTables((query) => store.query(query)), before);
    }
  },
);

testOnEachStore(
  "endStep() completes a step once, its row count exact beyond 2^53; failing it then is refused",
  async (store) => {
    const executionId = await startExecution(store, { pipeline: "default" });
    const stepId = await recordModels(store, { executionId, stepName: "load" }, { "a.sql": "a\n" });
    const ended = await endStep(store, stepId, { status: "COMPLETED", rowsProcessed: MAX_ROWS });
    assertEquals([ended.unchanged, ended.record.status, ended.record.rowsProcessed], [
      false,
      "COMPLETED",
      MAX_ROWS,
    ]);
    const again = await endStep(store, stepId, { status: "COMPLETED", rowsProcessed: 5n });
    assertEquals([again.unchanged, again.record.rowsProcessed], [true, MAX_ROWS]);
    await assertRejects(
      endStep(store, stepId, { status: "FAILED", failureReason: "late" }),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message.startsWith(`Step "${stepId}" is already completed and cannot fail: `),
    );
    const totals = await endExecution(store, executionId, { status: "COMPLETED" });
    assertEquals(totals.record.rowsProcessed, MAX_ROWS);
    const noCount = await recordModels(
      store,
      { executionId: await startExecution(store, { pipeline: "default" }), stepName: "load" },
      { "a.sql": "a\n" },
    );
    assertEquals(
      (await endStep(store, noCount, { status: "COMPLETED", rowsProcessed: null })).record
        .rowsProcessed,
      null,
    );
  },
);

testOnEachStore(
  "endStep() failing a step records why and keeps the first reason; completing it then is refused",
  async (store) => {
    const executionId = await startExecution(store, { pipeline: "default" });
    const stepId = await recordModels(store, { executionId, stepName: "load" }, { "a.sql": "a\n" });
    const failed = await endStep(store, stepId, {
      status: "FAILED",
      failureReason: "disk full: /var/lib",
    });
    assertEquals([failed.unchanged, failed.record.status, failed.record.failureReason], [
      false,
      "FAILED",
      "disk full: /var/lib",
    ]);
    const again = await endStep(store, stepId, { status: "FAILED", failureReason: "other" });
    assertEquals([again.unchanged, again.record.failureReason], [true, "disk full: /var/lib"]);
    await assertRejects(
      endStep(store, stepId, { status: "COMPLETED", rowsProcessed: 1n }),
      (error: Error) =>
        error instanceof ConflictError &&
        error.message ===
          `Step "${stepId}" has failed and cannot be completed: start a new execution`,
    );
    // A failed step does not end its execution.
    assertEquals((await requireExecution(store, executionId)).status, "IN_PROGRESS");
  },
);

testOnEachStore(
  "an unknown step id is a NotFoundError, which names the pipeline when the id is an execution's",
  async (store) => {
    const unknown = crypto.randomUUID();
    await assertRejects(
      endStep(store, unknown, { status: "COMPLETED", rowsProcessed: null }),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message === `Step "${unknown}" does not exist: use an id printed by init-step`,
    );
    const executionId = await startExecution(store, { pipeline: "nightly" });
    await assertRejects(
      endStep(store, executionId, { status: "FAILED", failureReason: null }),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message === `Step "${executionId}" does not exist: that id is an execution of ` +
            `pipeline "nightly"; use an id printed by init-step`,
    );
  },
);
