/** Every statement on dpo.execution. */
import type { Queryable } from "./database.ts";
import { isoText } from "./sql_text.ts";

/** An execution as the commands report it; times are Python-style ISO 8601 text. */
export interface ExecutionRow {
  execution_id: string;
  status: string;
  started_on: string;
  completed_on: string | null;
  execution_time_ms: string | null;
  step_count: string;
}

const EXECUTION_COLUMNS = `e.execution_id::text AS execution_id, e.status,
  ${isoText("e.started_on")} AS started_on, ${isoText("e.completed_on")} AS completed_on,
  e.execution_time_ms::text AS execution_time_ms,
  (SELECT count(*) FROM dpo.execution_step s WHERE s.execution_id = e.execution_id)::text
    AS step_count`;

/** Inserts a new execution; false when the id is already taken. */
export async function insertExecution(tx: Queryable, executionId: string): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO dpo.execution (execution_id) VALUES ($1)
     ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id`,
    [executionId],
  );
  return rows.length === 1;
}

/** One execution, or undefined. With `forUpdate` the row stays locked until the transaction ends. */
export async function findExecution(
  db: Queryable,
  executionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ExecutionRow | undefined> {
  const rows = await db.query<ExecutionRow>(
    `SELECT ${EXECUTION_COLUMNS} FROM dpo.execution e WHERE e.execution_id = $1
     ${options.forUpdate ? "FOR UPDATE" : ""}`,
    [executionId],
  );
  return rows[0];
}

/** The id of the most recently completed execution, as the Python tool orders them. */
export async function lastSuccessfulExecutionId(db: Queryable): Promise<string | undefined> {
  const rows = await db.query<{ execution_id: string }>(
    `SELECT execution_id::text AS execution_id FROM dpo.execution WHERE status = 'COMPLETED'
     ORDER BY updated_on DESC, created_on DESC LIMIT 1`,
  );
  return rows[0]?.execution_id;
}

/** Marks an execution IN_PROGRESS once it has a step (what the Python tool's init-step did). */
export async function markExecutionInProgress(tx: Queryable, executionId: string): Promise<void> {
  await tx.query(
    `UPDATE dpo.execution SET status = 'IN_PROGRESS', updated_on = now()
     WHERE execution_id = $1 AND status <> 'IN_PROGRESS'`,
    [executionId],
  );
}

/** Completes an execution unless it already is; returns it as stored afterwards. */
export async function completeExecution(
  tx: Queryable,
  executionId: string,
): Promise<ExecutionRow | undefined> {
  const rows = await tx.query<ExecutionRow>(
    `WITH completed AS (
       UPDATE dpo.execution SET status = 'COMPLETED', completed_on = now(), updated_on = now(),
         execution_time_ms = (extract(epoch FROM now() - started_on) * 1000)::bigint
       WHERE execution_id = $1 AND status <> 'COMPLETED' RETURNING *)
     SELECT ${EXECUTION_COLUMNS} FROM completed e`,
    [executionId],
  );
  return rows[0];
}

/** The database's clock, formatted like a completion time. */
export async function databaseNow(db: Queryable): Promise<string> {
  const [{ now }] = await db.query<{ now: string }>(`SELECT ${isoText("now()")} AS now`);
  return now;
}
