/** diff: what changed between any two executions, step by step. */
import type { Command } from "../parser.ts";
import { diffExecutions } from "../../service/compare.ts";
import { parseExecutionId, parseStepName } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { diffJson } from "../json_shapes.ts";
import { nameStatusLines } from "../tables.ts";

export function registerDiff(program: Command, cli: CliContext): void {
  program.command("diff")
    .description(
      "Compare two executions step by step: A, M, R and D lines (<step>/<model>) for what the " +
        "second added, modified, renamed and deleted",
    )
    .argument("<execution-a>", "the earlier execution")
    .argument("<execution-b>", "the later execution")
    .option("--step <name>", "only this step")
    .action(async (aText: string, bText: string, options: { step?: string }) => {
      const fromExecutionId = parseExecutionId(aText);
      const toExecutionId = parseExecutionId(bText);
      const stepName = options.step === undefined ? undefined : parseStepName(options.step);
      const diffs = await cli.withStore((store) =>
        diffExecutions(store, { fromExecutionId, toExecutionId, stepName })
      );
      const lines = diffs.flatMap((d) => nameStatusLines(d, `${d.stepName}/`));
      cli.emit(diffJson(fromExecutionId, toExecutionId, diffs), lines.join("\n") || null);
    });
}
