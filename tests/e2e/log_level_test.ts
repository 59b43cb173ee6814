/**
 * A failure's stack and causes are printed at --log-level DEBUG however argparse let the option be
 * written, before or after the command, and at no other level.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { DEBUG_LOG_LEVEL_FORMS, runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure } from "../helpers/pipeline.ts";

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
const NOT_FOUND = /Execution "00000000-0000-4000-8000-000000000000" does not exist/;

Deno.test("a failure shows its stack at DEBUG however --log-level is written, and only then", async (t) => {
  await using folder = await temporaryFolder();
  const failing = [`sqlite:${folder.path}/dpo.sqlite`, "complete-execution", UNKNOWN_ID];
  for (const form of DEBUG_LOG_LEVEL_FORMS) {
    await t.step(`${form.join(" ")} before and after the command`, async () => {
      for (const args of [[...form, ...failing], [...failing, ...form]]) {
        const result = await runDpo(args);
        assertEquals([result.code, result.stdout], [1, ""], result.stderr);
        const error = result.stderr.slice(result.stderr.indexOf("\nerror: ") + 1);
        assertMatch(error, new RegExp(`^error: \\w*Error: ${NOT_FOUND.source}`));
        assertMatch(error, /\n {4}at /, `no stack at DEBUG: ${result.stderr}`);
      }
    });
  }
  const quiet = [
    failing,
    // Given bare (it would take a value that follows): INFO.
    [...failing, "-l"],
    ["-lINFO", ...failing],
    [...failing, "--log-level", "WARNING"],
    ["--log=critical", ...failing],
  ];
  for (const args of quiet) {
    const level = args.filter((arg) => !failing.includes(arg)).join(" ") || "no --log-level";
    await t.step(`${level}: one line, no stack`, async () => {
      assertCleanFailure(await runDpo(args), 1, new RegExp(`^error: ${NOT_FOUND.source}`));
    });
  }
});
