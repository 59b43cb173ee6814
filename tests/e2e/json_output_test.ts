/**
 * `--format json` on the commands that record a run, on PostgreSQL and SQLite: each prints one
 * JSON document while its text output and its log stay what the seed printed. Integers beyond
 * 2^53 stay exact.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { maskLog } from "../helpers/pipeline.ts";
import { assertQuiet, dpoOn, masked, MAX_ROWS, UUID } from "../helpers/json_output.ts";
import { checksRendering, FIRST_RUN_MODELS, onEachStore } from "../helpers/recorded_runs.ts";

const HEAD = "0003_pipelines_and_failures";

Deno.test("init-execution, init-step and a first compare-step-models print their seed text, or one JSON document with --format json, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const root = models.path;
    await writeModels(root, FIRST_RUN_MODELS);

    const e1 = await dpo.line(["init-execution"]);
    assertMatch(e1, UUID);
    const l1 = await dpo.line(["--format", "text", "init-step", e1, "load", root, "load/*.sql"]);
    assertMatch(l1, UUID);
    const transform = await dpo.read(["init-step", e1, "transform", root, "transform/*.sql"]);
    const t1 = transform.step_id;
    assertMatch(t1, UUID);
    assertEquals(transform, { step_id: t1, execution_id: e1, step_name: "TRANSFORM", models: 2 });
    assertEquals(await dpo.read(["compare-step-models", l1, ""]), {
      step_id: l1,
      previous_execution_id: null,
      changed: ["B", "_x", "c", "keep"],
      added: ["B", "_x", "c", "keep"],
      modified: [],
      deleted: [],
      renamed: [],
      unchanged: 0,
    });

    const init2 = await dpo.read(["init-execution"]);
    const e2 = init2.execution_id;
    assertMatch(e2, UUID);
    assertEquals(init2, { execution_id: e2, pipeline: "default" });
  }));

Deno.test("complete-step and complete-execution print the ended record as JSON, exact beyond 2^53, and log their summary as before, also for a run with a step in progress, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const root = models.path;
    await writeModels(root, FIRST_RUN_MODELS);
    const e1 = await dpo.line(["init-execution"]);
    const l1 = await dpo.line(["init-step", e1, "load", root, "load/*.sql"]);
    const t1 = await dpo.line(["init-step", e1, "transform", root, "transform/*.sql"]);

    const completeLoad = await dpo.json(["complete-step", l1, "-r", MAX_ROWS]);
    assert(completeLoad.stdout.includes(`"rows_processed":${MAX_ROWS}}`), completeLoad.stdout);
    assertEquals(masked(completeLoad.doc), {
      step_id: l1,
      execution_id: e1,
      step_name: "LOAD",
      status: "COMPLETED",
      started_on: "<time>",
      completed_on: "<time>",
      execution_time_ms: "<ms>",
      failure_reason: null,
      models: 4,
      rows_processed: BigInt(MAX_ROWS),
    });
    // --format json changes stdout only: the summary is logged as before.
    assertEquals(
      maskLog(completeLoad.stderr),
      "<log> - dpo - INFO - Completed Execution Step: LOAD; Started On: <time>; Completed On: " +
        "<time>; Execution Time: <duration>; Models Processed: 4; " +
        "Rows Processed: 9,223,372,036,854,775,807.\n",
    );
    assertQuiet(
      await dpo.run(["complete-step", t1]),
      "<log> - dpo - INFO - Completed Execution Step: TRANSFORM; Started On: <time>; " +
        "Completed On: <time>; Execution Time: <duration>; Models Processed: 2; " +
        "Rows Processed: N/A.\n",
    );
    const completeRun = await dpo.json(["complete-execution", e1]);
    assert(completeRun.stdout.includes(`"rows_processed":${MAX_ROWS}}`), completeRun.stdout);
    assertEquals(masked(completeRun.doc), {
      execution_id: e1,
      pipeline: "default",
      status: "COMPLETED",
      started_on: "<time>",
      completed_on: "<time>",
      execution_time_ms: "<ms>",
      failure_reason: null,
      steps: 2,
      models: 6,
      rows_processed: BigInt(MAX_ROWS),
    });
    assertEquals(
      maskLog(completeRun.stderr),
      `<log> - dpo - INFO - Completed Execution: ${e1}; Started On: <time>; Completed On: ` +
        "<time>; Execution Time: <duration>; Steps Processed: 2.\n",
    );

    // The long option, and a run completed while one of its steps is still in progress.
    const e2 = await dpo.line(["init-execution"]);
    const l2 = await dpo.line(["init-step", e2, "LOAD", root, "load/*.sql"]);
    assertMatch(l2, UUID);
    await dpo.line(["init-step", e2, "export", root, "transform/*.sql"]);
    assertQuiet(
      await dpo.run(["complete-step", l2, "--rows-processed", "5"]),
      /Rows Processed: 5\.\n$/,
    );
    assertQuiet(await dpo.run(["complete-execution", e2]), /Steps Processed: 2\.\n$/);
  }));

Deno.test("get-last-successful-execution and get-execution-completion-timestamp print the completed run, as text and as JSON, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    const dpo = dpoOn(store);
    const e1 = await dpo.line(["init-execution"]);
    const completedOn = (await dpo.json(["complete-execution", e1])).doc.completed_on;
    assertEquals(await dpo.line(["get-last-successful-execution"]), e1);
    assertEquals(await dpo.line(["get-execution-completion-timestamp", e1]), completedOn);
    if (checksRendering(store)) {
      assertEquals(await dpo.read(["get-last-successful-execution"]), {
        execution_id: e1,
        pipeline: "default",
      });
      assertEquals(await dpo.read(["get-execution-completion-timestamp", e1]), {
        execution_id: e1,
        timestamp: completedOn,
      });
    }
  }));

Deno.test("db current, db history and db upgrade print JSON, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    const dpo = dpoOn(store);
    assertEquals(await dpo.read(["db", "current"]), { revision: HEAD, head: true });
    assertEquals(masked(await dpo.read(["db", "history"])), [
      { revision: "0001_python_schema", applied_on: "<time>", note: null },
      { revision: "0002_query_indexes", applied_on: "<time>", note: null },
      { revision: HEAD, applied_on: "<time>", note: null },
    ]);
    const upgrade = await dpo.json(["db", "upgrade"]);
    assertEquals(upgrade.doc, { applied: [] });
    assertMatch(upgrade.stderr, /INFO - The database is already at the requested revision\n$/);
  }));
