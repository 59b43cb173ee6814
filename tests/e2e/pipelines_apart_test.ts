/**
 * Several pipelines in one store, on PostgreSQL and SQLite: --pipeline, DPO_PIPELINE and the
 * default pipeline keep their executions, last successes and comparisons apart.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { assertCleanFailure, openStoreUnderTest } from "../helpers/pipeline.ts";
import { assertQuiet, dpoOn, ids, type Json, UUID } from "../helpers/json_output.ts";
import { checksRendering, onEachStore } from "../helpers/recorded_runs.ts";

const envB = { env: { DPO_PIPELINE: "b" } };

Deno.test("--pipeline, DPO_PIPELINE and the default pipeline keep their last successful executions and histories apart, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    const dpo = dpoOn(store);
    const initA = await dpo.read(["--pipeline", "a", "init-execution"]);
    const a1 = initA.execution_id;
    assertEquals(initA, { execution_id: a1, pipeline: "a" });
    const b1 = await dpo.line(["init-execution"], envB);
    assertMatch(b1, UUID);
    const d1 = await dpo.line(["init-execution"]);
    const c1 = await dpo.line(["init-execution", "--pipeline", "c"]);
    // The default pipeline's run completes last, so it is the newest success in the database.
    for (const id of [a1, b1, d1]) {
      assertQuiet(await dpo.run(["complete-execution", id]), /Completed Execution: /);
    }

    assertEquals(await dpo.line(["--pipeline", "a", "get-last-successful-execution"]), a1);
    assertEquals(await dpo.line(["get-last-successful-execution"], envB), b1);
    if (checksRendering(store)) {
      assertEquals(await dpo.line(["get-last-successful-execution", "--pipeline", "b"]), b1);
    }
    assertEquals(await dpo.line(["get-last-successful-execution"]), d1);
    // --pipeline wins over DPO_PIPELINE.
    assertEquals(await dpo.line(["--pipeline", "a", "get-last-successful-execution"], envB), a1);
    // c has only an unfinished run; "nope" has none.
    assertEquals(
      await dpo.line(["--pipeline", "c", "get-last-successful-execution"]),
      "NO_LAST_SUCCESSFUL_EXECUTION",
    );
    if (checksRendering(store)) {
      assertEquals(await dpo.read(["--pipeline", "nope", "get-last-successful-execution"]), {
        execution_id: null,
        pipeline: "nope",
      });
    }

    assertEquals(
      (await dpo.read(["executions", "--pipeline", "a"])).map((e: Json) => [
        e.execution_id,
        e.pipeline,
      ]),
      [[a1, "a"]],
    );
    assertEquals(ids(await dpo.read(["executions"], envB)), [b1]);
    assertEquals(ids(await dpo.read(["executions"])), [d1]);
    assertEquals(ids(await dpo.read(["--pipeline", "c", "executions"])), [c1]);

    const stored = await store.rows(
      "SELECT CAST(execution_id AS text) AS id, pipeline FROM dpo.execution ORDER BY pipeline, started_on",
    );
    assertEquals(stored, [
      { id: a1, pipeline: "a" },
      { id: b1, pipeline: "b" },
      { id: c1, pipeline: "c" },
      { id: d1, pipeline: "default" },
    ]);
  }));

Deno.test("a new run of a pipeline is compared with that pipeline's last success, not a newer one of another, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    const dpo = dpoOn(store);
    const a1 = await dpo.line(["--pipeline", "a", "init-execution"]);
    const d1 = await dpo.line(["init-execution"]);
    for (const id of [a1, d1]) await dpo.json(["complete-execution", id]);

    const a2 = await dpo.line(["--pipeline", "a", "init-execution"]);
    const showA2 = await dpo.read(["executions", "show", a2]);
    assertEquals([showA2.pipeline, showA2.previous_execution_id], ["a", a1]);
    const stored = await store.rows(
      "SELECT CAST(execution_id AS text) AS id, pipeline FROM dpo.execution ORDER BY pipeline, started_on",
    );
    assertEquals(stored, [
      { id: a1, pipeline: "a" },
      { id: a2, pipeline: "a" },
      { id: d1, pipeline: "default" },
    ]);
  }));

Deno.test("a pipeline name over 100 characters and an unknown --format are usage errors found before anything is written", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  const dpo = dpoOn(store);
  const [tooLong, badFormat] = await Promise.all([
    dpo.run(["--pipeline", "p".repeat(101), "init-execution"]),
    dpo.run(["--format", "yaml", "--pipeline", "a", "init-execution"]),
  ]);
  assertCleanFailure(tooLong, 2, /^error: Pipeline "p{101}" is longer than 100 characters/);
  assertCleanFailure(badFormat, 2, /^error: Format "yaml" is not known: choose text or json$/);
  assertEquals(await store.rows("SELECT execution_id FROM dpo.execution"), []);
});
