/** The statements that write and read dpo.execution one execution at a time, or a page of them. */
import {
  asTimestamp,
  type Execution,
  type ExecutionWithTotals,
  type FinalStatus,
  type Status,
  type Timestamp,
} from "../domain.ts";
import { type Dialect, inDialect, type Queryable } from "./database.ts";
import { exactSumText, isoText, millisecondsSince } from "./sql_text.ts";

/** An execution's own columns as the statements below select them: times and int8 as text. */
export interface ExecutionRow {
  execution_id: string;
  pipeline: string;
  status: string;
  started_on: string;
  completed_on: string | null;
  execution_time_ms: string | null;
  failure_reason: string | null;
}

/** An execution's row with its totals. */
interface ExecutionTotalsRow extends ExecutionRow {
  step_count: string;
  model_count: string;
  rows_processed: string | null;
}

/** An execution's own columns, selected from `e`. */
export function executionColumns(dialect: Dialect): string {
  return `CAST(e.execution_id AS text) AS execution_id, e.pipeline, e.status,
  ${isoText(dialect, "e.started_on")} AS started_on,
  ${isoText(dialect, "e.completed_on")} AS completed_on,
  CAST(e.execution_time_ms AS text) AS execution_time_ms, e.failure_reason`;
}

// The totals read every model row of the execution: only where they are reported.
function totalsColumns(dialect: Dialect): string {
  return `${executionColumns(dialect)},
  CAST((SELECT count(*) FROM dpo.execution_step s WHERE s.execution_id = e.execution_id) AS text)
    AS step_count,
  CAST((SELECT count(*) FROM dpo.execution_step s JOIN dpo.execution_step_model m
    ON m.execution_step_id = s.execution_step_id WHERE s.execution_id = e.execution_id) AS text)
    AS model_count,
  (SELECT ${exactSumText(dialect, "s.rows_processed")} FROM dpo.execution_step s
    WHERE s.execution_id = e.execution_id) AS rows_processed`;
}

/** An int8 column's exact text as a bigint (null stays null). */
export function countOf(text: string | null): bigint | null {
  return text === null ? null : BigInt(text);
}

/** The domain value of an execution's row. */
export function toExecution(row: ExecutionRow): Execution {
  return {
    executionId: row.execution_id,
    pipeline: row.pipeline,
    status: row.status as Status,
    startedOn: asTimestamp(row.started_on),
    completedOn: row.completed_on === null ? null : asTimestamp(row.completed_on),
    executionTimeMs: countOf(row.execution_time_ms),
    failureReason: row.failure_reason,
  };
}

function toExecutionWithTotals(row: ExecutionTotalsRow): ExecutionWithTotals {
  return {
    ...toExecution(row),
    stepCount: BigInt(row.step_count),
    modelCount: BigInt(row.model_count),
    rowsProcessed: countOf(row.rows_processed),
  };
}

