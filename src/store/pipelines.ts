/** The statements that read dpo.execution a pipeline at a time: the overview and the timeline. */
import { type PipelineSummary, RECENT_RUNS } from "../domain.ts";
import type { Queryable } from "./database.ts";
import { executionColumns, type ExecutionRow, toExecution } from "./executions.ts";
import { codePointOrder } from "./sql_text.ts";

interface PipelineRow extends ExecutionRow {
  execution_count: string;
  recent_runs: string;
  recent_completed: string;
  recent_failed: string;
}

/**
 * Every pipeline with its newest execution and the endings of its last RECENT_RUNS ones, by
 * name. Each lookup walks the (pipeline, started_on DESC) index from its newest end.
 */
export async function listPipelines(db: Queryable): Promise<PipelineSummary[]> {
  const recentCount = (condition: string) =>
    `(SELECT CAST(count(*) AS text) FROM (SELECT r.status FROM dpo.execution r
       WHERE r.pipeline = p.pipeline ORDER BY r.started_on DESC, r.created_on DESC
       LIMIT ${RECENT_RUNS}) AS recent WHERE ${condition})`;
  const rows = await db.query<PipelineRow>(
    `SELECT ${executionColumns(db.dialect)},
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
  return rows.map((row) => ({
    pipeline: row.pipeline,
    newest: toExecution(row),
    executionCount: BigInt(row.execution_count),
    recentRuns: BigInt(row.recent_runs),
    recentCompleted: BigInt(row.recent_completed),
    recentFailed: BigInt(row.recent_failed),
  }));
}
