/** Retention: deletes whole old executions in short batches, keeping every baseline. */
import { asTimestamp, type PrunableExecution, type Timestamp } from "../domain.ts";
import { DatabaseError } from "../errors.ts";
import type { Store } from "../store/database.ts";
import {
  databaseNow,
  findExecution,
  lastSuccessfulExecutionId,
  markExecutionEnded,
} from "../store/executions.ts";
import {
  awaitPruneTurn,
  deleteExecution,
  listPrunableExecutions,
  mayDeleteRows,
} from "../store/prune.ts";
import { deleteModelsOfExecution } from "../store/step_models.ts";
import { deleteStepsOfExecution } from "../store/steps.ts";

/** Model rows one transaction deletes at most: a few tens of milliseconds of work. */
export const DEFAULT_PRUNE_BATCH_ROWS = 10_000;

/** What to prune; at least one of keepLast and olderThan is given. */
export interface PruneOptions {
  /** null: every pipeline. */
  pipeline: string | null;
  keepLast: number | null;
  /** A cut-off: an ISO 8601 time, or seconds before the database's clock. */
  olderThan: { iso: string } | { seconds: number } | null;
  includeUnfinished: boolean;
  dryRun: boolean;
  batchRows?: number;
}

/** What prune deleted (or, with dryRun, would delete). */
export interface PruneResult {
  dryRun: boolean;
  /** The cut-off as an ISO 8601 time, or null without --older-than. */
  startedBefore: Timestamp | null;
  executions: PrunableExecution[];
  totals: { executions: number; steps: number; modelRows: number };
}

/**
 * Deletes the executions that the options select, whole: per execution, its model rows in
 * batches of `batchRows` (each its own transaction, so agents that record meanwhile wait at most
 * one batch), then its steps and itself in one more. An unfinished execution is first marked
 * FAILED, so that an agent still holding its id is refused instead of writing into it.
 */
export async function prune(store: Store, options: PruneOptions): Promise<PruneResult> {
  const cutOff = options.olderThan === null
    ? null
    : "iso" in options.olderThan
    ? Temporal.Instant.from(options.olderThan.iso)
    : Temporal.Instant.from(await databaseNow(store))
      .subtract({ seconds: options.olderThan.seconds });
  // Written as dpo writes every time: UTC, to the microsecond, no fraction when it is zero.
  const startedBefore = cutOff === null ? null : asTimestamp(
    cutOff.toString({ timeZone: "UTC", smallestUnit: "microsecond" }).replace(".000000+", "+"),
  );
  const selected = await listPrunableExecutions(store, {
    pipeline: options.pipeline,
    keepLast: options.keepLast,
    startedBefore,
    includeUnfinished: options.includeUnfinished,
  });
  const result: PruneResult = {
    dryRun: options.dryRun,
    startedBefore,
    executions: selected,
    totals: { executions: 0, steps: 0, modelRows: 0 },
  };
  if (options.dryRun) {
    result.totals = {
      executions: selected.length,
      steps: selected.reduce((sum, e) => sum + Number(e.stepCount), 0),
      modelRows: selected.reduce((sum, e) => sum + Number(e.modelCount), 0),
    };
    return result;
  }
  if (selected.length > 0) await assertMayDelete(store);
  const pruned: PrunableExecution[] = [];
  for (const execution of selected) {
    const deleted = await pruneExecution(store, execution, options.batchRows);
    if (deleted === null) continue;
    // Another prune at the same time may have taken part of it; each counts what it deleted.
    if (deleted.execution) {
      pruned.push(execution);
      result.totals.executions++;
    }
    result.totals.steps += deleted.steps;
    result.totals.modelRows += deleted.modelRows;
  }
  result.executions = pruned;
  return result;
}

async function assertMayDelete(store: Store): Promise<void> {
  const { role, allowed } = await mayDeleteRows(store);
  if (!allowed) {
    throw new DatabaseError(
      `Role "${role}" may not delete rows of dpo's tables: prune needs DELETE on ` +
        "dpo.execution, dpo.execution_step and dpo.execution_step_model " +
        "(see docs/state-retention.md)",
    );
  }
}

/** One execution, whole; null when it no longer qualifies or another prune took it first. */
async function pruneExecution(
  store: Store,
  execution: PrunableExecution,
  batchRows = DEFAULT_PRUNE_BATCH_ROWS,
): Promise<{ execution: boolean; steps: number; modelRows: number } | null> {
  const stillPrunable = await store.transaction(async (tx) => {
    await awaitPruneTurn(tx);
    const current = await findExecution(tx, execution.executionId, { forUpdate: true });
    if (current === undefined) return false;
    // Completed since it was selected (or before): it may be the baseline now, so look again.
    if (current.status === "COMPLETED") {
      return await lastSuccessfulExecutionId(tx, current.pipeline) !== current.executionId;
    }
    if (current.status !== "FAILED") {
      await markExecutionEnded(tx, current.executionId, {
        status: "FAILED",
        failureReason: `pruned: unfinished since ${execution.startedOn}`,
      });
    }
    return true;
  });
  if (!stillPrunable) return null;
  let modelRows = 0;
  for (;;) {
    const deleted = await store.transaction(async (tx) => {
      await awaitPruneTurn(tx);
      return await deleteModelsOfExecution(tx, execution.executionId, batchRows);
    });
    modelRows += deleted;
    if (deleted < batchRows) break;
  }
  return await store.transaction(async (tx) => {
    await awaitPruneTurn(tx);
    const steps = await deleteStepsOfExecution(tx, execution.executionId);
    return { execution: await deleteExecution(tx, execution.executionId), steps, modelRows };
  });
}
