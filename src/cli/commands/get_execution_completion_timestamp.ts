/** get-execution-completion-timestamp: prints when an execution completed. */
import type { Command } from "../parser.ts";
import { executionCompletionTimestamp } from "../../service/executions.ts";
import { parsePreviousExecutionId } from "../arguments.ts";
import type { CliContext } from "../context.ts";

export function registerGetExecutionCompletionTimestamp(program: Command, cli: CliContext): void {
  program.command("get-execution-completion-timestamp")
    .alias("get-execution-last-updated-timestamp")
    .description(
      "Print when an execution completed (ISO 8601 with microseconds), an empty line when it " +
        'has not, or the database\'s current time for "" or NO_LAST_SUCCESSFUL_EXECUTION',
    )
    .argument("<execution-id>", "an id printed by init-execution")
    .action(async (executionIdText: string) => {
      const executionId = parsePreviousExecutionId(executionIdText, "Execution id");
      const timestamp = await cli.withStore((store) =>
        executionCompletionTimestamp(store, executionId)
      );
      cli.emit({ execution_id: executionId, timestamp }, timestamp ?? "");
    });
}
