/** The workflows on steps: record a step's model checksums, end it. */
import { yieldToPendingSignals } from "../interrupts.ts";
import { NotFoundError } from "../errors.ts";
import type { HashProgress } from "../files/hash_pool.ts";
import { type ModelsInNameOrder, modelsInNameOrder } from "../files/model_names.ts";
import type { Log } from "../log.ts";
import type { Step, StepOutcome } from "../domain.ts";
import type { Queryable, Store } from "../store/database.ts";
import { findExecution, markExecutionInProgress } from "../store/executions.ts";
import { insertStepModels, type StepModels } from "../store/step_models.ts";
import * as steps from "../store/steps.ts";
import { assertExecutionOpen, requireExecution } from "./executions.ts";
import { type Ending, settleEnding } from "./endings.ts";

export interface RecordStepOptions {
  executionId: string;
  stepName: string;
  basePath: string;
  patterns: readonly string[];
  /** Told how many files there are, then how hashing advances (for a progress bar). */
  progress?: { start(totalFiles: number): void; advance: HashProgress };
  /** The stat cache's file (stat_cache.ts); without one every file is read. */
  statCachePath?: string;
}

/** A recorded step. */
export interface RecordedStep {
  stepId: string;
  stepName: string;
  modelCount: number;
}

/**
 * Fingerprints the step's model files and stores the step with every checksum in one
 * transaction. Files are hashed before the transaction opens, so no
 * connection or row lock is held while reading them.
 */
export async function recordStep(
  store: Store,
  options: RecordStepOptions,
  log: Log,
): Promise<RecordedStep> {
  assertExecutionOpen(await requireExecution(store, options.executionId));
  using fingerprint = await fingerprintModels(options, log);
  const models = fingerprint.models;
  const stepId = timeOrderedUuid();
  const stepName = options.stepName.toUpperCase();
  // Only init-step works long without returning to the event loop: an interrupt meanwhile must
  // win over the write that follows.
  await yieldToPendingSignals();
  await store.transaction(async (tx) => {
    assertExecutionOpen(await requireExecution(tx, options.executionId, { forUpdate: true }));
    await steps.insertStep(tx, { stepId, executionId: options.executionId, stepName });
    await insertStepModels(tx, stepId, models);
    await markExecutionInProgress(tx, options.executionId);
  });
  // Only now: a step that failed or was interrupted leaves the cache as it was.
  fingerprint.recordInCache();
  log.debug(`Recorded step ${stepName} (${stepId}) with ${models.names.length} models`);
  return { stepId, stepName, modelCount: models.names.length };
}

/**
 * Ends a step as the outcome says (completed with its row count, or failed and why): a failed
 * step cannot be completed, a completed one cannot fail; the same ending again changes nothing.
 */
export async function endStep(
  store: Store,
  stepId: string,
  outcome: StepOutcome,
): Promise<Ending<Step>> {
  return await store.transaction(async (tx) =>
    settleEnding({
      what: `Step "${stepId}"`,
      wanted: outcome.status,
      ended: await steps.markStepEnded(tx, stepId, outcome),
      current: () => requireStep(tx, stepId),
    })
  );
}

/** The step, or a NotFoundError naming it. */
export async function requireStep(db: Queryable, stepId: string): Promise<Step> {
  return await steps.findStep(db, stepId) ?? await unknownStep(db, stepId);
}

/** A step's models, and how to remember the digests read once the step is stored. */
interface Fingerprint extends Disposable {
  models: StepModels;
  recordInCache(): void;
}

async function fingerprintModels(options: RecordStepOptions, log: Log): Promise<Fingerprint> {
  // Loaded here, not at start-up: only init-step needs the glob and hashing modules.
  const [{ HashPool }, statCache, cachedHashing] = await Promise.all([
    import("../files/hash_pool.ts"),
    options.statCachePath === undefined ? null : import("../files/stat_cache.ts"),
    options.statCachePath === undefined ? null : import("../files/cached_hashing.ts"),
  ]);
  using hashPool = new HashPool(options.basePath);
  const cache = statCache?.StatCache.open(options.statCachePath!, log) ?? null;
  // With a cache, the pool's workers stat the files found while the walk goes on.
  const scan = cache === null ? null : new cachedHashing!.StatScan(hashPool, options.basePath);
  try {
    // The pool hears of every file found, so that its workers can boot while the walk goes on.
    const { names, paths, listedIndexes } = await listModels(
      options,
      log,
      scan?.found ?? ((count) => hashPool.expect(count)),
    );
    options.progress?.start(names.length);
    if (cache === null) {
      const checksums = await hashPool.hash(paths, options.progress?.advance);
      return { models: { names, checksums }, recordInCache: () => {}, [Symbol.dispose]() {} };
    }
    const hashed = await cachedHashing!.hashWithStatCache(paths, {
      pool: hashPool,
      cache,
      scan: scan!,
      basePath: options.basePath,
      listedIndexes,
      onProgress: options.progress?.advance,
    });
    log.debug(
      `Stat cache: ${hashed.unchanged} of ${paths.length} files unchanged, ` +
        `${paths.length - hashed.unchanged} read`,
    );
    return {
      models: { names, checksums: hashed.digests },
      recordInCache: () => hashed.record(),
      [Symbol.dispose]: () => cache[Symbol.dispose](),
    };
  } catch (error) {
    cache?.[Symbol.dispose]();
    throw error;
  }
}

/**
 * The model files the patterns match, as model names in name order, their paths and where each
 * stood in the walk. In name order, the order of the stores' (step, model name) key: a step's
 * rows then go into it side by side, not each on another page (SQLite, 200,000 models: 1.7 s
 * instead of 5 s).
 */
async function listModels(
  { basePath, patterns }: RecordStepOptions,
  log: Log,
  onFileFound?: (count: number, path: string) => void,
): Promise<ModelsInNameOrder> {
  const { expandModelPatterns } = await import("../files/glob.ts");
  const files = expandModelPatterns(basePath, patterns, onFileFound, "as-listed");
  if (files.length === 0) {
    log.warn(
      `No model file under "${basePath}" matches ${patterns.map((p) => `"${p}"`).join(", ")}: ` +
        "the step is recorded without models",
    );
  }
  return modelsInNameOrder(files);
}

/**
 * A new step's id: a UUID version 7 (RFC 9562), the milliseconds since 1970 then 74 random bits,
 * in lower-case hex as randomUUID(). A step's id sorts after those of the steps made before it
 * (a clock set back only costs speed), so its model rows, keyed by (step id, model name), go to
 * the right-hand edge of the key's tree instead of between two earlier steps' rows, where every
 * page split moves those too (SQLite, 200,000 models: ~0.2 s less for the insert alone, ~0.5 s
 * less end to end in paired runs; measured).
 */
export function timeOrderedUuid(nowMs = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) bytes[i] = Math.floor(nowMs / 2 ** (8 * (5 - i))) & 0xff;
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/**
 * Throws the error for a step id that names no step; when it names an execution, says so (an
 * execution id pasted where a step id belongs). The extra lookup is made only on this error path.
 */
export async function unknownStep(db: Queryable, stepId: string): Promise<never> {
  const execution = await findExecution(db, stepId);
  const hint = execution === undefined
    ? ""
    : `that id is an execution of pipeline "${execution.pipeline}"; `;
  throw new NotFoundError(`Step "${stepId}" does not exist: ${hint}use an id printed by init-step`);
}
