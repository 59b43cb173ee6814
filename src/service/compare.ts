/** The question dpo answers: which models changed since a previous execution. */
import type { Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { changedModelNames } from "../store/step_models.ts";
import { findStepByName } from "../store/steps.ts";
import { requireExecution } from "./executions.ts";
import { requireStep } from "./steps.ts";
import { NotFoundError } from "../errors.ts";

/**
 * The step's models that are new or changed against the same-named step of the previous
 * execution; every model when there is no previous execution (null) or it lacks that step.
 */
export async function compareStepModels(
  store: Store,
  options: { stepId: string; previousExecutionId: string | null },
  log: Log,
): Promise<string[]> {
  const step = await requireStep(store, options.stepId);
  let previousStepId: string | undefined;
  if (options.previousExecutionId !== null) {
    await requireExecution(store, options.previousExecutionId);
    previousStepId = await findStepByName(store, options.previousExecutionId, step.step_name);
    if (previousStepId === undefined) {
      log.warn(
        `Execution "${options.previousExecutionId}" has no step "${step.step_name}": ` +
          "every model counts as changed",
      );
    }
  }
  return await changedModelNames(store, step.execution_step_id, previousStepId ?? null);
}

/** The older form: compares the named step of `executionId` against `previousExecutionId`. */
export async function compareExecutionModels(
  store: Store,
  options: { previousExecutionId: string | null; executionId: string; stepName: string },
  log: Log,
): Promise<string[]> {
  await requireExecution(store, options.executionId);
  const stepId = await findStepByName(store, options.executionId, options.stepName);
  if (stepId === undefined) {
    throw new NotFoundError(
      `Execution "${options.executionId}" has no step "${options.stepName.toUpperCase()}": ` +
        "record it first with init-step (or persist-models)",
    );
  }
  return await compareStepModels(
    store,
    { stepId, previousExecutionId: options.previousExecutionId },
    log,
  );
}
