/** Why a model counts as changed: its history (`dpo log`) and compare's `--explain`. */
import type { ChangeKind, ChangeSet, ModelVersion, Status, Timestamp } from "../domain.ts";
import type { Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { checksumsOfModels, modelChanges, modelVersions } from "../store/step_models.ts";
import { findExecution } from "../store/executions.ts";
import { findStepByName, findStepName } from "../store/steps.ts";
import { pairRenames } from "./compare.ts";

/** One execution in which a model was added, modified, renamed or deleted. */
export interface ModelEvent {
  change: ChangeKind | "R";
  executionId: string;
  status: Status;
  startedOn: Timestamp;
  completedOn: Timestamp | null;
  stepName: string;
  stepId: string;
  /** The checksum in the step before (null: absent) and in this step (null: deleted). */
  before: string | null;
  after: string | null;
  /** For "R": the model's name before the rename, or after it. */
  renamedFrom?: string;
  renamedTo?: string;
}

/**
 * A model's history across a pipeline's executions, newest first, as `git log -- <file>`: each
 * step is compared with the same-named step of the execution before it that has one (whatever
 * its status), and each difference is an event. An added or deleted model that one deleted or
 * added model of the same step matches by checksum, unambiguously, is reported as renamed.
 */
export async function modelLog(
  store: Store,
  options: { pipeline: string; modelName: string; stepName: string | null; limit: number },
  log: Log,
): Promise<ModelEvent[]> {
  const versions = latestStepPerExecution(await modelVersions(store, options));
  if (!versions.some((v) => v.checksum !== null)) {
    log.warn(
      `Model "${options.modelName}" is in no ${
        options.stepName === null ? "" : `${options.stepName.toUpperCase()} `
      }step of pipeline "${options.pipeline}": check its name (without the extension)`,
    );
  }
  const previousOfStep = new Map<string, ModelVersion>();
  const events: ModelEvent[] = [];
  for (const version of versions) {
    const stepName = version.stepName.toUpperCase();
    const previous = previousOfStep.get(stepName);
    previousOfStep.set(stepName, version);
    const before = previous?.checksum ?? null;
    if (before === version.checksum) continue;
    const change: ChangeKind = before === null ? "A" : version.checksum === null ? "D" : "M";
    events.push({
      change,
      executionId: version.executionId,
      status: version.executionStatus,
      startedOn: version.startedOn,
      completedOn: version.completedOn,
      stepName,
      stepId: version.stepId,
      before,
      after: version.checksum,
      ...(change === "M" ? {} : await renameOf(store, options.modelName, version, previous)),
    });
  }
  return events.reverse().slice(0, options.limit);
}

// A step may be recorded twice in one execution; the newest counts, as compare takes it.
function latestStepPerExecution(versions: ModelVersion[]): ModelVersion[] {
  const latest = new Map<string, ModelVersion>();
  for (const version of versions) {
    latest.set(`${version.executionId}/${version.stepName.toUpperCase()}`, version);
  }
  return [...latest.values()];
}

async function renameOf(
  store: Store,
  modelName: string,
  version: ModelVersion,
  previous: ModelVersion | undefined,
): Promise<Partial<ModelEvent>> {
  if (previous === undefined) return {};
  const { changes } = await modelChanges(store, version.stepId, previous.stepId, {
    checksums: true,
  });
  const rename = pairRenames(changes).find((r) => r.from === modelName || r.to === modelName);
  if (rename === undefined) return {};
  return rename.to === modelName
    ? { change: "R", renamedFrom: rename.from }
    : { change: "R", renamedTo: rename.to };
}

/** Why one model of a change set counts: what it was compared with, and for how long it held. */
export interface Explanation {
  model: string;
  change: ChangeKind | "R";
  /** The previous execution and its same-named step (null: none, every model is added). */
  previousExecutionId: string | null;
  previousStepId: string | null;
  before: string | null;
  now: string | null;
  /** The earliest successful execution since which `before` had been unchanged. */
  stableSince: { executionId: string; completedOn: Timestamp | null } | null;
  renamedFrom?: string;
}

/**
 * The explanation of every model in a change set against the previous execution: its checksum
 * there and now and, from the pipeline's successful executions up to the previous one, since
 * when that checksum had been stable. One history lookup per modified or deleted model.
 */
export async function explainChanges(
  store: Store,
  options: { stepId: string; previousExecutionId: string | null },
  changes: ChangeSet,
): Promise<Explanation[]> {
  const step = (await findStepName(store, options.stepId))!;
  // The history that counts is the previous execution's pipeline's.
  const pipeline = options.previousExecutionId === null
    ? ""
    : (await findExecution(store, options.previousExecutionId))!.pipeline;
  const previousStepId = options.previousExecutionId === null
    ? null
    : await findStepByName(store, options.previousExecutionId, step.stepName) ?? null;
  const entries: { model: string; change: ChangeKind | "R"; renamedFrom?: string }[] = [
    ...changes.added.map((model) => ({ model, change: "A" as const })),
    ...changes.modified.map((model) => ({ model, change: "M" as const })),
    ...changes.deleted.map((model) => ({ model, change: "D" as const })),
    ...changes.renamed.map((r) => ({ model: r.to, change: "R" as const, renamedFrom: r.from })),
  ];
  const names = entries.map((e) => e.renamedFrom ?? e.model);
  const nowChecksums = await checksumsOfModels(store, options.stepId, entries.map((e) => e.model));
  const beforeChecksums = previousStepId === null
    ? new Map<string, string>()
    : await checksumsOfModels(store, previousStepId, names);
  const explanations: Explanation[] = [];
  for (const entry of entries) {
    const previousName = entry.renamedFrom ?? entry.model;
    const before = beforeChecksums.get(previousName) ?? null;
    explanations.push({
      ...entry,
      previousExecutionId: options.previousExecutionId,
      previousStepId,
      before,
      now: nowChecksums.get(entry.model) ?? null,
      stableSince: before === null || options.previousExecutionId === null
        ? null
        : await stableSince(
          store,
          { pipeline, previousExecutionId: options.previousExecutionId },
          { modelName: previousName, stepName: step.stepName, checksum: before },
        ),
    });
  }
  return explanations;
}

async function stableSince(
  store: Store,
  options: { pipeline: string; previousExecutionId: string },
  model: { modelName: string; stepName: string; checksum: string },
): Promise<Explanation["stableSince"]> {
  const versions = latestStepPerExecution(
    await modelVersions(store, { pipeline: options.pipeline, ...model }),
  ).filter((v) => v.executionStatus === "COMPLETED");
  const end = versions.findIndex((v) => v.executionId === options.previousExecutionId);
  if (end === -1) return null;
  let first = end;
  while (first > 0 && versions[first - 1].checksum === model.checksum) first--;
  return { executionId: versions[first].executionId, completedOn: versions[first].completedOn };
}
