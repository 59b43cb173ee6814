/** The Python tool's INFO summary lines for completed steps and executions. */
import type { Count, ExecutionWithTotals, Step } from "../domain.ts";

/** `1h 2m 3s` from milliseconds, whole seconds, as the Python tool printed durations. */
export function formatDuration(milliseconds: Count | null): string {
  const total = (milliseconds ?? 0n) / 1000n;
  return `${total / 3600n}h ${(total % 3600n) / 60n}m ${total % 60n}s`;
}

/** `2,147,483,647`, exact for any bigint; `N/A` when no count was given. */
export function formatCount(count: Count | number | null): string {
  if (count === null) return "N/A";
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The line complete-step logs. */
export function stepSummary(step: Step): string {
  return `Completed Execution Step: ${step.stepName}; Started On: ${step.startedOn}; ` +
    `Completed On: ${step.completedOn}; Execution Time: ${formatDuration(step.executionTimeMs)}; ` +
    `Models Processed: ${formatCount(step.modelCount)}; ` +
    `Rows Processed: ${formatCount(step.rowsProcessed)}.`;
}

/** The line complete-execution logs. */
export function executionSummary(execution: ExecutionWithTotals): string {
  return `Completed Execution: ${execution.executionId}; Started On: ${execution.startedOn}; ` +
    `Completed On: ${execution.completedOn}; Execution Time: ${
      formatDuration(execution.executionTimeMs)
    }; ` +
    `Steps Processed: ${formatCount(execution.stepCount)}.`;
}
