/** complete-step: marks a step completed and logs its summary. */
import type { Command } from "../parser.ts";
import { endStep } from "../../service/steps.ts";
import { parseRowsProcessed, parseStepId } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { stepJson } from "../json_shapes.ts";
import { stepSummary } from "../summaries.ts";

export function registerCompleteStep(program: Command, cli: CliContext): void {
  program.command("complete-step")
    .description("Mark a step completed; prints nothing, logs a summary")
    .argument("<step-id>", "an id printed by init-step")
    .option(
      "-r, --rows-processed [n]",
      "rows the step processed, 0 to 9223372036854775807 (a PostgreSQL bigint); without a " +
        "value (as an unquoted empty $rows leaves it): no row count",
    )
    .action(async (stepIdText: string, options: { rowsProcessed?: string }) => {
      const stepId = parseStepId(stepIdText);
      const rowsProcessed = options.rowsProcessed === undefined
        ? null
        : parseRowsProcessed(options.rowsProcessed);
      const { record: step, unchanged } = await cli.withStore((store) =>
        endStep(store, stepId, { status: "COMPLETED", rowsProcessed })
      );
      if (unchanged) {
        cli.log.warn(`Step "${stepId}" was already completed on ${step.completedOn}: unchanged`);
      } else {
        cli.log.info(stepSummary(step));
      }
      cli.emit(stepJson(step), null);
    });
}
