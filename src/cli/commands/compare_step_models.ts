/** compare-step-models: prints the step's models that changed since a previous execution. */
import type { Command } from "../parser.ts";
import { compareStepModels, stepChangeSet } from "../../service/compare.ts";
import { parsePreviousExecutionId, parseStepId } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { changeSetJson } from "../json_shapes.ts";
import { nameStatusLines } from "../tables.ts";

/** What the Python tool printed between names; `--separator ,` gives its README's commas. */
export const DEFAULT_SEPARATOR = " ";

export function registerCompareStepModels(program: Command, cli: CliContext): void {
  program.command("compare-step-models")
    .description(
      "Print the step's models that are new or changed against the same step of a previous " +
        'execution, sorted; every model when the previous id is "" or NO_LAST_SUCCESSFUL_EXECUTION',
    )
    .argument("<step-id>", "an id printed by init-step")
    .argument("<previous-execution-id>", "an id printed by get-last-successful-execution")
    .option(
      "--separator <text>",
      'text between model names ("," for the Python README\'s form; --format json for names ' +
        "that hold the separator)",
      DEFAULT_SEPARATOR,
    )
    .option("--name-status", "print A, M and D lines: added, modified and deleted models")
    .action(async (
      stepIdText: string,
      previousText: string,
      options: { separator: string; nameStatus?: boolean },
    ) => {
      const stepId = parseStepId(stepIdText);
      const previousExecutionId = parsePreviousExecutionId(previousText);
      const compare = { stepId, previousExecutionId };
      if (options.nameStatus || cli.wantsJson()) {
        const changes = await cli.withStore((store) => stepChangeSet(store, compare, cli.log));
        cli.emit(
          {
            step_id: stepId,
            previous_execution_id: previousExecutionId,
            ...changeSetJson(changes),
          },
          nameStatusLines(changes).join("\n") || null,
        );
        return;
      }
      const changed = await cli.withStore((store) => compareStepModels(store, compare, cli.log));
      cli.print(changed.join(options.separator));
    });
}
