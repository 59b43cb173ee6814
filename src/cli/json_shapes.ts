/** The JSON documents `--format json` prints; README.md documents each shape. */
import type { ChangeSet, StepDiff } from "../service/compare.ts";
import type { ExecutionDetail } from "../service/history.ts";
import type { ExecutionRow } from "../store/executions.ts";
import type { StepRow } from "../store/steps.ts";

// int8 values arrive as exact text; JSON.rawJSON (ES2025, in Deno's V8, not yet in its TS lib)
// writes them as JSON numbers without passing through a float: 9223372036854775807 stays exact.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function integer(text: string | null): unknown {
  return text === null ? null : rawJSON(text);
}

/** An execution. */
export function executionJson(execution: ExecutionRow) {
  return {
    execution_id: execution.execution_id,
    pipeline: execution.pipeline,
    status: execution.status,
    started_on: execution.started_on,
    completed_on: execution.completed_on,
    execution_time_ms: integer(execution.execution_time_ms),
    failure_reason: execution.failure_reason,
    steps: integer(execution.step_count),
    models: integer(execution.model_count),
    rows_processed: integer(execution.rows_processed),
  };
}

/** A step. */
export function stepJson(step: StepRow) {
  return {
    step_id: step.execution_step_id,
    execution_id: step.execution_id,
    step_name: step.step_name,
    status: step.status,
    started_on: step.started_on,
    completed_on: step.completed_on,
    execution_time_ms: integer(step.execution_time_ms),
    failure_reason: step.failure_reason,
    models: integer(step.model_count),
    rows_processed: integer(step.rows_processed),
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
    previous_execution_id: detail.previous_execution_id,
    steps: detail.steps.map((s) => ({ ...stepJson(s), changed_models: s.changed_models })),
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
