/** get-last-successful-execution: prints the newest completed execution's id, or a sentinel. */
import type { Command } from "../parser.ts";
import { lastSuccessfulExecution } from "../../service/executions.ts";
import { NO_LAST_SUCCESSFUL_EXECUTION } from "../arguments.ts";
import type { CliContext } from "../context.ts";

export function registerGetLastSuccessfulExecution(program: Command, cli: CliContext): void {
  program.command("get-last-successful-execution")
    .description(
      `Print the id of the most recently completed execution, or ${NO_LAST_SUCCESSFUL_EXECUTION} ` +
        "when there is none (what the Python tool printed; every command that takes a previous " +
        "execution id accepts it)",
    )
    .option(
      "--if-none <text>",
      `what to print when there is none ("" for the Python README's empty line)`,
      NO_LAST_SUCCESSFUL_EXECUTION,
    )
    .action(async (options: { ifNone: string }) => {
      const pipeline = cli.pipeline();
      const id = await cli.withStore((store) => lastSuccessfulExecution(store, pipeline));
      cli.emit({ execution_id: id ?? null, pipeline }, id ?? options.ifNone);
    });
}
