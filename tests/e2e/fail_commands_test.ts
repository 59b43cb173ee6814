/**
 * fail-step and fail-execution on PostgreSQL and SQLite: they record why, a failed run is never
 * the last successful one, ending a record the other way is refused, and the history shows the
 * failures with their reasons.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  maskLog,
  openStoreUnderTest,
  snapshotTables,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";
import { assertQuiet, dpoOn, type DpoOnStore, type Json, masked } from "../helpers/json_output.ts";
import {
  assertAlignedTable,
  count,
  duration,
  HISTORY_HEADER,
  HISTORY_RIGHT_ALIGNED,
  SHOW_HEADER,
  SHOW_RIGHT_ALIGNED,
  tableOf,
} from "../helpers/text_tables.ts";
import { arrangeInProcess, checksRendering, onEachStore } from "../helpers/recorded_runs.ts";
import { recordModels } from "../helpers/integration_store.ts";
import { endExecution, startExecution } from "../../src/service/executions.ts";
import { endStep } from "../../src/service/steps.ts";

/** A completed run e1, then run e2 whose LOAD step s2 failed, then e2 failed; their JSON. */
async function recordFailedRun(dpo: DpoOnStore, root: string) {
  await writeModels(root, { "load/a.sql": "select 'a';\n", "transform/t.sql": "select 't';\n" });
  const e1 = await dpo.line(["init-execution"]);
  assertQuiet(await dpo.run(["complete-execution", e1]), /Steps Processed: 0\.\n$/);
  const e2 = await dpo.line(["init-execution"]);
  const s2 = await dpo.line(["init-step", e2, "load", root, "load/*.sql"]);
  const failStep = await dpo.json(["fail-step", s2, "--reason", "disk full: /var/lib"]);
  const failRun = await dpo.json(["fail-execution", e2, "--reason", "LOAD failed"]);
  return { e1, e2, s2, failStep, failRun };
}

/** Every row of dpo's three tables. */
const snapshotRows = (store: StoreUnderTest) => snapshotTables(store.rows);

Deno.test("fail-step and fail-execution print the failed record as JSON, log why, and leave the last successful run as it was, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { e1, e2, s2, failStep, failRun } = await recordFailedRun(dpo, models.path);

    assertEquals(masked(failStep.doc), {
      step_id: s2,
      execution_id: e2,
      step_name: "LOAD",
      status: "FAILED",
      started_on: "<time>",
      completed_on: "<time>",
      execution_time_ms: "<ms>",
      failure_reason: "disk full: /var/lib",
      models: 1,
      rows_processed: null,
    });
    assertEquals(
      maskLog(failStep.stderr),
      `<log> - dpo - INFO - Step "${s2}" (LOAD) failed on <time>: disk full: /var/lib\n`,
    );
    assertEquals(masked(failRun.doc), {
      execution_id: e2,
      pipeline: "default",
      status: "FAILED",
      started_on: "<time>",
      completed_on: "<time>",
      execution_time_ms: "<ms>",
      failure_reason: "LOAD failed",
      steps: 1,
      models: 1,
      rows_processed: null,
    });
    assertEquals(
      maskLog(failRun.stderr),
      `<log> - dpo - INFO - Execution "${e2}" failed on <time>: LOAD failed\n`,
    );
    assertEquals(await dpo.line(["get-last-successful-execution"]), e1);
    assertEquals(await dpo.run(["get-execution-completion-timestamp", e2]), {
      code: 0,
      stdout: "\n",
      stderr: "",
    });

    const e3 = await dpo.line(["init-execution"]);
    assertQuiet(
      await dpo.run(["fail-execution", e3]),
      `<log> - dpo - INFO - Execution "${e3}" failed on <time>: no reason given\n`,
    );
    assertEquals(await dpo.line(["get-last-successful-execution"]), e1);

    // What is stored: the status, the reason and the database's time of the failure.
    const stored = await store.rows(
      `SELECT CAST(execution_id AS text) AS id, status, failure_reason,
         CASE WHEN completed_on IS NULL THEN 'no' ELSE 'yes' END AS ended
       FROM dpo.execution
       UNION ALL SELECT CAST(execution_step_id AS text), status, failure_reason,
         CASE WHEN completed_on IS NULL THEN 'no' ELSE 'yes' END
       FROM dpo.execution_step`,
    );
    const byId = (x: Json, y: Json) => x.id < y.id ? -1 : 1;
    assertEquals(
      stored.sort(byId),
      [
        { id: e1, status: "COMPLETED", failure_reason: null, ended: "yes" },
        { id: e2, status: "FAILED", failure_reason: "LOAD failed", ended: "yes" },
        { id: e3, status: "FAILED", failure_reason: null, ended: "yes" },
        { id: s2, status: "FAILED", failure_reason: "disk full: /var/lib", ended: "yes" },
      ].sort(byId),
    );
  }));

