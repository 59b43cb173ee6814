/**
 * The two-execution pipeline that proves a packaged dpo (the compiled binary, the scratch image's
 * root) works end to end: every command a build agent uses, on a given store, with the changed
 * models checked after each run. Shared by tests/e2e/compile_test.ts and scripts/image_check.sh.
 */

import type { CommandOutput } from "./captured_command.ts";

/** What one dpo command printed and how it exited. */
export type DpoOutput = CommandOutput;

/** Runs dpo with these arguments (the store already named by the caller). */
export type RunDpo = (args: readonly string[]) => Promise<DpoOutput>;

export interface TwoRunOptions {
  run: RunDpo;
  /** Where this process writes the model files. */
  hostModels: string;
  /** The same folder as dpo sees it (another path inside a chroot). */
  dpoModels: string;
  /** Called with each line worth showing (what changed, per run). */
  report?: (line: string) => void;
}

/**
 * More files than the hashing pool's threshold (2,000 in src/files/hash_pool.ts), so one step
 * is hashed by Web Workers: their module must be in the binary or the cached module graph too.
 */
const BULK_FILES = 2_100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

interface Step {
  name: string;
  folder: string;
  patterns: string[];
}

const STEPS: Step[] = [
  { name: "LOAD", folder: "load", patterns: ["**/*.csv", "**/*.json"] },
  { name: "TRANSFORM", folder: "transform", patterns: ["**/*.sql"] },
  { name: "BULK", folder: "bulk", patterns: ["**/*.csv"] },
];

