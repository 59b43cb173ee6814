import { equal, throws } from "node:assert/strict";
import {
  parseExecutionId,
  parsePreviousExecutionId,
  parseRowsProcessed,
  parseStepName,
} from "../../src/cli/arguments.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("parseExecutionId() returns the canonical lower-case form", () => {
  equal(
    parseExecutionId("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
  );
  equal(
    parseExecutionId("a0eebc999c0b4ef8bb6d6bb9bd380a11"),
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
  );
});

Deno.test("parseExecutionId() rejects what is not a UUID, naming it", async (t) => {
  for (const input of ["", "not-a-uuid", "'; drop table dpo.execution; --", "a0eebc99-9c0b"]) {
    await t.step(JSON.stringify(input), () => {
      throws(() => parseExecutionId(input), (error: Error) => {
        equal(error instanceof UsageError, true);
        equal(error.message.startsWith(`Execution id "${input}" is not a valid UUID`), true);
        return true;
      });
    });
  }
});

Deno.test("parsePreviousExecutionId() reads '' and NO_LAST_SUCCESSFUL_EXECUTION as none", () => {
  equal(parsePreviousExecutionId(""), null);
  equal(parsePreviousExecutionId("NO_LAST_SUCCESSFUL_EXECUTION"), null);
  throws(() => parsePreviousExecutionId("none"), UsageError);
});

Deno.test("parseRowsProcessed() accepts exactly the PostgreSQL bigint range", async (t) => {
  const valid = [
    { input: "0", expected: 0n },
    { input: "2147483647", expected: 2147483647n },
    { input: "9223372036854775807", expected: 9223372036854775807n },
  ];
  for (const c of valid) {
    await t.step(`accepts ${c.input}`, () => equal(parseRowsProcessed(c.input), c.expected));
  }
  const invalid = [
    { input: "-1", reason: "is negative" },
    { input: "1.5", reason: "is not a whole number" },
    { input: "1e3", reason: "is not a whole number" },
    { input: "9223372036854775808", reason: "is larger than a PostgreSQL bigint" },
    { input: "", reason: "is not a whole number" },
  ];
  for (const c of invalid) {
    await t.step(`rejects ${JSON.stringify(c.input)}`, () => {
      throws(() => parseRowsProcessed(c.input), (error: Error) => {
        equal(error instanceof UsageError, true);
        equal(error.message.includes(c.reason), true, error.message);
        return true;
      });
    });
  }
});

Deno.test("parseStepName() accepts names with spaces and quotes but not empty or long ones", () => {
  equal(parseStepName(`load "raw" data`), `load "raw" data`);
  throws(() => parseStepName(" "), UsageError);
  throws(() => parseStepName("x".repeat(101)), UsageError);
});
