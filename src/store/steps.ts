/** Every statement on dpo.execution_step. */
import { asTimestamp, type FinalStatus, type Status, type Step, type StepName } from "../domain.ts";
import type { Dialect, Queryable } from "./database.ts";
import { countOf } from "./executions.ts";
import { isoText, millisecondsSince } from "./sql_text.ts";

/** A step's columns as the statements below select them: times and int8 as text. */
interface StepRow {
  execution_step_id: string;
  execution_id: string;
  step_name: string;
  status: string;
  started_on: string;
  completed_on: string | null;
  execution_time_ms: string | null;
  rows_processed: string | null;
  failure_reason: string | null;
  model_count: string;
}

function stepColumns(dialect: Dialect): string {
  return `CAST(s.execution_step_id AS text) AS execution_step_id,
  CAST(s.execution_id AS text) AS execution_id, s.step_name, s.status,
  ${isoText(dialect, "s.started_on")} AS started_on,
  ${isoText(dialect, "s.completed_on")} AS completed_on,
  CAST(s.execution_time_ms AS text) AS execution_time_ms,
  CAST(s.rows_processed AS text) AS rows_processed, s.failure_reason,
  CAST((SELECT count(*) FROM dpo.execution_step_model m
    WHERE m.execution_step_id = s.execution_step_id) AS text) AS model_count`;
}

function toStep(row: StepRow): Step {
  return {
    stepId: row.execution_step_id,
    executionId: row.execution_id,
    stepName: row.step_name,
    status: row.status as Status,
    startedOn: asTimestamp(row.started_on),
    completedOn: row.completed_on === null ? null : asTimestamp(row.completed_on),
    executionTimeMs: countOf(row.execution_time_ms),
    rowsProcessed: countOf(row.rows_processed),
    failureReason: row.failure_reason,
    modelCount: BigInt(row.model_count),
  };
}

/** Inserts a step whose models are about to be saved in the same transaction. */
export async function insertStep(
  tx: Queryable,
  step: { stepId: string; executionId: string; stepName: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO dpo.execution_step (execution_step_id, execution_id, step_name, status,
       created_on, updated_on, started_on)
     VALUES ($1, $2, $3, 'IN_PROGRESS', now(), now(), now())`,
    [step.stepId, step.executionId, step.stepName],
  );
}

/** A step's id, execution and name, or undefined: all compare needs, without counting models. */
export async function findStepName(
  db: Queryable,
  stepId: string,
): Promise<StepName | undefined> {
  const rows = await db.query<Pick<StepRow, "execution_step_id" | "execution_id" | "step_name">>(
    `SELECT CAST(execution_step_id AS text) AS execution_step_id,
       CAST(execution_id AS text) AS execution_id, step_name
     FROM dpo.execution_step WHERE execution_step_id = $1`,
    [stepId],
  );
  if (rows.length === 0) return undefined;
  const [row] = rows;
  return { stepId: row.execution_step_id, executionId: row.execution_id, stepName: row.step_name };
}

/** One step with its model count, or undefined. */
export async function findStep(db: Queryable, stepId: string): Promise<Step | undefined> {
  const rows = await db.query<StepRow>(
    `SELECT ${stepColumns(db.dialect)} FROM dpo.execution_step s WHERE s.execution_step_id = $1`,
    [stepId],
  );
  return rows.length === 0 ? undefined : toStep(rows[0]);
}

/** Every step of an execution, in the order they started. */
export async function listSteps(db: Queryable, executionId: string): Promise<Step[]> {
  const rows = await db.query<StepRow>(
    `SELECT ${stepColumns(db.dialect)} FROM dpo.execution_step s WHERE s.execution_id = $1
     ORDER BY s.started_on, s.created_on, s.execution_step_id`,
    [executionId],
  );
  return rows.map(toStep);
}

/**
 * The newest step of an execution with this name. Names match case-insensitively: the Python
 * tool's oldest revision stored model types as typed ("load"), later ones upper-cased them.
 * The name is upper-cased here as init-step does, since SQLite's upper() folds ASCII only.
 */
export async function findStepByName(
  db: Queryable,
  executionId: string,
  stepName: string,
): Promise<string | undefined> {
  const rows = await db.query<{ execution_step_id: string }>(
    `SELECT CAST(execution_step_id AS text) AS execution_step_id FROM dpo.execution_step
     WHERE execution_id = $1 AND upper(step_name) = $2
     ORDER BY created_on DESC, execution_step_id DESC LIMIT 1`,
    [executionId, stepName.toUpperCase()],
  );
  return rows[0]?.execution_step_id;
}

/**
 * Ends a step as COMPLETED (with its row count) or FAILED (with a reason) unless it already
 * ended; returns it as stored afterwards, or undefined when nothing changed.
 */
export async function markStepEnded(
  tx: Queryable,
  stepId: string,
  outcome: { status: FinalStatus; rowsProcessed?: bigint | null; failureReason?: string | null },
): Promise<Step | undefined> {
  const params = [
    stepId,
    outcome.status,
    outcome.rowsProcessed == null ? null : outcome.rowsProcessed.toString(),
    outcome.failureReason ?? null,
  ];
  const set = `status = $2, completed_on = now(), updated_on = now(),
    rows_processed = CAST($3 AS bigint), failure_reason = $4,
    execution_time_ms = ${millisecondsSince(tx.dialect, "started_on")}
    WHERE execution_step_id = $1 AND status NOT IN ('COMPLETED', 'FAILED')`;
  if (tx.dialect === "sqlite") {
    // SQLite has no UPDATE inside WITH: the write transaction holds the store between the two.
    const ended = await tx.query(`UPDATE dpo.execution_step SET ${set} RETURNING status`, params);
    return ended.length === 0 ? undefined : await findStep(tx, stepId);
  }
  const rows = await tx.query<StepRow>(
    `WITH ended AS (UPDATE dpo.execution_step SET ${set} RETURNING *)
     SELECT ${stepColumns(tx.dialect)} FROM ended s`,
    params,
  );
  return rows.length === 0 ? undefined : toStep(rows[0]);
}

/** Deletes an execution's steps, whose models are already gone; returns how many. */
export async function deleteStepsOfExecution(tx: Queryable, executionId: string): Promise<number> {
  const rows = await tx.query(
    "DELETE FROM dpo.execution_step WHERE execution_id = $1 RETURNING execution_step_id",
    [executionId],
  );
  return rows.length;
}
