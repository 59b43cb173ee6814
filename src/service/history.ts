/** The run history: executions of a pipeline, and one execution's steps in detail. */
import type {
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
import { listPipelines } from "../store/pipelines.ts";
import { modelChanges } from "../store/step_models.ts";
import { findStepByName, listSteps } from "../store/steps.ts";
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