function bulkName(index: number): string {
  return `part_${String(index).padStart(4, "0")}`;
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [relativePath, content] of Object.entries(files)) {
    const path = `${root}/${relativePath}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, content);
  }
}

async function writeFirstModels(root: string): Promise<void> {
  await writeFiles(root, {
    "load/crm/customers.csv": "id,name\n1,Ada\n2,Grace\n",
    "load/crm/contacts.json": '[{"id": 1, "email": "ada@example.com"}]\n',
    "load/finance/invoices.csv": "id,customer_id,amount\n1001,1,12.50\n",
    "load/finance/currencies.json": '["EUR", "USD"]\n',
    "load/README.md": "not a model\n",
    "transform/staging/stg_customers.sql": "select * from raw.customers;\n",
    "transform/staging/stg_invoices.sql": "select * from raw.invoices;\n",
    "transform/marts/revenue.sql": "select sum(amount) from stg_invoices;\n",
  });
  await Deno.mkdir(`${root}/bulk/a`, { recursive: true });
  await Deno.mkdir(`${root}/bulk/b`, { recursive: true });
  for (let i = 0; i < BULK_FILES; i++) {
    const folder = i % 2 === 0 ? "a" : "b";
    await Deno.writeTextFile(`${root}/bulk/${folder}/${bulkName(i)}.csv`, `row,${i}\n`);
  }
}

/** Run 2's edits: one modified and one deleted LOAD model, one added TRANSFORM model, two BULK. */
async function changeModels(root: string): Promise<void> {
  await Deno.writeTextFile(`${root}/load/finance/invoices.csv`, "1002,2,99.90\n", {
    append: true,
  });
  await Deno.remove(`${root}/load/finance/currencies.json`);
  await writeFiles(root, {
    "transform/staging/stg_payments.sql": "select * from raw.payments;\n",
    "bulk/b/part_0041.csv": "row,41,edited\n",
    [`bulk/a/${bulkName(BULK_FILES)}.csv`]: `row,${BULK_FILES}\n`,
  });
}

/** Per step: what compare-step-models prints, and how many models complete-step reports. */
interface Expected {
  changed: string;
  models: number;
}

const FIRST_RUN: Record<string, Expected> = {
  LOAD: { changed: "contacts currencies customers invoices", models: 4 },
  TRANSFORM: { changed: "revenue stg_customers stg_invoices", models: 3 },
  BULK: {
    changed: Array.from({ length: BULK_FILES }, (_, i) => bulkName(i)).join(" "),
    models: BULK_FILES,
  },
};

const SECOND_RUN: Record<string, Expected> = {
  LOAD: { changed: "invoices", models: 3 },
  TRANSFORM: { changed: "stg_payments", models: 4 },
  BULK: { changed: `part_0041 ${bulkName(BULK_FILES)}`, models: BULK_FILES + 1 },
};

function describe(args: readonly string[], output: DpoOutput): string {
  const command = `dpo ${args.join(" ")}`;
  return `${command} exited ${output.code}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`;
}

/** Runs dpo, requires exit 0, returns stdout without its final newline. */
async function ok(run: RunDpo, args: readonly string[]): Promise<string> {
  const output = await run(args);
  if (output.code !== 0) throw new Error(describe(args, output));
  if (output.stdout !== "" && !output.stdout.endsWith("\n")) {
    throw new Error(`stdout does not end in a newline: ${describe(args, output)}`);
  }
  return output.stdout.replace(/\n$/, "");
}

/** `expect("what it is", actual).toBe(expected)`: throws naming the output when they differ. */
function expect(what: string, actual: string) {
  return {
    toBe(expected: string | RegExp): void {
      const matches = typeof expected === "string" ? actual === expected : expected.test(actual);
      if (matches) return;
      const shown = (text: string) => text.length > 300 ? `${text.slice(0, 300)}…` : text;
      const wanted = JSON.stringify(shown(String(expected)));
      throw new Error(`${what}: expected ${wanted}, got ${JSON.stringify(shown(actual))}`);
    },
  };
}

/** complete-step prints nothing on stdout and one INFO line with the step's totals. */
async function completeStep(run: RunDpo, step: { id: string; name: string; models: number }) {
  const args = ["complete-step", step.id, "--rows-processed", "1000"];
  const output = await run(args);
  if (output.code !== 0) throw new Error(describe(args, output));
  expect("complete-step's stdout", output.stdout).toBe("");
  const models = step.models.toLocaleString("en-US");
  expect("complete-step's log line", output.stderr).toBe(
    new RegExp(
      `^\\S+ - dpo - INFO - Completed Execution Step: ${step.name}; .*; ` +
        `Models Processed: ${models}; Rows Processed: 1,000\\.\n$`,
    ),
  );
}

/** One execution: every step initialised, compared and completed, then the execution. */
async function runOnce(
  options: TwoRunOptions,
  execution: { expected: Record<string, Expected>; previous: string },
): Promise<string> {
  const { run } = options;
  const executionId = await ok(run, ["init-execution"]);
  expect("init-execution", executionId).toBe(UUID);
  for (const step of STEPS) {
    const expected = execution.expected[step.name];
    const stepId = await ok(run, [
      "init-step",
      executionId,
      step.name,
      `${options.dpoModels}/${step.folder}`,
      ...step.patterns,
    ]);
    expect(`init-step ${step.name}`, stepId).toBe(UUID);
    const changed = await ok(run, ["compare-step-models", stepId, execution.previous]);
    expect(`compare-step-models ${step.name}`, changed).toBe(expected.changed);
    const shown = changed.length > 80 ? `${changed.split(" ").length} models` : changed;
    options.report?.(`  ${step.name.padEnd(9)} changed: ${shown}`);
    await completeStep(run, { id: stepId, name: step.name, models: expected.models });
  }
  expect("complete-execution", await ok(run, ["complete-execution", executionId])).toBe("");
  const last = await ok(run, ["get-last-successful-execution"]);
  expect("get-last-successful-execution", last).toBe(executionId);
  const completedOn = await ok(run, ["get-execution-completion-timestamp", executionId]);
  expect("get-execution-completion-timestamp", completedOn).toBe(ISO_TIMESTAMP);
  return executionId;
}

/**
 * Two pipeline executions on an empty, migrated store: the first reports every model, the second
 * only those added or modified since. Throws with dpo's outputs at the first difference.
 */
export async function runTwoExecutionPipeline(options: TwoRunOptions): Promise<void> {
  await writeFirstModels(options.hostModels);
  const none = await ok(options.run, ["get-last-successful-execution"]);
  expect("get-last-successful-execution on an empty store", none).toBe(
    "NO_LAST_SUCCESSFUL_EXECUTION",
  );
  options.report?.("execution 1 (no previous execution):");
  const first = await runOnce(options, { expected: FIRST_RUN, previous: none });
  await changeModels(options.hostModels);
  options.report?.(
    "execution 2 (invoices edited, currencies deleted, stg_payments added, 2 bulk files):",
  );
  const previous = await ok(options.run, ["get-last-successful-execution"]);
  expect("get-last-successful-execution after the first", previous).toBe(first);
  await runOnce(options, { expected: SECOND_RUN, previous });
}
