/** fail-step and fail-execution: record that a step or a whole run failed, and why. */
import type { Command } from "../parser.ts";
import type { Execution } from "../../domain.ts";
import { endExecution } from "../../service/executions.ts";
import { endStep } from "../../service/steps.ts";
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
      const failureReason = options.reason ?? null;
      const { record: step, unchanged } = await cli.withStore((store) =>
        endStep(store, stepId, { status: "FAILED", failureReason })
      );
      logFailure(cli, `Step "${stepId}" (${step.stepName})`, step, unchanged);
      cli.emit(stepJson(step), null);
    });
  program.command("fail-execution")
    .description(
      "Mark an execution FAILED, with a reason; it is never the last successful one",
    )
    .argument("<execution-id>", "an id printed by init-execution")
    .option("--reason <text>", "why it failed")
    .action(async (executionIdText: string, options: { reason?: string }) => {
      const executionId = parseExecutionId(executionIdText);
      const failureReason = options.reason ?? null;
      const { record: execution, unchanged } = await cli.withStore((store) =>
        endExecution(store, executionId, { status: "FAILED", failureReason })
      );
      logFailure(cli, `Execution "${executionId}"`, execution, unchanged);
      cli.emit(executionJson(execution), null);
    });
}

function logFailure(
  cli: CliContext,
  what: string,
  ended: Pick<Execution, "completedOn" | "failureReason">,
  unchanged: boolean,
): void {
  if (unchanged) {
    cli.log.warn(`${what} had already failed on ${ended.completedOn}: unchanged`);
  } else {
    cli.log.info(
      `${what} failed on ${ended.completedOn}: ${ended.failureReason ?? "no reason given"}`,
    );
  }
}