Deno.test("failing a failed record again only warns, and completing it, adding a step or failing a completed run is refused, writing nothing, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const root = models.path;
    await writeModels(root, { "transform/t.sql": "select 't';\n" });
    const { e1, e2, s2 } = await arrangeInProcess(store, async (service) => {
      const e1 = await startExecution(service, { pipeline: "default" });
      await endExecution(service, e1, { status: "COMPLETED" });
      const e2 = await startExecution(service, { pipeline: "default" });
      const s2 = await recordModels(service, { executionId: e2, stepName: "load" }, {
        "a.sql": "select 'a';\n",
      });
      await endStep(service, s2, { status: "FAILED", failureReason: "disk full: /var/lib" });
      await endExecution(service, e2, { status: "FAILED", failureReason: "LOAD failed" });
      return { e1, e2, s2 };
    });

    const before = await snapshotRows(store);
    assertQuiet(
      await dpo.run(["fail-step", s2, "--reason", "other"]),
      `<log> - dpo - WARNING - Step "${s2}" (LOAD) had already failed on <time>: unchanged\n`,
    );
    assertQuiet(
      await dpo.run(["fail-execution", e2, "--reason", "other"]),
      `<log> - dpo - WARNING - Execution "${e2}" had already failed on <time>: unchanged\n`,
    );
    assertCleanFailure(
      await dpo.run(["complete-step", s2, "-r", "1"]),
      1,
      new RegExp(`^error: Step "${s2}" has failed and cannot be completed: start a new execution$`),
    );
    assertCleanFailure(
      await dpo.run(["complete-execution", e2]),
      1,
      new RegExp(
        `^error: Execution "${e2}" has failed and cannot be completed: start a new execution$`,
      ),
    );
    assertCleanFailure(
      await dpo.run(["init-step", e2, "transform", root, "transform/*.sql"]),
      1,
      new RegExp(
        `^error: Execution "${e2}" is already failed: start a new one with init-execution$`,
      ),
    );
    assertCleanFailure(
      await dpo.run(["fail-execution", e1, "--reason", "late"]),
      1,
      new RegExp(`^error: Execution "${e1}" is already completed and cannot fail: `),
    );
    assertEquals(await snapshotRows(store), before);
  }));

Deno.test("fail-step of an unknown step fails with exit code 1, fail-execution of a malformed id with 2", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  const dpo = dpoOn(store);
  const unknownStep = crypto.randomUUID();
  const [missing, malformed] = await Promise.all([
    dpo.run(["fail-step", unknownStep]),
    dpo.run(["fail-execution", "not-a-uuid"]),
  ]);
  assertCleanFailure(missing, 1, new RegExp(`^error: Step "${unknownStep}" does not exist: `));
  assertCleanFailure(malformed, 2, /not-a-uuid/);
});

Deno.test("executions --status failed and executions show list the failures with their reasons, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { e1, e2, s2, failStep, failRun } = await recordFailedRun(dpo, models.path);
    const e3 = await dpo.line(["init-execution"]);
    await dpo.json(["fail-execution", e3]);

    const failed = await dpo.read(["executions", "--status", "failed"]);
    assertEquals(
      failed.map((e: Json) => [e.execution_id, e.status, e.failure_reason]),
      [[e3, "FAILED", null], [e2, "FAILED", "LOAD failed"]],
    );
    assertEquals(failed[1], failRun.doc);
    const show = await dpo.read(["executions", "show", e2]);
    assertEquals(show.failure_reason, "LOAD failed");
    assertEquals(show.previous_execution_id, e1);
    assertEquals(show.steps, [{ ...failStep.doc, changed_models: 1 }]);
    if (!checksRendering(store)) return;
    assertAlignedTable(
      tableOf(await dpo.run(["executions", "--status", "failed"])),
      HISTORY_HEADER,
      failed.map((e: Json) => [
        e.execution_id,
        "FAILED",
        e.started_on,
        duration(e.execution_time_ms),
        count(e.steps),
        count(e.models),
        "-",
      ]),
      HISTORY_RIGHT_ALIGNED,
    );
    const showText = tableOf(await dpo.run(["executions", "show", e2])).split("\n");
    assertEquals(showText.slice(0, 3), [
      `Execution ${e2} (default): FAILED, started ${show.started_on}, took ` +
      `${duration(show.execution_time_ms)}, failed: LOAD failed`,
      `Compared with: ${e1}`,
      "",
    ]);
    assertAlignedTable(showText.slice(3).join("\n"), SHOW_HEADER, [
      ["LOAD", "FAILED", duration(failStep.doc.execution_time_ms), "1", "1", "-", s2],
    ], SHOW_RIGHT_ALIGNED);
  }));
