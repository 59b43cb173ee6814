import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { answerInterrupt, stopOnInterrupt } from "../../src/interrupts.ts";

Deno.test("answerInterrupt() stops the command that took the interrupt over, takes the same Ctrl-C delivered twice as one, and otherwise lets main.ts exit", async () => {
  assertEquals(answerInterrupt(), false, "nothing took it over, nothing was stopped: exit");
  let stops = 0;
  stopOnInterrupt(() => stops++);
  assertEquals(answerInterrupt(), true);
  assertEquals(stops, 1);
  // The terminal's SIGINT and the one `deno task` passes on, a moment apart.
  assertEquals(answerInterrupt(), true);
  assertEquals(stops, 1, "stopped once");
  await new Promise((resolve) => setTimeout(resolve, 600));
  assertEquals(answerInterrupt(), false, "a later interrupt exits at once");
});
