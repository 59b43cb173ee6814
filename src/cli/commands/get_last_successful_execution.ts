/** get-last-successful-execution: prints the newest completed execution's id, or an empty line. */
import type { Command } from "../parser.ts";
import { lastSuccessfulExecution } from "../../service/executions.ts";
import type { CliContext } from "../context.ts";

export function registerGetLastSuccessfulExecution(program: Command, cli: CliContext): void {
  program.command("get-last-successful-execution")
    .description(
      "Print the id of the most recently completed execution, or an empty line when none",
    )
    .action(async () => {
      const pipeline = cli.pipeline();
      const id = await cli.withStore((store) => lastSuccessfulExecution(store, pipeline));
      cli.emit({ execution_id: id ?? null, pipeline }, id ?? "");
    });
}
