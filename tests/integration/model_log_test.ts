/**
 * Why a model counts as changed, in-process on PostgreSQL and SQLite: its history across a
 * pipeline's executions (modelLog, `dpo log`) and what each change was compared with
 * (explainChanges, `--explain`).
 */
import { createHash } from "node:crypto";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { stepChangeSet } from "../../src/service/compare.ts";
import { endExecution, startExecution } from "../../src/service/executions.ts";
import { explainChanges, modelLog } from "../../src/service/model_log.ts";
import type { Store } from "../../src/store/database.ts";
import { recordingLog, recordModels, testOnEachStore } from "../helpers/integration_store.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** One run of pipeline "p" with a LOAD step of `files`, ended as asked; its ids. */
async function run(
  store: Store,
  files: Record<string, string>,
  end: "complete" | "fail" | null,
  pipeline = "p",
) {
  const executionId = await startExecution(store, { pipeline });
  const stepId = await recordModels(store, { executionId, stepName: "load" }, files);
  if (end === "complete") await endExecution(store, executionId, { status: "COMPLETED" });
  if (end === "fail") {
    await endExecution(store, executionId, { status: "FAILED", failureReason: null });
  }
  return { executionId, stepId };
}

testOnEachStore(
  "modelLog() lists each run that added, modified, renamed or deleted a model, newest first, whatever the run's status",
  async (store) => {
    const first = await run(store, { "a.sql": "1\n", "old.sql": "moved\n" }, "complete");
    await run(store, { "a.sql": "1\n", "old.sql": "moved\n" }, "complete"); // no change: no event
    const third = await run(store, { "a.sql": "2\n", "new.sql": "moved\n" }, "fail");
    const fourth = await run(store, { "new.sql": "moved\n" }, null);
    await run(store, { "a.sql": "other pipeline\n" }, "complete", "q");
    const log = recordingLog();
    const history = (modelName: string, limit = 10) =>
      modelLog(store, { pipeline: "p", modelName, stepName: null, limit }, log);

    const aEvents = await history("a");
    assertEquals(
      aEvents.map((e) => [e.change, e.executionId, e.status, e.stepName, e.before, e.after]),
      [
        ["D", fourth.executionId, "IN_PROGRESS", "LOAD", sha256("2\n"), null],
        ["M", third.executionId, "FAILED", "LOAD", sha256("1\n"), sha256("2\n")],
        ["A", first.executionId, "COMPLETED", "LOAD", null, sha256("1\n")],
      ],
    );
    assertEquals((await history("a", 1)).map((e) => e.change), ["D"]);
    assertEquals(
      (await history("new")).map((e) => [e.change, e.executionId, e.renamedFrom]),
      [["R", third.executionId, "old"]],
    );
    assertEquals(
      (await history("old")).map((e) => [e.change, e.executionId, e.renamedTo ?? null]),
      [["R", third.executionId, "new"], ["A", first.executionId, null]],
    );
    assertEquals(log.warnings, []);
    assertEquals(await history("nope"), []);
    assertEquals(log.warnings, [
      'Model "nope" is in no step of pipeline "p": check its name (without the extension)',
    ]);
  },
);

testOnEachStore(
  "explainChanges() gives each change's checksums before and now, and since when the old one held",
  async (store) => {
    const first = await run(store, { "a.sql": "1\n", "b.sql": "b\n" }, "complete");
    const second = await run(store, { "a.sql": "1\n", "b.sql": "b\n" }, "complete");
    const third = await run(store, { "a.sql": "2\n", "c.sql": "c\n" }, null);
    const options = { stepId: third.stepId, previousExecutionId: second.executionId };
    const changes = await stepChangeSet(store, options, recordingLog());
    const explained = await explainChanges(store, options, changes);
    assertEquals(
      explained.map((e) => [e.model, e.change, e.before, e.now, e.stableSince?.executionId]),
      [
        ["c", "A", null, sha256("c\n"), undefined],
        ["a", "M", sha256("1\n"), sha256("2\n"), first.executionId],
        ["b", "D", sha256("b\n"), null, first.executionId],
      ],
    );
    assertEquals(
      explained.map((e) => [e.previousExecutionId, e.previousStepId]),
      Array(3).fill([second.executionId, second.stepId]),
    );
  },
);
