/**
 * The pipeline page's per-step figures for a page of executions, in one statement: rows
 * processed (dpo.execution_step) and changed models (dpo.execution_step_model). A new file so
 * that the chart's one statement sits beside no other table's.
 */
import type { StepMetrics } from "../domain.ts";
import { inDialect, type Queryable } from "./database.ts";

/** One step of an execution with its rows processed and how many of its models changed. */
interface StepMetricsRow {
  execution_id: string;
  execution_step_id: string;
  step_name: string;
  rows_processed: string | null;
  /** Added plus modified against the same-named step of the earlier successful run (every model
   * when it lacks the step), as `dpo executions show` counts them; null when there is none. */
  changed_models: string | null;
}

/**
 * Each step of the given executions, in the order they started, with its changed-model count:
 * its models whose name and checksum are not in the previous step, one (step, name) key lookup
 * each, so the cost follows the page's models, never the pipeline's history. The earlier
 * successful run and its step are found as previousSuccessfulExecutionId and findStepByName do.
 * MATERIALIZED on SQLite: it would otherwise flatten the CTEs and look both up again for every
 * model (150 ms instead of 25 for 50 executions); PostgreSQL before 12 knew no MATERIALIZED.
 */
export async function stepMetricsOfExecutions(
  db: Queryable,
  executionIds: readonly string[],
): Promise<StepMetrics[]> {
  if (executionIds.length === 0) return [];
  const ids = inDialect(db, {
    postgres: "SELECT CAST(value AS uuid) FROM jsonb_array_elements_text(CAST($1 AS jsonb))",
    sqlite: "SELECT value FROM json_each($1)",
  });
  const once = db.dialect === "sqlite" ? "MATERIALIZED" : "";
  const rows = await db.query<StepMetricsRow>(
    `WITH listed AS (
       SELECT e.execution_id, e.pipeline, e.started_on FROM dpo.execution e
       WHERE e.execution_id IN (${ids})),
     steps AS ${once} (
       SELECT s.execution_step_id, s.execution_id, s.step_name, s.rows_processed,
         s.started_on, s.created_on,
         (SELECT p.execution_id FROM dpo.execution p
          WHERE p.pipeline = listed.pipeline AND p.status = 'COMPLETED'
            AND p.started_on < listed.started_on
          ORDER BY p.started_on DESC, p.created_on DESC LIMIT 1) AS previous_execution_id
       FROM listed JOIN dpo.execution_step s ON s.execution_id = listed.execution_id),
     paired AS ${once} (
       SELECT steps.*,
         (SELECT ps.execution_step_id FROM dpo.execution_step ps
          WHERE ps.execution_id = steps.previous_execution_id
            AND upper(ps.step_name) = upper(steps.step_name)
          ORDER BY ps.created_on DESC, ps.execution_step_id DESC LIMIT 1) AS previous_step_id
       FROM steps)
     SELECT CAST(paired.execution_id AS text) AS execution_id,
       CAST(paired.execution_step_id AS text) AS execution_step_id, paired.step_name,
       CAST(paired.rows_processed AS text) AS rows_processed,
       CASE WHEN paired.previous_execution_id IS NULL THEN NULL ELSE CAST((
         SELECT count(*) FROM dpo.execution_step_model m
         WHERE m.execution_step_id = paired.execution_step_id AND NOT EXISTS (
           SELECT 1 FROM dpo.execution_step_model pm
           WHERE pm.execution_step_id = paired.previous_step_id
             AND pm.model_name = m.model_name AND pm.checksum = m.checksum)) AS text) END
         AS changed_models
     FROM paired
     ORDER BY paired.execution_id, paired.started_on, paired.created_on, paired.execution_step_id`,
    [JSON.stringify(executionIds)],
  );
  return rows.map((row) => ({
    executionId: row.execution_id,
    stepId: row.execution_step_id,
    stepName: row.step_name,
    rowsProcessed: row.rows_processed === null ? null : BigInt(row.rows_processed),
    changedModels: row.changed_models === null ? null : BigInt(row.changed_models),
  }));
}
