/**
 * Runs recorded through the CLI for the history tests (executions, show, diff, compare), and the
 * way those tests run one scenario on PostgreSQL and SQLite at once.
 */
import { endExecution, startExecution } from "../../src/service/executions.ts";
import { endStep, recordStep } from "../../src/service/steps.ts";
import type { Store } from "../../src/store/database.ts";
import { openStoreAt, recordingLog } from "./in_process_store.ts";
import { writeModels } from "./model_tree.ts";
import type { DpoOnStore, Json } from "./json_output.ts";
import { MAX_ROWS } from "./json_output.ts";
import { openStoreUnderTest, STORE_KINDS, type StoreUnderTest } from "./pipeline.ts";

/**
 * Runs a scenario on a fresh PostgreSQL database and a fresh SQLite store at the same time.
 * Fails with every store's failure, each named.
 */
export async function onEachStore(
  scenario: (store: StoreUnderTest) => Promise<void>,
): Promise<void> {
  const outcomes = await Promise.allSettled(STORE_KINDS.map(async (kind) => {
    await using store = await openStoreUnderTest(kind);
    await scenario(store);
  }));
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === "rejected"
      ? [`on ${STORE_KINDS[i]}: ${outcome.reason?.stack ?? outcome.reason}`]
      : []
  );
  if (failures.length > 0) throw new Error(failures.join("\n\n"));
}

/**
 * Whether to check, on this store, what does not depend on it: text that dpo renders from rows
 * the JSON checks already cover, and arguments refused before the store is opened. A call on
 * the embedded store would only repeat them, so these run on PostgreSQL only.
 */
export const checksRendering = (store: StoreUnderTest): boolean => store.kind === "PostgreSQL";

/** The models of the first run: code-point order ("B" < "_x" < "a") differs from ICU's. */
export const FIRST_RUN_MODELS = {
  "load/B.sql": "select 'B';\n",
  "load/_x.sql": "select '_x';\n",
  "load/c.sql": "select 'c';\n",
  "load/keep.sql": "select 'keep';\n",
  "transform/t1.sql": "select 1;\n",
  "transform/t2.sql": "select 2;\n",
};

/**
 * Runs `arrange` on the e2e store opened in-process, as a command would open it, and closes it:
 * rows that a test only needs to exist are written at the cost of a function call rather than a
 * dpo process each. What the commands print while recording is checked by json_output_test.ts.
 */
export async function arrangeInProcess<T>(
  store: StoreUnderTest,
  arrange: (service: Store) => Promise<T>,
): Promise<T> {
  const location = store.kind === "PostgreSQL"
    ? store.args[0]
    : store.args[1].replace(/^sqlite:/, "");
  const service = await openStoreAt(store.kind, location);
  try {
    return await arrange(service);
  } finally {
    await service.close();
  }
}

/** Records a step of the models under `root` that `pattern` matches; its id. */
async function recordStepOf(
  service: Store,
  step: { executionId: string; stepName: string },
  root: string,
  pattern: string,
): Promise<string> {
  const options = { ...step, basePath: root, patterns: [pattern] };
  return (await recordStep(service, options, recordingLog())).stepId;
}

/** The first run's ids, and what complete-execution printed as JSON for it. */
export interface FirstRun {
  e1: string;
  l1: string;
  t1: string;
  completedRun: Json;
}

/**
 * Run 1, completed: LOAD with 4 models and MAX_ROWS rows, TRANSFORM with 2 and no row count.
 * Writes the models under `root`; records in-process, then completes the run through dpo, whose
 * JSON the history must repeat.
 */
export async function recordFirstRun(
  dpo: DpoOnStore,
  store: StoreUnderTest,
  root: string,
): Promise<FirstRun> {
  await writeModels(root, FIRST_RUN_MODELS);
  const ids = await arrangeInProcess(store, async (service) => {
    const e1 = await startExecution(service, { pipeline: "default" });
    const l1 = await recordStepOf(
      service,
      { executionId: e1, stepName: "load" },
      root,
      "load/*.sql",
    );
    const t1 = await recordStepOf(
      service,
      { executionId: e1, stepName: "transform" },
      root,
      "transform/*.sql",
    );
    await endStep(service, l1, { status: "COMPLETED", rowsProcessed: BigInt(MAX_ROWS) });
    await endStep(service, t1, { status: "COMPLETED", rowsProcessed: null });
    return { e1, l1, t1 };
  });
  const completedRun = (await dpo.json(["complete-execution", ids.e1])).doc;
  return { ...ids, completedRun };
}

/** The second run's ids. */
export interface SecondRun {
  e2: string;
  l2: string;
  x2: string;
}

/**
 * Run 2 after recordFirstRun(), completed, recorded in-process: B edited, _x deleted, Z and a
 * added; no TRANSFORM step; LOAD completed with 5 rows; a new EXPORT step left IN_PROGRESS.
 */
export async function recordSecondRun(store: StoreUnderTest, root: string): Promise<SecondRun> {
  await Deno.remove(`${root}/load/_x.sql`);
  await writeModels(root, {
    "load/B.sql": "select 'B, edited';\n",
    "load/Z.sql": "select 'Z';\n",
    "load/a.sql": "select 'a';\n",
    "export/e1.sql": "select 'e1';\n",
  });
  return await arrangeInProcess(store, async (service) => {
    const e2 = await startExecution(service, { pipeline: "default" });
    const l2 = await recordStepOf(
      service,
      { executionId: e2, stepName: "LOAD" },
      root,
      "load/*.sql",
    );
    const x2 = await recordStepOf(
      service,
      { executionId: e2, stepName: "export" },
      root,
      "export/*.sql",
    );
    await endStep(service, l2, { status: "COMPLETED", rowsProcessed: 5n });
    await endExecution(service, e2, { status: "COMPLETED" });
    return { e2, l2, x2 };
  });
}

/** The change set of run 2's LOAD against run 1's. */
export const SECOND_LOAD_CHANGES = {
  changed: ["B", "Z", "a"],
  added: ["Z", "a"],
  modified: ["B"],
  deleted: ["_x"],
  renamed: [],
  unchanged: 2,
};

/** How an arranged run ends: completed, failed (no reason), or left running. */
export type RunEnd = "complete" | "fail" | "none";

/**
 * Records runs in-process, oldest first: each an execution of its pipeline with a LOAD step of
 * the `*.sql` files under `root`, ended as asked. Their execution ids, in order.
 */
export async function recordRunsInProcess(
  store: StoreUnderTest,
  root: string,
  runs: readonly { pipeline: string; end: RunEnd }[],
): Promise<string[]> {
  return await arrangeInProcess(store, async (service) => {
    const ids: string[] = [];
    for (const { pipeline, end } of runs) {
      const executionId = await startExecution(service, { pipeline });
      await recordStepOf(service, { executionId, stepName: "LOAD" }, root, "*.sql");
      if (end === "complete") await endExecution(service, executionId, { status: "COMPLETED" });
      if (end === "fail") {
        await endExecution(service, executionId, { status: "FAILED", failureReason: null });
      }
      ids.push(executionId);
    }
    return ids;
  });
}
