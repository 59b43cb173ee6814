/**
 * The values the service speaks: the store maps its rows to them, the CLI and the pages print
 * them. camelCase throughout; the snake_case of dpo's JSON output is the CLI's to write
 * (cli/json_shapes.ts), as the Python tool printed it.
 */

/**
 * A time as dpo prints it, Python's isoformat() in UTC: `2026-11-24T21:18:52.792147+00:00`, no
 * fraction when it is zero. Text, formatted by the database: a JS Date has only milliseconds.
 */
export type Timestamp = string & { readonly __timestamp: never };

/** Marks text the store formatted as a Timestamp. */
export function asTimestamp(text: string): Timestamp {
  return text as Timestamp;
}

/**
 * Counts and durations are bigints: rows processed reach 9223372036854775807 (a PostgreSQL
 * bigint), past the 2^53 a number holds exactly.
 */
export type Count = bigint;

/** How an execution or a step stands; COMPLETED and FAILED are final. */
export type Status = "INITIALISED" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "UNKNOWN";

/** The statuses an execution or step ends in; nothing changes them afterwards. */
export const FINAL_STATUSES = ["COMPLETED", "FAILED"] as const;
export type FinalStatus = typeof FINAL_STATUSES[number];

/** How an execution ends: completed, or failed and why. */
export type Outcome =
  | { status: "COMPLETED" }
  | { status: "FAILED"; failureReason: string | null };

/** How a step ends: completed with the rows it processed (null: not given), or failed and why. */
export type StepOutcome =
  | { status: "COMPLETED"; rowsProcessed: Count | null }
  | { status: "FAILED"; failureReason: string | null };

/** One execution of a pipeline: its own columns, cheap to read. */
export interface Execution {
  executionId: string;
  pipeline: string;
  status: Status;
  startedOn: Timestamp;
  completedOn: Timestamp | null;
  executionTimeMs: Count | null;
  failureReason: string | null;
}

/** An execution with the totals of its steps, as summaries, JSON and the history report it. */
export interface ExecutionWithTotals extends Execution {
  stepCount: Count;
  modelCount: Count;
  /** The sum over its steps; null when no step gave a count. */
  rowsProcessed: Count | null;
}

/** A step of an execution with its model count. */
export interface Step {
  stepId: string;
  executionId: string;
  /** Upper-case as init-step stores it (the Python tool's oldest revision kept the case typed). */
  stepName: string;
  status: Status;
  startedOn: Timestamp;
  completedOn: Timestamp | null;
  executionTimeMs: Count | null;
  rowsProcessed: Count | null;
  failureReason: string | null;
  modelCount: Count;
}

/** A step's id, execution and name: all compare needs, without counting models. */
export type StepName = Pick<Step, "stepId" | "executionId" | "stepName">;

/** How a model differs from the previous step: Added, Modified or Deleted. */
export type ChangeKind = "A" | "M" | "D";

/** One changed model; when asked for, an added or deleted one carries its checksum. */
export interface ModelChange {
  name: string;
  change: ChangeKind;
  checksum?: string;
}

/** A model found under a new name with the checksum an old name had. */
export interface Rename {
  from: string;
  to: string;
}

/** A step's models against a previous step's, by kind of change, names sorted by code point. */
export interface ChangeSet {
  added: string[];
  modified: string[];
  deleted: string[];
  /** Deleted and added models paired by an unambiguous checksum; in neither list above. */
  renamed: Rename[];
  unchanged: number;
}

/** One step's changes from one execution to another (`dpo diff`). */
export interface StepDiff extends ChangeSet {
  stepName: string;
}

/** A step with how many of its models changed against the run before its execution. */
export interface StepDetail extends Step {
  /** Added plus modified, or null when there is no earlier successful run to compare with. */
  changedModels: number | null;
}

/** One execution, its steps, and the earlier successful run they are compared with. */
export interface ExecutionDetail {
  execution: ExecutionWithTotals;
  previousExecutionId: string | null;
  steps: StepDetail[];
}

/** One step's version of a model: a null checksum when the step lacks it. */
export interface ModelVersion {
  executionId: string;
  executionStatus: Status;
  startedOn: Timestamp;
  completedOn: Timestamp | null;
  stepId: string;
  stepName: string;
  checksum: string | null;
}

/** A pipeline, its newest execution and how its recent runs ended. */
export interface PipelineSummary {
  pipeline: string;
  newest: Execution;
  executionCount: Count;
  /** How many of the newest RECENT_RUNS executions there are, completed and failed. */
  recentRuns: Count;
  recentCompleted: Count;
  recentFailed: Count;
}

/** How many of a pipeline's newest executions its success rate counts. */
export const RECENT_RUNS = 30;

/** An execution prune may delete, with what it holds. */
export interface PrunableExecution {
  executionId: string;
  pipeline: string;
  status: Status;
  startedOn: Timestamp;
  stepCount: Count;
  modelCount: Count;
}

/** One migration of dpo's schema and when it was applied (null: pending). */
export interface Revision {
  name: string;
  appliedOn: Timestamp | null;
  /** Why it counts as applied without having run (adopted from the Python tool). */
  note: string | null;
}