/** Inserts a new execution of a pipeline; false when the id is already taken. */
export async function insertExecution(
  tx: Queryable,
  execution: { executionId: string; pipeline: string },
): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO dpo.execution (execution_id, pipeline, created_on, updated_on, started_on)
     VALUES ($1, $2, now(), now(), now())
     ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id`,
    [execution.executionId, execution.pipeline],
  );
  return rows.length === 1;
}

/**
 * One execution's own columns, or undefined: the cheap check every command makes. With
 * `forUpdate` the row stays locked until the transaction ends (on SQLite the write transaction
 * already holds the whole store).
 */
export async function findExecution(
  db: Queryable,
  executionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Execution | undefined> {
  const rows = await db.query<ExecutionRow>(
    `SELECT ${executionColumns(db.dialect)} FROM dpo.execution e WHERE e.execution_id = $1
     ${options.forUpdate && db.dialect === "postgres" ? "FOR UPDATE" : ""}`,
    [executionId],
  );
  return rows.length === 0 ? undefined : toExecution(rows[0]);
}

/** One execution with its totals, or undefined. */
export async function findExecutionWithTotals(
  db: Queryable,
  executionId: string,
): Promise<ExecutionWithTotals | undefined> {
  const rows = await db.query<ExecutionTotalsRow>(
    `SELECT ${totalsColumns(db.dialect)} FROM dpo.execution e WHERE e.execution_id = $1`,
    [executionId],
  );
  return rows.length === 0 ? undefined : toExecutionWithTotals(rows[0]);
}

/** The id of a pipeline's most recently completed execution, as the Python tool ordered them. */
export async function lastSuccessfulExecutionId(
  db: Queryable,
  pipeline: string,
): Promise<string | undefined> {
  const rows = await db.query<{ execution_id: string }>(
    `SELECT CAST(execution_id AS text) AS execution_id FROM dpo.execution
     WHERE pipeline = $1 AND status = 'COMPLETED'
     ORDER BY updated_on DESC, created_on DESC LIMIT 1`,
    [pipeline],
  );
  return rows[0]?.execution_id;
}

/** The completed execution of the same pipeline that started last before this one. */
export async function previousSuccessfulExecutionId(
  db: Queryable,
  executionId: string,
): Promise<string | undefined> {
  const rows = await db.query<{ execution_id: string }>(
    `SELECT CAST(p.execution_id AS text) AS execution_id
     FROM dpo.execution e JOIN dpo.execution p
       ON p.pipeline = e.pipeline AND p.status = 'COMPLETED' AND p.started_on < e.started_on
     WHERE e.execution_id = $1
     ORDER BY p.started_on DESC, p.created_on DESC LIMIT 1`,
    [executionId],
  );
  return rows[0]?.execution_id;
}

/** Filters for the history: newest first. */
export interface ExecutionFilter {
  pipeline: string;
  limit: number;
  status?: Status;
  /** Only executions started at or after this ISO 8601 time. */
  since?: string;
  /** How many of the newest to skip: a later page. */
  offset?: number;
}

/** A pipeline's executions with their totals, newest first. */
export async function listExecutions(
  db: Queryable,
  filter: ExecutionFilter,
): Promise<ExecutionWithTotals[]> {
  const since = {
    postgres: "$3::text IS NULL OR e.started_on >= $3::text::timestamptz",
    // Stored times are fixed-width UTC text: the bound is written the same way (sqliteTime).
    sqlite: "$3 IS NULL OR e.started_on >= $3",
  };
  // The page is chosen first, then its totals counted: both stores would otherwise count every
  // skipped execution's steps and models before the OFFSET (page 200 of 10,000 executions of
  // 100 models took ~0.8 s).
  const rows = await db.query<ExecutionTotalsRow>(
    `SELECT ${totalsColumns(db.dialect)} FROM (
       SELECT e.* FROM dpo.execution e
       WHERE e.pipeline = $1 AND (CAST($2 AS text) IS NULL OR e.status = CAST($2 AS text)) AND (${
      inDialect(db, since)
    })
       ORDER BY e.started_on DESC, e.created_on DESC LIMIT $4 OFFSET $5) e
     ORDER BY e.started_on DESC, e.created_on DESC`,
    [
      filter.pipeline,
      filter.status ?? null,
      filter.since === undefined ? null : timeBound(db, filter.since),
      filter.limit,
      filter.offset ?? 0,
    ],
  );
  return rows.map(toExecutionWithTotals);
}

/** An ISO 8601 time as a parameter compared with stored times. */
export function timeBound(db: Queryable, iso: string): string {
  return db.dialect === "sqlite" ? sqliteTime(iso) : iso;
}

/** An ISO 8601 time with an offset as the SQLite store keeps times (UTC, six fraction digits). */
export function sqliteTime(iso: string): string {
  return Temporal.Instant.from(iso).toString({ smallestUnit: "microsecond", timeZone: "UTC" });
}

/** Marks an execution IN_PROGRESS once it has a step (what the Python tool's init-step did). */
export async function markExecutionInProgress(tx: Queryable, executionId: string): Promise<void> {
  await tx.query(
    `UPDATE dpo.execution SET status = 'IN_PROGRESS', updated_on = now()
     WHERE execution_id = $1 AND status <> 'IN_PROGRESS'`,
    [executionId],
  );
}

/**
 * Ends an execution as COMPLETED or FAILED (with a reason) unless it already ended; returns it
 * as stored afterwards, or undefined when nothing changed.
 */
export async function markExecutionEnded(
  tx: Queryable,
  executionId: string,
  outcome: { status: FinalStatus; failureReason?: string | null },
): Promise<ExecutionWithTotals | undefined> {
  const params = [executionId, outcome.status, outcome.failureReason ?? null];
  const set = `status = $2, completed_on = now(), updated_on = now(), failure_reason = $3,
    execution_time_ms = ${millisecondsSince(tx.dialect, "started_on")}
    WHERE execution_id = $1 AND status NOT IN ('COMPLETED', 'FAILED')`;
  if (tx.dialect === "sqlite") {
    // SQLite has no UPDATE inside WITH: the write transaction holds the store between the two.
    const ended = await tx.query(`UPDATE dpo.execution SET ${set} RETURNING execution_id`, params);
    return ended.length === 0 ? undefined : await findExecutionWithTotals(tx, executionId);
  }
  const rows = await tx.query<ExecutionTotalsRow>(
    `WITH ended AS (UPDATE dpo.execution SET ${set} RETURNING *)
     SELECT ${totalsColumns(tx.dialect)} FROM ended e`,
    params,
  );
  return rows.length === 0 ? undefined : toExecutionWithTotals(rows[0]);
}

/** The database's clock, formatted like a completion time. */
export async function databaseNow(db: Queryable): Promise<Timestamp> {
  const [{ now }] = await db.query<{ now: string }>(
    `SELECT ${isoText(db.dialect, "now()")} AS now`,
  );
  return asTimestamp(now);
}
