/** The workflows on whole executions: start, find the last good one, its time, end. */
import type { Execution, ExecutionWithTotals, Outcome, Timestamp } from "../domain.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Queryable, Store } from "../store/database.ts";
import * as executions from "../store/executions.ts";
import { findStepName } from "../store/steps.ts";
import { type Ending, settleEnding } from "./endings.ts";

/** The id given for a new execution is taken; the CLI says which option to change. */
export class ExecutionExistsError extends ConflictError {
  override name = "ExecutionExistsError";
  readonly executionId: string;

  constructor(executionId: string) {
    super(`Execution "${executionId}" already exists`);
    this.executionId = executionId;
  }
}

/** Starts an execution of a pipeline, with the caller's id when given; returns its id. */
export async function startExecution(
  store: Store,
  options: { executionId?: string; pipeline: string },
): Promise<string> {
  const executionId = options.executionId ?? crypto.randomUUID();
  const inserted = await store.transaction((tx) =>
    executions.insertExecution(tx, { executionId, pipeline: options.pipeline })
  );
  if (!inserted) throw new ExecutionExistsError(executionId);
  return executionId;
}

/** The id of the pipeline's most recently completed execution, or undefined. */
export async function lastSuccessfulExecution(
  store: Store,
  pipeline: string,
): Promise<string | undefined> {
  return await executions.lastSuccessfulExecutionId(store, pipeline);
}

/**
 * When the execution completed (null when it has not), or the database's current time when
 * there is no previous execution (`executionId` null), as the Python tool did.
 */
export async function executionCompletionTimestamp(
  store: Store,
  executionId: string | null,
): Promise<Timestamp | null> {
  if (executionId === null) return await executions.databaseNow(store);
  const execution = await requireExecution(store, executionId);
  return execution.status === "COMPLETED" ? execution.completedOn : null;
}

/**
 * Ends an execution as the outcome says: a failed one cannot be completed, a completed one
 * cannot fail (and is then never the last successful one); the same ending again changes
 * nothing.
 */
export async function endExecution(
  store: Store,
  executionId: string,
  outcome: Outcome,
): Promise<Ending<ExecutionWithTotals>> {
  return await store.transaction(async (tx) =>
    settleEnding({
      what: `Execution "${executionId}"`,
      wanted: outcome.status,
      ended: await executions.markExecutionEnded(tx, executionId, outcome),
      current: () => requireExecutionWithTotals(tx, executionId),
    })
  );
}

/** The execution's own columns, or a NotFoundError naming it. */
export async function requireExecution(
  store: Queryable,
  executionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Execution> {
  const execution = await executions.findExecution(store, executionId, options);
  return execution ?? await unknownExecution(store, executionId);
}

/** The execution with its totals, or a NotFoundError naming it. */
export async function requireExecutionWithTotals(
  store: Queryable,
  executionId: string,
): Promise<ExecutionWithTotals> {
  const execution = await executions.findExecutionWithTotals(store, executionId);
  return execution ?? await unknownExecution(store, executionId);
}

/**
 * Throws the error for an id that names no execution; when it names a step, says so (a step id
 * pasted where an execution id belongs). The extra lookup is made only on this error path.
 */
async function unknownExecution(db: Queryable, executionId: string): Promise<never> {
  const step = await findStepName(db, executionId);
  const hint = step === undefined
    ? ""
    : `that id is step ${step.stepName} of execution "${step.executionId}"; `;
  throw new NotFoundError(
    `Execution "${executionId}" does not exist: ${hint}use an id printed by init-execution`,
  );
}

/** Refuses to add steps to an execution that has ended. */
export function assertExecutionOpen(execution: Execution): void {
  if (execution.status === "COMPLETED" || execution.status === "FAILED") {
    throw new ConflictError(
      `Execution "${execution.executionId}" is already ${execution.status.toLowerCase()}: ` +
        "start a new one with init-execution",
    );
  }
}
