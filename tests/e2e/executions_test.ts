/**
 * The run history, on PostgreSQL and SQLite: `executions` newest first, filtered, as JSON and as
 * an aligned table; `executions show` with each step's changes since the run before.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure, openStoreUnderTest } from "../helpers/pipeline.ts";
import { dpoOn, ids, type Json, masked, MAX_ROWS } from "../helpers/json_output.ts";
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
import {
  checksRendering,
  onEachStore,
  recordFirstRun,
  recordSecondRun,
} from "../helpers/recorded_runs.ts";

Deno.test("executions lists runs newest first, as JSON and as an aligned table, and filters by --limit, --status and --since, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { completedRun } = await recordFirstRun(dpo, store, models.path);
    const { e2 } = await recordSecondRun(store, models.path);

    const history = await dpo.read(["executions"]);
    assertEquals(masked(history), [
      {
        execution_id: e2,
        pipeline: "default",
        status: "COMPLETED",
        started_on: "<time>",
        completed_on: "<time>",
        execution_time_ms: "<ms>",
        failure_reason: null,
        steps: 2,
        models: 6,
        rows_processed: 5,
      },
      { ...masked(completedRun) },
    ]);
    assertEquals(history[1], completedRun);
    assertAlignedTable(
      tableOf(await dpo.run(["executions"])),
      HISTORY_HEADER,
      history.map((e: Json) => [
        e.execution_id,
        e.status,
        e.started_on,
        duration(e.execution_time_ms),
        count(e.steps),
        count(e.models),
        count(e.rows_processed),
      ]),
      HISTORY_RIGHT_ALIGNED,
    );
    assertEquals(ids(await dpo.read(["executions", "--limit", "1"])), [e2]);
    const since = history[0].started_on;
    assertEquals(ids(await dpo.read(["executions", "--status", "completed", "--since", since])), [
      e2,
    ]);
  }));

Deno.test("executions prints only its header when no run matches, and refuses a bad --limit, --status, --since or --format with exit code 2", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  const dpo = dpoOn(store);
  await dpo.json(["complete-execution", await dpo.line(["init-execution"])]);
  assertEquals(
    await dpo.run(["executions", "--status", "FAILED", "--since", "2000-01-01"]),
    {
      code: 0,
      stdout: "EXECUTION ID  STATUS  STARTED  DURATION  STEPS  MODELS  ROWS PROCESSED\n",
      stderr: "",
    },
  );
  const badValues = await Promise.all([
    ["executions", "--limit", "0"],
    ["executions", "--limit", "ten"],
    ["executions", "--status", "DONE"],
    ["executions", "--since", "yesterday"],
    ["executions", "--since", "2026-02-30"],
    ["--format", "yaml", "executions"],
  ].map((args) => dpo.run(args)));
  assertCleanFailure(badValues[0], 2, /^error: --limit "0" is not a whole number/);
  assertCleanFailure(badValues[1], 2, /^error: --limit "ten" is not a whole number/);
  assertCleanFailure(badValues[2], 2, /^error: --status "DONE" is not known: choose one of /);
  assertCleanFailure(badValues[3], 2, /^error: --since "yesterday" is not an ISO 8601 time/);
  assertCleanFailure(badValues[4], 2, /^error: --since "2026-02-30" is not an ISO 8601 time/);
  assertCleanFailure(badValues[5], 2, /^error: Format "yaml" is not known: choose text or json$/);
});

Deno.test("executions show lists each step with how many models changed since the run before, an unfinished one too, as JSON and text, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { e1 } = await recordFirstRun(dpo, store, models.path);
    const { e2, l2, x2 } = await recordSecondRun(store, models.path);

    const show = await dpo.read(["executions", "show", e2]);
    assertEquals(masked(show), {
      execution_id: e2,
      pipeline: "default",
      status: "COMPLETED",
      started_on: "<time>",
      completed_on: "<time>",
      execution_time_ms: "<ms>",
      failure_reason: null,
      steps: [
        {
          step_id: l2,
          execution_id: e2,
          step_name: "LOAD",
          status: "COMPLETED",
          started_on: "<time>",
          completed_on: "<time>",
          execution_time_ms: "<ms>",
          failure_reason: null,
          models: 5,
          rows_processed: 5,
          changed_models: 3,
        },
        {
          step_id: x2,
          execution_id: e2,
          step_name: "EXPORT",
          status: "IN_PROGRESS",
          started_on: "<time>",
          completed_on: null,
          execution_time_ms: null,
          failure_reason: null,
          models: 1,
          rows_processed: null,
          changed_models: 1,
        },
      ],
      models: 6,
      rows_processed: 5,
      previous_execution_id: e1,
    });
    const showText = tableOf(await dpo.run(["executions", "show", e2])).split("\n");
    assertEquals(showText.slice(0, 3), [
      `Execution ${e2} (default): COMPLETED, started ${show.started_on}, took ` +
      duration(show.execution_time_ms),
      `Compared with: ${e1}`,
      "",
    ]);
    assertAlignedTable(showText.slice(3).join("\n"), SHOW_HEADER, [
      ["LOAD", "COMPLETED", duration(show.steps[0].execution_time_ms), "5", "3", "5", l2],
      ["EXPORT", "IN_PROGRESS", "-", "1", "1", "-", x2],
    ], SHOW_RIGHT_ALIGNED);
  }));

Deno.test("executions show of a first run has nothing to compare with and keeps a row count beyond 2^53 exact, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { e1, l1, t1 } = await recordFirstRun(dpo, store, models.path);

    const show = await dpo.json(["executions", "show", e1]);
    assert(show.stdout.includes(`"rows_processed":${MAX_ROWS},"changed_models":null}`));
    assertEquals(show.doc.previous_execution_id, null);
    assertEquals(
      show.doc.steps.map((s: Json) => [s.step_id, s.rows_processed, s.changed_models]),
      [[l1, BigInt(MAX_ROWS), null], [t1, null, null]],
    );
    if (!checksRendering(store)) return;
    const showText = tableOf(await dpo.run(["executions", "show", e1])).split("\n");
    assertEquals(showText[1], "Compared with: no earlier successful execution");
    assertAlignedTable(showText.slice(3).join("\n"), SHOW_HEADER, [
      [
        "LOAD",
        "COMPLETED",
        duration(show.doc.steps[0].execution_time_ms),
        "4",
        "-",
        count(BigInt(MAX_ROWS)),
        l1,
      ],
      ["TRANSFORM", "COMPLETED", duration(show.doc.steps[1].execution_time_ms), "2", "-", "-", t1],
    ], SHOW_RIGHT_ALIGNED);
  }));
