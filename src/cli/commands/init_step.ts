/** init-step: fingerprints a step's model files and prints the new step id. */
import type { Command } from "../parser.ts";
import { recordStep } from "../../service/steps.ts";
import { parseExecutionId, parseStepName } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { ProgressLine } from "../progress.ts";

export function registerInitStep(program: Command, cli: CliContext): void {
  program.command("init-step")
    .alias("persist-models")
    .description(
      "Record a step of an execution with the SHA-256 checksum of every model file the " +
        "patterns match under base-path; prints the step id",
    )
    .argument("<execution-id>", "an id printed by init-execution")
    .argument("<step-name>", "the step, e.g. LOAD or TRANSFORM (any case; stored upper-case)")
    .argument("<base-path>", "the folder that holds the model files")
    .argument(
      "<model-patterns...>",
      'patterns relative to base-path, e.g. "**/*.sql" (** = zero or more folders)',
    )
    .option(
      "--no-stat-cache",
      "read every model file, whatever the stat cache says (DPO_STAT_CACHE=0 for every command)",
    )
    .action(async (
      executionIdText: string,
      stepNameText: string,
      basePath: string,
      patterns: string[],
      options: { noStatCache?: boolean },
    ) => {
      const executionId = parseExecutionId(executionIdText);
      const stepName = parseStepName(stepNameText);
      const progress = new ProgressLine();
      const step = await cli.withStore((store) =>
        recordStep(store, {
          executionId,
          stepName,
          basePath,
          patterns,
          statCachePath: options.noStatCache ? undefined : cli.statCachePath(),
          progress: { start: (n) => progress.start(n), advance: (d) => progress.advance(d) },
        }, cli.log)
      ).finally(() => progress.finish());
      cli.emit({
        step_id: step.stepId,
        execution_id: executionId,
        step_name: step.stepName,
        models: step.modelCount,
      }, step.stepId);
    });
}
