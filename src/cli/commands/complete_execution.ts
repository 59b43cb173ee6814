/** complete-execution: marks an execution completed and logs its summary. */
import type { Command } from "../parser.ts";
import { endExecution } from "../../service/executions.ts";
import { parseExecutionId } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { executionJson } from "../json_shapes.ts";
import { executionSummary } from "../summaries.ts";

export function registerCompleteExecution(program: Command, cli: CliContext): void {
  program.command("complete-execution")
    .description("Mark an execution completed; prints nothing, logs a summary")
    .argument("<execution-id>", "an id printed by init-execution")
    .action(async (executionIdText: string) => {
      const executionId = parseExecutionId(executionIdText);
      const { record: execution, unchanged } = await cli.withStore((store) =>
        endExecution(store, executionId, { status: "COMPLETED" })
      );
      if (unchanged) {
        cli.log.warn(
          `Execution "${executionId}" was already completed on ${execution.completedOn}: unchanged`,
        );
      } else {
        cli.log.info(executionSummary(execution));
      }
      cli.emit(executionJson(execution), null);
    });
}
