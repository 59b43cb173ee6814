/** Every statement on dpo.execution. */
import { type Dialect, inDialect, type Queryable } from "./database.ts";
import { codePointOrder, exactSumText, isoText, millisecondsSince } from "./sql_text.ts";

/** An execution's own columns; times are Python-style ISO 8601 text. */
export interface ExecutionState {
  execution_id: string;
  pipeline: string;
  status: string;
  started_on: string;
  completed_on: string | null;
  execution_time_ms: string | null;
  failure_reason: string | null;
}

/** An execution with its totals, as summaries, JSON and the history report it. */
export interface ExecutionRow extends ExecutionState {
  step_count: string;
  model_count: string;
  rows_processed: string | null;
}

/** Statuses an execution or step ends in; nothing changes them afterwards. */
export const FINAL_STATUSES = ["COMPLETED", "FAILED"] as const;

function stateColumns(dialect: Dialect): string {
  return `CAST(e.execution_id AS text) AS execution_id, e.pipeline, e.status,
  ${isoText(dialect, "e.started_on")} AS started_on,
  ${isoText(dialect, "e.completed_on")} AS completed_on,
  CAST(e.execution_time_ms AS text) AS execution_time_ms, e.failure_reason`;
}

// The totals read every model row of the execution: only where they are reported.
function executionColumns(dialect: Dialect): string {
  return `${stateColumns(dialect)},
  CAST((SELECT count(*) FROM dpo.execution_step s WHERE s.execution_id = e.execution_id) AS text)
    AS step_count,
  CAST((SELECT count(*) FROM dpo.execution_step s JOIN dpo.execution_step_model m
    ON m.execution_step_id = s.execution_step_id WHERE s.execution_id = e.execution_id) AS text)
    AS model_count,
  (SELECT ${exactSumText(dialect, "s.rows_processed")} FROM dpo.execution_step s
    WHERE s.execution_id = e.execution_id) AS rows_processed`;
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
export async function findExecutionState(
  db: Queryable,
  executionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ExecutionState | undefined> {
  const rows = await db.query<ExecutionState>(
    `SELECT ${stateColumns(db.dialect)} FROM dpo.execution e WHERE e.execution_id = $1
     ${options.forUpdate && db.dialect === "postgres" ? "FOR UPDATE" : ""}`,
    [executionId],
  );
  return rows[0];
}

/** One execution with its totals, or undefined. */
export async function findExecution(
  db: Queryable,
  executionId: string,
): Promise<ExecutionRow | undefined> {
  const rows = await db.query<ExecutionRow>(
    `SELECT ${executionColumns(db.dialect)} FROM dpo.execution e WHERE e.execution_id = $1`,
    [executionId],
  );
  return rows[0];
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
  status?: string;
  since?: string;
  /** How many of the newest to skip: a later page. */
  offset?: number;
}

/** A pipeline's executions, newest first. */
export async function listExecutions(
  db: Queryable,
  filter: ExecutionFilter,
): Promise<ExecutionRow[]> {
  const since = {
    postgres: "$3::text IS NULL OR e.started_on >= $3::text::timestamptz",
    // Stored times are fixed-width UTC text: the bound is written the same way (sqliteTime).
    sqlite: "$3 IS NULL OR e.started_on >= $3",
  };
  return await db.query<ExecutionRow>(
    `SELECT ${executionColumns(db.dialect)} FROM dpo.execution e
     WHERE e.pipeline = $1 AND (CAST($2 AS text) IS NULL OR e.status = CAST($2 AS text)) AND (${
      inDialect(db, since)
    })
     ORDER BY e.started_on DESC, e.created_on DESC LIMIT $4 OFFSET $5`,
    [
      filter.pipeline,
      filter.status ?? null,
      filter.since === undefined
        ? null
        : db.dialect === "sqlite"
        ? sqliteTime(filter.since)
        : filter.since,
      filter.limit,
      filter.offset ?? 0,
    ],
  );
}

/** A pipeline, its newest execution and how its recent runs ended. */
export interface PipelineSummary extends ExecutionState {
  execution_count: string;
  /** How many of the newest RECENT_RUNS executions completed, and how many failed. */
  recent_runs: string;
  recent_completed: string;
  recent_failed: string;
}

/** How many of a pipeline's newest executions its success rate counts. */
export const RECENT_RUNS = 30;

/**
 * Every pipeline with its newest execution and the endings of its last RECENT_RUNS ones, by
 * name. Each lookup walks the (pipeline, started_on DESC) index from its newest end.
 */
export async function listPipelines(db: Queryable): Promise<PipelineSummary[]> {
  const recentCount = (condition: string) =>
    `(SELECT CAST(count(*) AS text) FROM (SELECT r.status FROM dpo.execution r
       WHERE r.pipeline = p.pipeline ORDER BY r.started_on DESC, r.created_on DESC
       LIMIT ${RECENT_RUNS}) AS recent WHERE ${condition})`;
  return await db.query<PipelineSummary>(
    `SELECT ${stateColumns(db.dialect)},
       CAST((SELECT count(*) FROM dpo.execution c WHERE c.pipeline = p.pipeline) AS text)
         AS execution_count,
       ${recentCount("1 = 1")} AS recent_runs,
       ${recentCount("recent.status = 'COMPLETED'")} AS recent_completed,
       ${recentCount("recent.status = 'FAILED'")} AS recent_failed
     FROM (SELECT DISTINCT pipeline FROM dpo.execution) AS p
     JOIN dpo.execution e ON e.execution_id = (SELECT r.execution_id FROM dpo.execution r
       WHERE r.pipeline = p.pipeline ORDER BY r.started_on DESC, r.created_on DESC LIMIT 1)
     ORDER BY ${codePointOrder(db.dialect, "p.pipeline")}`,
  );
}

/** A pipeline's executions as the chart draws them: newest first, no totals. */
export async function listExecutionDurations(
  db: Queryable,
  pipeline: string,
  limit: number,
): Promise<ExecutionState[]> {
  return await db.query<ExecutionState>(
    `SELECT ${stateColumns(db.dialect)} FROM dpo.execution e WHERE e.pipeline = $1
     ORDER BY e.started_on DESC, e.created_on DESC LIMIT $2`,
    [pipeline, limit],
  );
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
export async function endExecution(
  tx: Queryable,
  executionId: string,
  outcome: { status: typeof FINAL_STATUSES[number]; failureReason?: string | null },
): Promise<ExecutionRow | undefined> {
  const params = [executionId, outcome.status, outcome.failureReason ?? null];
  const set = `status = $2, completed_on = now(), updated_on = now(), failure_reason = $3,
    execution_time_ms = ${millisecondsSince(tx.dialect, "started_on")}
    WHERE execution_id = $1 AND status NOT IN ('COMPLETED', 'FAILED')`;
  if (tx.dialect === "sqlite") {
    // SQLite has no UPDATE inside WITH: the write transaction holds the store between the two.
    const ended = await tx.query(`UPDATE dpo.execution SET ${set} RETURNING execution_id`, params);
    return ended.length === 0 ? undefined : await findExecution(tx, executionId);
  }
  const rows = await tx.query<ExecutionRow>(
    `WITH ended AS (UPDATE dpo.execution SET ${set} RETURNING *)
     SELECT ${executionColumns(tx.dialect)} FROM ended e`,
    params,
  );
  return rows[0];
}

/** The database's clock, formatted like a completion time. */
export async function databaseNow(db: Queryable): Promise<string> {
  const [{ now }] = await db.query<{ now: string }>(
    `SELECT ${isoText(db.dialect, "now()")} AS now`,
  );
  return now;
}

/** An execution prune may delete, with what it holds. */
export interface PrunableExecution {
  execution_id: string;
  pipeline: string;
  status: string;
  started_on: string;
  step_count: string;
  model_count: string;
}

/** Which executions prune selects; see listPrunableExecutions. */
export interface PruneFilter {
  /** null: every pipeline. */
  pipeline: string | null;
  /** Keep each pipeline's newest N executions (by start); null: no such rule. */
  keepLast: number | null;
  /** Only executions started before this ISO 8601 time; null: no such rule. */
  startedBefore: string | null;
  /** Unfinished executions too, when they started before `startedBefore`. */
  includeUnfinished: boolean;
}

/**
 * The executions prune would delete, oldest first. Never a pipeline's last successful execution
 * (the baseline of its next comparison, ranked as lastSuccessfulExecutionId ranks it), never
 * one of the newest `keepLast`, and an unfinished one only when asked for and older than the
 * cut-off (an agent may still be recording it).
 */
export async function listPrunableExecutions(
  db: Queryable,
  filter: PruneFilter,
): Promise<PrunableExecution[]> {
  const cutOff = inDialect(db, {
    postgres: "CAST($3 AS timestamptz)",
    // Stored times are fixed-width UTC text: the bound is written the same way (sqliteTime).
    sqlite: "CAST($3 AS text)",
  });
  return await db.query<PrunableExecution>(
    `WITH ranked AS (
       SELECT e.*,
         row_number() OVER (PARTITION BY e.pipeline
           ORDER BY e.started_on DESC, e.created_on DESC) AS newest_rank,
         row_number() OVER (PARTITION BY e.pipeline, e.status
           ORDER BY e.updated_on DESC, e.created_on DESC) AS status_rank
       FROM dpo.execution e
       WHERE CAST($1 AS text) IS NULL OR e.pipeline = CAST($1 AS text))
     SELECT CAST(e.execution_id AS text) AS execution_id, e.pipeline, e.status,
       ${isoText(db.dialect, "e.started_on")} AS started_on,
       CAST((SELECT count(*) FROM dpo.execution_step s WHERE s.execution_id = e.execution_id)
         AS text) AS step_count,
       CAST((SELECT count(*) FROM dpo.execution_step s JOIN dpo.execution_step_model m
         ON m.execution_step_id = s.execution_step_id WHERE s.execution_id = e.execution_id)
         AS text) AS model_count
     FROM ranked e
     WHERE NOT (e.status = 'COMPLETED' AND e.status_rank = 1)
       AND (CAST($2 AS integer) IS NULL OR e.newest_rank > CAST($2 AS integer))
       AND (${cutOff} IS NULL OR e.started_on < ${cutOff})
       AND (e.status IN ('COMPLETED', 'FAILED')
         OR (CAST($4 AS integer) = 1 AND ${cutOff} IS NOT NULL AND e.started_on < ${cutOff}))
     ORDER BY e.started_on, e.created_on`,
    [
      filter.pipeline,
      filter.keepLast,
      filter.startedBefore === null
        ? null
        : db.dialect === "sqlite"
        ? sqliteTime(filter.startedBefore)
        : filter.startedBefore,
      filter.includeUnfinished ? 1 : 0,
    ],
  );
}

/**
 * Makes prunes take turns, one batch at a time: two at once would otherwise delete the same
 * rows in different orders. PostgreSQL: an advisory lock held to the end of the transaction (a
 * session lock would outlive the transaction on a PgBouncer connection in transaction mode).
 * SQLite: the write transaction already holds the whole store.
 */
export async function awaitPruneTurn(tx: Queryable): Promise<void> {
  if (tx.dialect === "postgres") {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('dpo prune'))");
  }
}

/**
 * Whether the role may delete rows of dpo's three tables (prune needs it; every other command
 * only reads, inserts and updates). The embedded store has no roles.
 */
export async function mayDeleteRows(db: Queryable): Promise<{ role: string; allowed: boolean }> {
  if (db.dialect === "sqlite") return { role: "", allowed: true };
  const [row] = await db.query<{ role: string; allowed: boolean }>(
    `SELECT CAST(current_user AS text) AS role,
       has_table_privilege('dpo.execution', 'DELETE')
       AND has_table_privilege('dpo.execution_step', 'DELETE')
       AND has_table_privilege('dpo.execution_step_model', 'DELETE') AS allowed`,
  );
  return row;
}

/** Deletes an execution whose steps are already gone; false when it was gone already. */
export async function deleteExecution(tx: Queryable, executionId: string): Promise<boolean> {
  const rows = await tx.query(
    "DELETE FROM dpo.execution WHERE execution_id = $1 RETURNING execution_id",
    [executionId],
  );
  return rows.length === 1;
}
