/** init-execution: starts an execution and prints its id. */
import type { Command } from "../parser.ts";
import { ExecutionExistsError, startExecution } from "../../service/executions.ts";
import { ConflictError } from "../../errors.ts";
import { parseExecutionId } from "../arguments.ts";
import type { CliContext } from "../context.ts";

export function registerInitExecution(program: Command, cli: CliContext): void {
  program.command("init-execution")
    .description("Mark the start of a new execution; prints its id")
    .option(
      "-id, --execution-id [uuid]",
      "use this id instead of a new one; given without a value, a new one",
    )
    .action(async (options: { executionId?: string }) => {
      const executionId = options.executionId === undefined
        ? undefined
        : parseExecutionId(options.executionId);
      const pipeline = cli.pipeline();
      const id = await cli.withStore((store) => startExecution(store, { executionId, pipeline }))
        .catch((error) => {
          if (!(error instanceof ExecutionExistsError)) throw error;
          throw new ConflictError(`${error.message}: give a new id or omit --execution-id`);
        });
      cli.emit({ execution_id: id, pipeline }, id);
    });
}
