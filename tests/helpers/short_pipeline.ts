/**
 * A short pipeline that uses every command a build agent runs against a migrated store: two
 * successful executions, a failed third, then the history and diff commands. The e2e tests run it
 * over TLS and as a least-privilege role, where any missing grant or broken connection shows.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import type { CliResult } from "./cli.ts";
import { writeModels } from "./model_tree.ts";
import { ISO_TIMESTAMP } from "./pipeline.ts";

/** Runs dpo with the store already named (URL, flags or environment). */
export type RunNamedStore = (args: readonly string[]) => Promise<CliResult>;

/** The ids of the three executions, oldest first. */
export interface ShortPipelineIds {
  first: string;
  second: string;
  failed: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Runs every command of the pipeline on an empty, migrated store, asserting each result. */
export async function runShortPipeline(
  dpo: RunNamedStore,
  modelsDir: string,
): Promise<ShortPipelineIds> {
  const ok = async (args: string[]) => {
    const result = await dpo(args);
    assertEquals(result.code, 0, `dpo ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.replace(/\n$/, "");
  };
  await writeModels(modelsDir, {
    "load/a.sql": "select 1;\n",
    "load/b.csv": "b\n",
    "transform/t.sql": "select 't';\n",
  });
  const load = `${modelsDir}/load`;

  const first = await ok(["init-execution"]);
  assertMatch(first, UUID);
  const load1 = await ok(["init-step", first, "LOAD", load, "*.sql", "*.csv"]);
  assertEquals(await ok(["compare-step-models", load1, ""]), "a b");
  assertEquals(await ok(["complete-step", load1, "-r", "42"]), "");
  const transform1 = await ok(["init-step", first, "transform", `${modelsDir}/transform`, "*.sql"]);
  assertEquals(await ok(["compare-step-models", transform1, ""]), "t");
  assertEquals(await ok(["complete-step", transform1]), "");
  assertEquals(await ok(["complete-execution", first]), "");
  assertEquals(await ok(["get-last-successful-execution"]), first);
  assertMatch(await ok(["get-execution-completion-timestamp", first]), ISO_TIMESTAMP);

  await writeModels(modelsDir, { "load/b.csv": "b\nB\n", "load/c.sql": "select 3;\n" });
  const second = await ok(["init-execution"]);
  const load2 = await ok(["init-step", second, "load", load, "*.sql", "*.csv"]);
  assertEquals(await ok(["compare-step-models", load2, first]), "b c");
  assertEquals(await ok(["complete-step", load2, "-r", "7"]), "");
  assertEquals(await ok(["complete-execution", second]), "");
  assertEquals(await ok(["compare-models", first, second, "load"]), "b c");
  assertEquals(await ok(["get-last-successful-execution"]), second);

  const failed = await ok(["init-execution"]);
  const load3 = await ok(["init-step", failed, "LOAD", load, "*.sql"]);
  assertEquals(await ok(["fail-step", load3, "--reason", "disk full"]), "");
  assertEquals(await ok(["fail-execution", failed, "--reason", "disk full"]), "");
  assertEquals(await ok(["get-last-successful-execution"]), second);

  const history = await ok(["executions"]);
  assertEquals(
    history.split("\n").slice(1).map((line) => line.split(/\s+/).slice(0, 2).join(" ")),
    [`${failed} FAILED`, `${second} COMPLETED`, `${first} COMPLETED`],
  );
  assertMatch(await ok(["executions", "show", second]), new RegExp(`^Execution ${second} `));
  assertEquals(
    await ok(["diff", first, second]),
    "M LOAD/b\nA LOAD/c\nD TRANSFORM/t",
  );
  return { first, second, failed };
}
