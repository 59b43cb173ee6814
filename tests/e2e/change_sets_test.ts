/**
 * What changed between two runs, on PostgreSQL and SQLite: compare-step-models and compare-models
 * keep the seed's answer (added and modified), --name-status and JSON add deletions, and diff
 * compares any two executions both ways.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure, openStoreUnderTest } from "../helpers/pipeline.ts";
import { dpoOn } from "../helpers/json_output.ts";
import {
  checksRendering,
  onEachStore,
  recordFirstRun,
  recordSecondRun,
  SECOND_LOAD_CHANGES,
} from "../helpers/recorded_runs.ts";

Deno.test("compare-step-models and compare-models print the seed's answer, and --name-status and JSON add the deletions, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { e1 } = await recordFirstRun(dpo, store, models.path);
    const { e2, l2 } = await recordSecondRun(store, models.path);

    // The seed's answer is still added and modified only; --name-status adds the deletions.
    assertEquals(await dpo.line(["compare-step-models", l2, e1]), "B Z a");
    if (checksRendering(store)) {
      assertEquals(await dpo.run(["compare-step-models", l2, e1, "--name-status"]), {
        code: 0,
        stdout: "M B\nA Z\nD _x\nA a\n",
        stderr: "",
      });
    }
    assertEquals(await dpo.read(["compare-step-models", l2, e1, "--name-status"]), {
      step_id: l2,
      previous_execution_id: e1,
      ...SECOND_LOAD_CHANGES,
    });
    assertEquals(await dpo.line(["compare-models", e1, e2, "load"]), "B Z a");
    if (checksRendering(store)) {
      assertEquals(await dpo.read(["compare-models", e1, e2, "load"]), {
        execution_id: e2,
        previous_execution_id: e1,
        changed: ["B", "Z", "a"],
      });
    }
  }));

Deno.test("diff compares any two executions both ways, every step of either or one step, as text and JSON, on PostgreSQL and on SQLite", () =>
  onEachStore(async (store) => {
    await using models = await temporaryFolder();
    const dpo = dpoOn(store);
    const { e1 } = await recordFirstRun(dpo, store, models.path);
    const { e2 } = await recordSecondRun(store, models.path);

    assertEquals(await dpo.run(["diff", e1, e2]), {
      code: 0,
      stdout: "A EXPORT/e1\nM LOAD/B\nA LOAD/Z\nD LOAD/_x\nA LOAD/a\nD TRANSFORM/t1\n" +
        "D TRANSFORM/t2\n",
      stderr: "",
    });
    assertEquals(await dpo.read(["diff", e1, e2]), {
      from_execution_id: e1,
      to_execution_id: e2,
      steps: [
        {
          step_name: "EXPORT",
          changed: ["e1"],
          added: ["e1"],
          modified: [],
          deleted: [],
          renamed: [],
          unchanged: 0,
        },
        { step_name: "LOAD", ...SECOND_LOAD_CHANGES },
        {
          step_name: "TRANSFORM",
          changed: [],
          added: [],
          modified: [],
          deleted: ["t1", "t2"],
          renamed: [],
          unchanged: 0,
        },
      ],
    });
    assertEquals(await dpo.read(["diff", e2, e1, "--step", "load"]), {
      from_execution_id: e2,
      to_execution_id: e1,
      steps: [{
        step_name: "LOAD",
        changed: ["B", "_x"],
        added: ["_x"],
        modified: ["B"],
        deleted: ["Z", "a"],
        renamed: [],
        unchanged: 2,
      }],
    });
  }));

Deno.test("diff prints the reverse direction, one step named in any case, nothing between a run and itself, and refuses a step neither run has", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  await using models = await temporaryFolder();
  const dpo = dpoOn(store);
  const { e1 } = await recordFirstRun(dpo, store, models.path);
  const { e2 } = await recordSecondRun(store, models.path);

  assertEquals(await dpo.run(["diff", e2, e1]), {
    code: 0,
    stdout:
      "D EXPORT/e1\nM LOAD/B\nD LOAD/Z\nA LOAD/_x\nD LOAD/a\nA TRANSFORM/t1\nA TRANSFORM/t2\n",
    stderr: "",
  });
  assertEquals(await dpo.run(["diff", e1, e2, "--step", "Transform"]), {
    code: 0,
    stdout: "D TRANSFORM/t1\nD TRANSFORM/t2\n",
    stderr: "",
  });
  assertEquals(await dpo.run(["diff", e1, e1]), { code: 0, stdout: "", stderr: "" });
  assertCleanFailure(
    await dpo.run(["diff", e1, e2, "--step", "audit"]),
    1,
    /^error: Neither execution has a step "AUDIT": /,
  );
});
