/**
 * Issue 5 end to end through the CLI, on PostgreSQL (after `db upgrade`) and on the embedded SQLite
 * store: `--format json` on every command, full change sets (`--name-status`, `diff`), failures,
 * the run history (`executions`, `executions show`), several pipelines in one database, and shell
 * completions. The seed commands' text output is checked alongside, unchanged.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type CliOptions, type CliResult, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  ISO_TIMESTAMP,
  maskLog,
  openStoreUnderTest,
  snapshotTables,
  STORE_KINDS,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";

const HEAD = "0003_pipelines_and_failures";
const MAX_ROWS = "9223372036854775807";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HISTORY_HEADER = [
  "EXECUTION ID",
  "STATUS",
  "STARTED",
  "DURATION",
  "STEPS",
  "MODELS",
  "ROWS PROCESSED",
];
const HISTORY_RIGHT_ALIGNED = new Set([4, 5, 6]);
const SHOW_HEADER = ["STEP", "STATUS", "DURATION", "MODELS", "CHANGED", "ROWS", "STEP ID"];
const SHOW_RIGHT_ALIGNED = new Set([3, 4, 5]);

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * JSON.parse that keeps integers beyond 2^53 exact as BigInt: the reviver sees each number's
 * source text (ES2025), so 9223372036854775807 is compared as written, not as a float.
 */
function parseExactJson(text: string): Json {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && !Number.isSafeInteger(value) &&
      /^-?\d+$/.test(context?.source ?? "")
      ? BigInt(context!.source!)
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/**
 * A document with what changes from run to run checked and masked: times (keys ending in `_on`,
 * and `timestamp`) must be dpo's ISO 8601 and become "<time>"; `execution_time_ms` must be whole
 * milliseconds and becomes "<ms>". Nulls stay null.
 */
function masked(value: Json, key = ""): Json {
  if (Array.isArray(value)) return value.map((item) => masked(item));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, k)]));
  }
  if (value === null) return null;
  if (key.endsWith("_on") || key === "timestamp") {
    assertMatch(value, ISO_TIMESTAMP);
    return "<time>";
  }
  if (key === "execution_time_ms") {
    assert(Number.isSafeInteger(value) && value >= 0, `execution_time_ms ${value}`);
    return "<ms>";
  }
  return value;
}

/** The result of a `--format json` call: exactly one JSON document, on one line. */
interface JsonResult {
  doc: Json;
  stdout: string;
  stderr: string;
}

/** dpo on one store: its text, its JSON, and JSON reads that must log nothing. */
function dpoOn(store: StoreUnderTest) {
  const run = (args: string[], options?: CliOptions) => runDpo([...store.args, ...args], options);
  const json = async (args: string[], options?: CliOptions): Promise<JsonResult> => {
    const result = await run(["--format", "json", ...args], options);
    assertEquals(result.code, 0, `dpo ${args.join(" ")}: ${result.stderr}`);
    assert(
      result.stdout.endsWith("\n") && result.stdout.indexOf("\n") === result.stdout.length - 1,
      `not one line on stdout: ${result.stdout}`,
    );
    return { doc: parseExactJson(result.stdout), stdout: result.stdout, stderr: result.stderr };
  };
  return {
    run,
    json,
    /** `--format json` of a command that only reads: stderr stays empty. */
    read: async (args: string[], options?: CliOptions): Promise<Json> => {
      const result = await json(args, options);
      assertEquals(result.stderr, "");
      return result.doc;
    },
    /** The one line a text command prints, which must log nothing. */
    line: async (args: string[], options?: CliOptions): Promise<string> => {
      const result = await run(args, options);
      assertEquals([result.code, result.stderr], [0, ""], `dpo ${args.join(" ")}`);
      assertMatch(result.stdout, /^[^\n]*\n$/);
      return result.stdout.slice(0, -1);
    },
  };
}

/** A command that printed nothing, logged `log` (masked) and exited 0. */
function assertQuiet(result: CliResult, log: string | RegExp): void {
  assertEquals([result.code, result.stdout], [0, ""], result.stderr);
  if (typeof log === "string") assertEquals(maskLog(result.stderr), log);
  else assertMatch(maskLog(result.stderr), log);
}

