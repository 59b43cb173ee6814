/** The run history: executions of a pipeline, and one execution's steps in detail. */
import type { Store } from "../store/database.ts";
import {
  type ExecutionFilter,
  type ExecutionRow,
  type ExecutionState,
  listExecutionDurations,
  listExecutions,
  listPipelines,
  type PipelineSummary,
  previousSuccessfulExecutionId,
} from "../store/executions.ts";
import { type ChangeSet, changeSetBetween } from "./compare.ts";
import { modelChanges } from "../store/step_models.ts";
import { findStepByName, listSteps, type StepRow } from "../store/steps.ts";
import { requireExecutionTotals } from "./executions.ts";

/** A pipeline's executions, newest first. */
export async function executionHistory(
  store: Store,
  filter: ExecutionFilter,
): Promise<ExecutionRow[]> {
  return await listExecutions(store, filter);
}

/** A step with how many of its models changed against the run before its execution. */
export interface StepDetail extends StepRow {
  /** Added plus modified, or null when there is no earlier successful run to compare with. */
  changed_models: number | null;
}

/** One execution, its steps, and the earlier successful run they are compared with. */
export interface ExecutionDetail {
  execution: ExecutionRow;
  previous_execution_id: string | null;
  steps: StepDetail[];
}

/** An execution with each step's duration, models, rows and changes since the run before it. */
export async function executionDetail(
  store: Store,
  executionId: string,
): Promise<ExecutionDetail> {
  const execution = await requireExecutionTotals(store, executionId);
  const previousId = await previousSuccessfulExecutionId(store, executionId) ?? null;
  const steps: StepDetail[] = [];
  for (const step of await listSteps(store, executionId)) {
    let changed: number | null = null;
    if (previousId !== null) {
      const previousStep = await findStepByName(store, previousId, step.step_name);
      const result = await modelChanges(store, step.execution_step_id, previousStep ?? null, {
        deletions: false,
      });
      changed = result.changes.length;
    }
    steps.push({ ...step, changed_models: changed });
  }
  return { execution, previous_execution_id: previousId, steps };
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
): Promise<ExecutionState[]> {
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
  const execution = await requireExecutionTotals(store, executionId);
  const previousId = await previousSuccessfulExecutionId(store, executionId) ?? null;
  const steps: StepDetail[] = [];
  const changeSets = new Map<string, ChangeSet>();
  for (const step of await listSteps(store, executionId)) {
    const previousStepId = previousId === null
      ? null
      : await findStepByName(store, previousId, step.step_name) ?? null;
    const key = `${step.execution_step_id} ${previousStepId}`;
    let changeSet = cache?.get(key);
    if (changeSet === undefined) {
      changeSet = await changeSetBetween(store, step.execution_step_id, previousStepId);
      cache?.set(key, changeSet);
    }
    changeSets.set(step.execution_step_id, changeSet);
    const changed = changeSet.added.length + changeSet.modified.length;
    steps.push({ ...step, changed_models: previousId === null ? null : changed });
  }
  return { detail: { execution, previous_execution_id: previousId, steps }, changeSets };
}
