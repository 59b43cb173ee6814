/** log: a model's history across executions, newest first, like `git log -- <file>`. */
import type { Command } from "../parser.ts";
import { type ModelEvent, modelLog } from "../../service/model_log.ts";
import { parseStepName, parseWholeNumber } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { modelEventJson } from "../json_shapes.ts";
import { alignedTable, shortChecksum } from "../tables.ts";

export function registerLog(program: Command, cli: CliContext): void {
  program.command("log")
    .description(
      "Show a model's history, newest first: each execution in which it was added (A), " +
        "modified (M), renamed (R) or deleted (D), with its checksum before and after",
    )
    .argument("<model>", "the model's name, as compare-step-models prints it")
    .option("--step <name>", "only this step's version of the model")
    .option("--limit <n>", "at most this many changes", "20")
    .action(async (model: string, options: { step?: string; limit: string }) => {
      const query = {
        pipeline: cli.pipeline(),
        modelName: model,
        stepName: options.step === undefined ? null : parseStepName(options.step),
        limit: parseWholeNumber(options.limit, "--limit", 1, 100_000),
      };
      const events = await cli.withStore((store) => modelLog(store, query, cli.log));
      cli.emit(
        { model, pipeline: query.pipeline, changes: events.map(modelEventJson) },
        events.length === 0 ? null : logTable(events),
      );
    });
}

function logTable(events: ModelEvent[]): string {
  return alignedTable(
    ["CHANGE", "EXECUTION ID", "STATUS", "COMPLETED", "STEP", "BEFORE", "AFTER", "RENAME"],
    events.map((e) => [
      e.change,
      e.executionId,
      e.status,
      e.completedOn ?? "-",
      e.stepName,
      shortChecksum(e.before),
      shortChecksum(e.after),
      e.renamedFrom !== undefined
        ? `from ${e.renamedFrom}`
        : e.renamedTo !== undefined
        ? `to ${e.renamedTo}`
        : "",
    ]),
  );
}