/** `1h 2m 3s`, as dpo prints a duration of whole seconds. */
function duration(milliseconds: number | null): string {
  if (milliseconds === null) return "-";
  const seconds = Math.floor(milliseconds / 1000);
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m ${seconds % 60}s`;
}

/** `9,223,372,036,854,775,807`, or "-" for no count. */
function count(value: number | bigint | null): string {
  return value === null ? "-" : BigInt(value).toLocaleString("en-US");
}

/**
 * Asserts that `table` is `header` above `rows`, every column lined up with its title: a
 * left-aligned column starts where its title starts, a right-aligned one ends where its title
 * ends; columns are at least two spaces apart, with nothing else on a line.
 */
function assertAlignedTable(
  table: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number>,
): void {
  const lines = table.split("\n");
  assertEquals(lines.length, rows.length + 1, `rows of\n${table}`);
  const titleStarts: number[] = [];
  let searchFrom = 0;
  for (const title of header) {
    const start = lines[0].indexOf(title, searchFrom);
    assert(start >= 0, `no column "${title}" in ${lines[0]}`);
    titleStarts.push(start);
    searchFrom = start + title.length;
  }
  assertEquals(titleStarts[0], 0);
  [header, ...rows].forEach((cells, lineIndex) => {
    const line = lines[lineIndex];
    let end = 0;
    cells.forEach((cell, column) => {
      const titleEnd = titleStarts[column] + header[column].length;
      const start = rightAligned.has(column) ? titleEnd - cell.length : titleStarts[column];
      const where = `column "${header[column]}" of line ${lineIndex}:\n${table}`;
      assert(column === 0 ? start === 0 : start >= end + 2, `overlap at ${where}`);
      assertEquals(line.slice(end, start).trim(), "", `not spaces before ${where}`);
      assertEquals(line.slice(start, start + cell.length), cell, where);
      end = start + cell.length;
    });
    assertEquals(line.length, end, `text after the last column of line ${lineIndex}`);
  });
}

/** The table a text command printed, after checking it exited 0, logged nothing, ends in "\n". */
function tableOf(result: CliResult): string {
  assertEquals([result.code, result.stderr], [0, ""]);
  assert(result.stdout.endsWith("\n") && !result.stdout.endsWith("\n\n"), result.stdout);
  return result.stdout.slice(0, -1);
}

const ids = (executions: Json[]) => executions.map((e: Json) => e.execution_id);

/**
 * Whether to check, on this store, what does not depend on it: text that dpo renders from rows
 * the JSON checks already cover, and arguments refused before the store is opened. A call on
 * the embedded store would only repeat them, so these run on PostgreSQL only.
 */
const checksRendering = (kind: string) => kind === "PostgreSQL";

/** Every row of dpo's three tables. */
function snapshotRows(store: StoreUnderTest): Promise<string> {
  return snapshotTables(store.rows);
}

/**
 * Runs a scenario on a fresh PostgreSQL database and a fresh SQLite store at the same time.
 * Fails with every store's failure, each named.
 */
async function onEachStore(scenario: (store: StoreUnderTest) => Promise<void>): Promise<void> {
  const outcomes = await Promise.allSettled(STORE_KINDS.map(async (kind) => {
    await using store = await openStoreUnderTest(kind);
    await scenario(store);
  }));
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === "rejected"
      ? [`on ${STORE_KINDS[i]}: ${outcome.reason?.stack ?? outcome.reason}`]
      : []
  );
  if (failures.length > 0) throw new Error(failures.join("\n\n"));
}

/**
 * Every command prints one JSON document, change sets and diffs are complete, and the history
 * lines up.
 */
async function jsonChangeSetsAndHistory(store: StoreUnderTest): Promise<void> {
  await using models = await temporaryFolder();
  const dpo = dpoOn(store);
  const rendering = checksRendering(store.kind);
  const root = models.path;
  // Code-point order ("B" < "_x" < "a") differs from the test database's ICU order.
  await writeModels(root, {
    "load/B.sql": "select 'B';\n",
    "load/_x.sql": "select '_x';\n",
    "load/c.sql": "select 'c';\n",
    "load/keep.sql": "select 'keep';\n",
    "transform/t1.sql": "select 1;\n",
    "transform/t2.sql": "select 2;\n",
  });

  // Run 1. The seed commands print what they always printed; their JSON says the same.
  const e1 = await dpo.line(["init-execution"]);
  assertMatch(e1, UUID);
  const l1 = await dpo.line(["--format", "text", "init-step", e1, "load", root, "load/*.sql"]);
  assertMatch(l1, UUID);
  const transform1 = await dpo.read(["init-step", e1, "transform", root, "transform/*.sql"]);
  const t1 = transform1.step_id;
  assertMatch(t1, UUID);
  assertEquals(transform1, { step_id: t1, execution_id: e1, step_name: "TRANSFORM", models: 2 });
  assertEquals(await dpo.read(["compare-step-models", l1, ""]), {
    step_id: l1,
    previous_execution_id: null,
    changed: ["B", "_x", "c", "keep"],
    added: ["B", "_x", "c", "keep"],
    modified: [],
    deleted: [],
    renamed: [],
    unchanged: 0,
  });

  const completeLoad1 = await dpo.json(["complete-step", l1, "-r", MAX_ROWS]);
  assert(completeLoad1.stdout.includes(`"rows_processed":${MAX_ROWS}}`), completeLoad1.stdout);
  assertEquals(masked(completeLoad1.doc), {
    step_id: l1,
    execution_id: e1,
    step_name: "LOAD",
    status: "COMPLETED",
    started_on: "<time>",
    completed_on: "<time>",
    execution_time_ms: "<ms>",
    failure_reason: null,
    models: 4,
    rows_processed: BigInt(MAX_ROWS),
  });
  // --format json changes stdout only: the summary is logged as before.
  assertEquals(
    maskLog(completeLoad1.stderr),
    "<log> - dpo - INFO - Completed Execution Step: LOAD; Started On: <time>; Completed On: " +
      "<time>; Execution Time: <duration>; Models Processed: 4; " +
      "Rows Processed: 9,223,372,036,854,775,807.\n",
  );
  assertQuiet(
    await dpo.run(["complete-step", t1]),
    "<log> - dpo - INFO - Completed Execution Step: TRANSFORM; Started On: <time>; " +
      "Completed On: <time>; Execution Time: <duration>; Models Processed: 2; " +
      "Rows Processed: N/A.\n",
  );
  const completeRun1 = await dpo.json(["complete-execution", e1]);
  assert(completeRun1.stdout.includes(`"rows_processed":${MAX_ROWS}}`), completeRun1.stdout);
  assertEquals(masked(completeRun1.doc), {
    execution_id: e1,
    pipeline: "default",
    status: "COMPLETED",
    started_on: "<time>",
    completed_on: "<time>",
    execution_time_ms: "<ms>",
    failure_reason: null,
    steps: 2,
    models: 6,
    rows_processed: BigInt(MAX_ROWS),
  });
  assertEquals(
    maskLog(completeRun1.stderr),
    `<log> - dpo - INFO - Completed Execution: ${e1}; Started On: <time>; Completed On: <time>; ` +
      "Execution Time: <duration>; Steps Processed: 2.\n",
  );
  const completedOn1 = completeRun1.doc.completed_on;
  assertEquals(await dpo.line(["get-last-successful-execution"]), e1);
  assertEquals(await dpo.line(["get-execution-completion-timestamp", e1]), completedOn1);
  if (rendering) {
    assertEquals(await dpo.read(["get-last-successful-execution"]), {
      execution_id: e1,
      pipeline: "default",
    });
    assertEquals(await dpo.read(["get-execution-completion-timestamp", e1]), {
      execution_id: e1,
      timestamp: completedOn1,
    });
  }

  // Run 2: B edited, _x deleted, Z and a added; no TRANSFORM step, a new EXPORT step.
  await Deno.remove(`${root}/load/_x.sql`);
  await writeModels(root, {
    "load/B.sql": "select 'B, edited';\n",
    "load/Z.sql": "select 'Z';\n",
    "load/a.sql": "select 'a';\n",
    "export/e1.sql": "select 'e1';\n",
  });
  const init2 = await dpo.read(["init-execution"]);
  const e2 = init2.execution_id;
  assertMatch(e2, UUID);
  assertEquals(init2, { execution_id: e2, pipeline: "default" });
  const l2 = await dpo.line(["init-step", e2, "LOAD", root, "load/*.sql"]);
  assertMatch(l2, UUID);
  // The seed's answer is still added and modified only; --name-status adds the deletions.
  assertEquals(await dpo.line(["compare-step-models", l2, e1]), "B Z a");
  if (rendering) {
    assertEquals(await dpo.run(["compare-step-models", l2, e1, "--name-status"]), {
      code: 0,
      stdout: "M B\nA Z\nD _x\nA a\n",
      stderr: "",
    });
  }
  const loadChanges = {
    changed: ["B", "Z", "a"],
    added: ["Z", "a"],
    modified: ["B"],
    deleted: ["_x"],
    renamed: [],
    unchanged: 2,
  };
  assertEquals(await dpo.read(["compare-step-models", l2, e1, "--name-status"]), {
    step_id: l2,
    previous_execution_id: e1,
    ...loadChanges,
  });
  assertEquals(await dpo.line(["compare-models", e1, e2, "load"]), "B Z a");
  if (rendering) {
    assertEquals(await dpo.read(["compare-models", e1, e2, "load"]), {
      execution_id: e2,
      previous_execution_id: e1,
      changed: ["B", "Z", "a"],
    });
  }
  const x2 = await dpo.line(["init-step", e2, "export", root, "export/*.sql"]);
  assertQuiet(
    await dpo.run(["complete-step", l2, "--rows-processed", "5"]),
    /Rows Processed: 5\.\n$/,
  );
  // EXPORT stays IN_PROGRESS: the history shows an unfinished step.
  assertQuiet(await dpo.run(["complete-execution", e2]), /Steps Processed: 2\.\n$/);

  // diff: any two executions, both ways, every step of either or one step.
  const forward = [
    "A EXPORT/e1",
    "M LOAD/B",
    "A LOAD/Z",
    "D LOAD/_x",
    "A LOAD/a",
    "D TRANSFORM/t1",
    "D TRANSFORM/t2",
  ];
  assertEquals(await dpo.run(["diff", e1, e2]), {
    code: 0,
    stdout: `${forward.join("\n")}\n`,
    stderr: "",
  });
  assertEquals(await dpo.read(["diff", e1, e2]), {
    from_execution_id: e1,
    to_execution_id: e2,
    steps: [
      {
        step_name: "EXPORT",
        changed: ["e1"],
        added: ["e1"],
        modified: [],
        deleted: [],
        renamed: [],
        unchanged: 0,
      },
      { step_name: "LOAD", ...loadChanges },
      {
        step_name: "TRANSFORM",
        changed: [],
        added: [],
        modified: [],
        deleted: ["t1", "t2"],
        renamed: [],
        unchanged: 0,
      },
    ],
  });
  assertEquals(await dpo.read(["diff", e2, e1, "--step", "load"]), {
    from_execution_id: e2,
    to_execution_id: e1,
    steps: [{
      step_name: "LOAD",
      changed: ["B", "_x"],
      added: ["_x"],
      modified: ["B"],
      deleted: ["Z", "a"],
      renamed: [],
      unchanged: 2,
    }],
  });
  if (rendering) {
    assertEquals(await dpo.run(["diff", e2, e1]), {
      code: 0,
      stdout:
        "D EXPORT/e1\nM LOAD/B\nD LOAD/Z\nA LOAD/_x\nD LOAD/a\nA TRANSFORM/t1\nA TRANSFORM/t2\n",
      stderr: "",
    });
    assertEquals(await dpo.run(["diff", e1, e2, "--step", "Transform"]), {
      code: 0,
      stdout: "D TRANSFORM/t1\nD TRANSFORM/t2\n",
      stderr: "",
    });
    assertEquals(await dpo.run(["diff", e1, e1]), { code: 0, stdout: "", stderr: "" });
    assertCleanFailure(
      await dpo.run(["diff", e1, e2, "--step", "audit"]),
      1,
      /^error: Neither execution has a step "AUDIT": /,
    );
  }

  // executions: newest first, as JSON and as an aligned table, filtered.
  const history = await dpo.read(["executions"]);
  assertEquals(masked(history), [
    {
      execution_id: e2,
      pipeline: "default",
      status: "COMPLETED",
      started_on: "<time>",
      completed_on: "<time>",
      execution_time_ms: "<ms>",
      failure_reason: null,
      steps: 2,
      models: 6,
      rows_processed: 5,
    },
    { ...masked(completeRun1.doc) },
  ]);
  assertEquals(history[1], completeRun1.doc);
  assertAlignedTable(
    tableOf(await dpo.run(["executions"])),
    HISTORY_HEADER,
    history.map((e: Json) => [
      e.execution_id,
      e.status,
      e.started_on,
      duration(e.execution_time_ms),
      count(e.steps),
      count(e.models),
      count(e.rows_processed),
    ]),
    HISTORY_RIGHT_ALIGNED,
  );
  assertEquals(ids(await dpo.read(["executions", "--limit", "1"])), [e2]);
  const since = history[0].started_on;
  assertEquals(ids(await dpo.read(["executions", "--status", "completed", "--since", since])), [
    e2,
  ]);
  if (rendering) {
    assertEquals(
      await dpo.run(["executions", "--status", "FAILED", "--since", "2000-01-01"]),
      {
        code: 0,
        stdout: "EXECUTION ID  STATUS  STARTED  DURATION  STEPS  MODELS  ROWS PROCESSED\n",
        stderr: "",
      },
    );
    const badValues = await Promise.all([
      ["executions", "--limit", "0"],
      ["executions", "--limit", "ten"],
      ["executions", "--status", "DONE"],
      ["executions", "--since", "yesterday"],
      ["executions", "--since", "2026-02-30"],
      ["--format", "yaml", "executions"],
    ].map((args) => dpo.run(args)));
    assertCleanFailure(badValues[0], 2, /^error: --limit "0" is not a whole number/);
    assertCleanFailure(badValues[1], 2, /^error: --limit "ten" is not a whole number/);
    assertCleanFailure(badValues[2], 2, /^error: --status "DONE" is not known: choose one of /);
    assertCleanFailure(badValues[3], 2, /^error: --since "yesterday" is not an ISO 8601 time/);
    assertCleanFailure(badValues[4], 2, /^error: --since "2026-02-30" is not an ISO 8601 time/);
    assertCleanFailure(
      badValues[5],
      2,
      /^error: Format "yaml" is not known: choose text or json$/,
    );
  }

  // executions show: each step with how many models changed since the run before.
  const show2 = await dpo.read(["executions", "show", e2]);
  assertEquals(masked(show2), {
    execution_id: e2,
    pipeline: "default",
    status: "COMPLETED",
    started_on: "<time>",
    completed_on: "<time>",
    execution_time_ms: "<ms>",
    failure_reason: null,
    steps: [
      {
        step_id: l2,
        execution_id: e2,
        step_name: "LOAD",
        status: "COMPLETED",
        started_on: "<time>",
        completed_on: "<time>",
        execution_time_ms: "<ms>",
        failure_reason: null,
        models: 5,
        rows_processed: 5,
        changed_models: 3,
      },
      {
        step_id: x2,
        execution_id: e2,
        step_name: "EXPORT",
        status: "IN_PROGRESS",
        started_on: "<time>",
        completed_on: null,
        execution_time_ms: null,
        failure_reason: null,
        models: 1,
        rows_processed: null,
        changed_models: 1,
      },
    ],
    models: 6,
    rows_processed: 5,
    previous_execution_id: e1,
  });
  const showText2 = tableOf(await dpo.run(["executions", "show", e2])).split("\n");
  assertEquals(showText2.slice(0, 3), [
    `Execution ${e2} (default): COMPLETED, started ${show2.started_on}, took ` +
    duration(show2.execution_time_ms),
    `Compared with: ${e1}`,
    "",
  ]);
  assertAlignedTable(showText2.slice(3).join("\n"), SHOW_HEADER, [
    ["LOAD", "COMPLETED", duration(show2.steps[0].execution_time_ms), "5", "3", "5", l2],
    ["EXPORT", "IN_PROGRESS", "-", "1", "1", "-", x2],
  ], SHOW_RIGHT_ALIGNED);

  const show1 = await dpo.json(["executions", "show", e1]);
  assert(show1.stdout.includes(`"rows_processed":${MAX_ROWS},"changed_models":null}`));
  assertEquals(show1.doc.previous_execution_id, null);
  assertEquals(
    show1.doc.steps.map((s: Json) => [s.step_id, s.rows_processed, s.changed_models]),
    [[l1, BigInt(MAX_ROWS), null], [t1, null, null]],
  );
  if (rendering) {
    const showText1 = tableOf(await dpo.run(["executions", "show", e1])).split("\n");
    assertEquals(showText1[1], "Compared with: no earlier successful execution");
    assertAlignedTable(showText1.slice(3).join("\n"), SHOW_HEADER, [
      [
        "LOAD",
        "COMPLETED",
        duration(show1.doc.steps[0].execution_time_ms),
        "4",
        "-",
        count(BigInt(MAX_ROWS)),
        l1,
      ],
      [
        "TRANSFORM",
        "COMPLETED",
        duration(show1.doc.steps[1].execution_time_ms),
        "2",
        "-",
        "-",
        t1,
      ],
    ], SHOW_RIGHT_ALIGNED);
  }

  // The db commands.
  assertEquals(await dpo.read(["db", "current"]), { revision: HEAD, head: true });
  assertEquals(masked(await dpo.read(["db", "history"])), [
    { revision: "0001_python_schema", applied_on: "<time>", note: null },
    { revision: "0002_query_indexes", applied_on: "<time>", note: null },
    { revision: HEAD, applied_on: "<time>", note: null },
  ]);
  const upgrade = await dpo.json(["db", "upgrade"]);
  assertEquals(upgrade.doc, { applied: [] });
  assertMatch(upgrade.stderr, /INFO - The database is already at the requested revision\n$/);
}

/** fail-step and fail-execution record why, and a failed run is never the last successful one. */
async function failuresAndReasons(store: StoreUnderTest): Promise<void> {
  await using models = await temporaryFolder();
  const dpo = dpoOn(store);
  const rendering = checksRendering(store.kind);
  const root = models.path;
  await writeModels(root, { "load/a.sql": "select 'a';\n", "transform/t.sql": "select 't';\n" });

  const e1 = await dpo.line(["init-execution"]);
  assertQuiet(await dpo.run(["complete-execution", e1]), /Steps Processed: 0\.\n$/);
  const e2 = await dpo.line(["init-execution"]);
  const s2 = await dpo.line(["init-step", e2, "load", root, "load/*.sql"]);

  const failStep = await dpo.json(["fail-step", s2, "--reason", "disk full: /var/lib"]);
  assertEquals(masked(failStep.doc), {
    step_id: s2,
    execution_id: e2,
    step_name: "LOAD",
    status: "FAILED",
    started_on: "<time>",
    completed_on: "<time>",
    execution_time_ms: "<ms>",
    failure_reason: "disk full: /var/lib",
    models: 1,
    rows_processed: null,
  });
  assertEquals(
    maskLog(failStep.stderr),
    `<log> - dpo - INFO - Step "${s2}" (LOAD) failed on <time>: disk full: /var/lib\n`,
  );
  const failRun = await dpo.json(["fail-execution", e2, "--reason", "LOAD failed"]);
  assertEquals(masked(failRun.doc), {
    execution_id: e2,
    pipeline: "default",
    status: "FAILED",
    started_on: "<time>",
    completed_on: "<time>",
    execution_time_ms: "<ms>",
    failure_reason: "LOAD failed",
    steps: 1,
    models: 1,
    rows_processed: null,
  });
  assertEquals(
    maskLog(failRun.stderr),
    `<log> - dpo - INFO - Execution "${e2}" failed on <time>: LOAD failed\n`,
  );

  // Failing again warns; completing, adding a step or failing a completed run is refused.
  const before = await snapshotRows(store);
  assertQuiet(
    await dpo.run(["fail-step", s2, "--reason", "other"]),
    `<log> - dpo - WARNING - Step "${s2}" (LOAD) had already failed on <time>: unchanged\n`,
  );
  assertQuiet(
    await dpo.run(["fail-execution", e2, "--reason", "other"]),
    `<log> - dpo - WARNING - Execution "${e2}" had already failed on <time>: unchanged\n`,
  );
  assertCleanFailure(
    await dpo.run(["complete-step", s2, "-r", "1"]),
    1,
    new RegExp(`^error: Step "${s2}" has failed and cannot be completed: start a new execution$`),
  );
  assertCleanFailure(
    await dpo.run(["complete-execution", e2]),
    1,
    new RegExp(
      `^error: Execution "${e2}" has failed and cannot be completed: start a new execution$`,
    ),
  );
  assertCleanFailure(
    await dpo.run(["init-step", e2, "transform", root, "transform/*.sql"]),
    1,
    new RegExp(
      `^error: Execution "${e2}" is already failed: start a new one with init-execution$`,
    ),
  );
  assertCleanFailure(
    await dpo.run(["fail-execution", e1, "--reason", "late"]),
    1,
    new RegExp(`^error: Execution "${e1}" is already completed and cannot fail: `),
  );
  assertEquals(await snapshotRows(store), before);
  if (rendering) {
    const unknownStep = crypto.randomUUID();
    const [missing, malformed] = await Promise.all([
      dpo.run(["fail-step", unknownStep]),
      dpo.run(["fail-execution", "not-a-uuid"]),
    ]);
    assertCleanFailure(missing, 1, new RegExp(`^error: Step "${unknownStep}" does not exist: `));
    assertCleanFailure(malformed, 2, /not-a-uuid/);
  }

  assertEquals(await dpo.line(["get-last-successful-execution"]), e1);
  assertEquals(await dpo.run(["get-execution-completion-timestamp", e2]), {
    code: 0,
    stdout: "\n",
    stderr: "",
  });

  const e3 = await dpo.line(["init-execution"]);
  assertQuiet(
    await dpo.run(["fail-execution", e3]),
    `<log> - dpo - INFO - Execution "${e3}" failed on <time>: no reason given\n`,
  );
  assertEquals(await dpo.line(["get-last-successful-execution"]), e1);

  // The failures and their reasons in the history.
  const failed = await dpo.read(["executions", "--status", "failed"]);
  assertEquals(
    failed.map((e: Json) => [e.execution_id, e.status, e.failure_reason]),
    [[e3, "FAILED", null], [e2, "FAILED", "LOAD failed"]],
  );
  assertEquals(failed[1], failRun.doc);
  if (rendering) {
    assertAlignedTable(
      tableOf(await dpo.run(["executions", "--status", "failed"])),
      HISTORY_HEADER,
      failed.map((e: Json) => [
        e.execution_id,
        "FAILED",
        e.started_on,
        duration(e.execution_time_ms),
        count(e.steps),
        count(e.models),
        "-",
      ]),
      HISTORY_RIGHT_ALIGNED,
    );
  }
  const show = await dpo.read(["executions", "show", e2]);
  assertEquals(show.failure_reason, "LOAD failed");
  assertEquals(show.previous_execution_id, e1);
  assertEquals(show.steps, [{ ...failStep.doc, changed_models: 1 }]);
  if (rendering) {
    const showText = tableOf(await dpo.run(["executions", "show", e2])).split("\n");
    assertEquals(showText.slice(0, 3), [
      `Execution ${e2} (default): FAILED, started ${show.started_on}, took ` +
      `${duration(show.execution_time_ms)}, failed: LOAD failed`,
      `Compared with: ${e1}`,
      "",
    ]);
    assertAlignedTable(showText.slice(3).join("\n"), SHOW_HEADER, [
      ["LOAD", "FAILED", duration(failStep.doc.execution_time_ms), "1", "1", "-", s2],
    ], SHOW_RIGHT_ALIGNED);
  }

  // What is stored: the status, the reason and the database's time of the failure.
  const stored = await store.rows(
    `SELECT CAST(execution_id AS text) AS id, status, failure_reason,
       CASE WHEN completed_on IS NULL THEN 'no' ELSE 'yes' END AS ended
     FROM dpo.execution
     UNION ALL SELECT CAST(execution_step_id AS text), status, failure_reason,
       CASE WHEN completed_on IS NULL THEN 'no' ELSE 'yes' END
     FROM dpo.execution_step`,
  );
  const byId = (x: Json, y: Json) => x.id < y.id ? -1 : 1;
  assertEquals(
    stored.sort(byId),
    [
      { id: e1, status: "COMPLETED", failure_reason: null, ended: "yes" },
      { id: e2, status: "FAILED", failure_reason: "LOAD failed", ended: "yes" },
      { id: e3, status: "FAILED", failure_reason: null, ended: "yes" },
      { id: s2, status: "FAILED", failure_reason: "disk full: /var/lib", ended: "yes" },
    ].sort(byId),
  );
}

/** --pipeline, DPO_PIPELINE and the default pipeline keep their executions apart. */
async function pipelinesApart(store: StoreUnderTest): Promise<void> {
  const dpo = dpoOn(store);
  const rendering = checksRendering(store.kind);
  const envB = { env: { DPO_PIPELINE: "b" } };

  const initA = await dpo.read(["--pipeline", "a", "init-execution"]);
  const a1 = initA.execution_id;
  assertEquals(initA, { execution_id: a1, pipeline: "a" });
  const b1 = await dpo.line(["init-execution"], envB);
  assertMatch(b1, UUID);
  const d1 = await dpo.line(["init-execution"]);
  const c1 = await dpo.line(["init-execution", "--pipeline", "c"]);
  // The default pipeline's run completes last, so it is the newest success in the database.
  for (const id of [a1, b1, d1]) {
    assertQuiet(await dpo.run(["complete-execution", id]), /Completed Execution: /);
  }

  assertEquals(await dpo.line(["--pipeline", "a", "get-last-successful-execution"]), a1);
  assertEquals(await dpo.line(["get-last-successful-execution"], envB), b1);
  if (rendering) {
    assertEquals(await dpo.line(["get-last-successful-execution", "--pipeline", "b"]), b1);
  }
  assertEquals(await dpo.line(["get-last-successful-execution"]), d1);
  // --pipeline wins over DPO_PIPELINE.
  assertEquals(await dpo.line(["--pipeline", "a", "get-last-successful-execution"], envB), a1);
  // c has only an unfinished run; "nope" has none.
  assertEquals(
    await dpo.line(["--pipeline", "c", "get-last-successful-execution"]),
    "NO_LAST_SUCCESSFUL_EXECUTION",
  );
  if (rendering) {
    assertEquals(await dpo.read(["--pipeline", "nope", "get-last-successful-execution"]), {
      execution_id: null,
      pipeline: "nope",
    });
  }

  assertEquals(
    (await dpo.read(["executions", "--pipeline", "a"])).map((e: Json) => [
      e.execution_id,
      e.pipeline,
    ]),
    [[a1, "a"]],
  );
  assertEquals(ids(await dpo.read(["executions"], envB)), [b1]);
  assertEquals(ids(await dpo.read(["executions"])), [d1]);
  assertEquals(ids(await dpo.read(["--pipeline", "c", "executions"])), [c1]);

  // A new run of a is compared with a's last success, not with the newer one of default.
  const a2 = await dpo.line(["--pipeline", "a", "init-execution"]);
  const showA2 = await dpo.read(["executions", "show", a2]);
  assertEquals([showA2.pipeline, showA2.previous_execution_id], ["a", a1]);

  if (rendering) {
    // Usage errors are found before anything is written.
    const [tooLong, badFormat] = await Promise.all([
      dpo.run(["--pipeline", "p".repeat(101), "init-execution"]),
      dpo.run(["--format", "yaml", "--pipeline", "a", "init-execution"]),
    ]);
    assertCleanFailure(tooLong, 2, /^error: Pipeline "p{101}" is longer than 100 characters/);
    assertCleanFailure(badFormat, 2, /^error: Format "yaml" is not known: choose text or json$/);
  }

  const stored = await store.rows(
    "SELECT CAST(execution_id AS text) AS id, pipeline FROM dpo.execution ORDER BY pipeline, started_on",
  );
  assertEquals(stored, [
    { id: a1, pipeline: "a" },
    { id: a2, pipeline: "a" },
    { id: b1, pipeline: "b" },
    { id: c1, pipeline: "c" },
    { id: d1, pipeline: "default" },
  ]);
}

Deno.test(
  "every command prints one JSON document, change sets and diffs are complete, and the history lines up, on PostgreSQL and on SQLite",
  () => onEachStore(jsonChangeSetsAndHistory),
);

Deno.test(
  "fail-step and fail-execution record why, and a failed run is never the last successful one, on PostgreSQL and on SQLite",
  () => onEachStore(failuresAndReasons),
);

Deno.test(
  "--pipeline, DPO_PIPELINE and the default pipeline keep their executions apart, on PostgreSQL and on SQLite",
  () => onEachStore(pipelinesApart),
);

Deno.test("completions bash, zsh and fish print scripts that name every command", async () => {
  const commands = [
    "init-execution",
    "get-last-successful-execution",
    "get-execution-completion-timestamp",
    "init-step",
    "compare-step-models",
    "complete-step",
    "complete-execution",
    "fail-step",
    "fail-execution",
    "diff",
    "executions",
    "compare-models",
    "db",
    "completions",
  ];
  const [bash, zsh, fish, bashJson, tcsh, missing] = await Promise.all([
    runDpo(["completions", "bash"]),
    runDpo(["completions", "zsh"]),
    runDpo(["completions", "fish"]),
    runDpo(["--format", "json", "completions", "bash"]),
    runDpo(["completions", "tcsh"]),
    runDpo(["completions"]),
  ]);
  for (const [shell, result] of Object.entries({ bash, zsh, fish })) {
    assertEquals([result.code, result.stderr], [0, ""], shell);
    const words = new Set(result.stdout.split(/[\s"()]+/));
    for (const command of commands) assert(words.has(command), `${shell} lacks ${command}`);
    for (const option of ["--pipeline", "--format", "--db", "--log-level"]) {
      // fish names a long option without its dashes: `complete -c dpo -l pipeline`.
      const named = shell === "fish"
        ? result.stdout.includes(`-l ${option.slice(2)}\n`)
        : words.has(option);
      assert(named, `${shell} lacks ${option}`);
    }
  }
  assertMatch(zsh.stdout, /^#compdef dpo\n/);
  assertMatch(fish.stdout, /^complete -c dpo /m);
  assertEquals(bashJson.code, 0);
  assertEquals(JSON.parse(bashJson.stdout), { shell: "bash", script: bash.stdout.slice(0, -1) });
  assertCleanFailure(tcsh, 2, /^error: Shell "tcsh" is not supported: choose bash, zsh or fish$/);
  assertEquals([missing.code, missing.stdout], [2, ""]);

  // bash accepts the script, and completing "fail-" and "--pi" offers the right words, and after
  // a command its own options too.
  await using folder = await temporaryFolder();
  const script = `${folder.path}/dpo.bash`;
  await Deno.writeTextFile(script, bash.stdout);
  const syntax = await new Deno.Command("bash", { args: ["-n", script], stdin: "null" }).output();
  assertEquals([syntax.code, new TextDecoder().decode(syntax.stderr)], [0, ""]);
  const complete = (line: string) =>
    `COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _dpo; ` +
    'printf "%s\\n" "${COMPREPLY[@]}" | sort | paste -sd " "';
  const offered = await new Deno.Command("bash", {
    args: [
      "-c",
      `source "$1"; ${complete("dpo fail-")}; ${complete("dpo --pi")}; ` +
      `${complete("dpo complete-step s --r")}; ${complete("dpo persist-models --r")}; ` +
      complete("dpo get-last-successful-execution --if"),
      "bash",
      script,
    ],
    stdin: "null",
  }).output();
  assertEquals(
    [offered.code, new TextDecoder().decode(offered.stdout)],
    [0, "fail-execution fail-step\n--pipeline\n--rows-processed\n\n--if-none\n"],
  );
});
