/**
 * The run history in-process on PostgreSQL and SQLite: executions newest first with their totals
 * and filters, one execution's steps with their changes since the run before, the paged and cached change
 * sets of `dpo ui`, and pipelines kept apart.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { ChangeCounts, ListedChange } from "../../src/domain.ts";
import { executionChangePage } from "../../src/service/change_pages.ts";
import { endExecution, startExecution } from "../../src/service/executions.ts";
import { executionDetail, executionHistory } from "../../src/service/history.ts";
import { endStep } from "../../src/service/steps.ts";
import type { Store } from "../../src/store/database.ts";
import { recordModels, testOnEachStore } from "../helpers/integration_store.ts";

/** A completed run (LOAD: a, b; 7 rows), then a second one (LOAD: a edited, c; EXPORT open). */
async function twoRuns(store: Store) {
  const first = await startExecution(store, { pipeline: "default" });
  const load1 = await recordModels(store, { executionId: first, stepName: "load" }, {
    "a.sql": "a\n",
    "b.sql": "b\n",
  });
  await endStep(store, load1, { status: "COMPLETED", rowsProcessed: 7n });
  await endExecution(store, first, { status: "COMPLETED" });
  const second = await startExecution(store, { pipeline: "default" });
  const load2 = await recordModels(store, { executionId: second, stepName: "load" }, {
    "a.sql": "a, edited\n",
    "c.sql": "c\n",
  });
  await endStep(store, load2, { status: "COMPLETED", rowsProcessed: 5n });
  const export2 = await recordModels(store, { executionId: second, stepName: "export" }, {
    "e.sql": "e\n",
  });
  return { first, load1, second, load2, export2 };
}

testOnEachStore(
  "executionHistory() lists a pipeline's runs newest first with their totals, filtered by status, start and limit",
  async (store) => {
    const { first, second } = await twoRuns(store);
    await endExecution(store, second, { status: "COMPLETED" });
    const failed = await startExecution(store, { pipeline: "default" });
    await endExecution(store, failed, { status: "FAILED", failureReason: "disk full" });
    await startExecution(store, { pipeline: "other" });

    const history = await executionHistory(store, { pipeline: "default", limit: 10 });
    assertEquals(
      history.map((e) => [e.executionId, e.status, e.stepCount, e.modelCount, e.rowsProcessed]),
      [
        [failed, "FAILED", 0n, 0n, null],
        [second, "COMPLETED", 2n, 3n, 5n],
        [first, "COMPLETED", 1n, 2n, 7n],
      ],
    );
    const ids = (rows: { executionId: string }[]) => rows.map((e) => e.executionId);
    assertEquals(ids(await executionHistory(store, { pipeline: "default", limit: 1 })), [failed]);
    assertEquals(
      ids(await executionHistory(store, { pipeline: "default", limit: 10, status: "COMPLETED" })),
      [second, first],
    );
    assertEquals(
      ids(await executionHistory(store, { pipeline: "default", limit: 10, offset: 1 })),
      [second, first],
    );
    const since = history[1].startedOn;
    assertEquals(
      ids(await executionHistory(store, { pipeline: "default", limit: 10, since })),
      [failed, second],
    );
    assertEquals(await executionHistory(store, { pipeline: "none", limit: 10 }), []);
  },
);

testOnEachStore(
  "executionDetail() gives each step, an unfinished one too, how many models changed since the last successful run",
  async (store) => {
    const { first, load1, second, load2, export2 } = await twoRuns(store);
    const detail = await executionDetail(store, second);
    assertEquals(detail.previousExecutionId, first);
    assertEquals(
      detail.steps.map((s) => [s.stepId, s.stepName, s.status, s.changedModels]),
      [[load2, "LOAD", "COMPLETED", 2], [export2, "EXPORT", "IN_PROGRESS", 1]],
    );
    assertEquals([detail.execution.status, detail.execution.modelCount], ["IN_PROGRESS", 3n]);
    // The first run has nothing to compare with.
    const firstDetail = await executionDetail(store, first);
    assertEquals(firstDetail.previousExecutionId, null);
    assertEquals(firstDetail.steps.map((s) => [s.stepId, s.changedModels]), [
      [load1, null],
    ]);
  },
);

testOnEachStore(
  "executionChangePage() pages and searches each step's change set in the store, and reuses a cached page",
  async (store) => {
    const { second, load2, export2 } = await twoRuns(store);
    const cached = new Map<string, { counts: ChangeCounts; changes: ListedChange[] }>();
    const cache = {
      gets: 0,
      get(key: string) {
        this.gets++;
        return cached.get(key);
      },
      set: (key: string, page: { counts: ChangeCounts; changes: ListedChange[] }) =>
        void cached.set(key, page),
    };
    const whole = { search: "", limit: 10, offset: 0, cache };
    const { detail, stepPages } = await executionChangePage(store, second, whole);
    const pageOf = (stepId: string) => stepPages.find((page) => page.step.stepId === stepId);
    assertEquals(pageOf(load2)?.changes, [
      { change: "A", name: "c", renamedTo: null },
      { change: "M", name: "a", renamedTo: null },
      { change: "D", name: "b", renamedTo: null },
    ]);
    assertEquals(pageOf(load2)?.counts, {
      added: 1,
      modified: 1,
      deleted: 1,
      renamed: 0,
      matching: 3,
    });
    assertEquals(pageOf(export2)?.changes, [{ change: "A", name: "e", renamedTo: null }]);
    assertEquals(detail, await executionDetail(store, second));
    assertEquals(cached.size, 2);
    // Cached pages are used as they are: a step's change set never changes.
    const marker = { counts: { ...pageOf(load2)!.counts }, changes: [] };
    cached.set([...cached.keys()][0], marker);
    const again = await executionChangePage(store, second, whole);
    assertEquals(again.stepPages[0].changes, []);
    assertEquals(cache.gets, 4);
    const searched = await executionChangePage(store, second, { ...whole, search: "c" });
    assertEquals(searched.stepPages.map((page) => page.changes.map((c) => c.name)), [["c"], []]);
    const secondPage = await executionChangePage(store, second, {
      search: "",
      limit: 2,
      offset: 2,
    });
    assertEquals(secondPage.stepPages.map((page) => page.changes.map((c) => c.name)), [["b"], []]);
  },
);

testOnEachStore(
  "a run is compared with the last success of its own pipeline, not a newer one of another",
  async (store) => {
    const a1 = await startExecution(store, { pipeline: "a" });
    await recordModels(store, { executionId: a1, stepName: "load" }, { "m.sql": "1\n" });
    await endExecution(store, a1, { status: "COMPLETED" });
    const other = await startExecution(store, { pipeline: "default" });
    await recordModels(store, { executionId: other, stepName: "load" }, { "m.sql": "2\n" });
    await endExecution(store, other, { status: "COMPLETED" });
    const a2 = await startExecution(store, { pipeline: "a" });
    await recordModels(store, { executionId: a2, stepName: "load" }, { "m.sql": "1\n" });
    const detail = await executionDetail(store, a2);
    assertEquals([detail.execution.pipeline, detail.previousExecutionId], ["a", a1]);
    assertEquals(detail.steps[0].changedModels, 0);
    assertEquals(
      (await executionHistory(store, { pipeline: "a", limit: 10 })).map((e) => e.executionId),
      [a2, a1],
    );
  },
);
