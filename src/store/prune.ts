/** The statements prune runs: which executions it may delete, its turn, and the deletes. */
import { asTimestamp, type PrunableExecution, type Status } from "../domain.ts";
import { inDialect, type Queryable } from "./database.ts";
import { timeBound } from "./executions.ts";
import { isoText } from "./sql_text.ts";

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

interface PrunableRow {
  execution_id: string;
  pipeline: string;
  status: string;
  started_on: string;
  step_count: string;
  model_count: string;
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
  const rows = await db.query<PrunableRow>(
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
      filter.startedBefore === null ? null : timeBound(db, filter.startedBefore),
      filter.includeUnfinished ? 1 : 0,
    ],
  );
  return rows.map((row) => ({
    executionId: row.execution_id,
    pipeline: row.pipeline,
    status: row.status as Status,
    startedOn: asTimestamp(row.started_on),
    stepCount: BigInt(row.step_count),
    modelCount: BigInt(row.model_count),
  }));
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
