import { equal } from "node:assert/strict";
import { asTimestamp } from "../../src/domain.ts";
import { formatCount, formatDuration, stepSummary } from "../../src/cli/summaries.ts";

Deno.test("formatCount() groups thousands exactly, even beyond 2^53", () => {
  equal(formatCount(0n), "0");
  equal(formatCount(999n), "999");
  equal(formatCount(1000n), "1,000");
  equal(formatCount(2147483647n), "2,147,483,647");
  equal(formatCount(9223372036854775807n), "9,223,372,036,854,775,807");
  equal(formatCount(null), "N/A");
});

Deno.test("formatDuration() prints hours, minutes and whole seconds", () => {
  equal(formatDuration(0n), "0h 0m 0s");
  equal(formatDuration(999n), "0h 0m 0s");
  equal(formatDuration(3723500n), "1h 2m 3s");
  equal(formatDuration(null), "0h 0m 0s");
});

Deno.test("stepSummary() is the Python tool's line", () => {
  equal(
    stepSummary({
      stepId: "s",
      executionId: "e",
      stepName: "LOAD",
      status: "COMPLETED",
      startedOn: asTimestamp("2026-11-24T21:18:52.792147+00:00"),
      completedOn: asTimestamp("2026-11-24T21:18:53+00:00"),
      executionTimeMs: 208n,
      rowsProcessed: 2147483647n,
      failureReason: null,
      modelCount: 2n,
    }),
    "Completed Execution Step: LOAD; Started On: 2026-11-24T21:18:52.792147+00:00; " +
      "Completed On: 2026-11-24T21:18:53+00:00; Execution Time: 0h 0m 0s; " +
      "Models Processed: 2; Rows Processed: 2,147,483,647.",
  );
});
