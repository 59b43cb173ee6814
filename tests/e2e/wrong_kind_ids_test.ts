/**
 * Issue 17: a step id given where an execution id belongs (or the reverse) is named for what it
 * is, on PostgreSQL and on the embedded store; nothing is written.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  openStoreUnderTest,
  snapshotTables,
  STORE_KINDS,
} from "../helpers/pipeline.ts";

for (const kind of STORE_KINDS) {
  Deno.test(`${kind}: an id of the wrong kind says what it is and which id to use`, async (t) => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    await writeModels(models.path, { "a.sql": "select 1;\n" });
    const executionId = await dpoOk([...store.args, "--pipeline", "nightly", "init-execution"]);
    const stepId = await dpoOk([...store.args, "init-step", executionId, "load", models.path, "*"]);
    const stepAsExecution = new RegExp(
      `^error: Execution "${stepId}" does not exist: that id is step LOAD of execution ` +
        `"${executionId}"; use an id printed by init-execution$`,
    );
    const executionAsStep = new RegExp(
      `^error: Step "${executionId}" does not exist: that id is an execution of pipeline ` +
        `"nightly"; use an id printed by init-step$`,
    );
    const cases = [
      { args: ["complete-execution", stepId], message: stepAsExecution },
      { args: ["init-step", stepId, "LOAD", models.path, "*"], message: stepAsExecution },
      { args: ["compare-step-models", stepId, stepId], message: stepAsExecution },
      { args: ["diff", stepId, executionId], message: stepAsExecution },
      { args: ["get-execution-completion-timestamp", stepId], message: stepAsExecution },
      { args: ["complete-step", executionId], message: executionAsStep },
      { args: ["fail-step", executionId], message: executionAsStep },
      { args: ["compare-step-models", executionId, ""], message: executionAsStep },
    ];
    const before = await snapshotTables(store.rows);
    for (const { args, message } of cases) {
      await t.step(args.join(" "), async () => {
        assertCleanFailure(await runDpo([...store.args, ...args]), 1, message);
      });
    }
    assertEquals(await snapshotTables(store.rows), before);
  });
}
