/** fail-step and fail-execution: record that a step or a whole run failed, and why. */
import type { Command } from "../parser.ts";
import { failExecution } from "../../service/executions.ts";
import { failStep } from "../../service/steps.ts";
import { parseExecutionId, parseStepId } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { executionJson, stepJson } from "../json_shapes.ts";

export function registerFailCommands(program: Command, cli: CliContext): void {
  program.command("fail-step")
    .description("Mark a step FAILED, with a reason; prints nothing, logs a summary")
    .argument("<step-id>", "an id printed by init-step")
    .option("--reason <text>", "why it failed")
    .action(async (stepIdText: string, options: { reason?: string }) => {
      const stepId = parseStepId(stepIdText);
      const { row, unchanged } = await cli.withStore((store) =>
        failStep(store, stepId, options.reason ?? null)
      );
      logFailure(cli, `Step "${stepId}" (${row.step_name})`, row, unchanged);
      cli.emit(stepJson(row), null);
    });
  program.command("fail-execution")
    .description(
      "Mark an execution FAILED, with a reason; it is never the last successful one",
    )
    .argument("<execution-id>", "an id printed by init-execution")
    .option("--reason <text>", "why it failed")
    .action(async (executionIdText: string, options: { reason?: string }) => {
      const executionId = parseExecutionId(executionIdText);
      const { row, unchanged } = await cli.withStore((store) =>
        failExecution(store, executionId, options.reason ?? null)
      );
      logFailure(cli, `Execution "${executionId}"`, row, unchanged);
      cli.emit(executionJson(row), null);
    });
}

function logFailure(
  cli: CliContext,
  what: string,
  row: { completed_on: string | null; failure_reason: string | null },
  unchanged: boolean,
): void {
  if (unchanged) {
    cli.log.warn(`${what} had already failed on ${row.completed_on}: unchanged`);
  } else {
    cli.log.info(
      `${what} failed on ${row.completed_on}: ${row.failure_reason ?? "no reason given"}`,
    );
  }
}
