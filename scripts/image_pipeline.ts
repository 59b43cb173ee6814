/**
 * Runs the two-execution pipeline through a given command line, for scripts/image_check.sh:
 *
 *   deno run -A scripts/image_pipeline.ts <host-models> <dpo-models> -- <command> [args...]
 *
 * Each dpo call runs `<command> [args...] <dpo args...>` with stdin closed, e.g. the image's
 * entrypoint inside its root. Model files are written to <host-models>, which dpo sees as
 * <dpo-models>. Prints what changed per run; exits 1 at the first unexpected output.
 */
import { type DpoOutput, runTwoExecutionPipeline } from "./lib/two_run_pipeline.ts";
import { runCaptured } from "./lib/captured_command.ts";

const separator = Deno.args.indexOf("--");
if (separator !== 2 || Deno.args.length < 4) {
  console.error(
    "usage: image_pipeline.ts <host-models> <dpo-models> -- <command> [args...]",
  );
  Deno.exit(2);
}
const [hostModels, dpoModels] = Deno.args;
const [program, ...prefix] = Deno.args.slice(separator + 1);

function run(args: readonly string[]): Promise<DpoOutput> {
  return runCaptured(program, [...prefix, ...args]);
}

try {
  await runTwoExecutionPipeline({
    run,
    hostModels,
    dpoModels,
    report: (line) => console.log(line),
  });
} catch (error) {
  console.error(`image_pipeline: ${(error as Error).message}`);
  Deno.exit(1);
}
