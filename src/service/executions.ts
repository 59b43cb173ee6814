/** The workflows on whole executions: start, find the last good one, its time, complete. */
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Queryable, Store } from "../store/database.ts";
import * as executions from "../store/executions.ts";
import type { ExecutionRow } from "../store/executions.ts";

/** Starts an execution, with the caller's id when given; returns its id. */
export async function startExecution(store: Store, executionId?: string): Promise<string> {
  const id = executionId ?? crypto.randomUUID();
  const inserted = await store.transaction((tx) => executions.insertExecution(tx, id));
  if (!inserted) {
    throw new ConflictError(
      `Execution "${id}" already exists: give a new id or omit --execution-id`,
    );
  }
  return id;
}

/** The id of the most recently completed execution, or undefined when none completed. */
export async function lastSuccessfulExecution(store: Store): Promise<string | undefined> {
  return await executions.lastSuccessfulExecutionId(store);
}

/**
 * When the execution completed (empty when it has not), or the database's current time when
 * there is no previous execution (`executionId` null), as the Python tool did.
 */
export async function executionCompletionTimestamp(
  store: Store,
  executionId: string | null,
): Promise<string> {
  if (executionId === null) return await executions.databaseNow(store);
  const execution = await requireExecution(store, executionId);
  return execution.status === "COMPLETED" ? execution.completed_on ?? "" : "";
}

/** Completes an execution. `alreadyCompleted` says nothing was changed. */
export async function completeExecution(
  store: Store,
  executionId: string,
): Promise<{ execution: ExecutionRow; alreadyCompleted: boolean }> {
  return await store.transaction(async (tx) => {
    const completed = await executions.completeExecution(tx, executionId);
    if (completed) return { execution: completed, alreadyCompleted: false };
    const existing = await executions.findExecution(tx, executionId);
    if (!existing) throw unknownExecution(executionId);
    return { execution: existing, alreadyCompleted: true };
  });
}

/** The execution, or a NotFoundError naming it. */
export async function requireExecution(
  store: Queryable,
  executionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ExecutionRow> {
  const execution = await executions.findExecution(store, executionId, options);
  if (!execution) throw unknownExecution(executionId);
  return execution;
}

function unknownExecution(executionId: string): NotFoundError {
  return new NotFoundError(
    `Execution "${executionId}" does not exist: use an id printed by init-execution`,
  );
}
