import { equal } from "node:assert/strict";
import { formatCount, formatDuration, stepSummary } from "../../src/cli/summaries.ts";

Deno.test("formatCount() groups thousands exactly, even beyond 2^53", () => {
  equal(formatCount("0"), "0");
  equal(formatCount("999"), "999");
  equal(formatCount("1000"), "1,000");
  equal(formatCount("2147483647"), "2,147,483,647");
  equal(formatCount("9223372036854775807"), "9,223,372,036,854,775,807");
  equal(formatCount(null), "N/A");
});

Deno.test("formatDuration() prints hours, minutes and whole seconds", () => {
  equal(formatDuration("0"), "0h 0m 0s");
  equal(formatDuration("999"), "0h 0m 0s");
  equal(formatDuration("3723500"), "1h 2m 3s");
  equal(formatDuration(null), "0h 0m 0s");
});

Deno.test("stepSummary() is the Python tool's line", () => {
  equal(
    stepSummary({
      execution_step_id: "s",
      execution_id: "e",
      step_name: "LOAD",
      status: "COMPLETED",
      started_on: "2026-11-24T21:18:52.792147+00:00",
      completed_on: "2026-11-24T21:18:53+00:00",
      execution_time_ms: "208",
      rows_processed: "2147483647",
      failure_reason: null,
      model_count: "2",
    }),
    "Completed Execution Step: LOAD; Started On: 2026-11-24T21:18:52.792147+00:00; " +
      "Completed On: 2026-11-24T21:18:53+00:00; Execution Time: 0h 0m 0s; " +
      "Models Processed: 2; Rows Processed: 2,147,483,647.",
  );
});
