/** The run history: executions of a pipeline, and one execution's steps in detail. */
import type {
  ChangeSet,
  Execution,
  ExecutionDetail,
  ExecutionWithTotals,
  PipelineSummary,
  StepDetail,
} from "../domain.ts";
import type { Store } from "../store/database.ts";
import {
  type ExecutionFilter,
  listExecutions,
  previousSuccessfulExecutionId,
} from "../store/executions.ts";
import { listExecutionDurations, listPipelines } from "../store/pipelines.ts";
import { modelChanges } from "../store/step_models.ts";
import { findStepByName, listSteps } from "../store/steps.ts";
import { changeSetBetween } from "./compare.ts";
import { requireExecutionWithTotals } from "./executions.ts";

export type { ExecutionFilter } from "../store/executions.ts";

/** A pipeline's executions, newest first. */
export async function executionHistory(
  store: Store,
  filter: ExecutionFilter,
): Promise<ExecutionWithTotals[]> {
  return await listExecutions(store, filter);
}

/** An execution with each step's duration, models, rows and changes since the run before it. */
export async function executionDetail(
  store: Store,
  executionId: string,
): Promise<ExecutionDetail> {
  const execution = await requireExecutionWithTotals(store, executionId);
  const previousId = await previousSuccessfulExecutionId(store, executionId) ?? null;
  const steps: StepDetail[] = [];
  for (const step of await listSteps(store, executionId)) {
    let changed: number | null = null;
    if (previousId !== null) {
      const previousStep = await findStepByName(store, previousId, step.stepName);
      const result = await modelChanges(store, step.stepId, previousStep ?? null, {
        deletions: false,
      });
      changed = result.changes.length;
    }
    steps.push({ ...step, changedModels: changed });
  }
  return { execution, previousExecutionId: previousId, steps };
}

/** Every pipeline with its newest execution and how its last runs ended, by name. */
export async function pipelineOverview(store: Store): Promise<PipelineSummary[]> {
  return await listPipelines(store);
}

/** A pipeline's newest executions without their totals (cheap enough for a chart of many). */
export async function executionTimeline(
  store: Store,
  pipeline: string,
  limit: number,
): Promise<Execution[]> {
  return await listExecutionDurations(store, pipeline, limit);
}

/** An execution's detail and each step's full change set, by step id. */
export interface ExecutionChanges {
  detail: ExecutionDetail;
  changeSets: Map<string, ChangeSet>;
}

/**
 * Change sets already computed, by step and previous step. A step's models are written once, with
 * the step, and never change, so the change set between two given steps never does either.
 */
export interface ChangeSetCache {
  get(key: string): ChangeSet | undefined;
  set(key: string, changeSet: ChangeSet): void;
}

/**
 * executionDetail with each step's change set against the same-named step of the earlier
 * successful run (every model added when there is none or it lacks the step): one comparison a
 * step, whose added and modified models are also the step's changed count, where executionDetail
 * and stepChangeSet would compare twice; none when `cache` holds it.
 */
export async function executionChanges(
  store: Store,
  executionId: string,
  cache?: ChangeSetCache,
): Promise<ExecutionChanges> {
  const execution = await requireExecutionWithTotals(store, executionId);
  const previousId = await previousSuccessfulExecutionId(store, executionId) ?? null;
  const steps: StepDetail[] = [];
  const changeSets = new Map<string, ChangeSet>();
  for (const step of await listSteps(store, executionId)) {
    const previousStepId = previousId === null
      ? null
      : await findStepByName(store, previousId, step.stepName) ?? null;
    const key = `${step.stepId} ${previousStepId}`;
    let changeSet = cache?.get(key);
    if (changeSet === undefined) {
      changeSet = await changeSetBetween(store, step.stepId, previousStepId);
      cache?.set(key, changeSet);
    }
    changeSets.set(step.stepId, changeSet);
    const changed = changeSet.added.length + changeSet.modified.length;
    steps.push({ ...step, changedModels: previousId === null ? null : changed });
  }
  return { detail: { execution, previousExecutionId: previousId, steps }, changeSets };
}
