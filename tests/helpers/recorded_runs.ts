/**
 * Runs recorded through the CLI for the history tests (executions, show, diff, compare), and the
 * way those tests run one scenario on PostgreSQL and SQLite at once.
 */
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

/** The first run's ids, and what complete-execution printed as JSON for it. */
export interface FirstRun {
  e1: string;
  l1: string;
  t1: string;
  completedRun: Json;
}

/**
 * Run 1, completed: LOAD with 4 models and MAX_ROWS rows, TRANSFORM with 2 and no row count.
 * Writes the models under `root`.
 */
export async function recordFirstRun(dpo: DpoOnStore, root: string): Promise<FirstRun> {
  await writeModels(root, FIRST_RUN_MODELS);
  const e1 = await dpo.line(["init-execution"]);
  const l1 = await dpo.line(["init-step", e1, "load", root, "load/*.sql"]);
  const t1 = await dpo.line(["init-step", e1, "transform", root, "transform/*.sql"]);
  await dpo.json(["complete-step", l1, "-r", MAX_ROWS]);
  await dpo.json(["complete-step", t1]);
  const completedRun = (await dpo.json(["complete-execution", e1])).doc;
  return { e1, l1, t1, completedRun };
}

/** The second run's ids. */
export interface SecondRun {
  e2: string;
  l2: string;
  x2: string;
}

/**
 * Run 2 after recordFirstRun(), completed: B edited, _x deleted, Z and a added; no TRANSFORM
 * step; LOAD completed with 5 rows; a new EXPORT step left IN_PROGRESS.
 */
export async function recordSecondRun(dpo: DpoOnStore, root: string): Promise<SecondRun> {
  await Deno.remove(`${root}/load/_x.sql`);
  await writeModels(root, {
    "load/B.sql": "select 'B, edited';\n",
    "load/Z.sql": "select 'Z';\n",
    "load/a.sql": "select 'a';\n",
    "export/e1.sql": "select 'e1';\n",
  });
  const e2 = await dpo.line(["init-execution"]);
  const l2 = await dpo.line(["init-step", e2, "LOAD", root, "load/*.sql"]);
  const x2 = await dpo.line(["init-step", e2, "export", root, "export/*.sql"]);
  await dpo.json(["complete-step", l2, "--rows-processed", "5"]);
  await dpo.json(["complete-execution", e2]);
  return { e2, l2, x2 };
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
