/**
 * The JSON documents `--format json` prints; docs/commands.md documents each shape. Their keys are the
 * Python tool's snake_case, a contract: the domain's camelCase values are mapped here.
 */
import type {
  ChangeSet,
  Count,
  ExecutionDetail,
  ExecutionWithTotals,
  Step,
  StepDiff,
} from "../domain.ts";
import type { ModelEvent } from "../service/model_log.ts";

// Counts are bigints; JSON.rawJSON (ES2025, in Deno's V8, not yet in its TS lib) writes them as
// JSON numbers without passing through a float: 9223372036854775807 stays exact.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** A count as an exact JSON number, or null. */
export function jsonInteger(count: Count | null): unknown {
  return count === null ? null : rawJSON(String(count));
}

/** An execution. */
export function executionJson(execution: ExecutionWithTotals) {
  return {
    execution_id: execution.executionId,
    pipeline: execution.pipeline,
    status: execution.status,
    started_on: execution.startedOn,
    completed_on: execution.completedOn,
    execution_time_ms: jsonInteger(execution.executionTimeMs),
    failure_reason: execution.failureReason,
    steps: jsonInteger(execution.stepCount),
    models: jsonInteger(execution.modelCount),
    rows_processed: jsonInteger(execution.rowsProcessed),
  };
}

/** One change of a model, as `dpo log --format json` and the ui's model page print it. */
export function modelEventJson(event: ModelEvent) {
  return {
    change: event.change,
    execution_id: event.executionId,
    status: event.status,
    started_on: event.startedOn,
    completed_on: event.completedOn,
    step_name: event.stepName,
    step_id: event.stepId,
    checksum_before: event.before,
    checksum_after: event.after,
    renamed_from: event.renamedFrom ?? null,
    renamed_to: event.renamedTo ?? null,
  };
}

/** A step. */
export function stepJson(step: Step) {
  return {
    step_id: step.stepId,
    execution_id: step.executionId,
    step_name: step.stepName,
    status: step.status,
    started_on: step.startedOn,
    completed_on: step.completedOn,
    execution_time_ms: jsonInteger(step.executionTimeMs),
    failure_reason: step.failureReason,
    models: jsonInteger(step.modelCount),
    rows_processed: jsonInteger(step.rowsProcessed),
  };
}

/**
 * A change set: names sorted by code point. `changed` is what the plain output lists, a renamed
 * model's new name included (as the Python tool listed it as new).
 */
export function changeSetJson(changes: ChangeSet) {
  return {
    changed: [...changes.added, ...changes.modified, ...changes.renamed.map((r) => r.to)]
      .sort(compareCodePoints),
    added: changes.added,
    modified: changes.modified,
    deleted: changes.deleted,
    renamed: changes.renamed,
    unchanged: changes.unchanged,
  };
}

/** `dpo diff`. */
export function diffJson(from: string, to: string, diffs: StepDiff[]) {
  return {
    from_execution_id: from,
    to_execution_id: to,
    steps: diffs.map((d) => ({ step_name: d.stepName, ...changeSetJson(d) })),
  };
}

/** `dpo executions show`. */
export function executionDetailJson(detail: ExecutionDetail) {
  return {
    ...executionJson(detail.execution),
    previous_execution_id: detail.previousExecutionId,
    steps: detail.steps.map((s) => ({ ...stepJson(s), changed_models: s.changedModels })),
  };
}

/** Code-point order, as PostgreSQL's "C" collation and the Python tool's sorted(). */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a], right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i].codePointAt(0)! - right[i].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
