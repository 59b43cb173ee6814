/** The question dpo answers: which models changed since a previous execution. */
import type { ChangeSet, ModelChange, Rename, StepDiff } from "../domain.ts";
import { NotFoundError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { changedModelNames, modelChanges } from "../store/step_models.ts";
import { findStepByName, findStepName, listSteps } from "../store/steps.ts";
import { requireExecution } from "./executions.ts";
import { unknownStep } from "./steps.ts";

export type { ChangeSet, Rename } from "../domain.ts";

interface CompareOptions {
  stepId: string;
  /** null: there is no previous execution, every model counts as added. */
  previousExecutionId: string | null;
}

/**
 * The step's models that are new or changed against the same-named step of the previous
 * execution; every model when there is no previous execution (null) or it lacks that step.
 */
export async function compareStepModels(
  store: Store,
  options: CompareOptions,
  log: Log,
): Promise<string[]> {
  const previousStepId = await previousStepOf(store, options, log);
  return await changedModelNames(store, options.stepId, previousStepId);
}

/** The full change set of compareStepModels, deletions and the unchanged count included. */
export async function stepChangeSet(
  store: Store,
  options: CompareOptions,
  log: Log,
): Promise<ChangeSet> {
  const previousStepId = await previousStepOf(store, options, log);
  return toChangeSet(
    await modelChanges(store, options.stepId, previousStepId, { checksums: true }),
  );
}

/** The change set of a step against a given previous step (null: every model is added). */
export async function changeSetBetween(
  store: Store,
  stepId: string,
  previousStepId: string | null,
): Promise<ChangeSet> {
  return toChangeSet(await modelChanges(store, stepId, previousStepId, { checksums: true }));
}

/** The older form: compares the named step of `executionId` against `previousExecutionId`. */
export async function compareExecutionModels(
  store: Store,
  options: { previousExecutionId: string | null; executionId: string; stepName: string },
  log: Log,
): Promise<string[]> {
  await requireExecution(store, options.executionId);
  const stepId = await findStepByName(store, options.executionId, options.stepName);
  if (stepId === undefined) {
    throw new NotFoundError(
      `Execution "${options.executionId}" has no step "${options.stepName.toUpperCase()}": ` +
        "record it first with init-step (or persist-models)",
    );
  }
  return await compareStepModels(
    store,
    { stepId, previousExecutionId: options.previousExecutionId },
    log,
  );
}

/**
 * Compares any two executions step by step (each step name of either, or only `stepName`):
 * what B added, modified and deleted relative to A.
 */
export async function diffExecutions(
  store: Store,
  options: { fromExecutionId: string; toExecutionId: string; stepName?: string },
): Promise<StepDiff[]> {
  await requireExecution(store, options.fromExecutionId);
  await requireExecution(store, options.toExecutionId);
  const stepNames = new Set<string>();
  for (const id of [options.fromExecutionId, options.toExecutionId]) {
    for (const step of await listSteps(store, id)) stepNames.add(step.stepName.toUpperCase());
  }
  const wanted = options.stepName === undefined
    ? [...stepNames].sort()
    : [options.stepName.toUpperCase()];
  const diffs: StepDiff[] = [];
  for (const stepName of wanted) {
    const fromStep = await findStepByName(store, options.fromExecutionId, stepName);
    const toStep = await findStepByName(store, options.toExecutionId, stepName);
    if (fromStep === undefined && toStep === undefined) {
      throw new NotFoundError(
        `Neither execution has a step "${stepName}": see "dpo executions show <id>" for its steps`,
      );
    }
    const result = toStep === undefined
      // Only A has the step: everything it had is deleted in B.
      ? invert(await modelChanges(store, fromStep!, null))
      : await modelChanges(store, toStep, fromStep ?? null, { checksums: true });
    diffs.push({ stepName, ...toChangeSet(result) });
  }
  return diffs;
}

async function previousStepOf(
  store: Store,
  options: CompareOptions,
  log: Log,
): Promise<string | null> {
  const step = await findStepName(store, options.stepId);
  if (!step) return await unknownStep(store, options.stepId);
  if (options.previousExecutionId === null) return null;
  await requireExecution(store, options.previousExecutionId);
  const previousStepId = await findStepByName(store, options.previousExecutionId, step.stepName);
  if (previousStepId === undefined) {
    log.warn(
      `Execution "${options.previousExecutionId}" has no step "${step.stepName}": ` +
        "every model counts as changed",
    );
  }
  return previousStepId ?? null;
}

type Changes = Awaited<ReturnType<typeof modelChanges>>;

function toChangeSet(result: Changes): ChangeSet {
  const renamed = pairRenames(result.changes);
  const paired = new Set(renamed.flatMap((r) => [r.from, r.to]));
  const named = (change: string) =>
    result.changes.filter((c) => c.change === change && !paired.has(c.name)).map((c) => c.name);
  return {
    added: named("A"),
    modified: named("M"),
    deleted: named("D"),
    renamed,
    unchanged: result.unchanged,
  };
}

/**
 * Renames, as `dvc diff` reports them: a deleted and an added model with the same checksum,
 * when that checksum belongs to exactly one deleted and one added model. Two copies of one file
 * cannot say which is the moved one, so ambiguous pairs stay a deletion and an addition.
 * In the order of the old names (the changes come sorted by code point).
 */
export function pairRenames(changes: readonly ModelChange[]): Rename[] {
  const byChecksum = new Map<string, { deleted: string[]; added: string[] }>();
  for (const change of changes) {
    if (change.checksum === undefined || change.change === "M") continue;
    const entry = byChecksum.get(change.checksum) ?? { deleted: [], added: [] };
    (change.change === "D" ? entry.deleted : entry.added).push(change.name);
    byChecksum.set(change.checksum, entry);
  }
  const renames: Rename[] = [];
  for (const change of changes) {
    const entry = change.change === "D" && change.checksum !== undefined
      ? byChecksum.get(change.checksum)!
      : undefined;
    if (entry?.deleted.length === 1 && entry.added.length === 1) {
      renames.push({ from: change.name, to: entry.added[0] });
    }
  }
  return renames;
}

function invert(result: Changes): Changes {
  return {
    changes: result.changes.map((c) => ({ ...c, change: "D" as const })),
    unchanged: 0,
  };
}
