/** The Python tool's INFO summary lines for completed steps and executions. */
import type { ExecutionRow } from "../store/executions.ts";
import type { StepRow } from "../store/steps.ts";

/** `1h 2m 3s` from milliseconds, whole seconds, as the Python tool printed durations. */
export function formatDuration(milliseconds: string | null): string {
  const total = BigInt(milliseconds ?? "0") / 1000n;
  return `${total / 3600n}h ${(total % 3600n) / 60n}m ${total % 60n}s`;
}

/** `2,147,483,647`, exact for any bigint; `N/A` when no count was given. */
export function formatCount(count: string | null): string {
  if (count === null) return "N/A";
  return count.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The line complete-step logs. */
export function stepSummary(step: StepRow): string {
  return `Completed Execution Step: ${step.step_name}; Started On: ${step.started_on}; ` +
    `Completed On: ${step.completed_on}; Execution Time: ${
      formatDuration(step.execution_time_ms)
    }; ` +
    `Models Processed: ${formatCount(step.model_count)}; ` +
    `Rows Processed: ${formatCount(step.rows_processed)}.`;
}

/** The line complete-execution logs. */
export function executionSummary(execution: ExecutionRow): string {
  return `Completed Execution: ${execution.execution_id}; Started On: ${execution.started_on}; ` +
    `Completed On: ${execution.completed_on}; Execution Time: ${
      formatDuration(execution.execution_time_ms)
    }; ` +
    `Steps Processed: ${formatCount(execution.step_count)}.`;
}
