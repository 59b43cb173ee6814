/**
 * What changed since a previous execution, in-process on PostgreSQL and SQLite: compare's
 * changed names and full change sets (deletions, renames, the unchanged count, code-point order),
 * the older compare by step name, and diff between any two executions.
 */
import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { NotFoundError } from "../../src/errors.ts";
import {
  compareExecutionModels,
  compareStepModels,
  diffExecutions,
  stepChangeSet,
} from "../../src/service/compare.ts";
import { endExecution, startExecution } from "../../src/service/executions.ts";
import type { Store } from "../../src/store/database.ts";
import { recordingLog, recordModels, testOnEachStore } from "../helpers/integration_store.ts";

/** Two completed runs: B edited, _x deleted, Z and a added in LOAD; TRANSFORM only in the first. */
async function twoRuns(store: Store) {
  const first = await startExecution(store, { pipeline: "default" });
  const load1 = await recordModels(store, { executionId: first, stepName: "load" }, {
    "B.sql": "B\n",
    "_x.sql": "_x\n",
    "c.sql": "c\n",
    "keep.sql": "keep\n",
  });
  await recordModels(store, { executionId: first, stepName: "transform" }, { "t1.sql": "1\n" });
  await endExecution(store, first, { status: "COMPLETED" });
  const second = await startExecution(store, { pipeline: "default" });
  const load2 = await recordModels(store, { executionId: second, stepName: "LOAD" }, {
    "B.sql": "B, edited\n",
    "Z.sql": "Z\n",
    "a.sql": "a\n",
    "c.sql": "c\n",
    "keep.sql": "keep\n",
  });
  await recordModels(store, { executionId: second, stepName: "export" }, { "e1.sql": "e1\n" });
  return { first, load1, second, load2 };
}

testOnEachStore(
  "compareStepModels() names the added and modified models in code-point order; stepChangeSet() adds deletions and the unchanged count",
  async (store) => {
    const { first, load2 } = await twoRuns(store);
    const log = recordingLog();
    const options = { stepId: load2, previousExecutionId: first };
    // Code-point order ("B" < "Z" < "_x" < "a") is not the ICU order the PostgreSQL test database
    // sorts text by.
    assertEquals(await compareStepModels(store, options, log), ["B", "Z", "a"]);
    assertEquals(await stepChangeSet(store, options, log), {
      added: ["Z", "a"],
      modified: ["B"],
      deleted: ["_x"],
      renamed: [],
      unchanged: 2,
    });
    assertEquals(log.warnings, []);
  },
);

testOnEachStore(
  "compare with no previous execution, or one without the step, counts every model as added, the latter with a warning",
  async (store) => {
    const { first, load1, second } = await twoRuns(store);
    const log = recordingLog();
    assertEquals(
      await compareStepModels(store, { stepId: load1, previousExecutionId: null }, log),
      ["B", "_x", "c", "keep"],
    );
    assertEquals(log.warnings, []);
    const export2 = await recordModels(store, { executionId: second, stepName: "audit" }, {
      "x.sql": "x\n",
    });
    assertEquals(
      await stepChangeSet(store, { stepId: export2, previousExecutionId: first }, log),
      { added: ["x"], modified: [], deleted: [], renamed: [], unchanged: 0 },
    );
    assertEquals(log.warnings, [
      `Execution "${first}" has no step "AUDIT": every model counts as changed`,
    ]);
  },
);

testOnEachStore(
  "a model moved under a new name with its content is a rename; two copies of one deleted file stay added",
  async (store) => {
    const first = await startExecution(store, { pipeline: "default" });
    await recordModels(store, { executionId: first, stepName: "load" }, {
      "old.sql": "moved\n",
      "twin.sql": "twin\n",
    });
    await endExecution(store, first, { status: "COMPLETED" });
    const second = await startExecution(store, { pipeline: "default" });
    const load2 = await recordModels(store, { executionId: second, stepName: "load" }, {
      "new.sql": "moved\n",
      "twin_a.sql": "twin\n",
      "twin_b.sql": "twin\n",
    });
    const options = { stepId: load2, previousExecutionId: first };
    assertEquals(await stepChangeSet(store, options, recordingLog()), {
      added: ["twin_a", "twin_b"],
      modified: [],
      deleted: ["twin"],
      renamed: [{ from: "old", to: "new" }],
      unchanged: 0,
    });
    // The seed's answer still names the new name as changed.
    assertEquals(await compareStepModels(store, options, recordingLog()), [
      "new",
      "twin_a",
      "twin_b",
    ]);
  },
);

testOnEachStore(
  "compareExecutionModels() compares a step by name and refuses an execution without it",
  async (store) => {
    const { first, second } = await twoRuns(store);
    const compare = (stepName: string) =>
      compareExecutionModels(
        store,
        { previousExecutionId: first, executionId: second, stepName },
        recordingLog(),
      );
    assertEquals(await compare("load"), ["B", "Z", "a"]);
    await assertRejects(
      compare("audit"),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message === `Execution "${second}" has no step "AUDIT": ` +
            "record it first with init-step (or persist-models)",
    );
  },
);

testOnEachStore(
  "diffExecutions() compares any two executions both ways, every step of either or one, and refuses a step neither has",
  async (store) => {
    const { first, second } = await twoRuns(store);
    const forward = await diffExecutions(store, { fromExecutionId: first, toExecutionId: second });
    assertEquals(forward, [
      { stepName: "EXPORT", added: ["e1"], modified: [], deleted: [], renamed: [], unchanged: 0 },
      {
        stepName: "LOAD",
        added: ["Z", "a"],
        modified: ["B"],
        deleted: ["_x"],
        renamed: [],
        unchanged: 2,
      },
      {
        stepName: "TRANSFORM",
        added: [],
        modified: [],
        deleted: ["t1"],
        renamed: [],
        unchanged: 0,
      },
    ]);
    assertEquals(
      await diffExecutions(store, {
        fromExecutionId: second,
        toExecutionId: first,
        stepName: "load",
      }),
      [{
        stepName: "LOAD",
        added: ["_x"],
        modified: ["B"],
        deleted: ["Z", "a"],
        renamed: [],
        unchanged: 2,
      }],
    );
    assertEquals(await diffExecutions(store, { fromExecutionId: first, toExecutionId: first }), [
      { stepName: "LOAD", added: [], modified: [], deleted: [], renamed: [], unchanged: 4 },
      { stepName: "TRANSFORM", added: [], modified: [], deleted: [], renamed: [], unchanged: 1 },
    ]);
    await assertRejects(
      diffExecutions(store, { fromExecutionId: first, toExecutionId: second, stepName: "audit" }),
      (error: Error) =>
        error instanceof NotFoundError &&
        error.message.startsWith('Neither execution has a step "AUDIT": '),
    );
  },
);
