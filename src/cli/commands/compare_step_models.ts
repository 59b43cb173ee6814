/** compare-step-models: prints the step's models that changed since a previous execution. */
import type { Command } from "../parser.ts";
import { compareStepModels, stepChangeSet } from "../../service/compare.ts";
import { parsePreviousExecutionId, parseStepId } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { changeSetJson } from "../json_shapes.ts";
import { nameStatusLines, shortChecksum } from "../tables.ts";
import { explainChanges, type Explanation } from "../../service/model_log.ts";

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
    .option("--name-status", "print A, M, R and D lines: added, modified, renamed, deleted")
    .option(
      "--explain",
      "also tell, on stderr (or in the JSON), what each model was compared with and since when " +
        "its previous checksum had been stable",
    )
    .action(async (
      stepIdText: string,
      previousText: string,
      options: { separator: string; nameStatus?: boolean; explain?: boolean },
    ) => {
      const stepId = parseStepId(stepIdText);
      const previousExecutionId = parsePreviousExecutionId(previousText);
      const compare = { stepId, previousExecutionId };
      if (options.nameStatus || options.explain || cli.wantsJson()) {
        return await printChangeSet(cli, compare, options);
      }
      const changed = await cli.withStore((store) => compareStepModels(store, compare, cli.log));
      cli.print(changed.join(options.separator));
    });
}

/** The full change set: as JSON, as A/M/R/D lines, or as names with explanations on stderr. */
async function printChangeSet(
  cli: CliContext,
  compare: { stepId: string; previousExecutionId: string | null },
  options: { separator: string; nameStatus?: boolean; explain?: boolean },
): Promise<void> {
  const { changes, explanations } = await cli.withStore(async (store) => {
    const changes = await stepChangeSet(store, compare, cli.log);
    const explanations = options.explain
      ? await explainChanges(store, compare, changes)
      : undefined;
    return { changes, explanations };
  });
  const json = changeSetJson(changes);
  if (explanations !== undefined && !cli.wantsJson()) {
    // Explanations are for people: stderr, so that stdout stays what scripts read.
    for (const line of explanations.map(explanationLine)) console.error(line);
  }
  cli.emit(
    {
      step_id: compare.stepId,
      previous_execution_id: compare.previousExecutionId,
      ...json,
      ...(explanations === undefined ? {} : { explain: explanations.map(explanationJson) }),
    },
    options.nameStatus
      ? nameStatusLines(changes).join("\n") || null
      : json.changed.join(options.separator),
  );
}

/** `M b: LOAD of execution … had 1c8a2b3c4d5e (stable since …), now 9f3b2c1d0e4f`. */
function explanationLine(e: Explanation): string {
  const now = e.now === null ? "now absent" : `now ${shortChecksum(e.now)}`;
  const name = e.renamedFrom === undefined ? e.model : `${e.renamedFrom} -> ${e.model}`;
  if (e.previousExecutionId === null) return `${e.change} ${name}: no previous execution; ${now}`;
  if (e.previousStepId === null) {
    return `${e.change} ${name}: execution ${e.previousExecutionId} has no such step; ${now}`;
  }
  if (e.before === null) {
    return `${e.change} ${name}: not in execution ${e.previousExecutionId}; ${now}`;
  }
  const stable = e.stableSince === null
    ? ""
    : ` (unchanged since execution ${e.stableSince.executionId}, completed ${e.stableSince.completedOn})`;
  return `${e.change} ${name}: execution ${e.previousExecutionId} had ${
    shortChecksum(e.before)
  }${stable}; ${now}`;
}

function explanationJson(e: Explanation) {
  return {
    model: e.model,
    change: e.change,
    renamed_from: e.renamedFrom ?? null,
    previous_execution_id: e.previousExecutionId,
    previous_step_id: e.previousStepId,
    checksum_before: e.before,
    checksum_now: e.now,
    stable_since_execution_id: e.stableSince?.executionId ?? null,
    stable_since_completed_on: e.stableSince?.completedOn ?? null,
  };
}
