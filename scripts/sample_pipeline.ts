/**
 * The main job, end to end: two executions of a sample pipeline over the example models in
 * examples/models, on the embedded default store, printing what dpo says changed.
 * Run through ./scripts/quickstart.sh (or `deno task sample`).
 */
import { copy } from "./lib/copy_tree.ts";
import { REPO_ROOT as repoRoot } from "./lib/repo_paths.ts";

const workDir = Deno.args[0] ?? await Deno.makeTempDir({ prefix: "dpo-sample-" });

/** Runs dpo as a build agent would, in the sample's folder, so its state lands in .dpo/ there. */
async function dpo(...args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUN_PERMISSIONS, `${repoRoot}/main.ts`, ...args],
    cwd: workDir,
    env: { DPO_DATABASE_URL: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`dpo ${args.join(" ")} failed (exit ${output.code})`);
  return new TextDecoder().decode(output.stdout).trimEnd();
}

// The least permissions dpo needs, as README.md documents them.
const RUN_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
];

async function runPipeline(run: number): Promise<void> {
  console.log(`\n== Execution ${run} ==`);
  // NO_LAST_SUCCESSFUL_EXECUTION on the first run, passed on as it is: compare-step-models then
  // lists every model.
  const previous = await dpo("get-last-successful-execution");
  const executionId = await dpo("init-execution");
  const shownPrevious = previous === "NO_LAST_SUCCESSFUL_EXECUTION" ? "none" : previous;
  console.log(`execution ${executionId} (previous successful: ${shownPrevious})`);
  const steps = [
    { name: "LOAD", base: "models/load", patterns: ["**/*.csv", "**/*.json"] },
    { name: "TRANSFORM", base: "models/transform", patterns: ["**/*.sql"] },
  ];
  for (const step of steps) {
    const stepId = await dpo("init-step", executionId, step.name, step.base, ...step.patterns);
    // The JSON form also carries the deletions, which the seed's text output never reported.
    const changes = JSON.parse(
      await dpo("compare-step-models", stepId, previous, "--format", "json"),
    ) as { changed: string[]; deleted: string[] };
    const deleted = changes.deleted.length ? ` (deleted: ${changes.deleted.join(" ")})` : "";
    console.log(
      `${step.name.padEnd(9)} changed: ${changes.changed.join(" ") || "(nothing)"}${deleted}`,
    );
    await dpo("complete-step", stepId, "--rows-processed", "1000", "--log-level", "WARNING");
  }
  await dpo("complete-execution", executionId, "--log-level", "WARNING");
}

await copy(`${repoRoot}/examples/models`, `${workDir}/models`);
console.log(`Sample pipeline in ${workDir} (state in ${workDir}/.dpo, kept for you to inspect)`);
await runPipeline(1);

console.log(
  "\nChanging the models: invoices.csv edited, currencies.json deleted, " +
    "stg_payments.sql added",
);
await Deno.writeTextFile(`${workDir}/models/load/finance/invoices.csv`, "1003,3,99.90\n", {
  append: true,
});
await Deno.remove(`${workDir}/models/load/finance/currencies.json`);
await Deno.writeTextFile(
  `${workDir}/models/transform/staging/stg_payments.sql`,
  "select * from raw.payments;\n",
);
await runPipeline(2);
