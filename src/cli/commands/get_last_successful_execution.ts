/** get-last-successful-execution: prints the newest completed execution's id, or an empty line. */
import type { Command } from "commander";
import { lastSuccessfulExecution } from "../../service/executions.ts";
import type { CliContext } from "../context.ts";

export function registerGetLastSuccessfulExecution(program: Command, cli: CliContext): void {
  program.command("get-last-successful-execution")
    .description(
      "Print the id of the most recently completed execution, or an empty line when none",
    )
    .action(async () => {
      cli.print(await cli.withStore(lastSuccessfulExecution) ?? "");
    });
}
