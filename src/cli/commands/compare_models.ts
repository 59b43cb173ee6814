/** compare-models: the older form of compare-step-models, by execution and model type. */
import type { Command } from "../parser.ts";
import { compareExecutionModels } from "../../service/compare.ts";
import { parseExecutionId, parsePreviousExecutionId, parseStepName } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { DEFAULT_SEPARATOR } from "./compare_step_models.ts";

export function registerCompareModels(program: Command, cli: CliContext): void {
  program.command("compare-models")
    .description(
      "Older form of compare-step-models: compare the <model-type> step of an execution " +
        "against a previous execution",
    )
    .argument("<previous-execution-id>", "an id printed by get-last-successful-execution")
    .argument("<execution-id>", "an id printed by init-execution")
    .argument("<model-type>", "the step name given to persist-models, e.g. load")
    .option("--separator <text>", 'text between model names ("," for commas)', DEFAULT_SEPARATOR)
    .action(async (
      previousText: string,
      executionIdText: string,
      stepNameText: string,
      options: { separator: string },
    ) => {
      const previousExecutionId = parsePreviousExecutionId(previousText);
      const executionId = parseExecutionId(executionIdText);
      const stepName = parseStepName(stepNameText);
      const changed = await cli.withStore((store) =>
        compareExecutionModels(store, { previousExecutionId, executionId, stepName }, cli.log)
      );
      cli.emit(
        { execution_id: executionId, previous_execution_id: previousExecutionId, changed },
        changed.join(options.separator),
      );
    });
}
