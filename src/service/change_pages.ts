/**
 * The history as `dpo ui` pages it: an execution with one page of each step's change set, paged
 * and searched by the store, and the per-step figures of a page of executions.
 */
import type {
  ChangeCounts,
  ExecutionDetail,
  ListedChange,
  StepDetail,
  StepMetrics,
} from "../domain.ts";
import type { Store } from "../store/database.ts";
import { previousSuccessfulExecutionId } from "../store/executions.ts";
import { changeSetPage, withJoinSettings } from "../store/change_pages.ts";
import { stepMetricsOfExecutions } from "../store/step_metrics.ts";
import { findStepByName, listSteps } from "../store/steps.ts";
import { requireExecutionWithTotals } from "./executions.ts";

/** One page of one step's change set. */
export interface StepChangePage {
  step: StepDetail;
  counts: ChangeCounts;
  unchanged: number;
  changes: ListedChange[];
}

/**
 * Pages already read, by step, previous step, search and page. A step's models are written once,
 * with the step, and never change, so a page of the change set between two steps never does.
 */
export interface ChangePageCache {
  get(key: string): { counts: ChangeCounts; changes: ListedChange[] } | undefined;
  set(key: string, page: { counts: ChangeCounts; changes: ListedChange[] }): void;
}

/**
 * An execution as `dpo executions show` reports it (each step's changed models against the
 * same-named step of the earlier successful run) with one page of each step's change set.
 */
export async function executionChangePage(
  store: Store,
  executionId: string,
  page: { search: string; limit: number; offset: number; cache?: ChangePageCache },
): Promise<{ detail: ExecutionDetail; stepPages: StepChangePage[] }> {
  const execution = await requireExecutionWithTotals(store, executionId);
  const previousId = await previousSuccessfulExecutionId(store, executionId) ?? null;
  const stepPages: StepChangePage[] = [];
  for (const step of await listSteps(store, executionId)) {
    const previousStepId = previousId === null
      ? null
      : await findStepByName(store, previousId, step.stepName) ?? null;
    const { search, limit, offset } = page;
    const query = { stepId: step.stepId, previousStepId, search, limit, offset };
    const key = JSON.stringify([query.stepId, previousStepId, search, limit, offset]);
    let found = page.cache?.get(key);
    if (found === undefined) {
      found = await withJoinSettings(store, (db) => changeSetPage(db, query));
      page.cache?.set(key, found);
    }
    const changed = found.counts.added + found.counts.modified;
    stepPages.push({
      step: { ...step, changedModels: previousId === null ? null : changed },
      counts: found.counts,
      unchanged: Number(step.modelCount) - changed,
      changes: found.changes,
    });
  }
  const steps = stepPages.map((s) => s.step);
  return { detail: { execution, previousExecutionId: previousId, steps }, stepPages };
}

/** Each step of the executions with its rows processed and changed models, in one statement. */
export async function stepMetrics(
  store: Store,
  executionIds: readonly string[],
): Promise<StepMetrics[]> {
  return await withJoinSettings(store, (db) => stepMetricsOfExecutions(db, executionIds));
}
